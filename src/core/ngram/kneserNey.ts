import { NgramFileError } from './ngramFileError';
import { COUNT, CountTable, ONES_TWOS, RECORD_WORDS, THREE_PLUS, TOTAL } from './countTable';
import { modifiedKneserNeyDiscounts } from './discounts';
import { EMPTY_HASH_HI, EMPTY_HASH_LO, foldHi, foldLo } from './stringHash';

export const DEFAULT_NGRAM_ORDER = 10;
export const MAX_NGRAM_ORDER = 64;
/** A context's children with count 1 and 2 share one uint32, so at most 65535 symbols. */
export const MAX_NGRAM_VOCABULARY = 0xffff;

export interface NgramOptions {
  /** Longest n-gram: the model looks at order - 1 symbols of context. */
  order?: number;
  /** Symbols are the ids 0..vocabSize-1, e.g. a Vocabulary's. */
  vocabSize: number;
  /**
   * Predict from the orders below the top one only, which all hold
   * continuation counts: the root of a longer-context model that stands in
   * for the top order (the suffix-array n-gram). The top order is still
   * counted, since the order below takes its continuation counts from it.
   */
  continuationRoot?: boolean;
}

const FILE_MAGIC = 0x474e4c43; // 'CLNG' little-endian
const FILE_VERSION = 1;
const HEADER_WORDS = 5;

/**
 * Character n-gram model with interpolated modified Kneser-Ney smoothing
 * (Chen & Goodman): per order, discounts D1, D2, D3+ from that order's
 * count-of-counts; the top order uses raw counts, lower orders continuation
 * counts N1+(. h w); everything interpolates down to a uniform distribution
 * over the vocabulary.
 *
 * One hash table holds every string of length <= order: its own count at
 * its order, and as a context the total and the number of children with
 * count 1, 2, 3+ at the next order. Text starts are padded with a symbol
 * outside the vocabulary, so every n-gram has a left neighbour and the
 * counts need no special case there.
 *
 * The model learns online as well: `learn` and `score(ids, {online: true})`
 * update the counts exactly as building would, so a model that reads the
 * text it predicts behaves like a compressor's model, and the discounts
 * follow the updated count-of-counts.
 */
export class NgramModel {
  readonly order: number;
  readonly vocabSize: number;
  /** The highest order that predicts: `order`, or one less for a continuation root. */
  private readonly predictingOrder: number;
  private readonly padding: number;
  private readonly table: CountTable;
  /** [k * 5 + c]: n-grams of order k with count c, c = 1..4. */
  private readonly countOfCounts: Uint32Array;
  /** [k * 3 + c - 1]: discount D_c of order k. */
  private readonly discounts: Float64Array;
  private discountsStale = true;
  // Keys of the strings around the current position. [k] is, for order k,
  // the context (the last k - 1 symbols) and the n-gram (those, then the next symbol).
  private readonly contextLo: Uint32Array;
  private readonly contextHi: Uint32Array;
  private readonly gramLo: Uint32Array;
  private readonly gramHi: Uint32Array;
  // Their records' offsets once looked up (-1 before), valid in table generation `offsetsGeneration`.
  // Walking a text, this position's n-grams are the next one's contexts, so each record is looked up once.
  private readonly contextOffset: Int32Array;
  private readonly gramOffset: Int32Array;
  private offsetsGeneration = 0;
  // Scratch of distribution(): each symbol's mass and the key of its n-gram at the current order.
  private readonly mass: Float64Array;
  private readonly candidateLo: Uint32Array;
  private readonly candidateHi: Uint32Array;
  private readonly candidates: Int32Array;

  private constructor(options: NgramOptions, table = new CountTable()) {
    const order = options.order ?? DEFAULT_NGRAM_ORDER;
    const V = options.vocabSize;
    if (!Number.isInteger(order) || order < 1 || order > MAX_NGRAM_ORDER) throw new Error(`n-gram order must be an integer from 1 to ${MAX_NGRAM_ORDER}, got ${order}`);
    if (!Number.isInteger(V) || V < 1 || V > MAX_NGRAM_VOCABULARY) throw new Error(`n-gram vocabulary size must be an integer from 1 to ${MAX_NGRAM_VOCABULARY}, got ${V}`);
    this.order = order;
    this.predictingOrder = options.continuationRoot ? order - 1 : order;
    this.vocabSize = V;
    this.padding = V;
    this.table = table;
    this.countOfCounts = new Uint32Array((order + 1) * 5);
    this.discounts = new Float64Array((order + 1) * 3);
    this.contextLo = new Uint32Array(order + 1);
    this.contextHi = new Uint32Array(order + 1);
    this.gramLo = new Uint32Array(order + 1);
    this.gramHi = new Uint32Array(order + 1);
    this.contextOffset = new Int32Array(order + 1);
    this.gramOffset = new Int32Array(order + 1);
    this.mass = new Float64Array(V);
    this.candidateLo = new Uint32Array(V);
    this.candidateHi = new Uint32Array(V);
    this.candidates = new Int32Array(V);
  }

  /** An empty model: every distribution is uniform until it learns. */
  static create(options: NgramOptions): NgramModel {
    return new NgramModel(options);
  }

  /** Counts `ids` as one text. */
  static build(ids: ArrayLike<number>, options: NgramOptions): NgramModel {
    const model = new NgramModel(options);
    model.learnSequence(ids);
    return model;
  }

  /**
   * A model that starts with these counts and changes apart from them
   * (copy on read, see CountTable): for a leave-one-out view that unlearns
   * a text while this model goes on answering with it.
   */
  overlay(expectedEntries = 1024): NgramModel {
    const view = new NgramModel({ order: this.order, vocabSize: this.vocabSize, continuationRoot: this.predictingOrder < this.order }, new CountTable(expectedEntries, this.table));
    view.countOfCounts.set(this.countOfCounts);
    return view;
  }

  /** Distinct strings stored (all orders, contexts included). */
  get label(): string {
    return `order-${this.order} Kneser-Ney n-gram`;
  }

  get entries(): number {
    return this.table.size;
  }

  /** Memory held by the counts. */
  get bytes(): number {
    return this.table.bytes;
  }

  /** Counts every symbol of `ids` after the ones before it, as one text. */
  learnSequence(ids: ArrayLike<number>): void {
    this.checkSymbols(ids);
    this.computeContextKeys(ids, 0);
    for (let i = 0; i < ids.length; i++) {
      this.computeGramKeys(ids, i, ids[i]);
      this.learnKeys();
      this.shiftContext();
    }
  }

  /**
   * Probability of each ids[i] given ids[0..i), as a Float32Array. Online, the
   * model counts each symbol right after predicting it (and keeps what it learned).
   * With `from`, only ids[from..] are scored, the ones before being their
   * context: a text read in pieces scores as one text.
   */
  score(ids: ArrayLike<number>, options: { online?: boolean; from?: number } = {}): Float32Array {
    this.checkSymbols(ids);
    const from = options.from ?? 0;
    const out = new Float32Array(ids.length - from);
    this.computeContextKeys(ids, from);
    for (let i = from; i < ids.length; i++) {
      this.computeGramKeys(ids, i, ids[i]);
      out[i - from] = this.probabilityOfKeys();
      if (options.online) this.learnKeys();
      this.shiftContext();
    }
    return out;
  }

  /** P(symbol | context); `context` is the text before it, of which the last order - 1 symbols count. */
  probability(context: ArrayLike<number>, symbol: number): number {
    this.checkSymbol(symbol);
    this.computeContextKeys(context, context.length);
    this.computeGramKeys(context, context.length, symbol);
    return this.probabilityOfKeys();
  }

  /** Counts `symbol` after `context`. */
  learn(context: ArrayLike<number>, symbol: number): void {
    this.checkSymbol(symbol);
    this.computeContextKeys(context, context.length);
    this.computeGramKeys(context, context.length, symbol);
    this.learnKeys();
  }

  /** Uncounts ids[from..to) after the symbols before them, as learnSequence counted them: the counts become those of a model that never read them. */
  unlearnRange(ids: ArrayLike<number>, from: number, to: number): void {
    this.checkSymbols(ids);
    this.computeContextKeys(ids, from);
    for (let i = from; i < to; i++) {
      this.computeGramKeys(ids, i, ids[i]);
      this.unlearnKeys();
      this.shiftContext();
    }
  }

  /** P(. | context) over the whole vocabulary; sums to 1. */
  distribution(context: ArrayLike<number>, out = new Float32Array(this.vocabSize)): Float32Array {
    const V = this.vocabSize;
    const { mass, candidateLo, candidateHi, candidates } = this;
    this.ensureDiscounts();
    this.computeContextKeys(context, context.length);
    mass.fill(1 / V);
    let alive = V;
    for (let w = 0; w < V; w++) {
      candidates[w] = w;
      candidateLo[w] = foldLo(EMPTY_HASH_LO, w);
      candidateHi[w] = foldHi(EMPTY_HASH_HI, candidateLo[w], w);
    }
    for (let k = 1; k <= this.predictingOrder; k++) {
      const oc = this.table.find(this.contextLo[k], this.contextHi[k]);
      if (oc < 0 || this.table.records[oc + TOTAL] === 0) break;
      const total = this.table.records[oc + TOTAL];
      const scale = this.backoffMass(k, oc) / total;
      for (let w = 0; w < V; w++) mass[w] *= scale;
      const at = context.length - k + 1;
      const symbol = at >= 0 ? context[at] : this.padding;
      // Only symbols seen after the shorter context can have been seen after this one.
      let kept = 0;
      for (let j = 0; j < alive; j++) {
        const w = candidates[j];
        if (k > 1) {
          const lo = foldLo(candidateLo[w], symbol);
          candidateHi[w] = foldHi(candidateHi[w], lo, symbol);
          candidateLo[w] = lo;
        }
        const o = this.table.find(candidateLo[w], candidateHi[w]);
        // Read after the lookup: an overlay's table grows as it copies records in.
        const c = o < 0 ? 0 : this.table.records[o + COUNT];
        if (c === 0) continue;
        mass[w] += (c - this.discount(k, c)) / total;
        candidates[kept++] = w;
      }
      alive = kept;
    }
    out.set(mass);
    return out;
  }

  /** The counts in a Buffer that `fromBuffer` reads back: uint32 words in the machine's byte order (little-endian wherever Node runs). */
  toBuffer(): Buffer {
    const coc = this.countOfCounts;
    const words = new Uint32Array(HEADER_WORDS + coc.length + this.table.size * RECORD_WORDS);
    words.set([FILE_MAGIC, FILE_VERSION, this.order, this.vocabSize, this.table.size]);
    words.set(coc, HEADER_WORDS);
    let at = HEADER_WORDS + coc.length;
    const r = this.table.records;
    this.table.forEach((o) => {
      words.set(r.subarray(o, o + RECORD_WORDS), at);
      at += RECORD_WORDS;
    });
    return Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  }

  static fromBuffer(bytes: Uint8Array): NgramModel {
    // Copy if unaligned: a Uint32Array view needs a multiple-of-4 offset.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
    const words = new Uint32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
    if (words.length < HEADER_WORDS || words[0] !== FILE_MAGIC) throw new NgramFileError('Not a CharLens n-gram model');
    if (words[1] !== FILE_VERSION) throw new NgramFileError(`CharLens n-gram model version ${words[1]}; this CharLens reads version ${FILE_VERSION}`);
    const [order, vocabSize, entries] = [words[2], words[3], words[4]];
    if (!(order >= 1 && order <= MAX_NGRAM_ORDER && vocabSize >= 1 && vocabSize <= MAX_NGRAM_VOCABULARY)) throw new NgramFileError(`CharLens n-gram model is corrupt (order ${order}, vocabulary ${vocabSize})`);
    const cocWords = (order + 1) * 5;
    if (aligned.byteLength !== (HEADER_WORDS + cocWords + entries * RECORD_WORDS) * 4) throw new NgramFileError('CharLens n-gram model is truncated or corrupt');
    const model = new NgramModel({ order, vocabSize }, new CountTable(entries));
    model.countOfCounts.set(words.subarray(HEADER_WORDS, HEADER_WORDS + cocWords));
    const records = words.subarray(HEADER_WORDS + cocWords);
    for (let o = 0; o < records.length; o += RECORD_WORDS) model.table.insertRecord(records, o);
    return model;
  }


  /** Keys of the contexts of every order at position `end` of `text`. */
  private computeContextKeys(text: ArrayLike<number>, end: number): void {
    this.computeKeys(text, end, EMPTY_HASH_LO, EMPTY_HASH_HI, this.contextLo, this.contextHi, this.contextOffset);
  }

  /** Keys of the n-grams of every order that end in `symbol` at position `end` of `text`. */
  private computeGramKeys(text: ArrayLike<number>, end: number, symbol: number): void {
    const lo = foldLo(EMPTY_HASH_LO, symbol);
    this.computeKeys(text, end, lo, foldHi(EMPTY_HASH_HI, lo, symbol), this.gramLo, this.gramHi, this.gramOffset);
  }

  /** From the order-1 key (lo, hi), each next order's key folds in one more symbol before `end` (padding before the text). */
  private computeKeys(text: ArrayLike<number>, end: number, lo: number, hi: number, los: Uint32Array, his: Uint32Array, offsets: Int32Array): void {
    offsets.fill(-1);
    los[1] = lo;
    his[1] = hi;
    for (let k = 2; k <= this.order; k++) {
      const at = end - k + 1;
      const symbol = at >= 0 ? text[at] : this.padding;
      lo = foldLo(lo, symbol);
      hi = foldHi(hi, lo, symbol);
      los[k] = lo;
      his[k] = hi;
    }
  }

  /** Moves the contexts one position on: the next contexts are this position's n-grams (order 1's is always empty). */
  private shiftContext(): void {
    for (let k = this.order; k >= 2; k--) {
      this.contextLo[k] = this.gramLo[k - 1];
      this.contextHi[k] = this.gramHi[k - 1];
      this.contextOffset[k] = this.gramOffset[k - 1];
    }
  }

  private contextRecord(k: number, insert: boolean): number {
    let o = this.contextOffset[k];
    if (o < 0) {
      o = this.lookUp(this.contextLo[k], this.contextHi[k], insert);
      this.contextOffset[k] = o;
    }
    return o;
  }

  private gramRecord(k: number, insert: boolean): number {
    let o = this.gramOffset[k];
    if (o < 0) {
      o = this.lookUp(this.gramLo[k], this.gramHi[k], insert);
      this.gramOffset[k] = o;
    }
    return o;
  }

  private lookUp(lo: number, hi: number, insert: boolean): number {
    const o = insert ? this.table.findOrInsert(lo, hi) : this.table.find(lo, hi);
    if (this.table.generation !== this.offsetsGeneration) {
      this.contextOffset.fill(-1);
      this.gramOffset.fill(-1);
      this.offsetsGeneration = this.table.generation;
    }
    return o;
  }

  private probabilityOfKeys(): number {
    this.ensureDiscounts();
    let p = 1 / this.vocabSize;
    let seen = true;
    for (let k = 1; k <= this.predictingOrder; k++) {
      const oc = this.contextRecord(k, false);
      // A context never seen means no longer one was either.
      if (oc < 0 || this.table.records[oc + TOTAL] === 0) break;
      let own = 0;
      if (seen) {
        const o = this.gramRecord(k, false);
        // Records are read after the lookups: an overlay's table grows (moving them) as it copies records in.
        const c = o < 0 ? 0 : this.table.records[o + COUNT];
        if (c === 0) seen = false;
        else own = c - this.discount(k, c);
      }
      const context = this.contextRecord(k, false);
      p = (own + this.backoffMass(k, context) * p) / this.table.records[context + TOTAL];
    }
    return p;
  }

  /** D1, D2 or D3+ of order k for a count c >= 1. */
  private discount(k: number, c: number): number {
    return this.discounts[k * 3 + Math.min(c, 3) - 1];
  }

  /** The discounted mass a context of order k hands down: D1 n1 + D2 n2 + D3+ n3+. */
  private backoffMass(k: number, contextOffset: number): number {
    const r = this.table.records;
    const onesTwos = r[contextOffset + ONES_TWOS];
    const d = this.discounts;
    return d[k * 3] * (onesTwos & 0xffff) + d[k * 3 + 1] * (onesTwos >>> 16) + d[k * 3 + 2] * r[contextOffset + THREE_PLUS];
  }

  /**
   * Counts the n-gram whose keys are current: the top order's raw count
   * rises; a lower order's continuation count rises only when the n-gram one
   * order up was new (it has a new left neighbour), so the descent stops at
   * the first n-gram already seen.
   */
  private learnKeys(): void {
    const coc = this.countOfCounts;
    for (let k = this.order; k >= 1; k--) {
      const o = this.gramRecord(k, true);
      const c = this.table.records[o + COUNT]++;
      if (c <= 4 && c > 0) coc[k * 5 + c]--;
      if (c < 4) coc[k * 5 + c + 1]++;
      const oc = this.contextRecord(k, true);
      const r = this.table.records;
      r[oc + TOTAL]++;
      if (c === 0) r[oc + ONES_TWOS] += 1;
      else if (c === 1) r[oc + ONES_TWOS] += 0x10000 - 1;
      else if (c === 2) {
        r[oc + ONES_TWOS] -= 0x10000;
        r[oc + THREE_PLUS]++;
      }
      if (c > 0) break;
    }
    this.discountsStale = true;
  }

  /**
   * learnKeys undone: the top order's raw count falls, and a lower order's
   * continuation count falls only when the n-gram one order up is gone (it
   * has lost its last left neighbour), so the descent stops at the first
   * n-gram still seen.
   */
  private unlearnKeys(): void {
    const coc = this.countOfCounts;
    for (let k = this.order; k >= 1; k--) {
      const o = this.gramRecord(k, true);
      const c = this.table.records[o + COUNT];
      if (c === 0) throw new Error('unlearn: the n-gram was never counted');
      this.table.records[o + COUNT] = c - 1;
      if (c <= 4) coc[k * 5 + c]--;
      if (c >= 2 && c <= 5) coc[k * 5 + c - 1]++;
      const oc = this.contextRecord(k, true);
      const r = this.table.records;
      r[oc + TOTAL]--;
      if (c === 1) r[oc + ONES_TWOS] -= 1;
      else if (c === 2) r[oc + ONES_TWOS] -= 0x10000 - 1;
      else if (c === 3) {
        r[oc + ONES_TWOS] += 0x10000;
        r[oc + THREE_PLUS]--;
      }
      if (c > 1) break;
    }
    this.discountsStale = true;
  }

  private ensureDiscounts(): void {
    if (!this.discountsStale) return;
    const coc = this.countOfCounts;
    for (let k = 1; k <= this.order; k++) {
      modifiedKneserNeyDiscounts(coc[k * 5 + 1], coc[k * 5 + 2], coc[k * 5 + 3], coc[k * 5 + 4], this.discounts, k * 3);
    }
    this.discountsStale = false;
  }

  private checkSymbol(symbol: number): void {
    if (!Number.isInteger(symbol) || symbol < 0 || symbol >= this.vocabSize) throw new Error(`Symbol ${symbol} is outside the n-gram vocabulary 0..${this.vocabSize - 1}`);
  }

  private checkSymbols(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < this.vocabSize)) this.checkSymbol(ids[i]);
    }
  }
}
