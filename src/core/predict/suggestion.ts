import { BeamNode, BeamResult, beamSearch, pathTo } from './beam';
import { Branching } from './predictor';
import { Vocabulary } from '../text/vocabulary';

/**
 * What ghost text shows: the longest continuation the model is sure enough
 * of, cut where a token ends. From the beam's tree (beam.ts), every
 * hypothesis whose probability is at least the threshold is a prefix the
 * model is sure of; the deepest of them on each branch is cut back to where
 * the model is as sure that a token ends (not inside an identifier, a
 * number or a run of blanks; and not after blanks), and the most probable of those that no other one extends is
 * shown. Where none is left, nothing is shown.
 *
 * The threshold comes from the model: fitted at save time on its
 * validation text (suggestionFit.ts) as a curve of the precision each
 * threshold gave, from which the one that gives the precision the user asks
 * for is read.
 */

/**
 * charlens.completion.precision's default: how often a shown suggestion is
 * right (README, "Ghost text": chosen from the accuracy benchmark).
 */
export const DEFAULT_PRECISION = 0.7;
/** charlens.completion.beamWidth's default: the suggestion's threshold is above 0.25, so no more than four prefixes at a depth can pass it. */
export const DEFAULT_BEAM_WIDTH = 4;
/** charlens.completion.candidates' default: three to cycle through, as llama.vscode offers. */
export const DEFAULT_CANDIDATES = 3;

/** The beam's floor in the editor and the lowest threshold fitted: below it a suggestion is a guess. */
export const SUGGESTION_FLOOR = 0.05;
/** The thresholds the fit measures, SUGGESTION_FLOOR to 0.95. */
export const THRESHOLD_GRID = Array.from({ length: 37 }, (_, i) => Math.round((SUGGESTION_FLOOR + i * 0.025) * 1000) / 1000);

export interface Suggestion {
  text: string;
  /** P(the text goes on with it). */
  p: number;
}

/** The suggestions the model is sure of at `threshold`, most probable first (see the top of this file). */
export function confidentSuggestions(result: BeamResult, threshold: number): Suggestion[] {
  const { nodes } = result;
  const extended = new Uint8Array(nodes.length);
  for (let n = 1; n < nodes.length; n++) if (nodes[n].p >= threshold) extended[nodes[n].parent] = 1;
  const best = new Map<string, number>();
  for (let n = 1; n < nodes.length; n++) {
    if (nodes[n].p < threshold || extended[n]) continue;
    const cut = cutAtBoundary(nodes, n, threshold);
    if (cut && !(best.get(cut.text)! >= cut.p)) best.set(cut.text, cut.p);
  }
  const texts = [...best.keys()];
  return texts
    .filter((text) => !texts.some((other) => other !== text && other.startsWith(text)))
    .map((text) => ({ text, p: best.get(text)! }))
    .sort((a, b) => b.p - a.p);
}

/**
 * The longest prefix of the path to `node` the model is sure ends a token:
 * the deepest node on it whose probability of the text going on with it and
 * then a token ending (BeamNode.tokenEnd) is at least the threshold. (A
 * prefix followed on the path by a bracket or a blank is one: the path is
 * at least that probable.) Blanks at its end are left out.
 */
function cutAtBoundary(nodes: readonly BeamNode[], node: number, threshold: number): Suggestion | undefined {
  let n = node;
  while (n > 0 && nodes[n].tokenEnd < threshold) n = nodes[n].parent;
  const { chars, prefixes } = pathTo(nodes, n);
  let length = chars.length;
  // A space shown alone, or after the text, is nothing to accept.
  while (length > 0 && /\s/.test(chars[length - 1])) length--;
  if (length === 0) return undefined;
  return { text: chars.slice(0, length).join(''), p: prefixes[length - 1] };
}

export interface SuggestOptions {
  beamWidth: number;
  /** Items offered at most: the suggestion, then the beam's most probable lines. */
  candidates: number;
  maxChars: number;
  multiline: boolean;
  threshold: number;
}

/**
 * The ghost-text items at a cursor: the suggestion first (what is shown),
 * then the beam's most probable whole lines, distinct, for the user to
 * cycle to; none when the model is sure of nothing.
 */
export function suggest(branching: Branching, vocabulary: Vocabulary, o: SuggestOptions): string[] {
  const result = beamSearch(branching, vocabulary, { beamWidth: o.beamWidth, lines: o.candidates, maxChars: o.maxChars, multiline: o.multiline, floor: Math.min(o.threshold, SUGGESTION_FLOOR) });
  const [shown] = confidentSuggestions(result, o.threshold);
  if (!shown) return [];
  const items = [shown.text];
  for (const line of result.lines) if (line.text.length > 0 && !items.includes(line.text)) items.push(line.text);
  return items.slice(0, o.candidates);
}

/** The suggestion at each threshold of THRESHOLD_GRID ('' where none), from a tree searched with a floor at most SUGGESTION_FLOOR. */
export function suggestionsOnGrid(result: BeamResult): string[] {
  return THRESHOLD_GRID.map((t) => confidentSuggestions(result, t)[0]?.text ?? '');
}

/** What the fit measured at one threshold: over cursors, the share with a suggestion, the share of those right, the characters a user could accept per cursor. */
export interface CurvePoint {
  threshold: number;
  shown: number;
  precision: number;
  accepted: number;
}

export const SUGGESTION_FIT_VERSION = 1;

/** Saved with the model (mixture.json): the precision curve over THRESHOLD_GRID on its validation text. */
export interface SuggestionFit {
  version: typeof SUGGESTION_FIT_VERSION;
  beamWidth: number;
  cursors: number;
  curve: CurvePoint[];
}

/** Per threshold of THRESHOLD_GRID, what the suggestion was at each cursor, added up. */
export class ThresholdTally {
  private readonly shown = new Float64Array(THRESHOLD_GRID.length);
  private readonly right = new Float64Array(THRESHOLD_GRID.length);
  private readonly accepted = new Float64Array(THRESHOLD_GRID.length);
  cursors = 0;

  /** One cursor: the suggestion there at each threshold of the grid (suggestionsOnGrid) and the rest of its line. */
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
    return THRESHOLD_GRID.map((threshold, i) => ({ threshold, shown: this.shown[i] / n, precision: this.right[i] / Math.max(1, this.shown[i]), accepted: this.accepted[i] / n }));
  }
}

/**
 * The threshold for a precision: the lowest whose fitted precision reaches
 * it (the most shown at that precision), the highest fitted where none
 * does; without a fit (a model saved before it), the precision itself,
 * which a calibrated model's probabilities would give.
 */
export function thresholdFor(fit: SuggestionFit | undefined, precision: number): number {
  if (!fit || fit.curve.length === 0) return Math.min(0.99, Math.max(SUGGESTION_FLOOR, precision));
  const reached = fit.curve.find((point) => point.precision >= precision);
  return (reached ?? fit.curve[fit.curve.length - 1]).threshold;
}

/** A fit read from mixture.json, if it is one this CharLens knows. */
export function checkSuggestionFit(fit: unknown): SuggestionFit | undefined {
  const f = fit as Partial<SuggestionFit> | undefined;
  if (f?.version !== SUGGESTION_FIT_VERSION || !Array.isArray(f.curve)) return undefined;
  const ok = f.curve.every((p) => [p.threshold, p.shown, p.precision, p.accepted].every(Number.isFinite));
  return ok ? (f as SuggestionFit) : undefined;
}
