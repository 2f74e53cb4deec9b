import { AnsweringPredictor } from './answering';
import { beamSearch } from './beam';
import { MAX_COMPLETION_CHARS, pickCursors, restOfLine } from './completionAccuracy';
import { DEFAULT_BEAM_WIDTH, SUGGESTION_FIT_VERSION, SUGGESTION_FLOOR, SuggestionFit, ThresholdTally, suggestionsOnGrid } from './suggestion';

/** Cursors of the validation text the threshold is fitted at: a few seconds of beam searches. */
const FIT_CURSORS = 400;

/**
 * The suggestion's precision curve on validation text: the answering
 * predictor reads `text` as the editor reads a document (its n-gram must
 * not have read it), and at seeded cursors inside its lines the beam
 * searches as the editor does; per threshold, the share of cursors with a
 * suggestion, the share of those that are right (a prefix of the rest of
 * the line) and the characters a user could accept (see ThresholdTally).
 */
export function fitSuggestions(answering: AnsweringPredictor, text: string, beamWidth = DEFAULT_BEAM_WIDTH): SuggestionFit {
  const chars = Array.from(text);
  const cursors = pickCursors(chars, FIT_CURSORS, 1);
  const tally = new ThresholdTally();
  let offset = 0; // UTF-16 offset of chars[at]
  let at = 0;
  for (const cursor of cursors) {
    for (; at < cursor; at++) offset += chars[at].length;
    const branching = answering.at('validation', text.slice(0, offset));
    const result = beamSearch(branching, answering.vocabulary, { beamWidth, lines: 1, maxChars: MAX_COMPLETION_CHARS, multiline: false, floor: SUGGESTION_FLOOR, minChars: 1 });
    tally.add(suggestionsOnGrid(result), restOfLine(chars, cursor).join(''));
  }
  answering.forget('validation');
  return { version: SUGGESTION_FIT_VERSION, beamWidth, cursors: cursors.length, curve: tally.curve() };
}
