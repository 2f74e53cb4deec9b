import { Batch, BatchStreams } from '../text/batches';
import { ModelConfig, WeightArrays } from '../model/modelConfig';

/**
 * What the training loop (loop.ts) asks of a trainer. The loop owns the
 * schedule (learning rate, step count, validation, checkpoints, resume,
 * early stop, divergence guard, cancellation); a trainer owns the weights,
 * the optimizer moments and the LSTM state carried between batches, wherever
 * they live (tfjs tensors, GPU buffers, wasm memory), and does the arithmetic
 * defined in stepMath.ts, so every trainer computes the same numbers.
 */
export interface Trainer {
  /** Where the work runs, for the user: "wasm (CPU)", "webgpu (NVIDIA H100, Vulkan)". */
  readonly description: string;
  /**
   * One optimizer step on `batch`, starting from the carried state, which it
   * then replaces by the state after the batch's last character (computed
   * with the weights before the update). Returns the mean cross-entropy of
   * the batch in nats/char, before the update.
   */
  step(batch: Batch, params: StepParams): Promise<number>;
  /** Loss and unclipped gradients of `batch` from the carried state, changing nothing (for tests). */
  gradients(batch: Batch): Promise<{ loss: number; gradients: WeightArrays }>;
  /**
   * Mean loss over every batch of `streams`, forward only, no dropout, with
   * its own state from zero carried batch to batch: the training's carried
   * state is left as it was.
   */
  evaluate(streams: BatchStreams): Promise<number>;
  readWeights(): Promise<WeightArrays>;
  writeWeights(weights: WeightArrays): Promise<void>;
  /** Per-weight moments, named by momentName(). */
  readMoments(): Promise<WeightArrays>;
  writeMoments(moments: WeightArrays): Promise<void>;
  readState(): Promise<CarriedState>;
  writeState(state: CarriedState): Promise<void>;
  /** Sets the carried state to zeros (each stream starts over at the top of its slice). */
  resetState(): void;
  dispose(): void;
}

export interface TrainerSpec {
  config: ModelConfig;
  batchSize: number;
  seqLength: number;
  optimizer: OptimizerName;
  /** Global-norm clip (0 = off). */
  gradClip: number;
  weights: WeightArrays;
}

export type OptimizerName = 'adam' | 'rmsprop';

export interface StepParams {
  lr: number;
  /** Count of optimizer updates including this one, from 1 (Adam's bias correction). */
  t: number;
  /** Seed of this step's dropout masks (dropoutMask.ts); undefined = no dropout. */
  dropoutSeed?: number;
}

/** LSTM state carried across batches: per layer, h and c as [B, H] row-major. */
export interface CarriedState {
  h: Float32Array[];
  c: Float32Array[];
}

/** The moments each optimizer keeps per weight, in resume checkpoints: `lstm_1/kernel/m`. */
export const MOMENTS: Record<OptimizerName, string[]> = { adam: ['m', 'v'], rmsprop: ['ms'] };
export const momentName = (weight: string, moment: string): string => `${weight}/${moment}`;
