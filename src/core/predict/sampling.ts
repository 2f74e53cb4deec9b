import { InferenceModel, LstmState } from '../model/inference';
import { Random } from '../random';
import { UserError } from '../userError';
import { Vocabulary } from '../text/vocabulary';

export interface SampleOptions {
  /** Softmax temperature; lower is more conservative. Ignored with argmax. */
  temperature: number;
  /** Keep only the k most likely characters (0 = all). */
  topK: number;
  /** Keep the smallest set of characters whose probability reaches p (1 = all). */
  topP: number;
  /** Always take the most likely character. */
  argmax: boolean;
  /** Text fed to the model before sampling starts. */
  prime: string;
  seed: number;
  /** Characters to generate at most. */
  length: number;
  /** Generation ends when the output ends with one of these; it is left out of the result. */
  stop: string[];
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = { temperature: 1, topK: 0, topP: 1, argmax: false, prime: '', seed: 123, length: 2000, stop: [] };

export interface SampleResult {
  text: string;
  stoppedBy?: string;
  /** Characters of the prime that the vocabulary lacks (fed as the unknown symbol). */
  unknownInPrime: string[];
}

/** A bound on one sample: at a few thousand characters a second on a CPU, this is already minutes of output. */
export const MAX_SAMPLE_LENGTH = 1_000_000;

/** Streamed text arrives in pieces of about this many characters. */
const STREAM_CHUNK = 256;

export function validateSampleOptions(o: SampleOptions): void {
  if (!(o.temperature > 0)) throw new UserError(`--temperature must be > 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new UserError(`--top-k must be a non-negative integer, got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new UserError(`--top-p must be in (0, 1], got ${o.topP}`);
  if (!Number.isInteger(o.length) || o.length < 0 || o.length > MAX_SAMPLE_LENGTH) {
    throw new UserError(`--length must be a whole number from 0 to ${MAX_SAMPLE_LENGTH.toLocaleString('en-US')}, got ${o.length}`);
  }
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

/** Feeds `text` through the model from `state` (in place). */
export function feed(model: InferenceModel, vocabulary: Vocabulary, state: LstmState, text: string): LstmState {
  for (const ch of text) model.advance(state, vocabulary.idOf(ch));
  return state;
}

/**
 * Generates up to `length` characters after the prime. `onText`, if given,
 * receives the result in pieces as it is made (a long sample shows at once),
 * less the last characters that could still turn out to start a stop string.
 */
export function sample(model: InferenceModel, vocabulary: Vocabulary, options: Partial<SampleOptions> = {}, onText?: (piece: string) => void): SampleResult {
  const o = { ...DEFAULT_SAMPLE_OPTIONS, ...options };
  validateSampleOptions(o);
  const rng = new Random(o.seed);
  const state = feed(model, vocabulary, model.zeroState(), o.prime);
  const heldBack = Math.max(0, ...o.stop.map((s) => s.length - 1));
  let text = '';
  let sent = 0;
  const send = (upTo: number) => {
    if (upTo < text.length && isHighSurrogate(text.charCodeAt(upTo - 1))) upTo--; // never split a pair
    if (onText && upTo > sent) onText(text.slice(sent, upTo));
    sent = Math.max(sent, upTo);
  };
  for (let n = 0; n < o.length; n++) {
    const id = pickNext(model.probabilities(state, o.argmax ? 1 : o.temperature), o, rng);
    text += vocabulary.symbols[id];
    const stop = o.stop.find((s) => s.length > 0 && text.endsWith(s));
    if (stop !== undefined) {
      text = text.slice(0, -stop.length);
      send(text.length);
      return { text, stoppedBy: stop, unknownInPrime: vocabulary.unknownIn(o.prime) };
    }
    if (text.length - heldBack - sent >= STREAM_CHUNK) send(text.length - heldBack);
    model.advance(state, id);
  }
  send(text.length);
  return { text, unknownInPrime: vocabulary.unknownIn(o.prime) };
}

/**
 * Draws a character id from `probs` under argmax / top-k / top-p. The unknown
 * symbol (id 0) is never produced. NaN compares false with everything, so
 * non-finite input would otherwise come out as the last symbol: it is refused.
 */
export function pickNext(probs: Float32Array, o: Pick<SampleOptions, 'argmax' | 'topK' | 'topP'>, rng: Random): number {
  let sum = 0;
  for (let i = 0; i < probs.length; i++) sum += probs[i];
  if (!(Number.isFinite(sum) && sum > 0)) throw new RangeError(`pickNext needs finite, non-negative probabilities with a positive sum; they sum to ${sum}`);
  if (o.argmax) {
    let best = 1;
    for (let i = 2; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    return best;
  }
  const order = Array.from({ length: probs.length - 1 }, (_, i) => i + 1).sort((a, b) => probs[b] - probs[a] || a - b);
  let keep = o.topK > 0 ? Math.min(o.topK, order.length) : order.length;
  if (o.topP < 1) {
    let mass = 0;
    for (let i = 0; i < keep; i++) {
      mass += probs[order[i]];
      if (mass >= o.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < keep; i++) total += probs[order[i]];
  let r = rng.next() * total;
  for (let i = 0; i < keep; i++) {
    r -= probs[order[i]];
    if (r <= 0) return order[i];
  }
  return order[keep - 1];
}
