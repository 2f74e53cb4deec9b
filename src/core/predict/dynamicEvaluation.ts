import { InferenceModel, LstmState, MAX_BATCH_ROWS, softmax } from '../model/inference';
import { VectorMemory, padTo4 } from '../kernels/vectorMemory';
import { Gate, checkGate, fitGate, gatedProbabilities, meanNats } from './mixture';

/**
 * Dynamic evaluation (Krause et al., "Dynamic Evaluation of Neural Sequence
 * Models", 2018) of the output layer only: as a document is read, each
 * character is predicted with p = softmax(W h + b) and then the layer takes
 * a gradient step on its cross-entropy, so a pattern repeated in the
 * document becomes more likely each time it comes back. The LSTM's weights
 * stay fixed, so its states (and every cache of them) stay valid; only a
 * per-document copy of [W; b] adapts, and the saved model is never written.
 *
 * The step is Krause's RMS variant: the gradient is divided by the root
 * mean square it has on held-out text, and the weights decay back to the
 * saved ones at a rate scaled by the same root mean square (clipped at 1 per
 * step, as Krause clips it):
 *   theta <- theta - eta * g / (sqrt(MS) + eps) + min(1, lambda * RMS_norm) * (theta_0 - theta).
 * The last layer's gradient is the outer product h (p - onehot)^T, so its
 * mean square is taken as the product of a mean square per hidden unit and
 * one per output (rank one): H + V numbers, saved in mixture.json, instead
 * of H x V, and the normalised step stays an outer product, costing H x V
 * multiply-adds per character like the forward product. The bias is the
 * kernel's last row, with an input that is always 1.
 */
export const DYNAMIC_EVALUATION_VERSION = 1;

export interface DynamicEvaluationParams {
  version: typeof DYNAMIC_EVALUATION_VERSION;
  /** eta. */
  learningRate: number;
  /** lambda: the share of the way back to the saved weights per character, before RMS scaling. */
  decay: number;
  /** Per last-layer hidden unit: mean h^2 on the validation split (H numbers). */
  hiddenMeanSquare: number[];
  /** Per output: mean (p - onehot)^2 there (V numbers). */
  outputMeanSquare: number[];
}

/** Added to root mean squares, so that a unit that hardly moves on held-out text does not get an unbounded step. */
export const RMS_EPSILON = 1e-3;

/** What every document's adaptation shares: the saved layer, which decay pulls back to, and the step's per-row and per-column factors. */
export class DynamicEvaluation {
  /** [(H + 1) x Vp]: the saved kernel, then the bias as its last row; rows padded to Vp with zeros. */
  readonly saved: Float32Array;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly paddedVocab: number;
  /** eta / (rms + eps) per row (the bias row's input mean square is 1), 1 / (rms + eps) per column (0 in the padding). */
  readonly rowStep: Float32Array;
  readonly columnStep: Float32Array;
  /** lambda * rms / mean rms per row; rms / mean rms per column: their product is Krause's lambda * RMS_norm. */
  readonly rowDecay: Float32Array;
  readonly columnDecay: Float32Array;

  constructor(
    readonly model: InferenceModel,
    readonly params: DynamicEvaluationParams,
  ) {
    const { hiddenSize: H, vocabSize: V } = model.config;
    const Vp = padTo4(V);
    this.hiddenSize = H;
    this.vocabSize = V;
    this.paddedVocab = Vp;
    const { kernel, bias } = model.outputLayer();
    this.saved = new Float32Array((H + 1) * Vp);
    for (let k = 0; k < H; k++) this.saved.set(kernel.subarray(k * V, (k + 1) * V), k * Vp);
    this.saved.set(bias, H * Vp);
    const rowRms = [...params.hiddenMeanSquare, 1].map(Math.sqrt);
    const columnRms = params.outputMeanSquare.map(Math.sqrt);
    const mean = (a: number[]) => Math.max(RMS_EPSILON, a.reduce((sum, x) => sum + x, 0) / a.length);
    const rowMean = mean(rowRms);
    const columnMean = mean(columnRms);
    this.rowStep = Float32Array.from(rowRms, (r) => params.learningRate / (r + RMS_EPSILON));
    this.rowDecay = Float32Array.from(rowRms, (r) => (params.decay * r) / rowMean);
    this.columnStep = new Float32Array(Vp);
    this.columnDecay = new Float32Array(Vp);
    columnRms.forEach((r, j) => {
      this.columnStep[j] = 1 / (r + RMS_EPSILON);
      this.columnDecay[j] = r / columnMean;
    });
  }

  /** The saved layer, ready to adapt to a new document. */
  fresh(): AdaptedLayer {
    return new AdaptedLayer(this);
  }
}

/**
 * One document's copy of the output layer, in its own WebAssembly memory:
 * the forward product and the step run in the SIMD kernels of
 * kernels/matVec.wat (about 10x plain JS loops here), which is what keeps
 * adaptation to a few microseconds per character.
 */
export class AdaptedLayer {
  private readonly mem: VectorMemory;
  /** [(H + 1) x Vp], laid out as DynamicEvaluation.saved. */
  private readonly weights: Float32Array;
  private readonly saved: Float32Array;
  private readonly rowStep: Float32Array;
  private readonly rowDecay: Float32Array;
  private readonly columnStep: Float32Array;
  private readonly columnDecay: Float32Array;
  private readonly logits: Float32Array;
  private readonly logitRows: Float32Array;
  /** Per row, this character's step: h_k (1 for the bias row) times rowStep. */
  private readonly step: Float32Array;
  /** (p - onehot) times columnStep. */
  private readonly error: Float32Array;

  constructor(private readonly rule: DynamicEvaluation) {
    const { hiddenSize: H, paddedVocab: Vp } = rule;
    const rows = H + 1;
    this.mem = new VectorMemory(2 * rows * Vp + 2 * padTo4(rows) + 4 * Vp + padTo4(rows) + MAX_BATCH_ROWS * Vp, MAX_BATCH_ROWS * H);
    const copy = (values: Float32Array) => {
      const view = this.mem.alloc(values.length);
      view.set(values);
      return view;
    };
    this.weights = copy(rule.saved);
    this.saved = copy(rule.saved);
    this.rowStep = copy(rule.rowStep);
    this.rowDecay = copy(rule.rowDecay);
    this.columnStep = copy(rule.columnStep);
    this.columnDecay = copy(rule.columnDecay);
    this.logits = this.mem.alloc(Vp);
    this.error = this.mem.alloc(Vp);
    this.step = this.mem.alloc(rows);
    this.logitRows = this.mem.alloc(MAX_BATCH_ROWS * Vp);
  }

  /** P(next character) = softmax(W h + b), h the last layer's. */
  probabilities(h: Float32Array): Float32Array {
    const { hiddenSize: H, vocabSize: V, paddedVocab: Vp } = this.rule;
    this.logits.set(this.weights.subarray(H * Vp, (H + 1) * Vp));
    this.mem.addVecMat(this.logits, h, this.weights.subarray(0, H * Vp), Vp);
    return softmax(this.logits.subarray(0, V));
  }

  /** probabilities(h) of each h, the layer read once for up to MAX_BATCH_ROWS of them (a beam's hypotheses). */
  probabilitiesRows(hs: readonly Float32Array[]): Float32Array[] {
    const { hiddenSize: H, vocabSize: V, paddedVocab: Vp } = this.rule;
    const bias = this.weights.subarray(H * Vp, (H + 1) * Vp);
    const out: Float32Array[] = [];
    for (let from = 0; from < hs.length; from += MAX_BATCH_ROWS) {
      const rows = hs.slice(from, from + MAX_BATCH_ROWS);
      const logits = this.logitRows.subarray(0, rows.length * Vp);
      rows.forEach((_, r) => logits.set(bias, r * Vp));
      this.mem.addMatMat(logits, rows, this.weights.subarray(0, H * Vp), Vp);
      rows.forEach((_, r) => out.push(softmax(logits.subarray(r * Vp, r * Vp + V))));
    }
    return out;
  }

  /** One step on -ln p(id), where `probs` is what probabilities(h) gave for the character before `id`. */
  learn(h: Float32Array, probs: Float32Array, id: number): void {
    const { hiddenSize: H, vocabSize: V, paddedVocab: Vp } = this.rule;
    for (let j = 0; j < V; j++) this.error[j] = (probs[j] - (j === id ? 1 : 0)) * this.columnStep[j];
    for (let k = 0; k < H; k++) this.step[k] = h[k] * this.rowStep[k];
    this.step[H] = this.rowStep[H];
    this.mem.adaptRows(this.weights, this.saved, this.step, this.error, this.rowDecay, this.columnDecay, Vp);
  }

  /** Predicts `id` from h, learns from it, and returns the probability it was given. */
  read(h: Float32Array, id: number): number {
    const probs = this.probabilities(h);
    this.learn(h, probs, id);
    return probs[id];
  }

  /** A copy of the adapted weights, for a checkpoint. */
  snapshot(): Float32Array {
    return this.weights.slice();
  }

  restore(snapshot: Float32Array): void {
    this.weights.set(snapshot);
  }
}

/**
 * P(ids[i] | ids[0..i)) under dynamic evaluation, as scoreWithLstm reads
 * (one pass, state carried), every layer in `layers` predicting and learning
 * from the same states; out[k][i] is layer k's.
 */
export function scoreAdapting(model: InferenceModel, layers: AdaptedLayer[], ids: ArrayLike<number>, state: LstmState = model.zeroState()): Float32Array[] {
  const out = layers.map(() => new Float32Array(ids.length));
  const h = state.h[state.h.length - 1];
  for (let i = 0; i < ids.length; i++) {
    for (let k = 0; k < layers.length; k++) out[k][i] = layers[k].read(h, ids[i]);
    model.advance(state, ids[i]);
  }
  return out;
}

/** Characters the mean squares are measured on (H + V statistics settle long before). */
const MEAN_SQUARE_CHARS = 20_000;
/** Characters the grid of step sizes and decays is compared on, all candidates in one pass. */
const GRID_CHARS = 30_000;
const LEARNING_RATES = [5e-4, 1e-3, 2e-3, 4e-3, 8e-3];
const DECAYS = [1e-5, 3e-5, 1e-4, 3e-4];

/** The mean squares of the last layer's inputs and output errors under the saved model. */
function meanSquares(model: InferenceModel, ids: ArrayLike<number>): Pick<DynamicEvaluationParams, 'hiddenMeanSquare' | 'outputMeanSquare'> {
  const { hiddenSize: H, vocabSize: V, layers } = model.config;
  const hidden = new Float64Array(H);
  const output = new Float64Array(V);
  const state = model.zeroState();
  const n = Math.min(ids.length, MEAN_SQUARE_CHARS);
  for (let i = 0; i < n; i++) {
    const h = state.h[layers - 1];
    for (let k = 0; k < H; k++) hidden[k] += h[k] * h[k];
    const probs = model.probabilities(state);
    for (let j = 0; j < V; j++) {
      const e = probs[j] - (j === ids[i] ? 1 : 0);
      output[j] += e * e;
    }
    model.advance(state, ids[i]);
  }
  const mean = (a: Float64Array) => Array.from(a, (x) => x / Math.max(1, n));
  return { hiddenMeanSquare: mean(hidden), outputMeanSquare: mean(output) };
}

/**
 * Fits eta and lambda on held-out ids (the validation split, read from a
 * zero state as the editor reads a document): the candidates of a small
 * grid adapt side by side over its first GRID_CHARS characters and the one
 * with the lowest nats/char is kept. Returns it with its probabilities over
 * all of `ids`, which the mixer is then fitted on.
 */
export function fitDynamicEvaluation(model: InferenceModel, ids: ArrayLike<number>): { params: DynamicEvaluationParams; probs: Float32Array } {
  const squares = meanSquares(model, ids);
  const candidates = LEARNING_RATES.flatMap((learningRate) => DECAYS.map((decay) => new DynamicEvaluation(model, { version: DYNAMIC_EVALUATION_VERSION, learningRate, decay, ...squares })));
  const grid = Array.prototype.slice.call(ids, 0, GRID_CHARS) as number[];
  const scores = scoreAdapting(model, candidates.map((c) => c.fresh()), grid).map((p) => meanNats(p));
  const best = candidates[scores.indexOf(Math.min(...scores))];
  const [probs] = scoreAdapting(model, [best.fresh()], ids);
  return { params: best.params, probs };
}

function checkDynamicEvaluation(value: unknown, hiddenSize: number, vocabSize: number): DynamicEvaluationParams | undefined {
  const p = value as Partial<DynamicEvaluationParams> | undefined;
  const finiteList = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((x) => Number.isFinite(x) && x >= 0);
  if (p?.version !== DYNAMIC_EVALUATION_VERSION || !(p.learningRate! >= 0) || !(p.decay! >= 0)) return undefined;
  if (!finiteList(p.hiddenMeanSquare, hiddenSize) || !finiteList(p.outputMeanSquare, vocabSize)) return undefined;
  return { version: DYNAMIC_EVALUATION_VERSION, learningRate: p.learningRate!, decay: p.decay!, hiddenMeanSquare: p.hiddenMeanSquare!, outputMeanSquare: p.outputMeanSquare! };
}

/**
 * What mixture.json keeps of dynamic evaluation: its settings, the mixer
 * fitted on the dynamically evaluated LSTM's probabilities (the static
 * mixer's gate is fitted on the static LSTM's, so each matches the LSTM it
 * mixes), and the validation nats/char of the LSTM so adapted and of that
 * mixture with the n-gram reading online.
 */
export interface DynamicMixture {
  params: DynamicEvaluationParams;
  gate: Gate;
  lstm: number;
  gated: number;
}

/** Fits dynamic evaluation and its mixer on the validation ids, given the n-gram's online probabilities and gate inputs there. */
export function fitDynamicMixture(model: InferenceModel, ids: ArrayLike<number>, ngram: { probs: Float32Array; rows: Float32Array }): DynamicMixture {
  const { params, probs } = fitDynamicEvaluation(model, ids);
  const gate = fitGate(ngram.rows, probs, ngram.probs);
  return { params, gate, lstm: meanNats(probs), gated: meanNats(gatedProbabilities(gate, ngram.rows, probs, ngram.probs)) };
}

/** A DynamicMixture read from a file, if every part is of this version and fits the model; else the LSTM runs static. */
export function checkDynamicMixture(value: unknown, hiddenSize: number, vocabSize: number): DynamicMixture | undefined {
  const m = value as Partial<DynamicMixture> | undefined;
  const params = checkDynamicEvaluation(m?.params, hiddenSize, vocabSize);
  const gate = checkGate(m?.gate);
  if (!params || !gate || !Number.isFinite(m?.lstm) || !Number.isFinite(m?.gated)) return undefined;
  return { params, gate, lstm: m!.lstm!, gated: m!.gated! };
}
