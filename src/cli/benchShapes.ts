import { initialWeights } from '../core/model/lstmInit';
import { CellType, ModelConfig } from '../core/model/modelConfig';
import { Random } from '../core/random';
import { Batch } from '../core/text/batches';
import { Trainer, TrainerSpec } from '../core/train/trainer';

/** A training benchmark's shape, (B, T, H, L, V), with embedding 64, Adam and clipping at 5 throughout. */
export interface TrainShape {
  B: number;
  T: number;
  H: number;
  L: number;
  V: number;
}

export const BENCH_EMBEDDING = 64;

export const shapeLabel = (s: TrainShape): string => `(${s.B},${s.T},${s.H},${s.L},${s.V})`;

/** The trainer spec every benchmark of `s` uses: the same seeded weights, so all trainers run the same step. */
export const benchConfig = (s: TrainShape, cell: CellType = 'lstm'): ModelConfig => ({ vocabSize: s.V, embeddingSize: BENCH_EMBEDDING, hiddenSize: s.H, layers: s.L, dropout: 0, cell });

export function benchSpec(s: TrainShape, cell: CellType = 'lstm'): TrainerSpec {
  const config = benchConfig(s, cell);
  return { config, batchSize: s.B, seqLength: s.T, optimizer: 'adam', gradClip: 5, weights: initialWeights(config, new Random(1)) };
}

/** A batch of `s` with random ids from `rng`. */
export function benchBatch(s: TrainShape, rng: Random): Batch {
  const ids = () => Int32Array.from({ length: s.B * s.T }, () => Math.floor(rng.next() * s.V));
  return { batchSize: s.B, seqLength: s.T, x: ids(), y: ids() };
}

/** Random batches of `s` and a step counter, for timing a trainer's steps. */
export function benchStepper(s: TrainShape, seed = 2): (trainer: Pick<Trainer, 'step'>, t: number) => Promise<number> {
  const rng = new Random(seed);
  return (trainer, t) => trainer.step(benchBatch(s, rng), { lr: 2e-3, t });
}
