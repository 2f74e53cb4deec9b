import { ModelConfig, WeightArrays, weightSpecs, specSize } from './modelConfig';
import { Random } from './random';

/**
 * char-rnn's initialisation: every weight uniform in [-0.08, 0.08], and the
 * forget-gate bias set to 1 so cells remember by default early in training.
 */
export function initialWeights(config: ModelConfig, rng: Random): WeightArrays {
  const weights: WeightArrays = new Map();
  const H = config.hiddenSize;
  for (const spec of weightSpecs(config)) {
    const a = new Float32Array(specSize(spec));
    if (spec.name.endsWith('/bias')) {
      if (spec.name.startsWith('lstm_')) a.fill(1, H, 2 * H);
    } else {
      for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-0.08, 0.08);
    }
    weights.set(spec.name, a);
  }
  return weights;
}
