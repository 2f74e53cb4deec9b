/**
 * core/model: the network itself. modelConfig.ts its shape and named
 * weights, lstmInit.ts and modelSize.ts how a new one is initialised and
 * sized to its corpus, checkpoint.ts, modelJson.ts and layersTopology.ts its
 * files (tfjs LayersModel folders), inference.ts one step of it on the CPU.
 * It knows the text only through the vocabulary; reading documents,
 * predicting and decoding live in core/predict above it.
 */
import { UserError } from '../userError';

/** The recurrent cell of every layer: char-rnn's three (`-model lstm|gru|rnn`). */
export type CellType = 'lstm' | 'gru' | 'rnn';
export const CELL_TYPES: readonly CellType[] = ['lstm', 'gru', 'rnn'];

/** The shape of a CharLens network, stored with every checkpoint. */
export interface ModelConfig {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  layers: number;
  /** Dropout after every recurrent layer while training (0 = off). */
  dropout: number;
  /** Absent in checkpoints written before there was a choice: those are LSTMs. */
  cell?: CellType;
}

export const cellOf = (config: Pick<ModelConfig, 'cell'>): CellType => config.cell ?? 'lstm';

/**
 * Gate blocks per unit, in Keras order: LSTM i, f, c (candidate), o; GRU z
 * (update), r (reset), h (candidate), with r applied to h before the
 * recurrent product (reset_after=false, the only GRU tfjs-layers reads);
 * vanilla RNN the one tanh.
 */
export const GATES: Record<CellType, number> = { lstm: 4, gru: 3, rnn: 1 };

const CELL_LABELS: Record<CellType, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };
export const cellLabel = (config: Pick<ModelConfig, 'cell'>): string => CELL_LABELS[cellOf(config)];

/** How a model is named to the user: "2x256 GRU". */
export const modelName = (config: Pick<ModelConfig, 'layers' | 'hiddenSize' | 'cell'>): string => `${config.layers}x${config.hiddenSize} ${cellLabel(config)}`;

/**
 * Named weights in Keras order and layout: recurrent kernels are
 * [in, GATES x H] with the gate blocks in GATES's order, as tf.keras and
 * tfjs-layers expect.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
}

export const lstmLayerName = (layer: number): string => `lstm_${layer + 1}`;

/** Keras's default layer names (tfjs-layers' class names in snake case, numbered from 1). */
const LAYER_PREFIXES: Record<CellType, string> = { lstm: 'lstm', gru: 'gru', rnn: 'simple_rnn' };
export const recurrentLayerName = (config: Pick<ModelConfig, 'cell'>, layer: number): string => `${LAYER_PREFIXES[cellOf(config)]}_${layer + 1}`;

export function weightSpecs(config: ModelConfig): WeightSpec[] {
  const { vocabSize: V, embeddingSize: E, hiddenSize: H } = config;
  const G = GATES[cellOf(config)] * H;
  const specs: WeightSpec[] = [{ name: 'embedding/embeddings', shape: [V, E] }];
  for (let l = 0; l < config.layers; l++) {
    const name = recurrentLayerName(config, l);
    specs.push(
      { name: `${name}/kernel`, shape: [l === 0 ? E : H, G] },
      { name: `${name}/recurrent_kernel`, shape: [H, G] },
      { name: `${name}/bias`, shape: [G] },
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
  for (let l = 0; l < c.layers; l++) perChar += GATES[cellOf(c)] * c.hiddenSize * ((l === 0 ? c.embeddingSize : c.hiddenSize) + c.hiddenSize);
  return 3 * perChar * batchSize * seqLength;
}

export function validateModelConfig(config: ModelConfig): void {
  const ints = ['vocabSize', 'embeddingSize', 'hiddenSize', 'layers'] as const;
  for (const key of ints) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new UserError(`Model ${key} must be a positive integer, got ${v}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new UserError(`dropout must be in [0, 1), got ${config.dropout}`);
  if (config.cell !== undefined && !CELL_TYPES.includes(config.cell)) throw new UserError(`Model cell must be one of ${CELL_TYPES.join(', ')}, got ${JSON.stringify(config.cell)}`);
}

/** Weights as plain arrays, keyed by WeightSpec name. */
export type WeightArrays = Map<string, Float32Array>;
