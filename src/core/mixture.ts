import { InferenceModel, LstmState } from './inference';

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
