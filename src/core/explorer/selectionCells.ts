import { LstmState, shownActivation } from '../model/inference';
import { cellOf } from '../model/modelConfig';
import { Vocabulary } from '../text/vocabulary';
import { SamplePart } from './explorerSample';
import { SteppingModel } from './neuronRanking';

/**
 * Characters on each side of a selection that it is contrasted with: few,
 * as LSTMVis asks a cell to be on in the selection and off at its edges;
 * a wider margin would hold other instances of the same thing (the strings
 * on the next line) and blur the contrast.
 */
export const SURROUNDINGS = 10;

export interface SelectionCell {
  layer: number;
  cell: number;
  /**
   * Cohen's d of the cell's tanh(c) inside the selection against its
   * surroundings: the difference of the means over their pooled standard
   * deviation, so a cell that is on throughout the selection and off around
   * it scores high even when its values are small.
   */
  separation: number;
  inside: number;
  around: number;
  /** Halfway between the two means: "on" is beyond it on the selection's side (LSTMVis's on/off threshold). */
  threshold: number;
}

/**
 * The cells that tell the selection [from, to) from its surroundings, best
 * first: every cell's tanh(c) is read after each character from `start`
 * (SURROUNDINGS before the selection, or the text's start) to SURROUNDINGS
 * after it, starting from `state`, the exact state before `start`.
 */
export function cellsForSelection(model: SteppingModel, vocabulary: Vocabulary, state: LstmState, text: string, start: number, from: number, to: number, keep: number): SelectionCell[] {
  const { layers, hiddenSize: H } = model.config;
  const cell = cellOf(model.config);
  const cells = layers * H;
  const sums = { inside: new Float64Array(cells), insideSq: new Float64Array(cells), around: new Float64Array(cells), aroundSq: new Float64Array(cells) };
  let nIn = 0;
  let nOut = 0;
  const end = Math.min(text.length, to + SURROUNDINGS);
  for (let at = start; at < end; ) {
    const ch = String.fromCodePoint(text.codePointAt(at)!);
    model.advance(state, vocabulary.idOf(ch));
    const inside = at >= from && at < to;
    const [sum, sq] = inside ? [sums.inside, sums.insideSq] : [sums.around, sums.aroundSq];
    if (inside) nIn++;
    else nOut++;
    for (let l = 0; l < layers; l++) {
      for (let j = 0; j < H; j++) {
        const x = shownActivation(cell, state, l, j);
        sum[l * H + j] += x;
        sq[l * H + j] += x * x;
      }
    }
    at += ch.length;
  }
  if (nIn === 0 || nOut === 0) return [];
  const scored: SelectionCell[] = [];
  for (let k = 0; k < cells; k++) {
    const inside = sums.inside[k] / nIn;
    const around = sums.around[k] / nOut;
    const variance = (sums.insideSq[k] - nIn * inside * inside + sums.aroundSq[k] - nOut * around * around) / Math.max(1, nIn + nOut - 2);
    const separation = (inside - around) / Math.sqrt(Math.max(variance, 1e-6));
    scored.push({ layer: Math.floor(k / H), cell: k % H, separation, inside, around, threshold: (inside + around) / 2 });
  }
  return scored.sort((a, b) => Math.abs(b.separation) - Math.abs(a.separation)).slice(0, keep);
}

export interface SimilarPlace {
  /** Code point index in the sample where the pattern starts, and its length. */
  at: number;
  chars: number;
}

/**
 * Places in the sample where every one of `cells` is on (beyond its
 * threshold, on the selection's side) for a run of about the selection's
 * length (half to twice) and off just before and after it: LSTMVis's match
 * of an on/off pattern. Reads the sample again from its start, as the pass did.
 */
export async function findSimilar(
  model: SteppingModel,
  vocabulary: Vocabulary,
  sample: { chars: string[]; parts: SamplePart[] },
  cells: SelectionCell[],
  length: number,
  signal?: AbortSignal,
): Promise<SimilarPlace[]> {
  const cell = cellOf(model.config);
  const state = model.zeroState();
  const places: SimilarPlace[] = [];
  let part = 0;
  let runStart = -1;
  const close = (end: number) => {
    const n = end - runStart;
    if (runStart >= 0 && n >= length / 2 && n <= 2 * length) places.push({ at: runStart, chars: n });
    runStart = -1;
  };
  for (let i = 0; i < sample.chars.length; i++) {
    if (i > 0 && i % 2048 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    }
    while (part + 1 < sample.parts.length && sample.parts[part + 1].at <= i) {
      close(i); // a run does not go on into another file
      part++;
    }
    model.advance(state, vocabulary.idOf(sample.chars[i]));
    const on = cells.every((c) => Math.sign(c.separation) * (shownActivation(cell, state, c.layer, c.cell) - c.threshold) > 0);
    if (on && runStart < 0) runStart = i;
    else if (!on) close(i);
  }
  close(sample.chars.length);
  return places;
}
