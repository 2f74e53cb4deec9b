/**
 * Dropout masks from a counter-based hash, so that every trainer (tfjs,
 * WGSL, wasm) draws the same mask for the same (step seed, layer, position)
 * without sharing a random-number generator: keep position i of layer l's
 * output [B, T, H] (batch-major) iff hash(layerSeed + i) >= rate * 2^32,
 * and scale kept values by 1 / (1 - rate) (inverted dropout). All
 * arithmetic is uint32 with wrap-around, which WGSL's u32 reproduces.
 */

/** PCG-RXS-M-XS hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020). */
export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The seed of layer `layer`'s mask at a step whose dropout seed is `stepSeed`. */
export const layerMaskSeed = (stepSeed: number, layer: number): number => pcgHash((stepSeed ^ Math.imul(layer + 1, 0x9e3779b9)) >>> 0);

/** Positions whose hash is below this are dropped. */
export const dropThreshold = (rate: number): number => Math.min(0xffffffff, Math.floor(rate * 4294967296)) >>> 0;

/** The dropout seed of a training step: depends only on (seed, step), so a resumed run draws the same masks. */
export const stepDropoutSeed = (seed: number, step: number): number => (Math.imul(seed >>> 0, 1_000_003) + Math.imul(step, 7919)) >>> 0;

/** Multipliers (0 or 1 / (1 - rate)) for `n` positions of one layer's output. */
export function dropoutMask(stepSeed: number, layer: number, n: number, rate: number): Float32Array {
  const seed = layerMaskSeed(stepSeed, layer);
  const threshold = dropThreshold(rate);
  const keep = 1 / (1 - rate);
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = pcgHash((seed + i) >>> 0) >= threshold ? keep : 0;
  return mask;
}
