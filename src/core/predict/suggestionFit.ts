import { AnsweringPredictor } from './answering';
import { beamSearch } from './beam';
import { MAX_COMPLETION_CHARS, pickCursors, restOfLine } from './completionAccuracy';
import { CutScorer, fitCutScorer } from './cutScorer';
import { CurvePoint, DEFAULT_BEAM_WIDTH, SUGGESTION_FIT_VERSION, SUGGESTION_FLOOR, Suggestion, SuggestionFit, ThresholdTally, cutsOf, suggestionsOnGrid } from './suggestion';

/** Cursors of the validation text the threshold is fitted at: a few seconds of beam searches. */
const FIT_CURSORS = 400;

/**
 * The suggestion's cut on validation text: the answering predictor reads
 * `text` as the editor reads a document (its n-gram must not have read it),
 * and at seeded cursors inside its lines the beam searches as the editor
 * does. The cut scorer learns which of those cuts were right (a prefix of
 * the rest of the line); then, per threshold and rightWorth with that
 * scorer, the share of cursors with a suggestion, the share of those that
 * are right and the characters a user could accept (see ThresholdTally).
 */
export function fitSuggestions(answering: AnsweringPredictor, text: string, beamWidth = DEFAULT_BEAM_WIDTH): SuggestionFit {
  const chars = Array.from(text);
  const cursors = pickCursors(chars, FIT_CURSORS, 1);
  const searched: { cuts: Suggestion[]; rest: string }[] = [];
  let offset = 0; // UTF-16 offset of chars[at]
  let at = 0;
  for (const cursor of cursors) {
    for (; at < cursor; at++) offset += chars[at].length;
    const branching = answering.at('validation', text.slice(0, offset));
    const result = beamSearch(branching, answering.vocabulary, { beamWidth, lines: 1, maxChars: MAX_COMPLETION_CHARS, multiline: false, floor: SUGGESTION_FLOOR, minChars: 1 });
    searched.push({ cuts: cutsOf(result), rest: restOfLine(chars, cursor).join('') });
  }
  answering.forget('validation');
  const { scorer, curve } = fitCut(searched);
  return { version: SUGGESTION_FIT_VERSION, beamWidth, cursors: cursors.length, scorer, curve };
}

/** The scorer learned from which cuts were right at each cursor, and what each cut of CUT_GRID gives there with it. */
export function fitCut(searched: readonly { cuts: readonly Suggestion[]; rest: string }[]): { scorer: CutScorer; curve: CurvePoint[] } {
  const scorer = fitCutScorer(searched.flatMap(({ cuts, rest }) => cuts.map((c) => ({ features: c.features, right: rest.startsWith(c.text) }))));
  const tally = new ThresholdTally();
  for (const { cuts, rest } of searched) tally.add(suggestionsOnGrid(cuts, scorer), rest);
  return { scorer, curve: tally.curve() };
}
