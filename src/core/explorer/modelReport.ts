import { LN2 } from '../predict/lossUnits';
import { InferenceModel } from '../model/inference';
import type { CellType } from '../model/modelConfig';
import { Random } from '../random';
import { pickNext } from '../predict/sampling';
import { Vocabulary } from '../text/vocabulary';
import { MeasuredText } from './clampEffect';

/**
 * The analyses of Karpathy, Johnson and Fei-Fei, "Visualizing and
 * Understanding Recurrent Networks", on the loaded model and its validation
 * text: how often each gate of each cell saturates, the loss by kind of
 * character, and which of the LSTM's errors an n-gram also makes.
 */
export type GateName = 'input' | 'forget' | 'output' | 'update' | 'reset' | 'tanh';

/**
 * The rows of the saturation figure per cell: an LSTM's gates i, f, o and a
 * GRU's z, r, in StepHook.gates's order. A vanilla RNN has no gate: its tanh
 * itself is read as (1 + h) / 2, so the same thresholds count h below -0.8
 * and above 0.8.
 */
export const REPORTED_GATES: Record<CellType, readonly GateName[]> = { lstm: ['input', 'forget', 'output'], gru: ['update', 'reset'], rnn: ['tanh'] };
/** The paper's thresholds: a gate is left-saturated below 0.1 and right-saturated above 0.9. */
export const LEFT_SATURATED = 0.1;
export const RIGHT_SATURATED = 0.9;

export interface GateSaturation {
  layer: number;
  gate: GateName;
  /** Per cell, the fraction of characters after which the gate was < 0.1, and > 0.9. */
  left: number[];
  right: number[];
}

export const CHAR_CLASSES = ['whitespace', 'identifier', 'digit', 'punctuation', 'bracket', 'comment', 'string'] as const;
export type CharClass = (typeof CHAR_CLASSES)[number];

export interface ClassLoss {
  charClass: CharClass;
  chars: number;
  bitsPerChar: number;
  /** The LSTM's top guess was another character, as a share of the class's characters. */
  errorRate: number;
}

/** Of the characters the LSTM gets wrong (its top guess is another), what an order-k n-gram does with them. */
export interface NgramErrors {
  order: number;
  /** The n-gram's own error rate over every character. */
  errorRate: number;
  /** The share of the LSTM's errors that the n-gram also makes. */
  sharedWithLstm: number;
  /** The share of the n-gram's errors that the LSTM gets right: what a longer context than k - 1 characters fixes. */
  fixedByLstm: number;
}

export interface ModelReport {
  chars: number;
  bitsPerChar: number;
  errorRate: number;
  saturation: GateSaturation[];
  classes: ClassLoss[];
  /** Absent when the text the model was trained on is not known (see MeasuredText.training). */
  ngram?: NgramErrors[];
}

export const NGRAM_ORDERS = [1, 2, 3, 5, 8];
const YIELD_EVERY = 2048;

/** Inside a comment or string first (the context decides what comes next there), else the character's own kind. */
export function charClass(ch: string, inComment: boolean, inString: boolean): CharClass {
  if (inComment) return 'comment';
  if (inString) return 'string';
  if (/\s/u.test(ch)) return 'whitespace';
  if (/[0-9]/.test(ch)) return 'digit';
  if (/[\p{L}_$]/u.test(ch)) return 'identifier';
  if ('()[]{}'.includes(ch)) return 'bracket';
  return 'punctuation';
}

/**
 * One pass of the model over the measured text from the zero state, reading
 * the gates after every character and scoring every next character; then an
 * argmax n-gram of each order in NGRAM_ORDERS, counted on the training text,
 * guesses the same characters.
 */
export async function modelReport(model: InferenceModel, vocabulary: Vocabulary, measured: MeasuredText): Promise<ModelReport> {
  const { layers, hiddenSize: H } = model.config;
  const names = REPORTED_GATES[model.cell];
  const G = names.length * H;
  const ids = vocabulary.encode(measured.text);
  const chars = Array.from(measured.text);
  const gates = Array.from({ length: layers }, () => new Float32Array(G));
  const left = Array.from({ length: layers }, () => new Uint32Array(G));
  const right = Array.from({ length: layers }, () => new Uint32Array(G));
  const classes = new Map(CHAR_CLASSES.map((c) => [c, { chars: 0, nats: 0, errors: 0 }]));
  const lstmWrong = new Uint8Array(ids.length);
  const state = model.zeroState();
  const rng = new Random(0); // argmax draws nothing; pickNext asks for one all the same
  let nats = 0;
  for (let i = 0; i + 1 < ids.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    model.advance(state, ids[i], { gates });
    if (model.cell === 'rnn') state.h.forEach((h, l) => h.forEach((v, j) => (gates[l][j] = (1 + v) / 2)));
    for (let l = 0; l < layers; l++) {
      for (let k = 0; k < G; k++) {
        if (gates[l][k] < LEFT_SATURATED) left[l][k]++;
        else if (gates[l][k] > RIGHT_SATURATED) right[l][k]++;
      }
    }
    const probs = model.probabilities(state);
    const next = ids[i + 1];
    const loss = -Math.log(probs[next]);
    nats += loss;
    lstmWrong[i + 1] = pickNext(probs, { argmax: true, topK: 0, topP: 1 }, rng) === next ? 0 : 1;
    const c = classes.get(charClass(chars[i + 1], measured.features.insideComment[i + 1] > 0.5, measured.features.insideString[i + 1] > 0.5))!;
    c.chars++;
    c.nats += loss;
    c.errors += lstmWrong[i + 1];
  }
  const n = Math.max(0, ids.length - 1);
  const saturation = Array.from({ length: layers }, (_, l) =>
    names.map((gate, g): GateSaturation => ({
      layer: l,
      gate,
      left: Array.from(left[l].subarray(g * H, (g + 1) * H), (count) => count / n),
      right: Array.from(right[l].subarray(g * H, (g + 1) * H), (count) => count / n),
    })),
  ).flat();
  const errors = lstmWrong.reduce((s, w) => s + w, 0);
  return {
    chars: n,
    bitsPerChar: n === 0 ? 0 : nats / n / LN2,
    errorRate: n === 0 ? 0 : errors / n,
    saturation,
    classes: CHAR_CLASSES.map((charClass) => {
      const c = classes.get(charClass)!;
      return { charClass, chars: c.chars, bitsPerChar: c.chars === 0 ? 0 : c.nats / c.chars / LN2, errorRate: c.chars === 0 ? 0 : c.errors / c.chars };
    }),
    ngram: measured.training === undefined ? undefined : ngramErrors(vocabulary.encode(measured.training), ids, lstmWrong),
  };
}

/** For every order, the n-gram's argmax guess of each measured character but the first, against the LSTM's errors. */
function ngramErrors(training: Int32Array, ids: Int32Array, lstmWrong: Uint8Array): NgramErrors[] {
  // One UTF-16 unit per id, so that a context is a slice of a string and a Map key.
  const asText = (a: Int32Array) => Array.from(a, (id) => String.fromCharCode(id)).join('');
  const train = asText(training);
  const text = asText(ids);
  const lstmErrors = lstmWrong.reduce((s, w) => s + w, 0);
  const best = new Map<string, number>(); // context -> the id seen after it most often
  const counts = new Map<string, number>(); // context + next -> times seen
  const wrong = new Uint8Array(ids.length); // the n-gram so far (orders up to this one, backing off) is wrong here
  const guesses = new Int32Array(ids.length).fill(-1);
  return NGRAM_ORDERS.map((order) => {
    const context = order - 1;
    best.clear();
    counts.clear();
    for (let i = context; i < train.length; i++) {
      const key = train.slice(i - context, i);
      const seen = key + train[i];
      const count = (counts.get(seen) ?? 0) + 1;
      counts.set(seen, count);
      const leader = best.get(key);
      if (leader === undefined || (leader !== training[i] && count > (counts.get(key + String.fromCharCode(leader)) ?? 0))) best.set(key, training[i]);
    }
    // A context never seen in training backs off to the guess of the longest order below that had one.
    for (let i = Math.max(1, context); i < ids.length; i++) {
      const guess = best.get(text.slice(i - context, i));
      if (guess !== undefined) guesses[i] = guess;
      wrong[i] = guesses[i] === ids[i] ? 0 : 1;
    }
    let ngramErrors = 0;
    let shared = 0;
    for (let i = 1; i < ids.length; i++) {
      ngramErrors += wrong[i];
      shared += wrong[i] & lstmWrong[i];
    }
    const n = Math.max(1, ids.length - 1);
    return { order, errorRate: ngramErrors / n, sharedWithLstm: lstmErrors === 0 ? 0 : shared / lstmErrors, fixedByLstm: ngramErrors === 0 ? 0 : (ngramErrors - shared) / ngramErrors };
  });
}
