import * as crypto from 'crypto';
import { Corpus } from '../text/corpus';
import { Random } from '../random';
import { CodeFeatures, DEFAULT_TAB_WIDTH, FEATURE_NAMES, FeatureName, codeFeatures, dialectOf } from './codeFeatures';

/** The text the explorer runs the model over, with its features. */
export interface ExplorerSample {
  text: string;
  features: CodeFeatures;
  /** Changes whenever the text, or how its features were computed, changes. */
  fingerprint: string;
  /** Where each window of the text came from, in text order. */
  parts: SamplePart[];
}

/** One window of a sample: `chars` code points from `at` in the sample, the lines of `path` from `line` (0-based) on. */
export interface SamplePart {
  path: string;
  line: number;
  at: number;
  chars: number;
}

export interface SourceFile {
  path: string;
  text: string;
}

export const DEFAULT_SAMPLE_CHARS = 50_000;
// Long enough that the model's memory of a window's first lines settles and matters little.
const MIN_WINDOW = 2000;

/** The files of a corpus: readCorpus joins their texts in report order, and reports each one's UTF-8 length. */
export function corpusFiles(corpus: Corpus): SourceFile[] {
  let at = 0;
  return corpus.report.files.map((file) => {
    let end = at;
    for (let bytes = 0; bytes < file.bytes; ) {
      const cp = corpus.text.codePointAt(end)!;
      bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      end += cp < 0x10000 ? 1 : 2;
    }
    const text = corpus.text.slice(at, end);
    at = end;
    return { path: file.path, text };
  });
}

/**
 * Up to `maxChars` characters of code: all files when they fit, else from
 * each file, in a seeded shuffle, a window of whole lines at a random place,
 * so that the sample spreads over many files rather than filling up from the
 * first few. Each window's file is lexed from its start in its own dialect,
 * so a window that opens inside a comment knows it.
 */
export function explorerSample(files: SourceFile[], maxChars = DEFAULT_SAMPLE_CHARS, tabWidth = DEFAULT_TAB_WIDTH): ExplorerSample {
  const rng = new Random(1);
  const fits = files.reduce((n, f) => n + f.text.length, 0) <= maxChars;
  const order = shuffled(files.length, rng);
  const parts: Array<{ text: string; features: CodeFeatures; place: SamplePart }> = [];
  let chars = 0;
  for (const [k, index] of order.entries()) {
    if (chars >= maxChars) break;
    const file = files[index];
    // An equal share of what is left, so that what a short file leaves over goes to the files after it.
    const window = fits ? Infinity : Math.max(MIN_WINDOW, Math.ceil((maxChars - chars) / (order.length - k)));
    const at = Math.floor(rng.next() * Math.max(0, file.text.length - window));
    const start = file.text.lastIndexOf('\n', at - 1) + 1;
    const text = cutAtLineEnd(file.text.slice(start), Math.min(window, maxChars - chars));
    if (text.length === 0) continue;
    const lexed = codeFeatures(file.text.slice(0, start + text.length), { dialect: dialectOf(file.path), tabWidth });
    const length = Array.from(text).length;
    const features = mapFeatures((name) => lexed[name].subarray(lexed[name].length - length));
    parts.push({ text, features, place: { path: file.path, line: lineCount(file.text, start), at: chars, chars: length } });
    chars += length;
  }
  const features = joinFeatures(parts.map((p) => p.features), chars);
  const text = parts.map((p) => p.text).join('');
  // Hashing the features too covers everything the ranking reads: dialects, tab width, what came before each window.
  const hash = crypto.createHash('sha256').update(text);
  for (const name of FEATURE_NAMES) hash.update(new Uint8Array(features[name].buffer));
  return { text, features, fingerprint: hash.digest('hex').slice(0, 16), parts: parts.map((p) => p.place) };
}

function lineCount(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export const mapFeatures = (f: (name: FeatureName) => Float32Array): CodeFeatures =>
  Object.fromEntries(FEATURE_NAMES.map((name) => [name, f(name)])) as CodeFeatures;

/** The features of consecutive pieces of text, `chars` code points in all, as those of their concatenation. */
export function joinFeatures(pieces: CodeFeatures[], chars: number): CodeFeatures {
  return mapFeatures((name) => {
    const joined = new Float32Array(chars);
    let offset = 0;
    for (const p of pieces) {
      joined.set(p[name], offset);
      offset += p[name].length;
    }
    return joined;
  });
}

/** The longest prefix of `text` of at most `maxChars` code points that ends with a newline (or all of it). */
function cutAtLineEnd(text: string, maxChars: number): string {
  let end = 0;
  for (let n = 0; n < maxChars && end < text.length; n++) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
  if (end === text.length) return text;
  return text.slice(0, text.lastIndexOf('\n', end - 1) + 1);
}

function shuffled(n: number, rng: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
