import { ModelConfig, WeightArrays, weightSpecs, specSize } from './modelConfig';
import { Random } from '../random';

/**
 * char-rnn's initialisation: weights uniform in [-0.08, 0.08], and the
 * forget-gate bias set to 1 so cells remember by default early in training.
 * Given the training text, the output bias starts at its log unigram.
 */
export function initialWeights(config: ModelConfig, rng: Random, trainingIds?: Int32Array): WeightArrays {
  const weights: WeightArrays = new Map();
  const H = config.hiddenSize;
  for (const spec of weightSpecs(config)) {
    const a = new Float32Array(specSize(spec));
    if (spec.name.endsWith('/bias')) {
      if (spec.name.startsWith('lstm_')) a.fill(1, H, 2 * H);
    } else {
      // The embedding stands in for char-rnn's one-hot input, so its entries
      // start at that scale (as torch-rnn's do); at +-0.08 the first layer
      // would barely see its input and learn slowly.
      const scale = spec.name === 'embedding/embeddings' ? 1 : 0.08;
      for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-scale, scale);
    }
    weights.set(spec.name, a);
  }
  if (trainingIds) weights.set('dense/bias', logUnigram(trainingIds, config.vocabSize));
  return weights;
}

/**
 * Output bias = log character frequencies (add-one smoothed): the untrained
 * model then predicts the unigram distribution instead of a uniform one,
 * which skips the first plateau of training.
 */
function logUnigram(ids: Int32Array, vocabSize: number): Float32Array {
  const counts = new Float64Array(vocabSize).fill(1);
  for (const id of ids) counts[id]++;
  const total = counts.reduce((a, b) => a + b, 0);
  return Float32Array.from(counts, (c) => Math.log(c / total));
}
