/**
 * What one pass over a sample keeps of every cell's activation in [-1, 1]
 * without keeping the [chars, cells] matrix: a histogram, with per bin how
 * many of its characters had each feature on and one example position,
 * reservoir-sampled so that every character of the bin is as likely. From it:
 * the cell's mean, its quantiles with an example character at each, and the
 * precision of a feature among the cell's most extreme 1%. Memory is
 * cells x bins x (features + 3) numbers, whatever the sample's length.
 */
export const BINS = 512;

export interface Example {
  /** Code point index in the sample. */
  at: number;
  value: number;
}

export class ActivationSketch {
  private n = 0;
  private readonly counts: Uint32Array; // [cells, BINS]
  private readonly onCounts: Uint32Array; // [features, cells, BINS]
  private readonly onTotals: Float64Array; // [features]
  private readonly examples: Int32Array; // [cells, BINS]
  private readonly exampleValues: Float32Array; // [cells, BINS]
  private readonly sums: Float64Array; // [cells]
  private readonly bins: Int32Array; // this character's bin per cell
  private seed = 0x9e3779b9;

  constructor(
    readonly cells: number,
    readonly features: number,
  ) {
    this.counts = new Uint32Array(cells * BINS);
    this.onCounts = new Uint32Array(features * cells * BINS);
    this.onTotals = new Float64Array(features);
    this.examples = new Int32Array(cells * BINS);
    this.exampleValues = new Float32Array(cells * BINS);
    this.sums = new Float64Array(cells);
    this.bins = new Int32Array(cells);
  }

  /** One character: every cell's activation `x`, whether each feature is on (`on[f]` is 0 or 1), its position. */
  add(x: ArrayLike<number>, on: ArrayLike<number>, at: number): void {
    this.n++;
    for (let cell = 0; cell < this.cells; cell++) {
      const k = cell * BINS + binOf(x[cell]);
      this.bins[cell] = k;
      this.sums[cell] += x[cell];
      const count = ++this.counts[k];
      // A reservoir of one: the count-th character of a bin replaces the example with probability 1/count.
      if (count === 1 || this.random() * count < 1) {
        this.examples[k] = at;
        this.exampleValues[k] = x[cell];
      }
    }
    for (let f = 0; f < this.features; f++) {
      if (!on[f]) continue;
      this.onTotals[f]++;
      const offset = f * this.cells * BINS;
      for (let cell = 0; cell < this.cells; cell++) this.onCounts[offset + this.bins[cell]]++;
    }
  }

  get chars(): number {
    return this.n;
  }

  mean(cell: number): number {
    return this.n > 0 ? this.sums[cell] / this.n : 0;
  }

  /** The fraction of all characters with feature `f` on. */
  baseRate(f: number): number {
    return this.n > 0 ? this.onTotals[f] / this.n : 0;
  }

  /**
   * Of the `fraction` of characters where the cell is most extreme in
   * `direction` (+1: highest, -1: lowest), the share with feature `f` on.
   * The bin at the boundary counts in proportion to the part of it taken.
   */
  precisionAtTop(cell: number, f: number, direction: 1 | -1, fraction = 0.01): number {
    const wanted = Math.max(1, fraction * this.n);
    const base = cell * BINS;
    const onBase = (f * this.cells + cell) * BINS;
    let taken = 0;
    let on = 0;
    for (let i = 0; i < BINS && taken < wanted; i++) {
      const b = direction > 0 ? BINS - 1 - i : i;
      const count = this.counts[base + b];
      if (count === 0) continue;
      const share = Math.min(1, (wanted - taken) / count);
      taken += share * count;
      on += share * this.onCounts[onBase + b];
    }
    return taken > 0 ? on / taken : NaN;
  }

  /** A character at the q-th quantile of the cell's activation (q in [0, 1]), within a bin's width. */
  quantileExample(cell: number, q: number): Example | undefined {
    const target = q * this.n;
    const base = cell * BINS;
    let below = 0;
    let last: number | undefined;
    for (let b = 0; b < BINS; b++) {
      const count = this.counts[base + b];
      if (count === 0) continue;
      last = base + b;
      below += count;
      if (below >= target) break;
    }
    return last === undefined ? undefined : { at: this.examples[last], value: this.exampleValues[last] };
  }

  /** xorshift32: fast enough to draw once per cell and character. */
  private random(): number {
    let s = this.seed;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.seed = s >>> 0;
    return this.seed / 0x100000000;
  }
}

const binOf = (value: number): number => Math.max(0, Math.min(BINS - 1, Math.floor(((value + 1) / 2) * BINS)));

/**
 * Per cell, the K highest and K lowest activations, at most one per block of
 * `block` characters, so that one long string does not fill every place.
 * `endBlock` also ends a block early (at a file's end, with an endless
 * `block`, to keep each file's strongest places).
 */
export class PeakActivations {
  private readonly blockHigh: Float32Array;
  private readonly blockHighAt: Int32Array;
  private readonly blockLow: Float32Array;
  private readonly blockLowAt: Int32Array;
  private readonly high: Example[][];
  private readonly low: Example[][];
  private inBlock = 0;

  constructor(
    readonly cells: number,
    readonly keep: number,
    readonly block: number,
  ) {
    this.blockHigh = new Float32Array(cells).fill(-Infinity);
    this.blockHighAt = new Int32Array(cells);
    this.blockLow = new Float32Array(cells).fill(Infinity);
    this.blockLowAt = new Int32Array(cells);
    this.high = Array.from({ length: cells }, () => []);
    this.low = Array.from({ length: cells }, () => []);
  }

  add(x: ArrayLike<number>, at: number): void {
    for (let cell = 0; cell < this.cells; cell++) {
      const v = x[cell];
      if (v > this.blockHigh[cell]) {
        this.blockHigh[cell] = v;
        this.blockHighAt[cell] = at;
      }
      if (v < this.blockLow[cell]) {
        this.blockLow[cell] = v;
        this.blockLowAt[cell] = at;
      }
    }
    if (++this.inBlock === this.block) this.endBlock();
  }

  /** Strongest first: highest values in `highest`, lowest in `lowest`. */
  peaks(cell: number): { highest: Example[]; lowest: Example[] } {
    this.endBlock();
    return { highest: this.high[cell], lowest: this.low[cell] };
  }

  endBlock(): void {
    if (this.inBlock === 0) return;
    this.inBlock = 0;
    for (let cell = 0; cell < this.cells; cell++) {
      insertKept(this.high[cell], { at: this.blockHighAt[cell], value: this.blockHigh[cell] }, this.keep, 1);
      insertKept(this.low[cell], { at: this.blockLowAt[cell], value: this.blockLow[cell] }, this.keep, -1);
      this.blockHigh[cell] = -Infinity;
      this.blockLow[cell] = Infinity;
    }
  }
}

/** Inserts into a list kept sorted (by value times `direction`, largest first) and at most `keep` long. */
function insertKept(list: Example[], item: Example, keep: number, direction: 1 | -1): void {
  const score = item.value * direction;
  if (list.length === keep && score <= list[keep - 1].value * direction) return;
  let i = list.length;
  while (i > 0 && list[i - 1].value * direction < score) i--;
  list.splice(i, 0, item);
  if (list.length > keep) list.pop();
}
