import { NgramFileError } from './ngramFileError';
import { LruMap } from '../lruMap';
import { MAX_NGRAM_VOCABULARY, NgramModel } from './kneserNey';
import { MIN_MATCH, RecentIndex } from './recentIndex';
import { buildSuffixArray } from './suffixArray';
import { LeftOut, Stretches, leftOutTable, seamText } from './leftOut';

/**
 * Unbounded-context character n-gram (after infini-gram, Liu et al. 2024):
 * a suffix array over the training text gives, for the text before the
 * cursor, every context length that occurs, up to the longest match, and
 * what followed each. Text read online goes to a RecentIndex (hash chains)
 * until the model is saved, which re-sorts it in.
 *
 * Smoothing: interpolated modified Kneser-Ney at every context length, as
 * an order-k table would do it but with no k: each length's distribution
 * takes continuation counts N1+(. context w) (how many distinct characters
 * came before context + w), discounted by D1, D2, D3+ per band of lengths
 * and fitted on held-out text, interpolated down to a short-context table
 * (contexts of fewer than BASE_ORDER characters, continuation counts too),
 * which reads online what this model reads. Why continuation counts even
 * at the longest match: raw counts there make a single long match all but
 * certain, and on Linux kernel/ they cost 0.02 nats/char statically
 * against continuation counts everywhere (an order-32 top with raw counts
 * gains 0.002: not worth a special case); and why all lengths rather than
 * the distinct suffix-tree nodes: the continuation counts differ between
 * lengths with the same occurrences. Against the earlier smoothing (raw
 * counts per node) this is 0.2 nats/char better on kernel/ and matches an
 * order-20 Kneser-Ney table there, at a 28th of its memory.
 *
 * The suffix array is over the text reversed, so that making the context
 * one character longer (to the left) narrows the range of matching
 * suffixes by a binary search on one column, and within a range the
 * occurrences come grouped by the character before the context: one pass
 * counts the distinct (character before, character after) pairs. R[q] =
 * text[nBase - 1 - q]. Memory: 2 bytes per character of text, 4 of suffix
 * array, 4 per character read online, the short-context table, and a
 * bounded cache of the counts of big ranges.
 */
export const MAX_MATCH = 256;
/** Contexts shorter than this come from the Kneser-Ney table under the suffix array; the recent text's index finds every match this long. */
export const BASE_ORDER = MIN_MATCH;
/** Context lengths where each band of discounts starts. */
const BANDS = [BASE_ORDER, 5, 6, 7, 8, 10, 12, 16, 24, 32, 64];
const BAND_OF = Uint8Array.from({ length: MAX_MATCH + 1 }, (_, d) => Math.max(0, BANDS.filter((start) => d >= start).length - 1));
export const DISCOUNT_COUNT = BANDS.length * 3;
/** Fitted online on 50k characters of Linux kernel/'s validation split; fitDiscounts refits them for a workspace. */
const DEFAULT_DISCOUNTS = [0.82, 1.24, 1.61, 0.88, 1.08, 1.73, 0.91, 1.2, 1.35, 0.94, 1.2, 1.35, 0.8, 1.25, 1.5, 1, 1.25, 1.88, 0.88, 1.25, 1.2, 1, 1.25, 1.2, 1, 1, 0.9, 1, 1, 0.9, 0.88, 0.94, 0.17];
/** Ranges of more occurrences than this have their counts cached, so frequent short contexts are counted once. */
const BIG_RANGE = 256;
const CACHE_ENTRIES = 1 << 15;
/** How far after a left-out stretch an occurrence's context can end and its window (up to MAX_MATCH + 1 characters before the follower) still touch it. */
const LEFT_OUT_REACH = MAX_MATCH + 2;
/** Occurrences of a run's end looked through for the one that continues into the next run (textRuns). */
const MAX_CANDIDATES_PER_RUN = 64;

/** Where D1, D2 or D3+ (c = 1, 2, 3+) of a context length's band is in the discounts. */
export function discountIndex(depth: number, c: number): number {
  return BAND_OF[Math.min(depth, MAX_MATCH)] * 3 + Math.min(c, 3) - 1;
}

const FILE_MAGIC = 0x41534c43; // 'CLSA' little-endian
/** 2: continuation counts at every length; the short-context table is counted again on load, not saved. */
const FILE_VERSION = 2;
const HEADER_WORDS = 4;

interface SparseCounts {
  symbols: Int32Array;
  counts: Int32Array;
  /** Once a view leaving stretches out has asked (see leftOutCounts): how often each (character before, follower) pair occurs. */
  pairs?: PairOccurrences;
}

/** Pairs (character before + 1) * vocabSize + follower, ascending, and how many occurrences have each. */
interface PairOccurrences {
  keys: Float64Array;
  occurrences: Int32Array;
}

/** Text read beside the model's own, searched with it but never part of it: a document's text before the cursor (see DocumentNgrams). */
export interface SideText {
  readonly ids: ArrayLike<number>;
  readonly index: RecentIndex;
}

/**
 * The context's path after a query, short contexts first: level k stands
 * for `repeat[k]` context lengths up to `depth[k]` with the same counts
 * (sparse) and discounts, so that a long match the suffix array follows
 * through one occurrence costs one level, not hundreds.
 */
export class MatchPath {
  count = 0;
  depth: number[] = [];
  repeat: number[] = [];
  total: number[] = [];
  /** Symbols seen once, twice, 3+ times: what the discounts take from. */
  n1: number[] = [];
  n2: number[] = [];
  n3: number[] = [];
  start: number[] = [];
  symbols: number[] = [];
  counts: number[] = [];

  clear(): void {
    this.count = 0;
    this.symbols.length = 0;
    this.counts.length = 0;
  }

  /** Appends a level for the `repeat` lengths up to `depth` from the symbols `touched` with their counts in `dense`, which it zeroes. */
  push(depth: number, repeat: number, dense: Float64Array, touched: number[]): void {
    const k = this.count++;
    this.depth[k] = depth;
    this.repeat[k] = repeat;
    this.start[k] = this.symbols.length;
    let total = 0;
    let n1 = 0;
    let n2 = 0;
    let n3 = 0;
    for (const w of touched) {
      const c = dense[w];
      if (c === 0) continue;
      dense[w] = 0;
      this.symbols.push(w);
      this.counts.push(c);
      total += c;
      if (c === 1) n1++;
      else if (c === 2) n2++;
      else n3++;
    }
    this.total[k] = total;
    this.n1[k] = n1;
    this.n2[k] = n2;
    this.n3[k] = n3;
    if (total === 0) this.count--;
    touched.length = 0;
  }

  /** The count of node k's most frequent follower. */
  topCount(k: number): number {
    const end = k + 1 < this.count ? this.start[k + 1] : this.symbols.length;
    let top = 0;
    for (let i = this.start[k]; i < end; i++) top = Math.max(top, this.counts[i]);
    return top;
  }

  countOf(k: number, symbol: number): number {
    const end = k + 1 < this.count ? this.start[k + 1] : this.symbols.length;
    for (let i = this.start[k]; i < end; i++) if (this.symbols[i] === symbol) return this.counts[i];
    return 0;
  }
}

export class SuffixNgram {
  readonly vocabSize: number;
  /** Symbols of context read, as NgramModel's order - 1: the longest match measured. */
  readonly order = MAX_MATCH + 1;
  readonly discounts: Float64Array;
  private text: Uint16Array;
  private length: number;
  /** Characters the suffix array covers (the first ones of `text`). */
  private nBase: number;
  private sa: Int32Array;
  private recent: RecentIndex;
  private cache = new LruMap<number, SparseCounts>(CACHE_ENTRIES);
  /** The last query's path (short to long contexts): features for the mixer. */
  readonly path = new MatchPath();
  // Scratch of a query: the suffix array's range per context length, the online occurrences.
  private readonly rangeLo = new Int32Array(MAX_MATCH + 1);
  private readonly rangeHi = new Int32Array(MAX_MATCH + 1);
  private readonly dense: Float64Array;
  private readonly touched: number[] = [];
  // Scratch of a range's pass: each follower's count, and the stamp of the run (of one character before the context) that last counted it.
  private readonly pairCount: Float64Array;
  private readonly groupOf: Float64Array;
  private readonly onlineLength: number[] = [];
  private readonly onlineNext: number[] = [];
  /** Each online occurrence's text and position, for the character before its context. */
  private readonly onlineText: ArrayLike<number>[] = [];
  private readonly onlineAt: number[] = [];
  /** Pairs (character before, follower) of online occurrences that end at the current length. */
  private readonly leftPairs: number[] = [];
  // Stamps (a query's, a level's) marking without clearing: match lengths that end online, followers seen online and in the suffix array.
  private stamp = 0;
  private queryStamp = 0;
  /** The text the online matches being filed are in (the model's own, or the side text). */
  private matchedText: ArrayLike<number> = [];
  private readonly endsAt = new Float64Array(MAX_MATCH + 2);
  private readonly followerStamp: Float64Array;
  private readonly sortedStamp: Float64Array;
  /** The query's view with stretches of the text left out, if any: the counting below skips their windows. */
  private leftOut?: LeftOut;
  /** Its occurrences that may be left out (LeftOut.candidatesOf). */
  private leftOutCandidates: Int32Array = new Int32Array(0);

  private constructor(
    vocabSize: number,
    text: Uint16Array,
    sa: Int32Array,
    discounts: ArrayLike<number>,
    /** The short contexts' model, which reads what this one reads. */
    private readonly base: NgramModel,
  ) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_NGRAM_VOCABULARY) throw new Error(`n-gram vocabulary size must be an integer from 1 to ${MAX_NGRAM_VOCABULARY}, got ${vocabSize}`);
    this.vocabSize = vocabSize;
    this.text = text;
    this.length = this.nBase = sa.length;
    this.sa = sa;
    this.recent = new RecentIndex(this.nBase);
    this.discounts = Float64Array.from(discounts);
    this.dense = new Float64Array(vocabSize);
    this.pairCount = new Float64Array(vocabSize);
    this.followerStamp = new Float64Array(vocabSize);
    this.sortedStamp = new Float64Array(vocabSize);
    this.groupOf = new Float64Array(vocabSize);
  }

  /** Sorts the suffixes of `ids` (seconds for 10 MB). */
  static build(ids: ArrayLike<number>, options: { vocabSize: number; discounts?: ArrayLike<number> }): SuffixNgram {
    const text = new Uint16Array(Math.max(1024, ids.length));
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < options.vocabSize)) throw new Error(`Symbol ${ids[i]} is outside the n-gram vocabulary 0..${options.vocabSize - 1}`);
      text[i] = ids[i];
    }
    const base = shortContextTable(ids, options.vocabSize);
    return new SuffixNgram(options.vocabSize, text, sortReversed(text, ids.length, options.vocabSize), options.discounts ?? DEFAULT_DISCOUNTS, base);
  }

  /** Characters known (training text and text read online). */
  readonly label = 'unbounded-context n-gram (suffix array)';

  get entries(): number {
    return this.length;
  }

  get bytes(): number {
    return this.text.byteLength + this.sa.byteLength + this.recent.bytes + this.base.bytes;
  }

  /** Reads `ids` after the text it knows, online, as the continuation of that text. */
  learnSequence(ids: ArrayLike<number>): void {
    const { text, from } = this.continued(ids);
    this.base.score(text, { online: true, from });
    for (let i = 0; i < ids.length; i++) this.learnSymbol(ids[i]);
  }

  /**
   * P(ids[i] | ids[0..i)) for i >= from. Online, each symbol is read right
   * after it is scored, and ids[from..] continue the text the model has
   * read (which, read in order, ends with the context ids[0..from) given),
   * as they will once it is saved.
   */
  score(ids: ArrayLike<number>, options: { online?: boolean; from?: number } = {}): Float32Array {
    const { text, from } = options.online ? this.continued(ids, options.from) : { text: ids, from: options.from ?? 0 };
    // The table reads (online) exactly what this model reads, so it can score the whole text first.
    const out = this.base.score(text, { online: options.online, from });
    for (let i = from; i < text.length; i++) {
      out[i - from] = this.interpolate(text, i, text[i], out[i - from]);
      if (options.online) this.learnSymbol(text[i]);
    }
    return out;
  }

  /** ids[skip..] after the end of the text read so far (its longest context): the text to read, and where they start in it. */
  private continued(ids: ArrayLike<number>, skip = 0): { text: Int32Array; from: number } {
    const from = Math.min(this.length, MAX_MATCH);
    const text = new Int32Array(from + ids.length - skip);
    text.set(this.text.subarray(this.length - from, this.length));
    for (let i = skip; i < ids.length; i++) text[from + i - skip] = ids[i];
    return { text, from };
  }

  /** P(symbol | context), `side` text searched too; with `leftOut`, as if its stretches of the text had never been read. */
  probability(context: ArrayLike<number>, symbol: number, side?: SideText, leftOut?: LeftOut): number {
    return this.interpolate(context, context.length, symbol, (leftOut?.base ?? this.base).probability(context, symbol), side, leftOut);
  }

  /** P(symbol | context[0..end)) from the table's estimate `p` and the long matches above it. */
  private interpolate(context: ArrayLike<number>, end: number, symbol: number, p: number, side?: SideText, leftOut?: LeftOut): number {
    this.query(context, end, side, leftOut);
    const path = this.path;
    for (let k = 0; k < path.count; k++) {
      const c = path.countOf(k, symbol);
      p = interpolated(p, (c > 0 ? c - this.discount(path.depth[k], c) : 0) / path.total[k], this.backoffShare(k), path.repeat[k]);
    }
    return p;
  }

  /** P(. | context) over the vocabulary, `side` text searched too (and `leftOut` as in probability); `path` then describes the match. */
  distribution(context: ArrayLike<number>, out: Float32Array = new Float32Array(this.vocabSize), side?: SideText, leftOut?: LeftOut): Float32Array {
    this.query(context, context.length, side, leftOut);
    const V = this.vocabSize;
    const p = Float64Array.from((leftOut?.base ?? this.base).distribution(context));
    const path = this.path;
    for (let k = 0; k < path.count; k++) {
      const share = this.backoffShare(k);
      const r = path.repeat[k];
      const kept = share ** r;
      // What `interpolated` does to every symbol: p <- kept p + own * gain.
      const gain = interpolated(0, 1, share, r);
      for (let w = 0; w < V; w++) p[w] *= kept;
      const end = k + 1 < path.count ? path.start[k + 1] : path.symbols.length;
      for (let i = path.start[k]; i < end; i++) p[path.symbols[i]] += ((path.counts[i] - this.discount(path.depth[k], path.counts[i])) / path.total[k]) * gain;
    }
    out.set(p);
    return out;
  }

  /**
   * Refits the discounts on held-out text, static (the model does not read
   * it) or online (it reads each character after predicting it, and keeps
   * it), by coordinate search on the held-out log-likelihood; the counts of
   * each position's path are gathered once (they do not depend on the
   * discounts), so each trial costs a pass over small arrays. Returns the
   * nats/char before and after.
   */
  fitDiscounts(heldOut: ArrayLike<number>, options: { online?: boolean } = {}): { before: number; after: number } {
    const rows = this.pathStatistics(heldOut, options.online ?? false);
    const before = rows.nats(this.discounts);
    let best = before;
    for (let sweep = 0; sweep < 3; sweep++) {
      for (let j = 0; j < DISCOUNT_COUNT; j++) {
        const cap = (j % 3) + 1;
        for (const factor of [0.6, 0.8, 1.25, 1.6]) {
          const old = this.discounts[j];
          this.discounts[j] = Math.min(cap, Math.max(0.02, old * factor));
          const nats = rows.nats(this.discounts);
          if (nats < best) best = nats;
          else this.discounts[j] = old;
        }
      }
    }
    return { before, after: best };
  }

  /**
   * The suffix array, text and discounts; text read online is sorted in
   * first. Not the short-context table: counting it again from the text on
   * load takes a fraction of a second per megabyte, and on disk it would
   * take more than the text and the array together on a small corpus.
   */
  toBuffer(): Buffer {
    this.compact();
    const n = this.length;
    const textBytes = Math.ceil((n * 2) / 4) * 4;
    const out = Buffer.alloc(HEADER_WORDS * 4 + DISCOUNT_COUNT * 8 + textBytes + n * 4);
    const words = new Uint32Array(out.buffer, out.byteOffset, HEADER_WORDS);
    words.set([FILE_MAGIC, FILE_VERSION, this.vocabSize, n]);
    let at = HEADER_WORDS * 4;
    out.set(new Uint8Array(this.discounts.buffer), at);
    at += DISCOUNT_COUNT * 8;
    out.set(new Uint8Array(this.text.buffer, 0, n * 2), at);
    at += textBytes;
    out.set(new Uint8Array(this.sa.buffer, this.sa.byteOffset, n * 4), at);
    return out;
  }

  /**
   * A view of this model as if `ranges` of its text (one training file's)
   * had never been read: its probabilities are those of a model built from
   * the text without them (see LeftOut), and nothing is sorted again.
   */
  leaveOut(ranges: ReadonlyArray<{ from: number; to: number }>): LeftOut {
    // Text read online is not in the suffix array, where the view leaves stretches out.
    this.compact();
    const n = this.nBase;
    const stretches = new Stretches(ranges.map((r) => ({ from: Math.max(0, r.from), to: Math.min(n, r.to) })));
    return new LeftOut(stretches, leftOutTable(this.base, this.text, n, stretches), seamText(this.text, n, stretches, MAX_MATCH + 1), CACHE_ENTRIES >> 2);
  }

  /**
   * Where the model's text repeats `ids`, in runs of at least `minRun`
   * symbols, from the end of `ids` back: probing every `minRun` symbols for
   * a match of `minRun` that ends there (so every run of twice that is
   * found, whatever it costs for text found nowhere), then following the
   * occurrence (the one that runs on into the run found after it, where one
   * does) both ways by comparing. `at` is the run's start in `ids`, [from,
   * to) its place in the model's text.
   */
  textRuns(ids: ArrayLike<number>, minRun: number): Array<{ at: number; from: number; to: number }> {
    const { sa, text, nBase, rangeLo, rangeHi } = this;
    const runs: Array<{ at: number; from: number; to: number }> = [];
    let probe = ids.length;
    /** Where the run found last starts, in `ids` and in the text. */
    let limit = ids.length;
    let next = -1;
    while (probe >= minRun) {
      const d = this.findRanges(ids, probe);
      if (d < minRun) {
        probe -= minRun;
        continue;
      }
      let to = nBase - sa[rangeLo[d]];
      for (let i = rangeLo[d]; i < Math.min(rangeHi[d], rangeLo[d] + MAX_CANDIDATES_PER_RUN); i++) if (nBase - sa[i] + limit - probe === next) to = nBase - sa[i];
      let end = probe;
      while (end < limit && to < nBase && text[to] === ids[end]) {
        to++;
        end++;
      }
      let from = to - (end - probe) - d;
      let at = probe - d;
      while (from > 0 && at > 0 && text[from - 1] === ids[at - 1]) {
        from--;
        at--;
      }
      runs.push({ at, from, to });
      next = from;
      limit = probe = at;
    }
    return runs;
  }

  static isBuffer(bytes: Uint8Array): boolean {
    return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === FILE_MAGIC;
  }

  static fromBuffer(bytes: Uint8Array): SuffixNgram {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < HEADER_WORDS * 4 || view.getUint32(0, true) !== FILE_MAGIC) throw new NgramFileError('Not a CharLens suffix-array n-gram');
    const version = view.getUint32(4, true);
    if (version !== FILE_VERSION) throw new NgramFileError(`CharLens suffix-array n-gram version ${version}; this CharLens reads version ${FILE_VERSION}`);
    const vocabSize = view.getUint32(8, true);
    const n = view.getUint32(12, true);
    const textBytes = Math.ceil((n * 2) / 4) * 4;
    let at = HEADER_WORDS * 4;
    if (bytes.byteLength !== at + DISCOUNT_COUNT * 8 + textBytes + n * 4) throw new NgramFileError('CharLens suffix-array n-gram is truncated or corrupt');
    // Copies: the typed arrays need aligned offsets, and the text grows as the model reads.
    const copy = (from: number, to: number) => new Uint8Array(bytes.subarray(from, to)).buffer;
    if (!(vocabSize >= 1 && vocabSize <= MAX_NGRAM_VOCABULARY)) throw new NgramFileError(`CharLens suffix-array n-gram is corrupt (vocabulary ${vocabSize})`);
    const discounts = new Float64Array(copy(at, at + DISCOUNT_COUNT * 8));
    // Discounts are kept in [MIN, the count they discount] (discounts.ts, fitDiscounts): anything else, NaN included, is damage.
    const wrong = discounts.findIndex((d, j) => !(d >= 0.01 && d <= (j % 3) + 1));
    if (wrong >= 0) throw new NgramFileError(`CharLens suffix-array n-gram is corrupt (discount ${wrong} is ${discounts[wrong]})`);
    at += DISCOUNT_COUNT * 8;
    const text = new Uint16Array(Math.max(1024, n));
    text.set(new Uint16Array(copy(at, at + n * 2)));
    at += textBytes;
    const sa = new Int32Array(copy(at, at + n * 4));
    for (let i = 0; i < n; i++) if (!(text[i] < vocabSize) || !(sa[i] >= 0 && sa[i] < n)) throw new NgramFileError('CharLens suffix-array n-gram is corrupt');
    return new SuffixNgram(vocabSize, text, sa, discounts, shortContextTable(text.subarray(0, n), vocabSize));
  }


  private learnSymbol(symbol: number): void {
    if (!(symbol >= 0 && symbol < this.vocabSize)) throw new Error(`Symbol ${symbol} is outside the n-gram vocabulary 0..${this.vocabSize - 1}`);
    if (this.length === this.text.length) {
      const grown = new Uint16Array(this.text.length * 2);
      grown.set(this.text);
      this.text = grown;
    }
    this.recent.add(this.text, this.length);
    this.text[this.length++] = symbol;
  }

  /** Sorts the text read online into the suffix array. */
  private compact(): void {
    if (this.nBase === this.length) return;
    this.sa = sortReversed(this.text, this.length, this.vocabSize);
    this.nBase = this.length;
    this.recent = new RecentIndex(this.nBase);
    this.cache = new LruMap<number, SparseCounts>(CACHE_ENTRIES);
  }

  private discount(depth: number, c: number): number {
    return this.discounts[discountIndex(depth, c)];
  }

  /** The share of node k's mass handed to the node above it. */
  private backoffShare(k: number): number {
    const { path } = this;
    const band = BAND_OF[Math.min(path.depth[k], MAX_MATCH)] * 3;
    const d = this.discounts;
    return (d[band] * path.n1[k] + d[band + 1] * path.n2[k] + d[band + 2] * path.n3[k]) / path.total[k];
  }

  /**
   * Fills `path` for the context context[0..end): per context length from
   * BASE_ORDER up to the longest match, the continuation counts of what
   * followed, over the suffix array's occurrences and the recent (and side)
   * text's, a pair (character before, character after) counted once.
   */
  private query(context: ArrayLike<number>, end: number, side?: SideText, leftOut?: LeftOut): void {
    this.leftOut = leftOut;
    if (leftOut) this.leftOutCandidates = leftOut.candidatesOf(this.sa, this.nBase, LEFT_OUT_REACH);
    const longestSorted = this.findRanges(context, end);
    const { onlineLength, onlineNext, onlineText, onlineAt, rangeLo, rangeHi } = this;
    onlineLength.length = onlineNext.length = onlineText.length = onlineAt.length = 0;
    this.queryStamp = ++this.stamp;
    this.matchedText = this.text;
    this.recent.matches(this.text, context, end, MAX_MATCH, this.visitMatch);
    if (side) {
      this.matchedText = side.ids;
      side.index.matches(side.ids, context, end, MAX_MATCH, this.visitMatch);
    }
    if (leftOut) {
      this.matchedText = leftOut.seams.ids;
      leftOut.seams.index.matches(leftOut.seams.ids, context, end, MAX_MATCH, this.visitMatch);
    }
    const stamp = this.queryStamp;
    let longest = longestSorted;
    for (const length of onlineLength) longest = Math.max(longest, length);
    const { dense, touched, path, endsAt } = this;
    // Lengths d and d + 1 count the same when no online match ends at either, and the suffix array's occurrences are one run of the
    // same character before (so each follower counts once) at both, and left out at both or at neither, or it has none; and the
    // same discounts apply.
    const sameAsNext = (d: number) =>
      endsAt[d] !== stamp &&
      endsAt[d + 1] !== stamp &&
      BAND_OF[d] === BAND_OF[d + 1] &&
      (d > longestSorted || (d + 2 <= longestSorted && rangeLo[d + 2] === rangeLo[d] && rangeHi[d + 2] === rangeHi[d] && this.leftOutAlike(context, end, d)));
    path.clear();
    // A context of MAX_MATCH characters has no character before it to count.
    const deepest = Math.min(longest, MAX_MATCH - 1);
    for (let d = BASE_ORDER; d <= deepest; ) {
      let last = d;
      while (last < deepest && sameAsNext(last)) last++;
      if (d <= longestSorted) {
        const lo = rangeLo[d];
        const hi = rangeHi[d];
        if (hi - lo > BIG_RANGE) {
          const { symbols, counts } = this.continuationCounts(lo, hi, d);
          for (let i = 0; i < symbols.length; i++) {
            touched.push(symbols[i]);
            dense[symbols[i]] = counts[i];
          }
        } else this.addPairs(lo, hi, d, dense, touched, d, leftOut);
      }
      this.addOnlinePairs(d, longestSorted);
      path.push(last, last - d + 1, dense, touched);
      d = last + 1;
    }
  }

  /** Files an online match of `matchedText` (ending before position j) for the query under way: made once, not per query. */
  private readonly visitMatch = (length: number, j: number): void => {
    this.onlineLength.push(length);
    this.onlineNext.push(this.matchedText[j]);
    this.onlineText.push(this.matchedText);
    this.onlineAt.push(j);
    this.endsAt[length] = this.queryStamp;
  };

  /**
   * Adds to `dense` the pairs the online occurrences of the length-d
   * context bring that neither the suffix array nor an earlier online
   * occurrence has. One that matches further has the query's own character
   * before the context, so only its follower tells it apart, and the suffix
   * array has the pair if the longer context's range has that follower.
   */
  private addOnlinePairs(d: number, longestSorted: number): void {
    const { onlineLength, onlineNext, onlineText, onlineAt, leftPairs, dense, touched, followerStamp, sortedStamp } = this;
    const level = ++this.stamp;
    let sortedMarked = false;
    leftPairs.length = 0;
    for (let r = 0; r < onlineLength.length; r++) {
      if (onlineLength[r] < d) continue;
      const w = onlineNext[r];
      if (onlineLength[r] > d) {
        if (followerStamp[w] === level) continue;
        followerStamp[w] = level;
        if (!sortedMarked) {
          sortedMarked = true;
          if (d + 1 <= longestSorted) this.markFollowers(this.rangeLo[d + 1], this.rangeHi[d + 1], d, level);
        }
        if (sortedStamp[w] === level) continue;
      } else {
        const at = onlineAt[r] - 1 - d;
        const left = at >= 0 ? onlineText[r][at] : -1;
        const pair = (left + 1) * this.vocabSize + w;
        if (leftPairs.includes(pair)) continue;
        leftPairs.push(pair);
        if (d <= longestSorted && this.sortedHasPair(d, left, w)) continue;
      }
      if (dense[w] === 0) touched.push(w);
      dense[w]++;
    }
  }

  /** sortedStamp[w] = stamp for each follower w of the occurrences sa[lo..hi) of a length-(d + 1) context, as pairs of its length-d context. */
  private markFollowers(lo: number, hi: number, d: number, stamp: number): void {
    const { sa, text, nBase, sortedStamp } = this;
    if (hi - lo > BIG_RANGE) {
      for (const w of this.continuationCounts(lo, hi, d + 1, d).symbols) sortedStamp[w] = stamp;
      return;
    }
    for (let i = lo; i < hi; i++) if (sa[i] > 0 && !this.isLeftOut(sa[i], d)) sortedStamp[text[nBase - sa[i]]] = stamp;
  }

  /** Whether the suffix array has `left` + the length-d context + `w`, `left` not the query's own character there. */
  private sortedHasPair(d: number, left: number, w: number): boolean {
    const [lo, hi] = this.subrange(this.rangeLo[d], this.rangeHi[d], d, left);
    if (lo === hi) return false;
    if (hi - lo > BIG_RANGE) return this.continuationCounts(lo, hi, d + 1, d).symbols.includes(w);
    const { sa, text, nBase } = this;
    for (let i = lo; i < hi; i++) if (sa[i] > 0 && text[nBase - sa[i]] === w && !this.isLeftOut(sa[i], d)) return true;
    return false;
  }

  /** Whether the query's view leaves out the occurrence sa[i] = p as a length-d context: its window touches a stretch left out. */
  private isLeftOut(p: number, d: number): boolean {
    const end = this.nBase - p;
    return this.leftOut !== undefined && this.leftOut.stretches.touches(end - d - 1, end);
  }

  /**
   * Whether the view leaves out the same occurrences of context[0..end)'s
   * last d characters as its last d and d + 1 (always, without a view). A
   * window one longer reaches one character further back, so the two
   * differ only for an occurrence whose context starts right after a
   * stretch, and with nothing left out from there on: at most one place per
   * stretch, each looked at directly, or the range's occurrences where
   * they are fewer.
   */
  private leftOutAlike(context: ArrayLike<number>, end: number, d: number): boolean {
    if (!this.leftOut) return true;
    const { from, to } = this.leftOut.stretches;
    const { text, nBase, sa, rangeLo, rangeHi } = this;
    if (rangeHi[d] - rangeLo[d] < to.length) {
      for (let i = rangeLo[d]; i < rangeHi[d]; i++) if (this.isLeftOut(sa[i], d) !== this.isLeftOut(sa[i], d + 1)) return false;
      return true;
    }
    for (let k = 0; k < to.length; k++) {
      // The follower's place: the context is text[at - d..at), and one character longer it has the stretch's last before it.
      const at = to[k] + d + 1;
      if (at > nBase || (k + 1 < from.length && from[k + 1] <= at)) continue;
      let j = 0;
      while (j < d && text[at - 1 - j] === context[end - 1 - j]) j++;
      if (j === d) return false;
    }
    return true;
  }

  /** [a, b): the view's candidates (leftOutCandidates) that lie in sa[lo..hi). */
  private candidatesIn(lo: number, hi: number): [number, number] {
    return [lowerBound(this.leftOutCandidates, lo), lowerBound(this.leftOutCandidates, hi)];
  }

  /** The character at depth d of the reversed suffix sa[i] (the one before a length-d context), -1 past the text's start. */
  private keyAt(i: number, d: number): number {
    const p = this.sa[i];
    return p + d < this.nBase ? this.text[this.nBase - 1 - p - d] : -1;
  }

  /** The part of sa[lo..hi) (all sharing d characters) whose character at depth d is x. */
  private subrange(lo: number, hi: number, d: number, x: number): [number, number] {
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.keyAt(mid, d) < x) a = mid + 1;
      else b = mid;
    }
    const from = a;
    b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.keyAt(mid, d) <= x) a = mid + 1;
      else b = mid;
    }
    return [from, a];
  }

  /** rangeLo/rangeHi[d]: the suffix array's occurrences of the context's last d characters; returns the longest d that occurs. */
  private findRanges(context: ArrayLike<number>, end: number): number {
    const { rangeLo, rangeHi } = this;
    const limit = Math.min(MAX_MATCH, end);
    rangeLo[0] = 0;
    rangeHi[0] = this.nBase;
    let d = 0;
    while (d < limit) {
      const lo = rangeLo[d];
      const hi = rangeHi[d];
      if (hi - lo === 1) {
        // One occurrence left: follow it character by character.
        while (d < limit && this.keyAt(lo, d) === context[end - 1 - d]) {
          d++;
          rangeLo[d] = lo;
          rangeHi[d] = hi;
        }
        break;
      }
      const [a, b] = this.subrange(lo, hi, d, context[end - 1 - d]);
      if (a === b) break;
      d++;
      rangeLo[d] = a;
      rangeHi[d] = b;
    }
    return this.nBase > 0 ? d : -1;
  }

  /**
   * N1+(. context w) for the occurrences sa[lo..hi) of a length-d context:
   * they come sorted by the character before it, so each run of one such
   * character counts each follower once. Big ranges come from the cache.
   */
  private continuationCounts(lo: number, hi: number, d: number, window = d): SparseCounts {
    if (hi - lo <= BIG_RANGE) return this.countPairs(lo, hi, d, window, this.leftOut);
    // A range at a given depth is known by where it starts.
    const key = lo * (MAX_MATCH + 1) + d;
    const view = this.leftOut;
    const all = this.cache.obtain(key, () => this.countPairs(lo, hi, d, window, undefined));
    if (!view) return all;
    return view.cache.obtain(key * 2 + (window === d ? 0 : 1), () => this.leftOutCounts(all, lo, hi, d, window));
  }

  /**
   * The view's counts of a big range from the model's (`all`): a pair
   * (character before, follower) is gone when every occurrence of it is
   * left out, so only the occurrences the view may leave out are looked
   * at, against how often each pair occurs in the range (counted once per
   * range for every view).
   */
  private leftOutCounts(all: SparseCounts, lo: number, hi: number, d: number, window: number): SparseCounts {
    const { sa, text, nBase, pairCount, vocabSize, leftOutCandidates } = this;
    const [a, b] = this.candidatesIn(lo, hi);
    const lost = new Map<number, number>();
    for (let r = a; r < b; r++) {
      const i = leftOutCandidates[r];
      const p = sa[i];
      if (p === 0 || !this.isLeftOut(p, window)) continue;
      const pair = (this.keyAt(i, d) + 1) * vocabSize + text[nBase - p];
      lost.set(pair, (lost.get(pair) ?? 0) + 1);
    }
    if (lost.size === 0) return all;
    const pairs = (all.pairs ??= this.pairOccurrences(lo, hi, d));
    for (let k = 0; k < all.symbols.length; k++) pairCount[all.symbols[k]] = all.counts[k];
    for (const [pair, n] of lost) if (pairs.occurrences[lowerBound(pairs.keys, pair)] === n) pairCount[pair % vocabSize]--;
    const kept = all.symbols.filter((w) => pairCount[w] > 0);
    const counts = { symbols: kept, counts: kept.map((w) => pairCount[w]) };
    for (const w of all.symbols) pairCount[w] = 0;
    return counts;
  }

  /** How often each (character before, follower) pair occurs in sa[lo..hi) (a length-d context's occurrences, grouped by the character before). */
  private pairOccurrences(lo: number, hi: number, d: number): PairOccurrences {
    const { sa, text, nBase, pairCount, vocabSize } = this;
    const keys: number[] = [];
    const occurrences: number[] = [];
    const followers: number[] = [];
    for (let i = lo; i < hi; ) {
      const before = this.keyAt(i, d);
      for (; i < hi && this.keyAt(i, d) === before; i++) {
        const p = sa[i];
        if (p === 0) continue;
        const w = text[nBase - p];
        if (pairCount[w] === 0) followers.push(w);
        pairCount[w]++;
      }
      followers.sort((x, y) => x - y);
      for (const w of followers) {
        keys.push((before + 1) * vocabSize + w);
        occurrences.push(pairCount[w]);
        pairCount[w] = 0;
      }
      followers.length = 0;
    }
    return { keys: Float64Array.from(keys), occurrences: Int32Array.from(occurrences) };
  }

  /** As addPairs, gathered: for a view, the occurrences whose length-`window` context's window it leaves out are skipped. */
  private countPairs(lo: number, hi: number, d: number, window: number, view: LeftOut | undefined): SparseCounts {
    const { pairCount } = this;
    const touched: number[] = [];
    this.addPairs(lo, hi, d, pairCount, touched, window, view);
    const counts = { symbols: Int32Array.from(touched), counts: Int32Array.from(touched, (w) => pairCount[w]) };
    for (const w of touched) pairCount[w] = 0;
    return counts;
  }

  /** Adds N1+(. context w) of sa[lo..hi) to `counts`, each run of one character before the context counting a follower once (a fresh stamp per run). */
  private addPairs(lo: number, hi: number, d: number, counts: Float64Array, touched: number[], window: number, view: LeftOut | undefined): void {
    const { sa, text, nBase, groupOf } = this;
    let before = -2;
    let group = 0;
    for (let i = lo; i < hi; i++) {
      const p = sa[i];
      // The occurrence at the very end is followed by online text, which RecentIndex counts.
      if (p === 0 || (view && this.isLeftOut(p, window))) continue;
      const w = text[nBase - p];
      const key = this.keyAt(i, d);
      if (key !== before) {
        before = key;
        group = ++this.stamp;
      }
      if (groupOf[w] === group) continue;
      groupOf[w] = group;
      if (counts[w] === 0) touched.push(w);
      counts[w]++;
    }
  }

  /** Per held-out position, what the target's probability needs from each node, for fitDiscounts. */
  private pathStatistics(ids: ArrayLike<number>, online: boolean): { nats: (discounts: Float64Array) => number } {
    const rows: number[] = []; // per position: level count, then per level band, c, total, n1, n2, n3, repeat
    const { text, from } = online ? this.continued(ids) : { text: ids, from: 0 };
    const roots = this.base.score(text, { online, from });
    for (let i = from; i < text.length; i++) {
      this.query(text, i);
      const { path } = this;
      rows.push(path.count);
      for (let k = 0; k < path.count; k++) rows.push(BAND_OF[Math.min(path.depth[k], MAX_MATCH)] * 3, path.countOf(k, text[i]), path.total[k], path.n1[k], path.n2[k], path.n3[k], path.repeat[k]);
      if (online) this.learnSymbol(text[i]);
    }
    return {
      nats: (d) => {
        let sum = 0;
        let at = 0;
        for (let i = 0; i < roots.length; i++) {
          let p = roots[i];
          const nodes = rows[at++];
          for (let k = 0; k < nodes; k++, at += 7) {
            const band = rows[at];
            const c = rows[at + 1];
            const total = rows[at + 2];
            const share = (d[band] * rows[at + 3] + d[band + 1] * rows[at + 4] + d[band + 2] * rows[at + 5]) / total;
            p = interpolated(p, (c > 0 ? c - d[band + Math.min(c, 3) - 1] : 0) / total, share, rows[at + 6]);
          }
          sum -= Math.log(p);
        }
        return sum / Math.max(1, roots.length);
      },
    };
  }
}

/** p after `times` levels of p <- own + share p (the same counts at each): the geometric sum in closed form. */
function interpolated(p: number, own: number, share: number, times: number): number {
  if (times === 1) return own + share * p;
  const kept = share ** times;
  return kept * p + (share < 1 - 1e-12 ? (own * (1 - kept)) / (1 - share) : own * times);
}

/** The Kneser-Ney table of contexts shorter than BASE_ORDER, counted one order higher so that its top order has continuation counts. */
function shortContextTable(ids: ArrayLike<number>, vocabSize: number): NgramModel {
  return NgramModel.build(ids, { order: BASE_ORDER + 1, vocabSize, continuationRoot: true });
}

/** The suffix array of text[0..n) read backwards. */
function sortReversed(text: Uint16Array, n: number, vocabSize: number): Int32Array {
  const reversed = new Int32Array(n);
  for (let i = 0; i < n; i++) reversed[i] = text[n - 1 - i];
  return buildSuffixArray(reversed, vocabSize - 1);
}

/** The index of the first of the ascending `values` that is at least x (their length if none is). */
function lowerBound(values: ArrayLike<number>, x: number): number {
  let a = 0;
  let b = values.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (values[mid] < x) a = mid + 1;
    else b = mid;
  }
  return a;
}
