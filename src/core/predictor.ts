import { InferenceModel, LstmState } from './inference';
import { CharNgram } from './ngram/charNgram';
import { Vocabulary } from './vocabulary';

/**
 * Anything that predicts the next character and reads one: the LSTM (its
 * state), the n-gram (its context), or their mixture. Completions and
 * read-outs only need this much.
 */
export interface Stepper {
  /** P(next character) over the vocabulary. */
  probabilities(): Float32Array;
  advance(id: number): void;
}

export function lstmStepper(model: InferenceModel, state: LstmState): Stepper {
  return { probabilities: () => model.probabilities(state), advance: (id) => void model.advance(state, id) };
}

/** The n-gram after `prefix` (of which only the last order - 1 characters count). */
export function ngramStepper(ngram: CharNgram, vocabulary: Vocabulary, prefix: string): Stepper {
  const history = Array.from(vocabulary.encode(prefix.slice(-2 * ngram.order))).slice(-ngram.order);
  return {
    probabilities: () => ngram.distribution(history),
    advance: (id) => {
      history.push(id);
      if (history.length > ngram.order) history.shift();
    },
  };
}

/** weightOfA * P_a + (1 - weightOfA) * P_b, the weight fitted on held-out text. */
export function mixedStepper(a: Stepper, b: Stepper, weightOfA: number): Stepper {
  return {
    probabilities: () => {
      const pa = a.probabilities();
      const pb = b.probabilities();
      const out = new Float32Array(pa.length);
      for (let i = 0; i < out.length; i++) out[i] = weightOfA * pa[i] + (1 - weightOfA) * pb[i];
      return out;
    },
    advance: (id) => {
      a.advance(id);
      b.advance(id);
    },
  };
}

/** The distribution at a temperature: p^(1/T), normalised (softmax of logits / T). */
export function atTemperature(probs: Float32Array, temperature: number): Float32Array {
  if (temperature === 1) return probs;
  const out = new Float32Array(probs.length);
  let sum = 0;
  for (let i = 0; i < probs.length; i++) sum += out[i] = Math.pow(probs[i], 1 / temperature);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
