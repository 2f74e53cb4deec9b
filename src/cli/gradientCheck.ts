import { Random } from '../core/random';
import { WeightArrays } from '../core/model/modelConfig';
import { CarriedState, Trainer } from '../core/train/trainer';
import { createWasmTrainer } from '../core/train/wasm/wasmTrainer';
import { GpuContext } from '../core/train/webgpu/device';
import { createWebGpuTrainer } from '../core/train/webgpu/webgpuTrainer';
import { TrainShape, benchBatch, benchSpec } from './benchShapes';

/** The WGSL trainer's loss and gradients against the CPU (wasm SIMD) trainer's on the same weights, batch and carried state. */
export interface GradientCheck {
  shape: TrainShape;
  gpuLoss: number;
  cpuLoss: number;
  /** The largest of max |gpu - cpu| / max |cpu| over the weight tensors, and the tensor it is in. */
  worstRelative: number;
  worstTensor: string;
}

/** Above this the check fails: float32 sums in another order stay orders of magnitude below it. */
export const GRADIENT_TOLERANCE = 1e-4;

/** max |a - b| over the first b.length values, relative to max |b|. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let top = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    top = Math.max(top, Math.abs(b[i]));
  }
  return diff / Math.max(top, 1e-30);
}

/**
 * One batch's loss and unclipped gradients from both trainers, each built
 * from the bench's seeded weights at `shape`, with the same non-zero carried
 * state (so the first step's h and c terms count too).
 */
export async function checkGradients(shape: TrainShape, gpu: GpuContext, cpuThreads: number): Promise<GradientCheck> {
  const trainers: Trainer[] = [];
  try {
    trainers.push(await createWebGpuTrainer(benchSpec(shape), gpu), await createWasmTrainer(benchSpec(shape), { threads: cpuThreads }));
    const state = randomState(shape);
    const batch = benchBatch(shape, new Random(3));
    for (const t of trainers) await t.writeState(state);
    const [g, c] = [await trainers[0].gradients(batch), await trainers[1].gradients(batch)];
    return { shape, gpuLoss: g.loss, cpuLoss: c.loss, ...worstTensor(g.gradients, c.gradients) };
  } finally {
    for (const t of trainers) t.dispose();
  }
}

function worstTensor(got: WeightArrays, want: WeightArrays): { worstRelative: number; worstTensor: string } {
  let worst = { worstRelative: 0, worstTensor: '' };
  for (const [name, w] of want) {
    const g = got.get(name);
    if (!g || g.length !== w.length) throw new Error(`the WGSL trainer's gradient ${name} is missing or of another size`);
    const err = relativeError(g, w);
    if (!(err <= worst.worstRelative)) worst = { worstRelative: err, worstTensor: name };
  }
  return worst;
}

function randomState(s: TrainShape): CarriedState {
  const rng = new Random(5);
  const make = () => Array.from({ length: s.L }, () => Float32Array.from({ length: s.B * s.H }, () => rng.uniform(-0.5, 0.5)));
  return { h: make(), c: make() };
}
