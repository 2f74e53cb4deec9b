/**
 * The arithmetic of one training step that every trainer must reproduce
 * exactly, written once in plain JavaScript as the reference:
 *
 *   loss  = mean over the B*T positions of -log softmax(logits)[y]
 *   clip  : g *= clip / max(|g|, clip), |g| the global norm over all weights
 *   adam  : m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *           w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *   rmsprop (char-rnn's): ms = d ms + (1-d) g^2;  w -= lr * g / (sqrt(ms) + eps)
 *
 * The bias corrections are computed in float64 from the step count t, not
 * accumulated, so a resumed run (or another trainer) gets the same numbers.
 */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const RMSPROP_DECAY = 0.95;
export const OPTIMIZER_EPSILON = 1e-8;

export interface AdamCorrection {
  /** 1 - b1^t */
  c1: number;
  /** 1 - b2^t */
  c2: number;
}

export const adamCorrection = (t: number): AdamCorrection => ({ c1: 1 - Math.pow(ADAM_BETA1, t), c2: 1 - Math.pow(ADAM_BETA2, t) });

/** The factor every gradient is multiplied by for a global norm `norm` (1 when clipping is off). */
export const clipScale = (norm: number, gradClip: number): number => (gradClip > 0 ? gradClip / Math.max(norm, gradClip) : 1);

/** Reference Adam update of one weight, in place (float32 storage, as every trainer keeps). */
export function adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, t: number, scale = 1): void {
  const { c1, c2 } = adamCorrection(t);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] * scale;
    m[i] = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * gi;
    v[i] = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * gi * gi;
    w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + OPTIMIZER_EPSILON);
  }
}

/** Reference RMSProp update of one weight, in place. */
export function rmspropUpdate(w: Float32Array, g: Float32Array, ms: Float32Array, lr: number, scale = 1): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] * scale;
    ms[i] = RMSPROP_DECAY * ms[i] + (1 - RMSPROP_DECAY) * gi * gi;
    w[i] -= (lr * gi) / (Math.sqrt(ms[i]) + OPTIMIZER_EPSILON);
  }
}
