import { InferenceModel, LstmState } from '../model/inference';
import { MatchPath, MAX_MATCH } from '../ngram/suffixNgram';

/**
 * Linear mixture of two predictors, compared and fitted through the
 * probability each gave to the character that actually came next.
 */

/** Smallest normal float32: an LSTM's softmax can underflow to 0 in float32, which would make the mean infinite. */
const PROBABILITY_FLOOR = 1.1754944e-38;

/** Mean -ln p over [from, to): nats per character. */
export function meanNats(probs: ArrayLike<number>, from = 0, to = probs.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum -= Math.log(Math.max(probs[i], PROBABILITY_FLOOR));
  return sum / Math.max(1, to - from);
}

/** weightOfA * a + (1 - weightOfA) * b, per character. */
export function mixProbabilities(a: ArrayLike<number>, b: ArrayLike<number>, weightOfA: number): Float32Array {
  if (a.length !== b.length) throw new Error(`Cannot mix ${a.length} probabilities with ${b.length}`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = weightOfA * a[i] + (1 - weightOfA) * b[i];
  return out;
}

/**
 * The weight of `a` in [0, 1] that maximises the likelihood of the
 * characters both scored. The log-likelihood is concave in the weight, so
 * its derivative, sum (a_i - b_i) / (w a_i + (1 - w) b_i), falls
 * monotonically and bisection on its sign finds the optimum, at an end of
 * [0, 1] when one predictor is better everywhere.
 */
export function fitMixtureWeight(a: ArrayLike<number>, b: ArrayLike<number>, iterations = 50): number {
  if (a.length !== b.length) throw new Error(`Cannot fit a mixture of ${a.length} probabilities and ${b.length}`);
  let low = 0;
  let high = 1;
  for (let it = 0; it < iterations; it++) {
    const w = (low + high) / 2;
    let slope = 0;
    for (let i = 0; i < a.length; i++) {
      const mixed = w * a[i] + (1 - w) * b[i];
      if (mixed > 0) slope += (a[i] - b[i]) / mixed;
    }
    if (slope > 0) low = w;
    else high = w;
  }
  return (low + high) / 2;
}

/**
 * The learned mixer: the LSTM's weight depends on the context, through how
 * the n-gram matched it. It is a gated convex combination, w * P_lstm +
 * (1 - w) * P_ngram with w = sigmoid(theta . x), rather than PAQ-style
 * mixing in the logit domain: a convex combination stays normalised without
 * a pass over the vocabulary, so the overlay needs only the two predictors'
 * probabilities of the character there, and its inputs come from the
 * n-gram's match alone (the LSTM's own confidence would need its whole
 * distribution at every overlay character). The inputs: one set of weights
 * per band of the longest match's length (one-hot), each a bias and three
 * features of the longest matching context's counts (continuation counts,
 * see SuffixNgram): the share of its most frequent follower, ln(1 + their
 * sum) and ln(its distinct followers). 44 weights; a dot product of 4 and
 * a sigmoid per character.
 */
/** 2: the n-gram's continuation counts, bands from its 4-character contexts. */
export const GATE_VERSION = 2;
/** Where each band of longest-match lengths starts; 0 is nothing matched above the n-gram's short-context table. */
const GATE_BANDS = [0, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64];
const GATE_BAND_OF = Uint8Array.from({ length: MAX_MATCH + 1 }, (_, d) => GATE_BANDS.filter((start) => start <= d).length - 1);
/** Per band: the bias and the three features. */
export const GATE_INPUTS = 4;
export const GATE_WEIGHTS = GATE_BANDS.length * GATE_INPUTS;

export interface Gate {
  version: typeof GATE_VERSION;
  /** GATE_WEIGHTS of them, band by band. */
  weights: number[];
}

/** Writes the gate's inputs for the n-gram's last match into row[at..at + GATE_INPUTS): the band's first weight, then the features. */
export function gateInputs(path: MatchPath | undefined, row: Float32Array | Float64Array, at = 0): void {
  const k = path ? path.count - 1 : -1;
  if (!path || k < 0) {
    row.fill(0, at, at + GATE_INPUTS);
    return;
  }
  const total = path.total[k];
  row[at] = GATE_BAND_OF[Math.min(path.depth[k], MAX_MATCH)] * GATE_INPUTS;
  row[at + 1] = path.topCount(k) / total;
  row[at + 2] = Math.log1p(total);
  row[at + 3] = Math.log(path.n1[k] + path.n2[k] + path.n3[k]);
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The LSTM's weight for a row of gate inputs. */
export function gateWeight(weights: ArrayLike<number>, row: ArrayLike<number>, at = 0): number {
  const b = row[at];
  return sigmoid(weights[b] + weights[b + 1] * row[at + 1] + weights[b + 2] * row[at + 2] + weights[b + 3] * row[at + 3]);
}

/** The LSTM's weight at the n-gram's last match (a scratch row per caller keeps it allocation-free). */
export function gateWeightAt(gate: Gate, path: MatchPath | undefined, scratch: Float64Array): number {
  gateInputs(path, scratch);
  return gateWeight(gate.weights, scratch);
}

/**
 * Fits the gate on rows of inputs and each predictor's probability of the
 * character that came (a: the LSTM's), by full-batch Adam on the mean log
 * loss from the global weight; deterministic. Bands with no rows keep the
 * global weight.
 */
export function fitGate(rows: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, iterations = 300): Gate {
  const n = a.length;
  if (b.length !== n || rows.length !== n * GATE_INPUTS) throw new Error(`Cannot fit a gate on ${rows.length / GATE_INPUTS} rows, ${n} and ${b.length} probabilities`);
  const global = Math.min(1 - 1e-4, Math.max(1e-4, fitMixtureWeight(a, b)));
  const w = new Float64Array(GATE_WEIGHTS);
  for (let band = 0; band < GATE_BANDS.length; band++) w[band * GATE_INPUTS] = Math.log(global / (1 - global));
  const g = new Float64Array(GATE_WEIGHTS);
  const m = new Float64Array(GATE_WEIGHTS);
  const v = new Float64Array(GATE_WEIGHTS);
  const lr = 0.05;
  for (let t = 1; t <= iterations; t++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const at = i * GATE_INPUTS;
      const s = gateWeight(w, rows, at);
      const p = Math.max(s * a[i] + (1 - s) * b[i], PROBABILITY_FLOOR);
      // d(-ln p)/dz for z = theta . x
      const d = (-(a[i] - b[i]) * s * (1 - s)) / p;
      const base = rows[at];
      g[base] += d;
      for (let f = 1; f < GATE_INPUTS; f++) g[base + f] += d * rows[at + f];
    }
    for (let j = 0; j < GATE_WEIGHTS; j++) {
      const gj = g[j] / Math.max(1, n);
      m[j] = 0.9 * m[j] + 0.1 * gj;
      v[j] = 0.999 * v[j] + 0.001 * gj * gj;
      w[j] -= (lr * (m[j] / (1 - 0.9 ** t))) / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  return { version: GATE_VERSION, weights: Array.from(w) };
}

/** The gate's mixture of a and b per row. */
export function gatedProbabilities(gate: Gate, rows: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: a.length }, (_, i) => {
    const w = gateWeight(gate.weights, rows, i * GATE_INPUTS);
    return w * a[i] + (1 - w) * b[i];
  });
}

/** A gate read from a file, if it is one this CharLens knows. */
export function checkGate(gate: unknown): Gate | undefined {
  const g = gate as Partial<Gate> | undefined;
  if (g?.version !== GATE_VERSION || !Array.isArray(g.weights) || g.weights.length !== GATE_WEIGHTS || !g.weights.every(Number.isFinite)) return undefined;
  return { version: GATE_VERSION, weights: g.weights };
}

/**
 * P(ids[i] | ids[0..i)) under the LSTM, reading the text in one pass from a
 * zero state and carrying the state through to the end, as an editor
 * reading a file would (no batches, no state resets). A text read in pieces
 * passes each piece the state the one before left (it is advanced in place).
 */
export function scoreWithLstm(model: InferenceModel, ids: ArrayLike<number>, state: LstmState = model.zeroState()): Float32Array {
  const out = new Float32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    out[i] = model.probabilities(state)[ids[i]];
    model.advance(state, ids[i]);
  }
  return out;
}
