import { InferenceModel } from '../model/inference';
import { FEATURE_LABELS, FEATURE_NAMES, FeatureName } from './codeFeatures';

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
  /**
   * Of the 1% of characters where the cell is most extreme in the direction
   * of r (its highest when r > 0, its lowest when r < 0), the share where the
   * feature is on (see featureOn); absent when the cell never varies.
   */
  precision?: number;
}

export interface CellBest extends CellScore {
  feature: FeatureName;
}

export interface FeatureRanking {
  feature: FeatureName;
  /** The cells with the largest |r|, strongest first; empty when the feature is constant over the sample. */
  top: CellScore[];
  /** The share of the sample's characters where the feature is on: what a precision is measured against. */
  baseRate: number;
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
  /** Called every few thousand characters of the pass. */
  onProgress?: (chars: number, of: number) => void;
}

export const DEFAULT_TOP = 10;

/**
 * When a cell has learned a feature: it tracks it with |r| at least LEARNED_R
 * and its top 1% lies where the feature is on at least LEARNED_PRECISION of
 * the time. The label history and the training dashboard's "learned:" line
 * date each label by the first snapshot that passes both.
 */
export const LEARNED_R = 0.5;
export const LEARNED_PRECISION = 0.9;
export const isLearned = (s: { r: number; precision?: number | null }): boolean => Math.abs(s.r) >= LEARNED_R && (s.precision ?? 0) >= LEARNED_PRECISION;

/** What ranking needs of a model: an InferenceModel, or a stand-in in tests. */
export type SteppingModel = Pick<InferenceModel, 'config' | 'zeroState' | 'advance'>;

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

/** What the ranking reads of the activation sketch: precision at the top 1% of cell k (layer-major) for feature f in r's direction, and each feature's base rate. */
export interface PrecisionSource {
  precision(k: number, f: number, r: number): number;
  baseRate(f: number): number;
}

/** Ranks cells from correlations laid out as CorrelationAccumulator gives them: x = cell (layer-major), y = feature in FEATURE_NAMES order. */
export function rankCells(r: Float64Array, shape: { layers: number; hiddenSize: number; chars: number; top: number }, scores: PrecisionSource): NeuronRanking {
  const F = FEATURE_NAMES.length;
  const cellCount = shape.layers * shape.hiddenSize;
  const at = (k: number): { layer: number; cell: number } => ({ layer: Math.floor(k / shape.hiddenSize), cell: k % shape.hiddenSize });
  const score = (k: number, f: number): CellScore => {
    const value = r[k * F + f];
    const precision = scores.precision(k, f, value);
    return Number.isNaN(precision) ? { ...at(k), r: value } : { ...at(k), r: value, precision };
  };
  const byStrength = (a: CellScore, b: CellScore) => Math.abs(b.r) - Math.abs(a.r);

  const features = FEATURE_NAMES.map((feature, f) => {
    const ranked: CellScore[] = [];
    for (let k = 0; k < cellCount; k++) if (!Number.isNaN(r[k * F + f])) ranked.push({ ...at(k), r: r[k * F + f] });
    const top = ranked.sort(byStrength).slice(0, shape.top).map((c) => score(c.layer * shape.hiddenSize + c.cell, f));
    return { feature, top, baseRate: scores.baseRate(f) };
  });

  const cells: CellBest[] = [];
  for (let k = 0; k < cellCount; k++) {
    let best: number | undefined;
    for (let f = 0; f < F; f++) {
      const value = r[k * F + f];
      if (!Number.isNaN(value) && (best === undefined || Math.abs(value) > Math.abs(r[k * F + best]))) best = f;
    }
    if (best !== undefined) cells.push({ ...score(k, best), feature: FEATURE_NAMES[best] });
  }
  cells.sort(byStrength);
  return { activation: ACTIVATION, chars: shape.chars, layers: shape.layers, hiddenSize: shape.hiddenSize, features, cells };
}

export const cellName = (c: { layer: number; cell: number }): string => `layer ${c.layer + 1} cell ${c.cell}`;

/** "inside string, r = 0.93, top-1% precision 0.98": what the explorer found, checkable against Show Where Cell Fires. */
export function describeFeature(c: CellBest): string {
  const precision = c.precision === undefined ? '' : `, top-1% precision ${c.precision.toFixed(2)}`;
  return `${FEATURE_LABELS[c.feature]}, r = ${c.r.toFixed(2)}${precision}`;
}

/** "layer 2 cell 131: inside string, r = 0.93, top-1% precision 0.98" */
export function describeCell(c: CellBest): string {
  return `${cellName(c)}: ${describeFeature(c)}`;
}
