import * as fs from 'fs';
import { writeFileAtomic } from '../atomicFile';
import { LruMap } from '../lruMap';
import { MAX_NGRAM_VOCABULARY, NgramModel } from './kneserNey';
import { RecentIndex } from './recentIndex';
import { buildSuffixArray } from './suffixArray';

/**
 * Unbounded-context character n-gram (after infini-gram, Liu et al. 2024):
 * a suffix array over the training text gives, for the text before the
 * cursor, every context length that occurs, down from the longest match,
 * and the counts of what followed each. Text read online goes to a
 * RecentIndex (hash chains) until the model is saved, which re-sorts it in.
 *
 * Smoothing: a short-context Kneser-Ney table (order BASE_ORDER, with its
 * continuation counts) is the root; above it, interpolated absolute
 * discounting with modified Kneser-Ney's three discounts (count 1, 2, 3+),
 * per band of match lengths, over the distinct nodes of the context's
 * suffix-tree path that are longer than the table's contexts. Why: the
 * suffix array gives raw counts at every length for free, and for long
 * contexts raw counts are what matters (continuation counts would need a
 * second pass over each range); for short contexts Kneser-Ney's
 * continuation counts are worth 0.5 nats/char on code, and a low-order
 * table of them costs little memory. Nodes rather than lengths,
 * because all lengths with the same occurrences carry the same evidence:
 * interpolating each would count one occurrence again and again, and a
 * 200-character single match would get probability ~1. Discounts per length
 * band, fitted on held-out text, because a match of 30 characters seen once
 * predicts far better than one of 3 seen once.
 *
 * The suffix array is over the text reversed, so that making the context
 * one character longer (to the left) narrows the range of matching
 * suffixes by a binary search on one column; R[q] = text[nBase - 1 - q].
 * Memory: 2 bytes per character of text, 4 of suffix array, 4 per
 * character read online, plus a bounded cache of the counts of big ranges.
 */
export const MAX_MATCH = 256;
/** Order of the Kneser-Ney table under the suffix array's long contexts. */
export const BASE_ORDER = 4;
/** Match lengths where each band of discounts starts: the nodes above the table's contexts. */
const BANDS = [BASE_ORDER, 6, 12, 24];
const BAND_OF = Uint8Array.from({ length: MAX_MATCH + 1 }, (_, d) => BANDS.filter((start) => d >= start).length - 1);
export const DISCOUNT_COUNT = BANDS.length * 3;
/** Fitted on 50k characters of Linux kernel/'s validation split; fitDiscounts refits them for a workspace. */
const DEFAULT_DISCOUNTS = [0.7, 1.72, 2.8, 0.75, 1.44, 2.4, 0.78, 1.6, 3, 0.7, 0.96, 2.4];
/** Ranges of more occurrences than this have their counts cached, so frequent short contexts are counted once. */
const BIG_RANGE = 256;
const CACHE_ENTRIES = 1 << 15;

const FILE_MAGIC = 0x41534c43; // 'CLSA' little-endian
const FILE_VERSION = 1;
const HEADER_WORDS = 4;

interface SparseCounts {
  symbols: Int32Array;
  counts: Int32Array;
}

/** Text read beside the model's own, searched with it but never part of it: a document's text before the cursor (see DocumentNgrams). */
export interface SideText {
  readonly ids: ArrayLike<number>;
  readonly index: RecentIndex;
}

/** The context's suffix-tree path after a query: node k has its match depth, its counts (sparse) and their sums. */
export class MatchPath {
  count = 0;
  depth: number[] = [];
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

  /** Appends a node from the symbols `touched` with their counts in `dense`, which it zeroes. */
  push(depth: number, dense: Float64Array, touched: number[]): void {
    const k = this.count++;
    this.depth[k] = depth;
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

  /** The deepest node's match length, 0 when nothing matched. */
  get longest(): number {
    return this.count > 0 ? this.depth[this.count - 1] : 0;
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
  /** The last query's path (shallow to deep): features for the mixer. */
  readonly path = new MatchPath();
  // Scratch of a query.
  private readonly pathLo: number[] = [];
  private readonly pathHi: number[] = [];
  private readonly pathDepth: number[] = [];
  private readonly dense: Float64Array;
  private readonly touched: number[] = [];
  private readonly saNodes: SparseCounts[] = [];
  private readonly recentLength: number[] = [];
  private readonly recentNext: number[] = [];

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
  }

  /** Sorts the suffixes of `ids` (seconds for 10 MB). */
  static build(ids: ArrayLike<number>, options: { vocabSize: number; discounts?: ArrayLike<number> }): SuffixNgram {
    const text = new Uint16Array(Math.max(1024, ids.length));
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < options.vocabSize)) throw new Error(`Symbol ${ids[i]} is outside the n-gram vocabulary 0..${options.vocabSize - 1}`);
      text[i] = ids[i];
    }
    const base = NgramModel.build(ids, { order: BASE_ORDER, vocabSize: options.vocabSize });
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

  /** Reads `ids` after the text it knows, online. */
  learnSequence(ids: ArrayLike<number>): void {
    this.base.learnSequence(ids);
    for (let i = 0; i < ids.length; i++) this.learnSymbol(ids[i]);
  }

  /** P(ids[i] | ids[0..i)) for i >= from; online, each symbol is read right after it is scored. */
  score(ids: ArrayLike<number>, options: { online?: boolean; from?: number } = {}): Float32Array {
    const from = options.from ?? 0;
    // The table reads (online) exactly what this model reads, so it can score the whole text first.
    const out = this.base.score(ids, options);
    for (let i = from; i < ids.length; i++) {
      out[i - from] = this.interpolate(ids, i, ids[i], out[i - from]);
      if (options.online) this.learnSymbol(ids[i]);
    }
    return out;
  }

  /** P(symbol | context), `side` text searched too. */
  probability(context: ArrayLike<number>, symbol: number, side?: SideText): number {
    return this.interpolate(context, context.length, symbol, this.base.probability(context, symbol), side);
  }

  /** P(symbol | context[0..end)) from the table's estimate `p` and the long matches above it. */
  private interpolate(context: ArrayLike<number>, end: number, symbol: number, p: number, side?: SideText): number {
    this.query(context, end, side);
    const path = this.path;
    for (let k = 0; k < path.count; k++) {
      const c = path.countOf(k, symbol);
      p = (c > 0 ? c - this.discount(path.depth[k], c) : 0) / path.total[k] + this.backoffShare(k) * p;
    }
    return p;
  }

  /** P(. | context) over the vocabulary, `side` text searched too; `path` then describes the match. */
  distribution(context: ArrayLike<number>, out: Float32Array = new Float32Array(this.vocabSize), side?: SideText): Float32Array {
    this.query(context, context.length, side);
    const V = this.vocabSize;
    const p = Float64Array.from(this.base.distribution(context));
    const path = this.path;
    for (let k = 0; k < path.count; k++) {
      const share = this.backoffShare(k);
      for (let w = 0; w < V; w++) p[w] *= share;
      const end = k + 1 < path.count ? path.start[k + 1] : path.symbols.length;
      for (let i = path.start[k]; i < end; i++) p[path.symbols[i]] += (path.counts[i] - this.discount(path.depth[k], path.counts[i])) / path.total[k];
    }
    out.set(p);
    return out;
  }

  /**
   * Refits the discounts on held-out text (static: the model does not read
   * it), by coordinate search on the held-out log-likelihood; the counts of
   * each position's path are gathered once, so each trial costs a pass over
   * small arrays. Returns the nats/char before and after.
   */
  fitDiscounts(heldOut: ArrayLike<number>): { before: number; after: number } {
    const rows = this.pathStatistics(heldOut);
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

  /** The suffix array, text and discounts; text read online is sorted in first. */
  toBuffer(): Buffer {
    this.compact();
    const n = this.length;
    const textBytes = Math.ceil((n * 2) / 4) * 4;
    const base = this.base.toBuffer();
    const out = Buffer.alloc(HEADER_WORDS * 4 + DISCOUNT_COUNT * 8 + textBytes + n * 4 + base.length);
    const words = new Uint32Array(out.buffer, out.byteOffset, HEADER_WORDS);
    words.set([FILE_MAGIC, FILE_VERSION, this.vocabSize, n]);
    let at = HEADER_WORDS * 4;
    out.set(new Uint8Array(this.discounts.buffer), at);
    at += DISCOUNT_COUNT * 8;
    out.set(new Uint8Array(this.text.buffer, 0, n * 2), at);
    at += textBytes;
    out.set(new Uint8Array(this.sa.buffer, this.sa.byteOffset, n * 4), at);
    out.set(base, at + n * 4);
    return out;
  }

  static isBuffer(bytes: Uint8Array): boolean {
    return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === FILE_MAGIC;
  }

  static fromBuffer(bytes: Uint8Array): SuffixNgram {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < HEADER_WORDS * 4 || view.getUint32(0, true) !== FILE_MAGIC) throw new Error('Not a CharLens suffix-array n-gram');
    const version = view.getUint32(4, true);
    if (version !== FILE_VERSION) throw new Error(`CharLens suffix-array n-gram version ${version}; this CharLens reads version ${FILE_VERSION}`);
    const vocabSize = view.getUint32(8, true);
    const n = view.getUint32(12, true);
    const textBytes = Math.ceil((n * 2) / 4) * 4;
    let at = HEADER_WORDS * 4;
    if (bytes.byteLength < at + DISCOUNT_COUNT * 8 + textBytes + n * 4) throw new Error('CharLens suffix-array n-gram is truncated or corrupt');
    // Copies: the typed arrays need aligned offsets, and the text grows as the model reads.
    const copy = (from: number, to: number) => new Uint8Array(bytes.subarray(from, to)).buffer;
    const discounts = new Float64Array(copy(at, at + DISCOUNT_COUNT * 8));
    at += DISCOUNT_COUNT * 8;
    const text = new Uint16Array(Math.max(1024, n));
    text.set(new Uint16Array(copy(at, at + n * 2)));
    at += textBytes;
    const sa = new Int32Array(copy(at, at + n * 4));
    for (let i = 0; i < n; i++) if (!(text[i] < vocabSize) || !(sa[i] >= 0 && sa[i] < n)) throw new Error('CharLens suffix-array n-gram is corrupt');
    const base = NgramModel.fromBuffer(bytes.subarray(at + n * 4));
    if (base.vocabSize !== vocabSize) throw new Error('CharLens suffix-array n-gram is corrupt');
    return new SuffixNgram(vocabSize, text, sa, discounts, base);
  }

  save(file: string): void {
    writeFileAtomic(file, this.toBuffer());
  }

  static load(file: string): SuffixNgram {
    return SuffixNgram.fromBuffer(fs.readFileSync(file));
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
    return this.discounts[BAND_OF[Math.min(depth, MAX_MATCH)] * 3 + Math.min(c, 3) - 1];
  }

  /** The share of node k's mass handed to the node above it. */
  private backoffShare(k: number): number {
    const { path } = this;
    const band = BAND_OF[Math.min(path.depth[k], MAX_MATCH)] * 3;
    const d = this.discounts;
    return (d[band] * path.n1[k] + d[band + 1] * path.n2[k] + d[band + 2] * path.n3[k]) / path.total[k];
  }

  /** Fills `path` for the context context[0..end): the suffix array's nodes and the recent (and side) text's matches, merged by depth. */
  private query(context: ArrayLike<number>, end: number, side?: SideText): void {
    this.findRange(context, end);
    this.countRanges();
    this.recentLength.length = 0;
    this.recentNext.length = 0;
    this.recent.matches(this.text, context, end, MAX_MATCH, (length, j) => {
      this.recentLength.push(length);
      this.recentNext.push(this.text[j]);
    });
    side?.index.matches(side.ids, context, end, MAX_MATCH, (length, j) => {
      this.recentLength.push(length);
      this.recentNext.push(side.ids[j]);
    });
    // One node per distinct depth where the suffix array's node or the set of recent matches changes.
    const depths = [...new Set([...this.pathDepth, ...this.recentLength])].filter((d) => d >= BASE_ORDER).sort((a, b) => a - b);
    const { dense, touched, path } = this;
    path.clear();
    let node = 0;
    for (const depth of depths) {
      while (node < this.pathDepth.length && this.pathDepth[node] < depth) node++;
      if (node < this.pathDepth.length) {
        const { symbols, counts } = this.saNodes[node];
        for (let i = 0; i < symbols.length; i++) {
          if (dense[symbols[i]] === 0) touched.push(symbols[i]);
          dense[symbols[i]] += counts[i];
        }
      }
      for (let r = 0; r < this.recentLength.length; r++) {
        if (this.recentLength[r] < depth) continue;
        const w = this.recentNext[r];
        if (dense[w] === 0) touched.push(w);
        dense[w]++;
      }
      path.push(depth, dense, touched);
    }
  }

  /** The suffix array's ranges for ever longer ends of the context: pathLo/pathHi/pathDepth, one per distinct range. */
  private findRange(context: ArrayLike<number>, end: number): void {
    const { sa, text, nBase } = this;
    this.pathLo.length = this.pathHi.length = this.pathDepth.length = 0;
    const key = (i: number, d: number) => (sa[i] + d < nBase ? text[nBase - 1 - sa[i] - d] : -1);
    const limit = Math.min(MAX_MATCH, end);
    let lo = 0;
    let hi = nBase;
    let d = 0;
    while (d < limit) {
      const x = context[end - 1 - d];
      if (hi - lo === 1) {
        // One occurrence left: follow it character by character.
        const p = sa[lo];
        while (d < limit && p + d < nBase && text[nBase - 1 - p - d] === context[end - 1 - d]) d++;
        break;
      }
      let a = lo;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (key(mid, d) < x) a = mid + 1;
        else b = mid;
      }
      const newLo = a;
      b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (key(mid, d) <= x) a = mid + 1;
        else b = mid;
      }
      if (a === newLo) break;
      if (d > 0 && a - newLo !== hi - lo) this.pushRange(lo, hi, d);
      lo = newLo;
      hi = a;
      d++;
    }
    if (d > 0) this.pushRange(lo, hi, d);
  }

  private pushRange(lo: number, hi: number, depth: number): void {
    this.pathLo.push(lo);
    this.pathHi.push(hi);
    this.pathDepth.push(depth);
  }

  /**
   * Counts what followed each range's occurrences, deepest first: a range
   * holds the one inside it, so only its two flanks are new. Big ranges
   * come from the cache instead.
   */
  private countRanges(): void {
    const { dense, touched, pathLo, pathHi } = this;
    const n = pathLo.length;
    this.saNodes.length = n;
    for (let k = n - 1; k >= 0; k--) {
      const lo = pathLo[k];
      const hi = pathHi[k];
      if (hi - lo > BIG_RANGE) {
        for (const w of touched) dense[w] = 0;
        touched.length = 0;
        for (; k >= 0; k--) this.saNodes[k] = this.cache.obtain(pathLo[k] * (this.nBase + 1) + pathHi[k], () => this.countRange(pathLo[k], pathHi[k]));
        return;
      }
      if (k === n - 1) this.addFollowers(lo, hi);
      else {
        this.addFollowers(lo, pathLo[k + 1]);
        this.addFollowers(pathHi[k + 1], hi);
      }
      this.saNodes[k] = this.snapshot();
    }
    for (const w of touched) dense[w] = 0;
    touched.length = 0;
  }

  /** The counts of a whole range (the scratch is clear when this runs). */
  private countRange(lo: number, hi: number): SparseCounts {
    this.addFollowers(lo, hi);
    const counts = this.snapshot();
    for (const w of this.touched) this.dense[w] = 0;
    this.touched.length = 0;
    return counts;
  }

  /** Adds the symbol after each occurrence in sa[lo..hi) to `dense`; the occurrence at the very end is followed by online text, which RecentIndex counts. */
  private addFollowers(lo: number, hi: number): void {
    const { sa, text, nBase, dense, touched } = this;
    for (let i = lo; i < hi; i++) {
      const p = sa[i];
      if (p === 0) continue;
      const w = text[nBase - p];
      if (dense[w] === 0) touched.push(w);
      dense[w]++;
    }
  }

  private snapshot(): SparseCounts {
    const live = this.touched.filter((w) => this.dense[w] > 0);
    return { symbols: Int32Array.from(live), counts: Int32Array.from(live, (w) => this.dense[w]) };
  }

  /** Per held-out position, what the target's probability needs from each node, for fitDiscounts. */
  private pathStatistics(ids: ArrayLike<number>): { nats: (discounts: Float64Array) => number } {
    const rows: number[] = []; // per position: node count, then per node band, c, total, n1, n2, n3
    const roots = this.base.score(ids);
    for (let i = 0; i < ids.length; i++) {
      this.query(ids, i);
      const { path } = this;
      rows.push(path.count);
      for (let k = 0; k < path.count; k++) rows.push(BAND_OF[Math.min(path.depth[k], MAX_MATCH)] * 3, path.countOf(k, ids[i]), path.total[k], path.n1[k], path.n2[k], path.n3[k]);
    }
    return {
      nats: (d) => {
        let sum = 0;
        let at = 0;
        for (let i = 0; i < roots.length; i++) {
          let p = roots[i];
          const nodes = rows[at++];
          for (let k = 0; k < nodes; k++, at += 6) {
            const band = rows[at];
            const c = rows[at + 1];
            const total = rows[at + 2];
            const share = (d[band] * rows[at + 3] + d[band + 1] * rows[at + 4] + d[band + 2] * rows[at + 5]) / total;
            p = (c > 0 ? c - d[band + Math.min(c, 3) - 1] : 0) / total + share * p;
          }
          sum -= Math.log(p);
        }
        return sum / Math.max(1, roots.length);
      },
    };
  }
}

/** The suffix array of text[0..n) read backwards. */
function sortReversed(text: Uint16Array, n: number, vocabSize: number): Int32Array {
  const reversed = new Int32Array(n);
  for (let i = 0; i < n; i++) reversed[i] = text[n - 1 - i];
  return buildSuffixArray(reversed, vocabSize - 1);
}
