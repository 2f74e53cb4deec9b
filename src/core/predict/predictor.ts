/**
 * core/predict: a model reading text and answering. The predictors here
 * (LSTM, n-gram, their mixture and its dynamically evaluated form) share
 * the Branching interface (several hypotheses side by side; a Stepper is
 * one of them), and answering.ts puts together the one the editor asks;
 * stateCache.ts, documentTrace.ts and dynamicDocuments.ts keep
 * per-document reading state so an edit costs only what follows it;
 * sampling.ts and completion.ts decode by sampling, beam.ts by beam search,
 * and suggestion.ts cuts what ghost text shows where the model stops being
 * sure (its threshold fitted by suggestionFit.ts); workspaceMixture.ts
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
 * state), the n-gram (its context), or their mixture. Greedy and sampled
 * completions and the read-outs only need this much.
 */
export interface Stepper {
  /** P(next character) over the vocabulary. */
  probabilities(): Float32Array;
  advance(id: number): void;
}

/**
 * A predictor reading several continuations of one text side by side: a
 * beam's hypotheses (rows). It starts with one row.
 */
export interface Branching {
  readonly rows: number;
  /**
   * P(next character) after row `row`. The LSTM computes every row's on the
   * first call after a branch, in one batched product; the n-gram answers
   * each call with a query (so its match is the row's until the next call,
   * which the mixer's gate reads).
   */
  distribution(row: number): Float32Array;
  /** The next rows: row i becomes row parents[i] having read ids[i]; the LSTM steps them all at once. */
  branch(parents: readonly number[], ids: readonly number[]): void;
}

/** One row of a Branching, stepped in place. */
export function stepperOf(branching: Branching): Stepper {
  return { probabilities: () => branching.distribution(0), advance: (id) => branching.branch([0], [id]) };
}

/** LSTM rows: their states, stepped in one batched step; `layer` (an output layer of its own) predicts from the last h when given. */
function lstmRows(model: InferenceModel, state: LstmState, layer?: AdaptedReading['layer']): Branching {
  let states = [state];
  let cached: Float32Array[] | undefined;
  const last = model.config.layers - 1;
  return {
    get rows() {
      return states.length;
    },
    distribution: (row) => {
      cached ??= layer ? layer.probabilitiesRows(states.map((s) => s.h[last])) : model.probabilitiesRows(states);
      return cached[row];
    },
    branch: (parents, ids) => {
      states = parents.map((p) => model.cloneState(states[p]));
      model.advanceRows(states, ids);
      cached = undefined;
    },
  };
}

export function lstmBranching(model: InferenceModel, state: LstmState): Branching {
  return lstmRows(model, state);
}

/**
 * The LSTM with its output layer adapted to the text before the cursor
 * (dynamic evaluation): it predicts with that layer and does not learn from
 * what it generates, which is not the user's text.
 */
export function adaptedBranching(model: InferenceModel, reading: AdaptedReading): Branching {
  return lstmRows(model, reading.state, reading.layer);
}

/** The n-gram after `prefix` (of which only the last order - 1 characters count). */
export function ngramBranching(ngram: NgramReader, vocabulary: Vocabulary, prefix: string): Branching {
  let histories = [Array.from(vocabulary.encode(prefix.slice(-2 * ngram.order))).slice(-ngram.order)];
  return {
    get rows() {
      return histories.length;
    },
    distribution: (row) => ngram.distribution(histories[row]),
    branch: (parents, ids) => {
      histories = parents.map((p, i) => {
        const history = [...histories[p], ids[i]];
        return history.length > ngram.order ? history.slice(1) : history;
      });
    },
  };
}

/**
 * w * P_a + (1 - w) * P_b, the weight fitted on held-out text: one number,
 * or the learned mixer's gate over the match of the n-gram `b` reads
 * (read after b has predicted, when its path describes this context).
 */
export function mixedBranching(a: Branching, b: Branching, weightOfA: number | { gate: Gate; ngram: NgramReader }): Branching {
  const scratch = new Float64Array(GATE_INPUTS);
  return {
    get rows() {
      return a.rows;
    },
    distribution: (row) => {
      const pa = a.distribution(row);
      const pb = b.distribution(row);
      const w = typeof weightOfA === 'number' ? weightOfA : gateWeightAt(weightOfA.gate, weightOfA.ngram.path, scratch);
      const out = new Float32Array(pa.length);
      for (let i = 0; i < out.length; i++) out[i] = w * pa[i] + (1 - w) * pb[i];
      return out;
    },
    branch: (parents, ids) => {
      a.branch(parents, ids);
      b.branch(parents, ids);
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
