import { OptimizerName } from '../trainer';
import { KernelModules } from './kernelModules';
import { TrainingLayout } from './trainingLayout';

/**
 * How the main thread and the workers of the CPU trainer talk: a few int32
 * and float64 slots at the start of the shared memory. The main thread
 * writes a job, bumps JOB and notifies; every worker runs its share of it,
 * meeting the others at barriers between phases; the last one done bumps
 * DONE, which the main thread awaits with Atomics.waitAsync, so its event
 * loop keeps running through a step.
 */
export const enum Slot {
  Job = 0,
  Done = 1,
  DoneCount = 2,
  BarrierCount = 3,
  BarrierGeneration = 4,
  Kind = 5,
  Batch = 6,
  Seq = 7,
  DropoutOn = 8,
  DropoutSeed = 9,
  /** 1: the weights changed since they were last packed (packPanels.wat). */
  Pack = 10,
  /** Next unclaimed task of the row phase and of the weight-gradient phase (reset to 0 by the main thread). */
  RowTask = 11,
  GradientTask = 12,
}

/** Float64 slots, after the int32 ones. */
export const enum F64Slot {
  LearningRate = 8,
  C1 = 9,
  C2 = 10,
}

export const enum JobKind {
  /** Forward, backward, clip, optimizer update; carries the training state on. */
  Step = 1,
  /** Forward and backward only: the unclipped gradients in the grads buffer. */
  Gradients = 2,
  /** Forward only from the evaluation state, which it carries on. */
  Evaluate = 3,
  Exit = 4,
}

export interface WorkerInit {
  memory: WebAssembly.Memory;
  modules: KernelModules;
  layout: TrainingLayout;
  optimizer: OptimizerName;
  gradClip: number;
  dropout: number;
  index: number;
  count: number;
}

/** Spins this many times before sleeping in Atomics.wait: a phase of the other threads usually ends within that. */
const SPINS = 20_000;

/** Waits until control[slot] is no longer `value`. */
export function waitChange(control: Int32Array, slot: number, value: number): void {
  for (let i = 0; i < SPINS && Atomics.load(control, slot) === value; i++);
  while (Atomics.load(control, slot) === value) Atomics.wait(control, slot, value);
}

/**
 * Blocks until all `count` workers have arrived (a generation-counting
 * barrier: the last to arrive resets the count and starts a new generation).
 */
export function barrier(control: Int32Array, count: number): void {
  const generation = Atomics.load(control, Slot.BarrierGeneration);
  if (Atomics.add(control, Slot.BarrierCount, 1) === count - 1) {
    Atomics.store(control, Slot.BarrierCount, 0);
    Atomics.add(control, Slot.BarrierGeneration, 1);
    Atomics.notify(control, Slot.BarrierGeneration);
  } else {
    waitChange(control, Slot.BarrierGeneration, generation);
  }
}

/**
 * Runs task(i) for the tasks 0 <= i < count that this worker claims from the
 * shared counter at `slot`, so a worker the OS slows down (a busy machine)
 * takes fewer of them instead of holding the others up at the next barrier.
 */
export function claimTasks(control: Int32Array, slot: number, count: number, task: (i: number) => void): void {
  for (let i = Atomics.add(control, slot, 1); i < count; i = Atomics.add(control, slot, 1)) task(i);
}

/** [start, end) of `units` for worker `index` of `count`: as even as whole units allow. */
export const share = (units: number, index: number, count: number): [number, number] => [
  Math.floor((units * index) / count),
  Math.floor((units * (index + 1)) / count),
];
