/**
 * core/predict: a model reading text and answering. The predictors here
 * (LSTM, n-gram, their mixture and its dynamically evaluated form) share
 * the Stepper interface; stateCache.ts, documentTrace.ts and
 * dynamicDocuments.ts keep per-document reading state so an edit costs only
 * what follows it; sampling.ts and completion.ts decode; workspaceMixture.ts
 * fits and loads the mixture saved beside a trained LSTM; modelLens.ts and
 * lineSurprisal.ts give the views their figures. It builds on core/model
 * and core/ngram and is used by core/train and core/explorer.
 */
import type { AdaptedReading } from './dynamicDocuments';
import { InferenceModel, LstmState } from '../model/inference';
import { GATE_INPUTS, Gate, gateWeightAt } from './mixture';
import { NgramReader } from '../ngram/charNgram';
import { Vocabulary } from '../text/vocabulary';

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

/**
 * The LSTM with its output layer adapted to the text before the cursor
 * (dynamic evaluation): it predicts with that layer and does not learn from
 * what it generates, which is not the user's text.
 */
export function adaptedStepper(model: InferenceModel, reading: AdaptedReading): Stepper {
  const h = reading.state.h[reading.state.h.length - 1];
  return { probabilities: () => reading.layer.probabilities(h), advance: (id) => void model.advance(reading.state, id) };
}

/** The n-gram after `prefix` (of which only the last order - 1 characters count). */
export function ngramStepper(ngram: NgramReader, vocabulary: Vocabulary, prefix: string): Stepper {
  const history = Array.from(vocabulary.encode(prefix.slice(-2 * ngram.order))).slice(-ngram.order);
  return {
    probabilities: () => ngram.distribution(history),
    advance: (id) => {
      history.push(id);
      if (history.length > ngram.order) history.shift();
    },
  };
}

/**
 * w * P_a + (1 - w) * P_b, the weight fitted on held-out text: one number,
 * or the learned mixer's gate over the match of the n-gram `b` reads
 * (read after b has predicted, when its path describes this context).
 */
export function mixedStepper(a: Stepper, b: Stepper, weightOfA: number | { gate: Gate; ngram: NgramReader }): Stepper {
  const scratch = new Float64Array(GATE_INPUTS);
  return {
    probabilities: () => {
      const pa = a.probabilities();
      const pb = b.probabilities();
      const w = typeof weightOfA === 'number' ? weightOfA : gateWeightAt(weightOfA.gate, weightOfA.ngram.path, scratch);
      const out = new Float32Array(pa.length);
      for (let i = 0; i < out.length; i++) out[i] = w * pa[i] + (1 - w) * pb[i];
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
