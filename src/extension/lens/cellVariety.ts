import { activationBucket } from './buckets';

/**
 * A cell whose most common overlay colour ("no colour" counts as one)
 * covers more than this share of the characters in view paints the editor
 * one flat colour: a "{ } depth" cell sits at +1 on every character inside a
 * function, which says nothing about the code on screen.
 */
export const MAX_ONE_COLOUR_SHARE = 0.7;

/**
 * The share of the characters in the overlay's most common colour, from a
 * histogram of the cell's activation in equal bins over [-1, 1] (the
 * overlay's colour edges fall on the bins' edges); 1 when it is empty.
 */
export function oneColourShare(histogram: readonly number[]): number {
  const perColour = new Map<number, number>();
  histogram.forEach((count, bin) => {
    const colour = activationBucket(-1 + ((bin + 0.5) * 2) / histogram.length);
    perColour.set(colour, (perColour.get(colour) ?? 0) + count);
  });
  const total = histogram.reduce((sum, count) => sum + count, 0);
  return total === 0 ? 1 : Math.max(...perColour.values()) / total;
}

/**
 * Of the candidates (the explorer's labelled cells, strongest first) with
 * their histograms over the text in view: the first that varies there (its
 * most common colour covers at most MAX_ONE_COLOUR_SHARE), else the one
 * that varies most; undefined without candidates.
 */
export function varyingCell<T>(candidates: readonly T[], histograms: readonly (readonly number[])[]): T | undefined {
  const shares = histograms.map(oneColourShare);
  const first = shares.findIndex((share) => share <= MAX_ONE_COLOUR_SHARE);
  if (first >= 0) return candidates[first];
  let least = 0;
  shares.forEach((share, k) => share < shares[least] && (least = k));
  return candidates[least];
}
