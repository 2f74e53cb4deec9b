/**
 * 64-bit hash of a symbol string, as two uint32 halves, built from the
 * string's right end leftwards: hash(x s) = fold(hash(s), x). The strings an
 * n-gram model needs at one position (the contexts of every order, and the
 * n-grams ending in the next symbol) are suffixes of one another, so one
 * fold per order gives them all. The halves use different mixers, and the
 * high half also takes in the new low half, so two strings collide only if
 * both halves do.
 */
export const EMPTY_HASH_LO = 0x811c9dc5;
export const EMPTY_HASH_HI = 0x3c6ef372;

/** Low half of fold(hash, symbol): murmur3's finaliser over the old half and the symbol. */
export function foldLo(lo: number, symbol: number): number {
  let x = lo ^ Math.imul(symbol + 1, 0x9e3779b1);
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** High half of fold(hash, symbol), given the new low half. */
export function foldHi(hi: number, newLo: number, symbol: number): number {
  let x = (hi ^ Math.imul(symbol + 0x632be5ab, 0x27d4eb2f)) + newLo;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
