/**
 * The online part of the suffix-array n-gram: text read after the suffix
 * array was built (the document being edited, the test text of a benchmark)
 * is indexed here as it arrives, in O(1) per character, instead of
 * rebuilding the array. As in LZ77 compressors' hash chains, every position
 * is filed under a hash of the MIN_MATCH symbols before it; a query walks
 * its context's chain, newest first, and measures how far each candidate
 * really matches. Matches shorter than MIN_MATCH are left to the
 * short-context table under the suffix array, which counts all of them.
 * 4 bytes per indexed character.
 */
export const MIN_MATCH = 4;
/** Newest candidates checked per query: a cache model favours recent text, and this bounds the time on repetitive text. */
export const MAX_CANDIDATES = 128;
/** Hash buckets (log2) for the text the model reads online; a document's index, capped in length, takes fewer. */
export const HASH_BITS = 18;

export class RecentIndex {
  private readonly head: Int32Array;
  /** [j - start]: the previous position with the same hash as position j, or -1. */
  private chain = new Int32Array(1024);
  private count = 0;

  /** Positions from `start` on (in the text the caller holds) are indexed. */
  constructor(
    readonly start: number,
    private readonly hashBits = HASH_BITS,
    /** Newest candidates checked per query; an index that must find every match (a few hundred positions) takes Infinity. */
    private readonly maxCandidates = MAX_CANDIDATES,
  ) {
    this.head = new Int32Array(1 << hashBits).fill(-1);
  }

  get bytes(): number {
    return this.head.byteLength + this.chain.byteLength;
  }

  /** Files position `j` of `text` (its next symbol text[j] is known, j >= start) under the MIN_MATCH symbols before it. */
  add(text: ArrayLike<number>, j: number): void {
    this.file(j >= MIN_MATCH ? hashBefore(text, j, this.hashBits) : -1, j);
  }

  /** Takes the next position without filing it: no match ends there (an index with such positions is never truncated). */
  passOver(): void {
    this.file(-1, this.start + this.count);
  }

  private file(h: number, j: number): void {
    if (this.count === this.chain.length) {
      const grown = new Int32Array(this.chain.length * 2);
      grown.set(this.chain);
      this.chain = grown;
    }
    this.chain[this.count++] = h < 0 ? -1 : this.head[h];
    if (h >= 0) this.head[h] = j;
  }

  /** Positions filed: `start` to `start + filed`. */
  get filed(): number {
    return this.count;
  }

  /**
   * Unfiles the positions from `end` on, newest first, as if they had never
   * been added (so an edited document is re-read, not counted twice): each
   * chain entry is the head its position replaced, so restoring it undoes
   * the add. `text` must still hold the symbols before those positions.
   */
  truncate(text: ArrayLike<number>, end: number): void {
    while (this.count > Math.max(0, end - this.start)) {
      const j = this.start + --this.count;
      if (j >= MIN_MATCH) this.head[hashBefore(text, j, this.hashBits)] = this.chain[this.count];
    }
  }

  /**
   * Calls `visit(length, j)` for the newest candidates j whose preceding
   * symbols match the end of `context` for `length` >= MIN_MATCH symbols
   * (at most maxLength); text[j] is what came next there.
   */
  matches(text: ArrayLike<number>, context: ArrayLike<number>, end: number, maxLength: number, visit: (length: number, j: number) => void): void {
    if (end < MIN_MATCH) return;
    let j = this.head[hashBefore(context, end, this.hashBits)];
    for (let checked = 0; j >= 0 && checked < this.maxCandidates; checked++) {
      let length = 0;
      while (length < maxLength && length < end && length < j && text[j - 1 - length] === context[end - 1 - length]) length++;
      if (length >= MIN_MATCH) visit(length, j);
      j = this.chain[j - this.start];
    }
  }
}

function hashBefore(s: ArrayLike<number>, end: number, bits: number): number {
  let h = 0x811c9dc5;
  for (let i = end - MIN_MATCH; i < end; i++) h = Math.imul(h ^ s[i], 0x01000193);
  return (h ^ (h >>> 15)) & ((1 << bits) - 1);
}
