import { Checkpoint } from '../model/checkpoint';
import { heldOutBlocks, spreadRuns, storedSplit, trainRanges } from '../text/batches';
import { Corpus, corpusInfo } from '../text/corpus';
import { LN2 } from '../predict/lossUnits';
import { InferenceModel, LstmState, StepHook } from '../model/inference';
import { Random } from '../random';
import { Guess, topGuesses } from '../predict/modelLens';
import { pickNext } from '../predict/sampling';
import { Vocabulary, codePointCount } from '../text/vocabulary';
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
  /**
   * The text the model was trained on (the split without its held-out
   * part); absent for the explorer's sample. Built when first read: only the
   * model report's n-gram counts need it, and copying a large corpus costs
   * the clamp comparison time it has no use for.
   */
  readonly training?: string;
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
  const lengths = files.map((f) => codePointCount(f.text));
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
  const nVal = val.reduce((s, b) => s + b.to - b.from, 0);
  let training: string | undefined;
  return {
    kind: 'validation',
    text: pieces.map((p) => p.text).join(''),
    features: joinFeatures(pieces.map((p) => p.features), nVal),
    get training() {
      if (training === undefined) {
        const points = Array.from(corpus.text);
        training = trainRanges(n, blocks).map((r) => points.slice(r.from, r.to).join('')).join('');
      }
      return training;
    },
  };
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

/** The two likeliest next characters where the completions part, under one run's clamp. */
export interface PartingChoice {
  first: Guess;
  second: Guess;
}

export interface ClampEffect {
  /** Characters scored, and how many of them had the feature on. */
  chars: number;
  featureChars: number;
  /** Windows of the measured text read, and the characters it has in all. */
  windows: number;
  textChars: number;
  runs: ClampRun[];
  /**
   * A greedy completion of the same prime under each run's clamp, in the
   * runs' order; where they are not all the same, the first character where
   * they differ and each run's two likeliest characters there.
   */
  completion: { prime: string; texts: string[]; parting?: { at: number; choices: PartingChoice[] } };
}

export interface ClampOptions {
  layer: number;
  index: number;
  /** The cell's mean shown activation (an LSTM's tanh(c), a GRU's or RNN's h) over the explorer's sample (CellFiring.mean). */
  meanTanh: number;
  /** The feature whose characters are scored apart (the explorer's label for the cell), if any. */
  feature?: FeatureName;
  /** Called every few hundred characters: characters read so far (per run) of all to read. */
  onProgress?: (chars: number, of: number) => void;
}

/**
 * The fixed sample the comparison reads of a longer text: CLAMP_WINDOWS
 * windows spread evenly over it, each read from the zero state, its first
 * WARMUP_CHARS characters read but not scored (the model's state needs
 * them), then SCORED_CHARS scored. A workspace's whole validation split
 * (175,000 characters of a 3.5 MB workspace) read three times took a minute
 * on two cores; this reads 7,168 characters three times, a few seconds for
 * a 2x224 model (README, Measured here), and the same characters for every
 * cell, so cells compare on equal terms.
 */
export const CLAMP_WINDOWS = 8;
export const SCORED_CHARS = 768;
export const WARMUP_CHARS = 128;

/** A stretch of the measured text read from the zero state: [from, to), characters from scoreFrom on predicted and scored. */
export interface ClampWindow {
  from: number;
  scoreFrom: number;
  to: number;
}

/** The windows read of a text of `length` code points: all of it as one when it is no longer than the sample. */
export function clampWindows(length: number): ClampWindow[] {
  const span = WARMUP_CHARS + SCORED_CHARS;
  if (length <= CLAMP_WINDOWS * span) return length < 2 ? [] : [{ from: 0, scoreFrom: 1, to: length }];
  return spreadRuns(length, span, CLAMP_WINDOWS).map(({ from, to }) => ({ from, scoreFrom: from + WARMUP_CHARS, to }));
}

const PRIME_CHARS = 300;
const COMPLETION_CHARS = 120;
// The engine answers other requests (the overlays, completions) between slices of this many characters (times three runs).
const YIELD_EVERY = 256;
// atanh(±1) is infinite: a mean at the edge clamps to the nearest finite c.
const EDGE = 1 - 1e-6;

/**
 * Does the cell matter? The model reads the sample of the text (see
 * clampWindows) three times in lockstep: as trained, with the cell's c held
 * at 0, and held at atanh of its mean tanh(c) (the value the explorer
 * averaged, in c's units); a GRU's or RNN's h, all its state, is held at 0
 * and at its mean. Each run scores every next character of a window's
 * scored part, overall and split by whether the feature is on at
 * that character, the state the model should have been tracking when it
 * predicted it. Then a greedy completion of one prime per run, side by
 * side: the prime ends where the feature turns on, so a cell that tracks it
 * has something to do.
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
  const windows = clampWindows(ids.length);
  const of = windows.reduce((n, w) => n + w.to - w.from, 0);
  const sums = settings.map(() => ({ all: 0, on: 0, off: 0 }));
  let chars = 0;
  let onChars = 0;
  let read = 0;
  for (const w of windows) {
    const states = settings.map(() => model.zeroState());
    for (let i = w.from; i < w.to; i++, read++) {
      if (read > 0 && read % YIELD_EVERY === 0) {
        o.onProgress?.(read, of);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const scored = i + 1 >= w.scoreFrom && i + 1 < w.to;
      for (const [r, s] of settings.entries()) {
        model.advance(states[r], ids[i], s.hook);
        if (!scored) continue;
        const nats = -Math.log(model.probabilities(states[r])[ids[i + 1]]);
        sums[r].all += nats;
        if (on?.[i + 1]) sums[r].on += nats;
        else sums[r].off += nats;
      }
      if (scored) {
        chars++;
        if (on?.[i + 1]) onChars++;
      }
    }
  }
  o.onProgress?.(of, of);
  const bits = (nats: number, n: number) => (n === 0 ? undefined : nats / n / LN2);
  const runs = settings.map((s, r): ClampRun => ({
    clamp: s.clamp,
    c: s.c,
    bitsPerChar: bits(sums[r].all, chars) ?? 0,
    featureBitsPerChar: on && bits(sums[r].on, onChars),
    otherBitsPerChar: on && bits(sums[r].off, chars - onChars),
  }));
  const prime = primeOf(measured.text, on);
  const greedies = settings.map((s) => greedy(model, vocabulary, prime, COMPLETION_CHARS, s.hook));
  const texts = greedies.map((g) => g.text);
  const at = partingAt(texts);
  const parting = at === undefined ? undefined : { at, choices: greedies.map((g) => g.choices[at]) };
  return { chars, featureChars: onChars, windows: windows.length, textChars: ids.length, runs, completion: { prime, texts, parting } };
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

/** The first code point at which the texts are not all the same; undefined when they are. */
function partingAt(texts: string[]): number | undefined {
  const points = texts.map((t) => Array.from(t));
  const length = Math.max(...points.map((p) => p.length));
  for (let i = 0; i < length; i++) if (points.some((p) => p[i] !== points[0][i])) return i;
  return undefined;
}

/** The argmax continuation, with the two likeliest characters at each step (what decided it). */
function greedy(model: InferenceModel, vocabulary: Vocabulary, prime: string, length: number, hook: StepHook | undefined): { text: string; choices: PartingChoice[] } {
  const state: LstmState = model.zeroState();
  for (const ch of prime) model.advance(state, vocabulary.idOf(ch), hook);
  const rng = new Random(0); // argmax draws nothing; pickNext asks for one all the same
  let text = '';
  const choices: PartingChoice[] = [];
  for (let n = 0; n < length; n++) {
    const probs = model.probabilities(state);
    const id = pickNext(probs, { argmax: true, topK: 0, topP: 1 }, rng);
    const [first, second] = topGuesses(probs, vocabulary, 2);
    choices.push({ first, second });
    text += vocabulary.symbols[id];
    model.advance(state, id, hook);
  }
  return { text, choices };
}
