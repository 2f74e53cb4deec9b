/// <reference lib="es2024.sharedmemory" />
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { Batch, BatchStreams } from '../../text/batches';
import { WeightArrays } from '../../model/modelConfig';
import { UserError } from '../../userError';
import { adamCorrection } from '../stepMath';
import { CarriedState, MOMENTS, StepParams, Trainer, TrainerSpec, momentName } from '../trainer';
import { compileKernels, simdAvailable } from './kernelModules';
import { F64Slot, JobKind, Slot, WorkerInit } from './workerControl';
import { TrainingLayout, packWeight, packWeights, stateMatrix, trainingLayout, unpackWeight, unpackWeights } from './trainingLayout';

/**
 * The CPU trainer: the whole training step in our own WebAssembly SIMD
 * kernels (kernels/*.wat), on worker threads over one shared memory
 * (workerStep.ts says how the work is split). The main thread only writes
 * the batch, starts the job and awaits it without blocking its event loop.
 */
export interface WasmTrainer extends Trainer {
  readonly threads: number;
  /** Settles when every worker thread has exited (after dispose()). */
  readonly exited: Promise<void>;
}

export interface WasmTrainerSupport {
  simd: boolean;
  threads: boolean;
  /** What is missing, for the user, when either is false. */
  reason?: string;
}

/** Whether this runtime can run the wasm trainer; where not, train with tfjs and tell the user `reason`. */
export function wasmTrainerSupport(): WasmTrainerSupport {
  const simd = simdAvailable();
  let threads = typeof SharedArrayBuffer === 'function' && typeof Atomics.waitAsync === 'function';
  try {
    if (threads) new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    threads = false;
  }
  const missing = [simd ? '' : 'WebAssembly SIMD', threads ? '' : 'shared WebAssembly memory and Atomics.waitAsync (threads)'].filter((m) => m);
  if (missing.length === 0) return { simd, threads };
  return { simd, threads, reason: `The wasm CPU trainer needs ${missing.join(' and ')}, which this runtime (Node ${process.versions.node}) lacks` };
}

/** Every core, less one for the extension host when there are more than 2. */
export function defaultThreadCount(): number {
  const cores = os.availableParallelism();
  return cores > 2 ? cores - 1 : cores;
}

/** Beside this module in both layouts: dist/wasmTrainerWorker.js in the bundle, out/src/core/train/wasm/wasmTrainerWorker.js from tsc. */
const WORKER_SCRIPT = path.join(__dirname, 'wasmTrainerWorker.js');

export async function createWasmTrainer(spec: TrainerSpec, options: { threads?: number } = {}): Promise<WasmTrainer> {
  const support = wasmTrainerSupport();
  if (support.reason) throw new UserError(support.reason);
  const threads = options.threads ?? defaultThreadCount();
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(`threads must be a positive integer, got ${threads}`);
  if (!fs.existsSync(WORKER_SCRIPT)) throw new Error(`The CPU trainer's worker script is missing: ${WORKER_SCRIPT}`);
  const trainer = new WasmTrainerImpl(spec, threads);
  await trainer.started;
  return trainer;
}

class WasmTrainerImpl implements WasmTrainer {
  readonly description: string;
  readonly started: Promise<void>;
  readonly exited: Promise<void>;
  private readonly layout: TrainingLayout;
  private readonly f32: Float32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly workers: Worker[];
  private failure?: Error;
  private rejectJob?: (err: Error) => void;
  private busy = false;
  private disposed = false;
  /** Whether the packed copies of the weights (packPanels.wat) match them. */
  private packed = false;

  constructor(
    private readonly spec: TrainerSpec,
    readonly threads: number,
  ) {
    this.description = `wasm SIMD (CPU, ${threads} thread${threads === 1 ? '' : 's'})`;
    this.layout = trainingLayout(spec.config, spec.batchSize, spec.seqLength, MOMENTS[spec.optimizer].length);
    const pages = Math.ceil(this.layout.bytes / 65536);
    if (pages > 65536) throw new UserError(`The model and batch need ${(this.layout.bytes / 2 ** 30).toFixed(1)} GiB of activations, over the wasm trainer's 4 GiB; use a smaller batch or sequence length`);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    packWeights(this.layout, spec.weights, this.f32, this.layout.params);
    const modules = compileKernels();
    const base: Omit<WorkerInit, 'index'> = {
      memory,
      modules,
      layout: this.layout,
      optimizer: spec.optimizer,
      gradClip: spec.gradClip,
      dropout: spec.config.dropout,
      count: threads,
    };
    this.workers = Array.from({ length: threads }, (_, index) => new Worker(WORKER_SCRIPT, { workerData: { ...base, index } satisfies WorkerInit }));
    const ready = this.workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`A CPU trainer thread exited while starting (code ${code})`)));
        }),
    );
    this.started = Promise.all(ready).then(
      () => undefined,
      (err: Error) => {
        this.dispose();
        throw err;
      },
    );
    for (const worker of this.workers) {
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.disposed) this.fail(new Error(`A CPU trainer thread exited (code ${code})`));
      });
    }
    this.exited = Promise.all(this.workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())))).then(() => undefined);
  }

  async step(batch: Batch, params: StepParams): Promise<number> {
    this.checkBatch(batch);
    await this.run(JobKind.Step, batch, params);
    return this.meanLoss(batch);
  }

  async gradients(batch: Batch): Promise<{ loss: number; gradients: WeightArrays }> {
    this.checkBatch(batch);
    await this.run(JobKind.Gradients, batch);
    return { loss: this.meanLoss(batch), gradients: unpackWeights(this.layout, this.f32, this.layout.grads) };
  }

  async evaluate(streams: BatchStreams): Promise<number> {
    const { B, T } = this.layout.dims;
    if (streams.batchSize > B || streams.seqLength !== T) {
      throw new Error(`evaluate takes at most ${B} streams of ${T} steps, got ${streams.batchSize} of ${streams.seqLength}`);
    }
    this.zeroState(this.layout.evaluation.h, this.layout.evaluation.c);
    let total = 0;
    for (let k = 0; k < streams.batchesPerEpoch; k++) {
      const batch = streams.batch(k);
      await this.run(JobKind.Evaluate, batch);
      total += this.meanLoss(batch);
    }
    return total / streams.batchesPerEpoch;
  }

  async readWeights(): Promise<WeightArrays> {
    return unpackWeights(this.layout, this.f32, this.layout.params);
  }

  async writeWeights(weights: WeightArrays): Promise<void> {
    this.checkIdle();
    packWeights(this.layout, weights, this.f32, this.layout.params);
    this.packed = false;
  }

  async readMoments(): Promise<WeightArrays> {
    const out: WeightArrays = new Map();
    MOMENTS[this.spec.optimizer].forEach((kind, k) => {
      for (const [name, values] of unpackWeights(this.layout, this.f32, this.layout.moments[k], (n) => momentName(n, kind))) out.set(name, values);
    });
    return out;
  }

  async writeMoments(moments: WeightArrays): Promise<void> {
    this.checkIdle();
    MOMENTS[this.spec.optimizer].forEach((kind, k) => packWeights(this.layout, moments, this.f32, this.layout.moments[k], (n) => momentName(n, kind)));
  }

  async readState(): Promise<CarriedState> {
    const matrix = stateMatrix(this.layout.dims);
    const { h, c } = this.layout.train;
    return { h: h.map((at) => unpackWeight(matrix, this.f32, at)), c: c.map((at) => unpackWeight(matrix, this.f32, at)) };
  }

  async writeState(state: CarriedState): Promise<void> {
    this.checkIdle();
    const matrix = stateMatrix(this.layout.dims);
    this.layout.train.h.forEach((at, l) => packWeight(matrix, state.h[l], this.f32, at));
    this.layout.train.c.forEach((at, l) => packWeight(matrix, state.c[l], this.f32, at));
  }

  resetState(): void {
    this.checkIdle();
    this.zeroState(this.layout.train.h, this.layout.train.c);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Idle workers leave their loop on Exit; terminate() also stops one stuck in a job.
    this.i32[Slot.Kind] = JobKind.Exit;
    Atomics.add(this.i32, Slot.Job, 1);
    Atomics.notify(this.i32, Slot.Job);
    for (const worker of this.workers) void worker.terminate();
    this.rejectJob?.(new Error('The wasm trainer was disposed during a step'));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.rejectJob?.(err);
  }

  private checkIdle(): void {
    if (this.busy) throw new Error('The wasm trainer is in the middle of a step');
  }

  private checkBatch(batch: Batch): void {
    const { B, T } = this.layout.dims;
    if (batch.batchSize !== B || batch.seqLength !== T) throw new Error(`This trainer takes batches of ${B} x ${T}, got ${batch.batchSize} x ${batch.seqLength}`);
  }

  private zeroState(h: number[], c: number[]): void {
    const floats = this.layout.dims.B * this.layout.dims.Hp;
    for (const at of [...h, ...c]) this.f32.fill(0, at / 4, at / 4 + floats);
  }

  /** Posts a job on `batch` (with the optimizer step's parameters) and waits, without blocking the event loop, until every worker is done. */
  private async run(kind: JobKind, batch: Batch, step?: StepParams): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new Error('The wasm trainer was disposed');
    this.checkIdle();
    this.busy = true;
    try {
      this.i32.set(batch.x, this.layout.xIds / 4);
      this.i32.set(batch.y, this.layout.yIds / 4);
      const control = this.i32;
      control[Slot.Kind] = kind;
      control[Slot.Batch] = batch.batchSize;
      control[Slot.Seq] = batch.seqLength;
      control[Slot.DropoutOn] = step?.dropoutSeed === undefined ? 0 : 1;
      control[Slot.DropoutSeed] = step?.dropoutSeed ?? 0;
      if (step) {
        const { c1, c2 } = adamCorrection(step.t);
        this.f64[F64Slot.LearningRate] = step.lr;
        this.f64[F64Slot.C1] = c1;
        this.f64[F64Slot.C2] = c2;
      }
      control[Slot.Pack] = this.packed ? 0 : 1;
      control[Slot.RowTask] = 0;
      control[Slot.GradientTask] = 0;
      const done = Atomics.load(control, Slot.Done);
      const failed = new Promise<never>((_, reject) => (this.rejectJob = reject));
      // Raced below while the job runs; a failure after the race must not be an unhandled rejection.
      failed.catch(() => undefined);
      Atomics.add(control, Slot.Job, 1);
      Atomics.notify(control, Slot.Job);
      while (Atomics.load(control, Slot.Done) === done) {
        const wait = Atomics.waitAsync(control, Slot.Done, done);
        if (wait.async) await Promise.race([wait.value, failed]);
      }
      this.packed = kind !== JobKind.Step;
    } finally {
      this.busy = false;
      this.rejectJob = undefined;
    }
  }

  /** Mean cross-entropy of the last job's batch, from the per-row softmax sums, in float64. */
  private meanLoss(batch: Batch): number {
    const n = batch.batchSize * batch.seqLength;
    const stats = this.f32.subarray(this.layout.stats / 4, this.layout.stats / 4 + 2 * n);
    let sum = 0;
    for (let r = 0; r < n; r++) sum += Math.log(stats[2 * r]) - stats[2 * r + 1];
    return sum / n;
  }
}
