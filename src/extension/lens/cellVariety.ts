import { ACTIVATION_BUCKETS, activationBucket } from './buckets';

/**
 * A cell whose view is more than this share one of the overlay's three
 * looks (blue, plain, red) paints the editor one colour: a "{ } depth" cell
 * sits at +1 on every character inside a function, which says nothing
 * about the code on screen, and four shades of red read as red.
 */
export const MAX_ONE_SIDE_SHARE = 0.7;

/** Which look a bucket of the neuron overlay is (activationBucket's numbering; -1 is plain). */
export const sideOf = (bucket: number): 'blue' | 'plain' | 'red' => (bucket < 0 ? 'plain' : bucket < ACTIVATION_BUCKETS.length / 2 ? 'blue' : 'red');

/**
 * The share of the characters on the overlay's most common side, from a
 * histogram of the cell's activation in equal bins over [-1, 1] (the
 * overlay's colour edges fall on the bins' edges); 1 when it is empty.
 */
export function oneSideShare(histogram: readonly number[]): number {
  const perSide = new Map<string, number>();
  histogram.forEach((count, bin) => {
    const side = sideOf(activationBucket(-1 + ((bin + 0.5) * 2) / histogram.length));
    perSide.set(side, (perSide.get(side) ?? 0) + count);
  });
  const total = histogram.reduce((sum, count) => sum + count, 0);
  return total === 0 ? 1 : Math.max(...perSide.values()) / total;
}

/**
 * Of the candidates (the explorer's labelled cells, strongest first) with
 * their histograms over the text in view: the first that varies there (its
 * most common side covers at most MAX_ONE_SIDE_SHARE), else the one that
 * varies most; undefined without candidates.
 */
export function varyingCell<T>(candidates: readonly T[], histograms: readonly (readonly number[])[]): T | undefined {
  const shares = histograms.map(oneSideShare);
  const first = shares.findIndex((share) => share <= MAX_ONE_SIDE_SHARE);
  if (first >= 0) return candidates[first];
  let least = 0;
  shares.forEach((share, k) => share < shares[least] && (least = k));
  return candidates[least];
}
