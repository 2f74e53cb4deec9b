import { Checkpoint } from '../model/checkpoint';
import { heldOutBlocks, storedSplit, trainRanges } from '../text/batches';
import { Corpus, corpusInfo } from '../text/corpus';
import { LN2 } from '../predict/lossUnits';
import { InferenceModel, LstmState, StepHook } from '../model/inference';
import { Random } from '../random';
import { pickNext } from '../predict/sampling';
import { Vocabulary } from '../text/vocabulary';
import { CodeFeatures, DEFAULT_TAB_WIDTH, FeatureName, codeFeatures, dialectOf } from './codeFeatures';
import { ExplorerSample, corpusFiles, joinFeatures, mapFeatures } from './explorerSample';
import { featureThresholds } from './samplePass';

/** Text a model is measured on, with its code features. */
export interface MeasuredText {
  /**
   * 'validation': the model's validation split of its corpus (the corpus is
   * still the text it was trained on); 'sample': the explorer's sample, when
   * the corpus has changed since, so its split is no longer held out.
   */
  kind: 'validation' | 'sample';
  text: string;
  features: CodeFeatures;
  /** The text the model was trained on (the split before the validation part); absent for the explorer's sample. */
  training?: string;
}

/**
 * The model's validation split, cut as the trainer cut it (heldOutBlocks,
 * with the checkpoint's stored split), with each file it crosses lexed from
 * its start in its own dialect; the explorer's sample when the corpus is not
 * the one the model was trained on.
 */
export function measuredText(checkpoint: Pick<Checkpoint, 'metadata'>, corpus: Corpus, sample: () => ExplorerSample): MeasuredText {
  const files = corpusFiles(corpus);
  if (checkpoint.metadata.corpus?.fingerprint !== corpusInfo(corpus.text, files.length).fingerprint) {
    const { text, features } = sample();
    return { kind: 'sample', text, features };
  }
  const lengths = files.map((f) => Array.from(f.text).length);
  const n = lengths.reduce((s, l) => s + l, 0);
  const blocks = heldOutBlocks(n, storedSplit(checkpoint.metadata.training, lengths));
  const val = blocks.filter((b) => b.part === 'val');
  const pieces: Array<{ text: string; features: CodeFeatures }> = [];
  let offset = 0;
  for (const [k, file] of files.entries()) {
    const [fileFrom, fileTo] = [offset, offset + lengths[k]];
    offset = fileTo;
    const crossing = val.filter((b) => b.from < fileTo && b.to > fileFrom);
    if (crossing.length === 0) continue;
    const lexed = codeFeatures(file.text, { dialect: dialectOf(file.path), tabWidth: DEFAULT_TAB_WIDTH });
    const points = Array.from(file.text);
    for (const b of crossing) {
      const [start, end] = [Math.max(b.from, fileFrom) - fileFrom, Math.min(b.to, fileTo) - fileFrom];
      pieces.push({ text: points.slice(start, end).join(''), features: mapFeatures((name) => lexed[name].subarray(start, end)) });
    }
  }
  const points = Array.from(corpus.text);
  const training = trainRanges(n, blocks).map((r) => points.slice(r.from, r.to).join('')).join('');
  const nVal = val.reduce((s, b) => s + b.to - b.from, 0);
  return { kind: 'validation', text: pieces.map((p) => p.text).join(''), features: joinFeatures(pieces.map((p) => p.features), nVal), training };
}

export type ClampKind = 'none' | 'zero' | 'mean';

/** The model's loss on the measured text with the cell left alone or clamped. */
export interface ClampRun {
  clamp: ClampKind;
  /** The value an LSTM's c, or a GRU's or RNN's h, is held at (absent when not clamped). */
  c?: number;
  bitsPerChar: number;
  /** On the characters where the feature is on, and on the rest (absent when there are none, or no feature). */
  featureBitsPerChar?: number;
  otherBitsPerChar?: number;
}

export interface ClampEffect {
  /** Characters predicted, and how many of them had the feature on. */
  chars: number;
  featureChars: number;
  runs: ClampRun[];
  /** A greedy completion of the same prime under each run's clamp, in the runs' order. */
  completion: { prime: string; texts: string[] };
}

export interface ClampOptions {
  layer: number;
  index: number;
  /** The cell's mean shown activation (an LSTM's tanh(c), a GRU's or RNN's h) over the explorer's sample (CellFiring.mean). */
  meanTanh: number;
  /** The feature whose characters are scored apart (the explorer's label for the cell), if any. */
  feature?: FeatureName;
}

const PRIME_CHARS = 300;
const COMPLETION_CHARS = 120;
// As the explorer's pass: the engine answers other requests between slices.
const YIELD_EVERY = 2048;
// atanh(±1) is infinite: a mean at the edge clamps to the nearest finite c.
const EDGE = 1 - 1e-6;

/**
 * Does the cell matter? The model reads the text three times in lockstep:
 * as trained, with the cell's c held at 0, and held at atanh of its mean
 * tanh(c) (the value the explorer averaged, in c's units); a GRU's or RNN's
 * h, all its state, is held at 0 and at its mean. Each run scores
 * every next character (from the zero state, the first character unscored),
 * overall and split by whether the feature is on at that character, the
 * state the model should have been tracking when it predicted it. Then a
 * greedy completion of one prime per run, side by side: the prime ends where
 * the feature turns on, so a cell that tracks it has something to do.
 */
export async function clampEffect(model: InferenceModel, vocabulary: Vocabulary, measured: MeasuredText, o: ClampOptions): Promise<ClampEffect> {
  const mean = model.cell === 'lstm' ? Math.atanh(Math.max(-EDGE, Math.min(EDGE, o.meanTanh))) : o.meanTanh;
  const settings: Array<{ clamp: ClampKind; hook?: StepHook; c?: number }> = [
    { clamp: 'none' },
    { clamp: 'zero', c: 0, hook: { clamp: { layer: o.layer, index: o.index, c: 0 } } },
    { clamp: 'mean', c: mean, hook: { clamp: { layer: o.layer, index: o.index, c: mean } } },
  ];
  const ids = vocabulary.encode(measured.text);
  const on = featureOn(measured.features, o.feature);
  const states = settings.map(() => model.zeroState());
  const sums = settings.map(() => ({ all: 0, on: 0, off: 0 }));
  let onChars = 0;
  for (let i = 0; i + 1 < ids.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const next = ids[i + 1];
    if (on?.[i + 1]) onChars++;
    for (const [r, s] of settings.entries()) {
      const nats = -Math.log(model.probabilities(model.advance(states[r], ids[i], s.hook))[next]);
      sums[r].all += nats;
      if (on?.[i + 1]) sums[r].on += nats;
      else sums[r].off += nats;
    }
  }
  const chars = Math.max(0, ids.length - 1);
  const bits = (nats: number, n: number) => (n === 0 ? undefined : nats / n / LN2);
  const runs = settings.map((s, r): ClampRun => ({
    clamp: s.clamp,
    c: s.c,
    bitsPerChar: bits(sums[r].all, chars) ?? 0,
    featureBitsPerChar: on && bits(sums[r].on, onChars),
    otherBitsPerChar: on && bits(sums[r].off, chars - onChars),
  }));
  const prime = primeOf(measured.text, on);
  const texts = settings.map((s) => greedy(model, vocabulary, prime, COMPLETION_CHARS, s.hook));
  return { chars, featureChars: onChars, runs, completion: { prime, texts } };
}

/** Where the feature is on, as the explorer counts it (featureThresholds); undefined without a feature. */
function featureOn(features: CodeFeatures, feature: FeatureName | undefined): Uint8Array | undefined {
  if (!feature) return undefined;
  const threshold = featureThresholds(features)[feature];
  return Uint8Array.from(features[feature], (v) => (v > threshold ? 1 : 0));
}

/** PRIME_CHARS code points ending at the first place after them where the feature turns on; the text's start when it never does. */
function primeOf(text: string, on: Uint8Array | undefined): string {
  const chars = Array.from(text);
  let end = Math.min(chars.length, PRIME_CHARS);
  for (let i = PRIME_CHARS; on && i < chars.length; i++) {
    if (on[i] && !on[i - 1]) {
      end = i + 1;
      break;
    }
  }
  return chars.slice(Math.max(0, end - PRIME_CHARS), end).join('');
}

function greedy(model: InferenceModel, vocabulary: Vocabulary, prime: string, length: number, hook: StepHook | undefined): string {
  const state: LstmState = model.zeroState();
  for (const ch of prime) model.advance(state, vocabulary.idOf(ch), hook);
  const rng = new Random(0); // argmax draws nothing; pickNext asks for one all the same
  let out = '';
  for (let n = 0; n < length; n++) {
    const id = pickNext(model.probabilities(state), { argmax: true, topK: 0, topP: 1 }, rng);
    out += vocabulary.symbols[id];
    model.advance(state, id, hook);
  }
  return out;
}
