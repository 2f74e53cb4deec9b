/**
 * Modified Kneser-Ney discounts (Chen & Goodman 1998) of one order from its
 * count-of-counts n1..n4 (how many n-grams of that order have count 1, 2, 3, 4):
 *   Y = n1 / (n1 + 2 n2), D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3.
 * Small texts can leave a count-of-count at zero; the fallbacks then are the
 * textbook 0.5 / 1 / 1.5. Each discount stays in [MIN_DISCOUNT, c] so a seen
 * context always leaves some mass to the lower order (no character ever gets
 * probability 0) and never takes more than a count holds.
 */
const MIN_DISCOUNT = 0.01;

export function modifiedKneserNeyDiscounts(n1: number, n2: number, n3: number, n4: number, out: Float64Array, at: number): void {
  const y = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const d1 = n1 > 0 ? 1 - (2 * y * n2) / n1 : 0.5;
  const d2 = n2 > 0 ? 2 - (3 * y * n3) / n2 : 1;
  const d3 = n3 > 0 ? 3 - (4 * y * n4) / n3 : 1.5;
  out[at] = clamp(d1, 1);
  out[at + 1] = clamp(d2, 2);
  out[at + 2] = clamp(d3, 3);
}

const clamp = (d: number, count: number): number => Math.min(count, Math.max(MIN_DISCOUNT, d));
