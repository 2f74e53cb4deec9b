import { LruMap } from '../lruMap';
import { NgramModel } from './kneserNey';
import { RecentIndex } from './recentIndex';

/**
 * Leave-one-file-out for the suffix-array n-gram: a view of the model as if
 * stretches of its text (one training file's) had never been read, without
 * sorting anything again. The model's text T without them is T' (what was
 * before and after each stretch now adjacent), and the view answers as a
 * model built from T' would:
 * - an occurrence in the suffix array counts only if its window (the
 *   character before the context, the context, the follower) misses every
 *   stretch, since those are T's windows that T' has too;
 * - T''s windows that cross a seam (where a stretch was cut out) are not in
 *   T: they are read from `seams`, T' around each seam, as side text is
 *   (SuffixNgram.query), and only counts are continuation counts (distinct
 *   pairs), so a window found both there and in the array counts once;
 * - the short-context table is an overlay of the model's (copy on read)
 *   that unlearns T's windows touching a stretch and learns T''s crossing
 *   a seam.
 * Costs: the stretches' length in table updates and one pass over the
 * suffix array (candidatesOf) once, a binary search over the stretches per
 * occurrence of a small range counted; a big range's counts are the
 * model's (cached for every view) less what its left-out occurrences alone
 * brought, kept in a cache of the view's own.
 */
export class LeftOut {
  /** The counts of big ranges under this view (see SuffixNgram.continuationCounts), by suffix array index. */
  cache: LruMap<number, { symbols: Int32Array; counts: Int32Array }>;
  /** The suffix array that `candidates` and `cache` index. */
  private sortedFor?: Int32Array;
  private candidates: Int32Array = new Int32Array(0);

  constructor(
    readonly stretches: Stretches,
    readonly base: NgramModel,
    readonly seams: { ids: Uint16Array; index: RecentIndex },
    private readonly cacheEntries: number,
  ) {
    this.cache = new LruMap(cacheEntries);
  }

  /** Memory the view holds beside the model's: its counts' overlay, the seam text, the candidates and the cached counts. */
  get bytes(): number {
    let cached = 0;
    for (const [, { symbols, counts }] of this.cache) cached += symbols.byteLength + counts.byteLength;
    return this.base.bytes + this.seams.ids.byteLength + this.seams.index.bytes + this.candidates.byteLength + cached;
  }

  /**
   * The indices in `sa` (ascending) of the occurrences whose context ends
   * at most `reach` after a stretch or inside one: those any window the
   * view leaves out can touch, found by one pass over `sa`, so a range's
   * left-out occurrences are found by binary search. Made again, the cache
   * emptied, when the model has sorted its text again.
   */
  candidatesOf(sa: Int32Array, nBase: number, reach: number): Int32Array {
    if (sa === this.sortedFor) return this.candidates;
    const { from, to } = this.stretches;
    const ends = new Uint8Array(nBase + 1);
    for (let k = 0; k < from.length; k++) ends.fill(1, Math.min(from[k], nBase + 1), Math.min(to[k] + reach, nBase + 1));
    const found: number[] = [];
    for (let i = 0; i < sa.length; i++) if (ends[nBase - sa[i]] === 1) found.push(i);
    this.candidates = Int32Array.from(found);
    this.sortedFor = sa;
    this.cache = new LruMap(this.cacheEntries);
    return this.candidates;
  }
}

/** Sorted, disjoint [from, to) stretches of a text. */
export class Stretches {
  readonly from: Int32Array;
  readonly to: Int32Array;

  /** Merges overlapping and touching ones; empty ones are dropped. */
  constructor(ranges: ReadonlyArray<{ from: number; to: number }>) {
    const sorted = ranges.filter((r) => r.to > r.from).sort((a, b) => a.from - b.from);
    const from: number[] = [];
    const to: number[] = [];
    for (const r of sorted) {
      if (to.length > 0 && r.from <= to[to.length - 1]) to[to.length - 1] = Math.max(to[to.length - 1], r.to);
      else {
        from.push(r.from);
        to.push(r.to);
      }
    }
    this.from = Int32Array.from(from);
    this.to = Int32Array.from(to);
  }

  get count(): number {
    return this.from.length;
  }

  get chars(): number {
    let n = 0;
    for (let k = 0; k < this.from.length; k++) n += this.to[k] - this.from[k];
    return n;
  }

  /** Whether any position of [first, last] is in a stretch. */
  touches(first: number, last: number): boolean {
    // The first stretch that ends after `first`.
    let lo = 0;
    let hi = this.to.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.to[mid] <= first) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.from.length && this.from[lo] <= last;
  }
}

/** A symbol outside every vocabulary: no context matches across it. */
const SEPARATOR = 0xffff;

/**
 * The short-context table of T' from T's (`base`, counting windows of
 * `order` symbols): T's windows that touch a stretch unlearnt, T''s that
 * end at the same characters learnt.
 */
export function leftOutTable(base: NgramModel, text: ArrayLike<number>, n: number, stretches: Stretches): NgramModel {
  // About one string per two characters unlearnt comes into the overlay on code (53k for sqlite's func.c, 108k characters).
  const view = base.overlay(stretches.chars);
  const context = base.order - 1;
  const replaced: number[] = [];
  for (let k = 0; k < stretches.count; k++) {
    const end = Math.min(n, stretches.to[k] + context, k + 1 < stretches.count ? stretches.from[k + 1] : n);
    view.unlearnRange(text, stretches.from[k], end);
    for (let i = stretches.to[k]; i < end; i++) replaced.push(i);
  }
  for (const i of replaced) view.learn(before(text, stretches, i, context), text[i]);
  return view;
}

/** Up to `count` symbols of T' before T's unmasked position i, nearest last. */
function before(text: ArrayLike<number>, stretches: Stretches, i: number, count: number): number[] {
  const out: number[] = [];
  let k = stretches.count - 1;
  for (let j = i - 1; j >= 0 && out.length < count; j--) {
    while (k >= 0 && stretches.from[k] > j) k--;
    if (k >= 0 && j < stretches.to[k]) {
      j = stretches.from[k];
      continue;
    }
    out.push(text[j]);
  }
  return out.reverse();
}

/**
 * T' around each seam, `reach` symbols either side, as side text: T''s
 * stretches around the seams (merged where they overlap) apart by a
 * separator, in which only the positions from a seam to `reach` after it
 * are filed, so every window found has its real character before it (T''s
 * start, or a symbol `reach` back) and none crosses a separator.
 */
export function seamText(text: ArrayLike<number>, n: number, stretches: Stretches, reach: number): { ids: Uint16Array; index: RecentIndex } {
  const kept = n - stretches.chars;
  // Seams in T''s positions: where each stretch was, unless nothing follows it.
  const seams: number[] = [];
  for (let k = 0, cut = 0; k < stretches.count; k++) {
    cut += stretches.to[k] - stretches.from[k];
    if (stretches.to[k] < n) seams.push(stretches.to[k] - cut);
  }
  const pieces: Array<{ from: number; to: number }> = [];
  for (const s of seams) {
    const from = Math.max(0, s - reach);
    const to = Math.min(kept, s + reach);
    const last = pieces[pieces.length - 1];
    if (last && from <= last.to) last.to = Math.max(last.to, to);
    else pieces.push({ from, to });
  }
  const ids = new Uint16Array(Math.max(1, pieces.reduce((sum, p) => sum + p.to - p.from + 1, 0)));
  const index = new RecentIndex(0, 12, Infinity);
  let at = 0;
  let seam = 0;
  for (const [k, piece] of pieces.entries()) {
    if (k > 0) {
      ids[at++] = SEPARATOR;
      index.passOver();
    }
    for (let x = piece.from; x < piece.to; x++, at++) {
      ids[at] = text[positionInText(stretches, x)];
      while (seam < seams.length && seams[seam] + reach <= x) seam++;
      if (seam < seams.length && seams[seam] <= x) index.add(ids, at);
      else index.passOver();
    }
  }
  return { ids, index };
}

/** T's position of T''s position x. */
function positionInText(stretches: Stretches, x: number): number {
  let p = x;
  for (let k = 0; k < stretches.count && stretches.from[k] <= p; k++) p += stretches.to[k] - stretches.from[k];
  return p;
}
