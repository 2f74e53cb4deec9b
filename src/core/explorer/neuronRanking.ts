import { InferenceModel } from '../inference';
import { Vocabulary } from '../vocabulary';
import { CodeFeatures, FEATURE_LABELS, FEATURE_NAMES, FeatureName } from './codeFeatures';

/**
 * Which LSTM cells track which code features, as in Karpathy, Johnson and
 * Fei-Fei, "Visualizing and Understanding Recurrent Networks": run the model
 * over a sample and correlate every cell with every feature.
 *
 * The activation scored is tanh(c), the cell state squashed into [-1, 1],
 * which is what the paper shows; h = o * tanh(c) also carries the output
 * gate, which opens and shuts from one character to the next and blurs what
 * the cell remembers. In the data layers and cells are numbered from 0, as in
 * LstmState's arrays; labels number layers from 1 ("layer 2 cell 131"), as
 * the extension's UI does, and cells from 0.
 */
export const ACTIVATION = 'tanh(c)';

export interface CellScore {
  layer: number;
  cell: number;
  /** Pearson correlation of the cell's tanh(c) with the feature. */
  r: number;
}

export interface CellBest extends CellScore {
  feature: FeatureName;
}

export interface FeatureRanking {
  feature: FeatureName;
  /** The cells with the largest |r|, strongest first; empty when the feature is constant over the sample. */
  top: CellScore[];
}

export interface NeuronRanking {
  activation: typeof ACTIVATION;
  chars: number;
  layers: number;
  hiddenSize: number;
  features: FeatureRanking[];
  /** Every cell that varies over the sample, with the feature it tracks best, strongest first. */
  cells: CellBest[];
}

export interface RankOptions {
  /** Cells kept per feature. */
  top?: number;
  signal?: AbortSignal;
}

export const DEFAULT_TOP = 10;
// Yielding this often lets a host process answer other requests, or cancel, every few tens of ms.
const YIELD_EVERY = 2048;

/** What ranking needs of a model: an InferenceModel, or a stand-in in tests. */
export type SteppingModel = Pick<InferenceModel, 'config' | 'zeroState' | 'advance'>;

/** Runs the model over `text` from the zero state and ranks its cells against `features` (one value per code point of `text`). */
export async function rankNeurons(
  model: SteppingModel,
  vocabulary: Vocabulary,
  text: string,
  features: CodeFeatures,
  options: RankOptions = {},
): Promise<NeuronRanking> {
  const { layers, hiddenSize: H } = model.config;
  const ids = vocabulary.encode(text);
  const columns = FEATURE_NAMES.map((name) => features[name]);
  const misaligned = FEATURE_NAMES.find((name) => features[name].length !== ids.length);
  if (misaligned) throw new Error(`Feature ${misaligned} has ${features[misaligned].length} values for ${ids.length} characters`);
  const correlation = new CorrelationAccumulator(layers * H, columns.length);
  const x = new Float64Array(layers * H);
  const y = new Float64Array(columns.length);
  const state = model.zeroState();
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
    model.advance(state, ids[i]);
    for (let l = 0; l < layers; l++) {
      const c = state.c[l];
      for (let j = 0; j < H; j++) x[l * H + j] = Math.tanh(c[j]);
    }
    for (let f = 0; f < columns.length; f++) y[f] = columns[f][i];
    correlation.add(x, y);
  }
  return rankCells(correlation.correlations(), { layers, hiddenSize: H, chars: ids.length, top: options.top ?? DEFAULT_TOP });
}

/**
 * Pearson correlations of every x with every y from running sums, so a long
 * sample costs memory for the sums only, not for a [chars, cells] matrix.
 */
export class CorrelationAccumulator {
  private n = 0;
  private readonly sx: Float64Array;
  private readonly sxx: Float64Array;
  private readonly sy: Float64Array;
  private readonly syy: Float64Array;
  private readonly sxy: Float64Array;

  constructor(readonly xCount: number, readonly yCount: number) {
    this.sx = new Float64Array(xCount);
    this.sxx = new Float64Array(xCount);
    this.sy = new Float64Array(yCount);
    this.syy = new Float64Array(yCount);
    this.sxy = new Float64Array(xCount * yCount);
  }

  add(x: ArrayLike<number>, y: ArrayLike<number>): void {
    const Y = this.yCount;
    for (let j = 0; j < Y; j++) {
      this.sy[j] += y[j];
      this.syy[j] += y[j] * y[j];
    }
    for (let i = 0; i < this.xCount; i++) {
      const xi = x[i];
      this.sx[i] += xi;
      this.sxx[i] += xi * xi;
      const row = i * Y;
      for (let j = 0; j < Y; j++) this.sxy[row + j] += xi * y[j];
    }
    this.n++;
  }

  /** r[i * yCount + j] correlates x_i with y_j; NaN where either is constant, since r is then undefined. */
  correlations(): Float64Array {
    const { n, xCount: X, yCount: Y } = this;
    const sdX = Array.from({ length: X }, (_, i) => deviation(this.sx[i], this.sxx[i], n));
    const sdY = Array.from({ length: Y }, (_, j) => deviation(this.sy[j], this.syy[j], n));
    const r = new Float64Array(X * Y);
    for (let i = 0; i < X; i++) {
      for (let j = 0; j < Y; j++) {
        const cov = this.sxy[i * Y + j] / n - (this.sx[i] / n) * (this.sy[j] / n);
        r[i * Y + j] = sdX[i] > 0 && sdY[j] > 0 ? Math.max(-1, Math.min(1, cov / (sdX[i] * sdY[j]))) : NaN;
      }
    }
    return r;
  }
}

/** Standard deviation from sums; 0 for values equal up to rounding, whose "variance" is noise. */
function deviation(sum: number, sumOfSquares: number, n: number): number {
  const mean = sum / n;
  const variance = sumOfSquares / n - mean * mean;
  return variance > 1e-9 * (sumOfSquares / n) ? Math.sqrt(variance) : 0;
}

/** Ranks cells from correlations laid out as CorrelationAccumulator gives them: x = cell (layer-major), y = feature in FEATURE_NAMES order. */
function rankCells(r: Float64Array, shape: { layers: number; hiddenSize: number; chars: number; top: number }): NeuronRanking {
  const F = FEATURE_NAMES.length;
  const cellCount = shape.layers * shape.hiddenSize;
  const at = (k: number): { layer: number; cell: number } => ({ layer: Math.floor(k / shape.hiddenSize), cell: k % shape.hiddenSize });
  const byStrength = (a: CellScore, b: CellScore) => Math.abs(b.r) - Math.abs(a.r);

  const features = FEATURE_NAMES.map((feature, f) => {
    const scores: CellScore[] = [];
    for (let k = 0; k < cellCount; k++) if (!Number.isNaN(r[k * F + f])) scores.push({ ...at(k), r: r[k * F + f] });
    return { feature, top: scores.sort(byStrength).slice(0, shape.top) };
  });

  const cells: CellBest[] = [];
  for (let k = 0; k < cellCount; k++) {
    let best: CellBest | undefined;
    FEATURE_NAMES.forEach((feature, f) => {
      const value = r[k * F + f];
      if (!Number.isNaN(value) && (!best || Math.abs(value) > Math.abs(best.r))) best = { ...at(k), feature, r: value };
    });
    if (best) cells.push(best);
  }
  cells.sort(byStrength);
  return { activation: ACTIVATION, chars: shape.chars, layers: shape.layers, hiddenSize: shape.hiddenSize, features, cells };
}

export const cellName = (c: { layer: number; cell: number }): string => `layer ${c.layer + 1} cell ${c.cell}`;

/** "layer 2 cell 131: inside string, r = 0.93" */
export function describeCell(c: CellBest): string {
  return `${cellName(c)}: ${FEATURE_LABELS[c.feature]}, r = ${c.r.toFixed(2)}`;
}
