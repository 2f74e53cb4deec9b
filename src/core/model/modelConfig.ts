/**
 * core/model: the network itself. modelConfig.ts its shape and named
 * weights, lstmInit.ts and modelSize.ts how a new one is initialised and
 * sized to its corpus, checkpoint.ts, modelJson.ts and layersTopology.ts its
 * files (tfjs LayersModel folders), inference.ts one step of it on the CPU.
 * It knows the text only through the vocabulary; reading documents,
 * predicting and decoding live in core/predict above it.
 */
import { UserError } from '../userError';

/** The shape of a CharLens network, stored with every checkpoint. */
export interface ModelConfig {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  layers: number;
  /** Dropout after every LSTM layer while training (0 = off). */
  dropout: number;
}

/**
 * Named weights in Keras order and layout: LSTM kernels are [in, 4H] with
 * gate blocks i, f, c (candidate), o, as tf.keras and tfjs-layers expect.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
}

export const lstmLayerName = (layer: number): string => `lstm_${layer + 1}`;

export function weightSpecs(config: ModelConfig): WeightSpec[] {
  const { vocabSize: V, embeddingSize: E, hiddenSize: H } = config;
  const specs: WeightSpec[] = [{ name: 'embedding/embeddings', shape: [V, E] }];
  for (let l = 0; l < config.layers; l++) {
    const name = lstmLayerName(l);
    specs.push(
      { name: `${name}/kernel`, shape: [l === 0 ? E : H, 4 * H] },
      { name: `${name}/recurrent_kernel`, shape: [H, 4 * H] },
      { name: `${name}/bias`, shape: [4 * H] },
    );
  }
  specs.push({ name: 'dense/kernel', shape: [H, V] }, { name: 'dense/bias', shape: [V] });
  return specs;
}

export const specSize = (spec: WeightSpec): number => spec.shape.reduce((a, b) => a * b, 1);

export function parameterCount(config: ModelConfig): number {
  return weightSpecs(config).reduce((n, s) => n + specSize(s), 0);
}

/** Multiply-adds of one training step on B x T characters: the matrix products, x3 for forward, input and weight gradients. */
export function stepMultiplyAdds(c: ModelConfig, batchSize: number, seqLength: number): number {
  let perChar = c.hiddenSize * c.vocabSize;
  for (let l = 0; l < c.layers; l++) perChar += 4 * c.hiddenSize * ((l === 0 ? c.embeddingSize : c.hiddenSize) + c.hiddenSize);
  return 3 * perChar * batchSize * seqLength;
}

export function validateModelConfig(config: ModelConfig): void {
  const ints: Array<keyof ModelConfig> = ['vocabSize', 'embeddingSize', 'hiddenSize', 'layers'];
  for (const key of ints) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new UserError(`Model ${key} must be a positive integer, got ${v}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new UserError(`dropout must be in [0, 1), got ${config.dropout}`);
}

/** Weights as plain arrays, keyed by WeightSpec name. */
export type WeightArrays = Map<string, Float32Array>;
