/**
 * Open-addressing hash table (linear probing) from a string's 64-bit hash,
 * given as two uint32 halves, to the n-gram statistics of that string. All
 * records live in one flat Uint32Array, so there is no object per entry, tens
 * of millions of entries fit in a few GB, and a lookup mostly touches a single
 * cache line.
 *
 * A record is RECORD_WORDS words: the key halves, then the fields below. The
 * all-zero key marks an empty slot; a real all-zero key is stored as (0, 1),
 * which merges it with that one other key: a 2^-64 chance per string.
 */
export const RECORD_WORDS = 6;
/** The string's own count at its order (raw at the top order, else a continuation count). */
export const COUNT = 2;
/** As a context: the sum of its children's counts. */
export const TOTAL = 3;
/** As a context: children with count 1 (low 16 bits) and count 2 (high 16 bits). */
export const ONES_TWOS = 4;
/** As a context: children with count 3 or more. */
export const THREE_PLUS = 5;

const MAX_LOAD = 0.75;

/** The all-zero key marks an empty slot, so a real one is stored as (0, 1). */
const storedHi = (lo: number, hi: number): number => ((lo | hi) === 0 ? 1 : hi);

export class CountTable {
  /** Replaced when the table grows: re-read it after every findOrInsert. */
  records: Uint32Array;
  /** Rises each time the table grows, which moves every record. */
  generation = 0;
  private mask: number;
  private used = 0;

  /**
   * `under`: a table this one reads through without changing it. A key
   * looked up here that `under` has is first copied here (copy on read), so
   * this table's records can be changed (a leave-one-out view, say) while
   * `under` answers everyone else as it was.
   */
  constructor(
    expectedEntries = 1024,
    private readonly under?: CountTable,
  ) {
    let capacity = 1024;
    while (capacity * MAX_LOAD < expectedEntries) capacity *= 2;
    this.records = new Uint32Array(capacity * RECORD_WORDS);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.used;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get bytes(): number {
    return this.records.byteLength;
  }

  /** Offset of the record for key (lo, hi) in `records`, or -1. */
  find(lo: number, hi: number): number {
    const key = storedHi(lo, hi);
    const o = this.slotOf(lo, key);
    if (this.records[o] === lo && this.records[o + 1] === key) return o;
    const below = this.under ? this.under.find(lo, hi) : -1;
    return below < 0 ? -1 : this.insertRecord(this.under!.records, below);
  }

  /** Offset of the record for key (lo, hi), inserting a zeroed one if absent (a copy of `under`'s if it has one). */
  findOrInsert(lo: number, hi: number): number {
    const found = this.find(lo, hi);
    return found >= 0 ? found : this.ownRecord(lo, storedHi(lo, hi));
  }

  /** This table's record for a stored key, a zeroed one inserted if absent. */
  private ownRecord(lo: number, hi: number): number {
    let o = this.slotOf(lo, hi);
    if (this.records[o] === lo && this.records[o + 1] === hi) return o;
    if (this.used + 1 > this.capacity * MAX_LOAD) {
      this.grow();
      o = this.slotOf(lo, hi);
    }
    this.records[o] = lo;
    this.records[o + 1] = hi;
    this.used++;
    return o;
  }

  /** Calls `visit` with the offset of every record. */
  forEach(visit: (offset: number) => void): void {
    const r = this.records;
    for (let o = 0; o < r.length; o += RECORD_WORDS) if ((r[o] | r[o + 1]) !== 0) visit(o);
  }

  /** Copies a record (key and fields) from another table's records; returns its offset here. */
  insertRecord(source: Uint32Array, offset: number): number {
    // The source's key is stored already (never all-zero).
    const o = this.ownRecord(source[offset], source[offset + 1]);
    this.records.set(source.subarray(offset + 2, offset + RECORD_WORDS), o + 2);
    return o;
  }

  /** Linear probing: the offset of the key's record, or of the empty slot where it belongs. */
  private slotOf(lo: number, hi: number): number {
    const r = this.records;
    let o = (lo & this.mask) * RECORD_WORDS;
    while (!(r[o] === lo && r[o + 1] === hi) && (r[o] | r[o + 1]) !== 0) {
      o += RECORD_WORDS;
      if (o === r.length) o = 0;
    }
    return o;
  }

  private grow(): void {
    const old = this.records;
    this.records = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    this.generation++;
    const r = this.records;
    for (let s = 0; s < old.length; s += RECORD_WORDS) {
      if ((old[s] | old[s + 1]) === 0) continue;
      const o = this.slotOf(old[s], old[s + 1]);
      for (let w = 0; w < RECORD_WORDS; w++) r[o + w] = old[s + w];
    }
  }
}
