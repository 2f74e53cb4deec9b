import { Vocabulary } from '../text/vocabulary';
import { shownActivation } from '../model/inference';
import { cellOf } from '../model/modelConfig';
import { ActivationSketch, Example, PeakActivations } from './activationSketch';
import { CodeFeatures, FEATURE_NAMES, FeatureName } from './codeFeatures';
import { CorrelationAccumulator, DEFAULT_TOP, NeuronRanking, RankOptions, SteppingModel, rankCells } from './neuronRanking';
import type { LstmState } from '../model/inference';

/** Where one cell fires in the sample: its strongest places both ways and a place at each quantile. */
export interface CellFiring {
  layer: number;
  cell: number;
  /** Mean tanh(c) over the sample (what "clamp to the mean" sets). */
  mean: number;
  /** The strongest places each way, strongest first: the candidates for its snippets. */
  highest: Example[];
  lowest: Example[];
  quantiles: Array<Example & { q: number }>;
}

/** The state before every `interval`-th character of the sample, each `width` numbers: h then c of every layer. */
export interface SampleStates {
  interval: number;
  width: number;
  data: Float32Array;
}

/** Everything one pass over a sample gives; the ranking, the firing places and the states are cached together. */
export interface ExplorerPass {
  ranking: NeuronRanking;
  firing: CellFiring[];
  states: SampleStates;
}

export const QUANTILES = [0.99, 0.9, 0.5, 0.1, 0.01];
/** Snippets shown per direction, chosen from CANDIDATES places (spread over files and places by snippetPlaces.ts). */
export const PEAKS = 8;
const CANDIDATES = 3 * PEAKS;
/** The candidates are the strongest places of blocks this long, so that no two are neighbouring characters. */
const PEAK_BLOCK = 24;
/** Characters between saved states: a snippet is re-read from at most this far before it. */
export const STATE_INTERVAL = 128;
// Yielding this often lets a host process answer other requests, or cancel, every few tens of ms.
const YIELD_EVERY = 2048;

/**
 * Where a feature counts as on, for precision: inside a string or comment;
 * for the others (depths, indentation, column, distance to the line end),
 * above the feature's median over the sample, so a depth is on inside any
 * bracket when most of the text is outside them.
 */
export function featureThresholds(features: CodeFeatures): Record<FeatureName, number> {
  const median = (values: Float32Array) => (values.length === 0 ? 0 : Float32Array.from(values).sort()[Math.floor(values.length / 2)]);
  return Object.fromEntries(FEATURE_NAMES.map((name) => [name, name === 'insideString' || name === 'insideComment' ? 0.5 : median(features[name])])) as Record<FeatureName, number>;
}

export interface PassOptions extends RankOptions {
  /** Where each file's window starts in the sample (ascending): each one's strongest places join the candidates, so that snippets can come from every file. */
  partStarts?: readonly number[];
}

/**
 * One streaming pass of the model over `text` from the zero state, as in
 * Karpathy, Johnson and Fei-Fei: every cell's tanh(c) is correlated with
 * every feature, sketched (ActivationSketch) and searched for its peaks, and
 * the state is saved every STATE_INTERVAL characters. Memory does not grow
 * with the cells times the characters.
 */
export async function passOverSample(model: SteppingModel, vocabulary: Vocabulary, text: string, features: CodeFeatures, options: PassOptions = {}): Promise<ExplorerPass> {
  const { layers, hiddenSize: H } = model.config;
  const cells = layers * H;
  const peaks = new PeakActivations(cells, CANDIDATES, PEAK_BLOCK);
  const partStarts = options.partStarts ?? [];
  const partPeaks = partStarts.length ? new PeakActivations(cells, partStarts.length, Infinity) : undefined;
  let nextPart = 1;
  const width = 2 * cells;
  const states = new Float32Array(Math.ceil(Array.from(text).length / STATE_INTERVAL) * width);
  const { correlation, sketch, chars } = await scoreSample(model, vocabulary, text, features, options, {
    before: (i, state) => {
      if (i % STATE_INTERVAL !== 0) return;
      const at = (i / STATE_INTERVAL) * width;
      for (let l = 0; l < layers; l++) {
        states.set(state.h[l], at + l * H);
        states.set(state.c[l], at + cells + l * H);
      }
    },
    after: (i, x) => {
      if (i === partStarts[nextPart]) {
        partPeaks?.endBlock();
        nextPart++;
      }
      peaks.add(x, i);
      partPeaks?.add(x, i);
    },
  });
  const ranking = rankCells(
    correlation.correlations(),
    { layers, hiddenSize: H, chars, top: options.top ?? DEFAULT_TOP },
    { precision: (k, f, r) => (Number.isNaN(r) ? NaN : sketch.precisionAtTop(k, f, r < 0 ? -1 : 1)), baseRate: (f) => sketch.baseRate(f) },
  );
  const firing = Array.from({ length: cells }, (_, k): CellFiring => {
    const overall = peaks.peaks(k);
    const ofParts = partPeaks?.peaks(k) ?? { highest: [], lowest: [] };
    const highest = strongestFirst(overall.highest, ofParts.highest, 1);
    const lowest = strongestFirst(overall.lowest, ofParts.lowest, -1);
    const quantiles = QUANTILES.flatMap((q) => {
      const example = sketch.quantileExample(k, q);
      return example ? [{ q, ...example }] : [];
    });
    return { layer: Math.floor(k / H), cell: k % H, mean: sketch.mean(k), highest, lowest, quantiles };
  });
  return { ranking, firing, states: { interval: STATE_INTERVAL, width, data: states } };
}

/** What a pass over a sample adds up for every cell and feature: correlations, and the sketch that gives precisions. */
export interface SampleScores {
  correlation: CorrelationAccumulator;
  sketch: ActivationSketch;
  chars: number;
}

/** Called at each character: `before` with the state before the model reads it, `after` with every cell's shown activation after (inference.ts shownActivation). */
export interface PassVisitor {
  before?(i: number, state: LstmState): void;
  after?(i: number, x: Float64Array): void;
}

/**
 * One streaming pass of the model over `text` from the zero state: every
 * cell's tanh(c) correlated with every feature and sketched against where
 * each feature is on. The explorer's pass and the label history's scores
 * both come from here, so they are the same scores.
 */
export async function scoreSample(model: SteppingModel, vocabulary: Vocabulary, text: string, features: CodeFeatures, options: RankOptions = {}, visit: PassVisitor = {}): Promise<SampleScores> {
  const { layers, hiddenSize: H } = model.config;
  const cells = layers * H;
  const ids = vocabulary.encode(text);
  const columns = FEATURE_NAMES.map((name) => features[name]);
  const misaligned = FEATURE_NAMES.find((name) => features[name].length !== ids.length);
  if (misaligned) throw new Error(`Feature ${misaligned} has ${features[misaligned].length} values for ${ids.length} characters`);
  const thresholds = featureThresholds(features);
  const cutoffs = FEATURE_NAMES.map((name) => thresholds[name]);
  const correlation = new CorrelationAccumulator(cells, columns.length);
  const sketch = new ActivationSketch(cells, columns.length);
  const x = new Float64Array(cells);
  const y = new Float64Array(columns.length);
  const on = new Uint8Array(columns.length);
  const cell = cellOf(model.config);
  const state = model.zeroState();
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) {
      options.onProgress?.(i, ids.length);
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
    visit.before?.(i, state);
    model.advance(state, ids[i]);
    for (let l = 0; l < layers; l++) {
      for (let j = 0; j < H; j++) x[l * H + j] = shownActivation(cell, state, l, j);
    }
    for (let f = 0; f < columns.length; f++) {
      y[f] = columns[f][i];
      on[f] = y[f] > cutoffs[f] ? 1 : 0;
    }
    correlation.add(x, y);
    sketch.add(x, on, i);
    visit.after?.(i, x);
  }
  return { correlation, sketch, chars: ids.length };
}

/** Both lists' places, each once, strongest (by value times `direction`) first. */
function strongestFirst(a: Example[], b: Example[], direction: 1 | -1): Example[] {
  const seen = new Set(a.map((p) => p.at));
  return [...a, ...b.filter((p) => !seen.has(p.at))].sort((p, q) => (q.value - p.value) * direction);
}
