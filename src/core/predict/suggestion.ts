import { BeamResult, beamSearch } from './beam';
import { CutScorer, checkCutScorer, cutFeatures, scoreCut } from './cutScorer';
import { isBlank, isWordChar } from './tokens';
import { Branching } from './predictor';
import { Vocabulary } from '../text/vocabulary';

/**
 * What ghost text shows: of the continuations the model is sure enough of,
 * the one worth most to the user, cut where a token ends. Every hypothesis
 * of the beam's tree (beam.ts) is a place the suggestion could end where a
 * token ends there: after a character of an identifier or a number only
 * where the model thinks the word more likely ends than goes on, never in
 * a run of blanks (blanks at its end are left out). Each cut has a chance
 * of being right: the learned scorer's (cutScorer.ts) where the model has
 * one, else q, the model's probability of its text followed by a token's
 * end (BeamNode.tokenEnd). Of the cuts with that chance at least the
 * threshold, the one shown is the one with the most chance * (length +
 * rightWorth): the characters a user can expect to accept, plus
 * `rightWorth` for the chance of being right at all. rightWorth 0 shows
 * what is expected to be accepted most; larger values trade length for
 * precision (it is the multiplier of the precision asked for, in
 * characters: of the cuts, the best for expected accepted characters at a
 * precision). Where no cut reaches the threshold, nothing is shown.
 *
 * The scorer, the threshold and rightWorth come from the model: fitted at
 * save time on its validation text (suggestionFit.ts), the scorer on which
 * cuts were right there, then a table of what each threshold and
 * rightWorth gave, from which the pair that gives the precision the user
 * asks for with the most accepted characters is read.
 */

/**
 * charlens.completion.precision's default: how often a shown suggestion is
 * right (README, "Suggestions": chosen from the accuracy benchmark).
 */
export const DEFAULT_PRECISION = 0.7;
/** charlens.completion.beamWidth's default: measured against 8 on kernel/ (README, Suggestions), no better. */
export const DEFAULT_BEAM_WIDTH = 4;
/** charlens.completion.candidates' default: three to cycle through, as llama.vscode offers. */
export const DEFAULT_CANDIDATES = 3;

/** The beam's floor in the editor and the lowest threshold fitted: below it a suggestion is a guess. */
export const SUGGESTION_FLOOR = 0.05;
/** The thresholds the fit measures, SUGGESTION_FLOOR to 0.95. */
export const THRESHOLD_GRID = Array.from({ length: 37 }, (_, i) => Math.round((SUGGESTION_FLOOR + i * 0.025) * 1000) / 1000);
/** The rightWorth values the fit measures, in characters. */
export const RIGHT_WORTH_GRID = [0, 1, 2, 3, 4, 6, 8, 12, 20];

/** A cut may end after a word character only where the model gives the word's end at least this chance (see the top of this file). */
export const WORD_END = 0.5;

/** Where a suggestion is cut (see the top of this file). */
export interface SuggestionCut {
  threshold: number;
  rightWorth: number;
  /** Absent: the model's q is the chance a cut is right. */
  scorer?: CutScorer;
}

/** Every cut the fit measures: THRESHOLD_GRID by RIGHT_WORTH_GRID. */
export const CUT_GRID: readonly SuggestionCut[] = THRESHOLD_GRID.flatMap((threshold) => RIGHT_WORTH_GRID.map((rightWorth) => ({ threshold, rightWorth })));

export interface Suggestion {
  text: string;
  /** q: P(the text goes on with it, then a token ends). */
  p: number;
  /** What the learned scorer reads of it (cutFeatures). */
  features: number[];
}

/** The places a suggestion can end in a tree, in the tree's order: each node's text, blanks at its end left out, where a token can end. */
export function cutsOf(result: BeamResult): Suggestion[] {
  const { nodes } = result;
  const texts: string[] = [''];
  /** Per node: the least probable character on its path, given those before it. */
  const leastSure: number[] = [1];
  /** Per node: where its text (blanks at its end left out) ends in a word character, P(the word ends there | the text); else 1. */
  const wordEnds: number[] = [1];
  const cuts: Suggestion[] = [];
  for (let n = 1; n < nodes.length; n++) {
    const node = nodes[n];
    texts.push(texts[node.parent] + node.char);
    leastSure.push(Math.min(leastSure[node.parent], node.p / nodes[node.parent].p));
    const tokenEnds = node.tokenEnd / node.p;
    wordEnds.push(isBlank(node.char) ? wordEnds[node.parent] : isWordChar(node.char) ? tokenEnds : 1);
    if (wordEnds[n] < WORD_END) continue;
    // A space shown alone, or after the text, is nothing to accept.
    const text = texts[n].replace(/\s+$/, '');
    if (text.length === 0) continue;
    const features = cutFeatures({ q: node.tokenEnd, length: Array.from(text).length, leastSure: leastSure[n], tokenEnds, lineEnds: node.ended / node.p });
    cuts.push({ text, p: node.tokenEnd, features });
  }
  return cuts;
}

/** The suggestion at `cut` (see the top of this file), or none. */
export function bestCut(cuts: readonly Suggestion[], cut: SuggestionCut): Suggestion | undefined {
  return bestByChance(cuts, chancesOf(cuts, cut.scorer), cut);
}

/** Each cut's chance of being right: the scorer's, or q without one. */
function chancesOf(cuts: readonly Suggestion[], scorer: CutScorer | undefined): number[] {
  return cuts.map((c) => (scorer ? scoreCut(scorer, c.features) : c.p));
}

function bestByChance(cuts: readonly Suggestion[], chances: readonly number[], cut: SuggestionCut): Suggestion | undefined {
  let best: Suggestion | undefined;
  let bestWorth = -1;
  cuts.forEach((c, i) => {
    if (chances[i] < cut.threshold) return;
    const worth = chances[i] * (Array.from(c.text).length + cut.rightWorth);
    if (worth > bestWorth) [best, bestWorth] = [c, worth];
  });
  return best;
}

export interface SuggestOptions {
  beamWidth: number;
  /** Items offered at most: the suggestion, then the beam's most probable lines. */
  candidates: number;
  maxChars: number;
  multiline: boolean;
  cut: SuggestionCut;
}

/**
 * The ghost-text items at a cursor: the suggestion first (what is shown),
 * then the beam's most probable whole lines, distinct, for the user to
 * cycle to; none when the model is sure of nothing.
 */
export function suggest(branching: Branching, vocabulary: Vocabulary, o: SuggestOptions): string[] {
  const result = beamSearch(branching, vocabulary, { beamWidth: o.beamWidth, lines: o.candidates, maxChars: o.maxChars, multiline: o.multiline, floor: Math.min(o.cut.threshold, SUGGESTION_FLOOR), minChars: 1 });
  const shown = bestCut(cutsOf(result), o.cut);
  if (!shown) return [];
  const items = [shown.text];
  for (const line of result.lines) if (!items.includes(line.text)) items.push(line.text);
  return items.slice(0, o.candidates);
}

/** The suggestion at each cut of CUT_GRID ('' where none), from a tree's cuts (searched with a floor at most SUGGESTION_FLOOR), scored by `scorer` if given. */
export function suggestionsOnGrid(cuts: readonly Suggestion[], scorer?: CutScorer): string[] {
  const chances = chancesOf(cuts, scorer);
  return CUT_GRID.map((cut) => bestByChance(cuts, chances, cut)?.text ?? '');
}

/** What the fit measured at one cut: over cursors, the share with a suggestion, the share of those right, the characters a user could accept per cursor. */
export interface CurvePoint extends SuggestionCut {
  shown: number;
  precision: number;
  accepted: number;
}

/** 3: cuts by the learned scorer's expected accepted characters; 2 (read still): by q's; 1 (read still): the longest cut at a threshold. */
export const SUGGESTION_FIT_VERSION = 3;

/** Saved with the model (mixture.json): the cut scorer and what each cut of CUT_GRID gave with it on its validation text. */
export interface SuggestionFit {
  version: typeof SUGGESTION_FIT_VERSION | 2;
  beamWidth: number;
  cursors: number;
  /** From version 3. */
  scorer?: CutScorer;
  curve: CurvePoint[];
}

/** Per cut of CUT_GRID, what the suggestion was at each cursor, added up. */
export class ThresholdTally {
  private readonly shown = new Float64Array(CUT_GRID.length);
  private readonly right = new Float64Array(CUT_GRID.length);
  private readonly accepted = new Float64Array(CUT_GRID.length);
  cursors = 0;

  /** One cursor: the suggestion there at each cut of the grid (suggestionsOnGrid) and the rest of its line. */
  add(suggestions: readonly string[], rest: string): void {
    this.cursors++;
    suggestions.forEach((text, i) => {
      if (text.length === 0) return;
      this.shown[i]++;
      if (rest.startsWith(text)) {
        this.right[i]++;
        this.accepted[i] += [...text].length;
      }
    });
  }

  curve(): CurvePoint[] {
    const n = Math.max(1, this.cursors);
    return CUT_GRID.map((cut, i) => ({ ...cut, shown: this.shown[i] / n, precision: this.right[i] / Math.max(1, this.shown[i]), accepted: this.accepted[i] / n }));
  }
}

/**
 * The cut for a precision: of the fitted cuts whose precision reaches it,
 * the one with the most accepted characters, with the fit's scorer; the
 * most precise fitted where none does. Without a fit, the precision itself
 * as the threshold, which a calibrated model's probabilities would give;
 * from a fit of version 1 (a model saved before this rule: refitMixture.js
 * refits it), the threshold it fitted for the precision, at rightWorth 0.
 */
export function cutFor(fit: SuggestionFit | LongestCutFit | undefined, precision: number): SuggestionCut {
  if (!fit || fit.curve.length === 0) return { threshold: Math.min(0.99, Math.max(SUGGESTION_FLOOR, precision)), rightWorth: 0 };
  if (fit.version === 1) {
    const reached = fit.curve.find((point) => point.precision >= precision);
    return { threshold: (reached ?? fit.curve[fit.curve.length - 1]).threshold, rightWorth: 0 };
  }
  let best: CurvePoint | undefined;
  for (const point of fit.curve) if (point.precision >= precision && !(best && best.accepted >= point.accepted)) best = point;
  best ??= fit.curve.reduce((a, b) => (b.precision > a.precision ? b : a));
  return { threshold: best.threshold, rightWorth: best.rightWorth, ...(fit.scorer ? { scorer: fit.scorer } : {}) };
}

/** A fit saved before SUGGESTION_FIT_VERSION 2: precision per threshold of the longest-cut rule. */
export interface LongestCutFit {
  version: 1;
  beamWidth: number;
  cursors: number;
  curve: { threshold: number; shown: number; precision: number; accepted: number }[];
}

/** A fit read from mixture.json, if it is one this CharLens knows. */
export function checkSuggestionFit(fit: unknown): SuggestionFit | LongestCutFit | undefined {
  const f = fit as Partial<SuggestionFit> | Partial<LongestCutFit> | undefined;
  if ((f?.version !== SUGGESTION_FIT_VERSION && f?.version !== 2 && f?.version !== 1) || !Array.isArray(f.curve)) return undefined;
  // A version 3 fit's curve was measured with its scorer: without it, it says nothing of q's cuts.
  if (f.version === SUGGESTION_FIT_VERSION && !checkCutScorer(f.scorer)) return undefined;
  const numbers = (p: Partial<CurvePoint>) => [p.threshold, p.shown, p.precision, p.accepted, ...(f.version === 1 ? [] : [p.rightWorth])];
  return f.curve.every((p) => numbers(p).every(Number.isFinite)) ? (f as SuggestionFit | LongestCutFit) : undefined;
}
