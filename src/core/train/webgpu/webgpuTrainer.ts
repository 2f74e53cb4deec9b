import { Batch, BatchStreams } from '../../text/batches';
import { CellType, ModelConfig, WeightArrays, cellOf, parameterCount } from '../../model/modelConfig';
import { dropThreshold, layerMaskSeed } from '../dropoutMask';
import { adamCorrection } from '../stepMath';
import { CarriedState, MOMENTS, StepParams, Trainer, TrainerSpec, momentName } from '../trainer';
import { GpuContext, openGpu } from './device';
import { PARTIALS, gradNorm } from './gradNormKernel';
import { Dispatch, Kernels, encodeDispatches } from './kernels';
import { LayerMask, NO_MASK, layerTableData } from './layerTable';
import { Activations, SharedBuffers, StateBuffers, activationSizes, backwardPass, carryPass, createActivations, createState, forwardPass } from './networkPasses';
import { optimizerStep, optimizerUniform } from './optimizerKernel';
import { ParameterLayout, packFlat, parameterLayout, unpackFlat } from './parameterLayout';
import { streamWaveLoop } from './streamWave';
import { WebGpuError } from './webGpuError';

/**
 * The trainer on WebGPU: weights, gradients, optimizer moments,
 * activations and the carried state live in GPU buffers for the whole run.
 * A training step is one command buffer (forward, backward, clipping,
 * optimizer, state carry: stepDispatches(L, T, cell), 2 fewer without
 * clipping; the recurrent layers run as a wavefront, L+T-1 dispatches each
 * way) and one
 * submit; the only read-back is the loss, mapped after the submit. Weights
 * come back only through readWeights (checkpoints, samples).
 */
export interface WebGpuTrainer extends Trainer {
  readonly gpu: GpuContext;
  /** What the last step() recorded: dispatches in its command buffer and queue submits. */
  readonly lastStep: { dispatches: number; submits: number };
}

/**
 * Dispatches in one training step with clipping: forward L+T+4 (embedding,
 * first input projection, L+T-1 waves, logits, loss, mean), backward
 * L+T+4L+6 (dense weight, bias in 2, dTop, L+T-1 waves, per layer two weight
 * gradients and the bias in 2, dEmb, embedding gradient in 2), clipping 2,
 * optimizer 1, state carry 1. A GRU's recurrent kernel takes one more
 * weight-gradient product per layer (networkPasses.ts).
 */
export const stepDispatches = (layers: number, seqLength: number, cell: CellType = 'lstm'): number =>
  2 * (layers + seqLength) + 4 * layers + 14 + (cell === 'gru' ? layers : 0);

/** The dispatch budget of one training step (issue 25): 2·(L+T) + 8·L + 16. */
export const dispatchBudget = (layers: number, seqLength: number): number => 2 * (layers + seqLength) + 8 * layers + 16;

/** Uses `gpu` when given (the caller destroys it), else opens one (hardware first, then software) that dispose() destroys. */
export async function createWebGpuTrainer(spec: TrainerSpec, gpu?: GpuContext): Promise<WebGpuTrainer> {
  const context = gpu ?? (await openGpu({ allowSoftware: true }));
  try {
    checkLimits(context, spec);
    const trainer = new GpuTrainer(spec, context, !gpu);
    await trainer.build();
    return trainer;
  } catch (err) {
    if (!gpu) context.device.destroy();
    throw err;
  }
}

/**
 * llvmpipe silently ends an invocation after 65,535 loop iterations, which
 * would give wrong numbers, not an error. The longest loops are the weight
 * gradients' (about 1.5 iterations per row of B*T) and the backward wave's:
 * the LSTM's about 21 per 16 of its 8H dz columns; the GRU's and RNN's
 * stream waves (streamWave.ts) walk every unit's rows, 6H (GRU backward:
 * 3H up, 2H recurrent, H for dResetH) or 2H (RNN) per unit an invocation owns.
 */
const SOFTWARE_LOOP_LIMIT = 60_000;
const WAVE_LOOP: Record<CellType, (H: number) => number> = { lstm: (H) => 11 * H, gru: (H) => streamWaveLoop(H, 6 * H), rnn: (H) => streamWaveLoop(H, 2 * H) };
const longestLoop = ({ config, batchSize, seqLength }: TrainerSpec): number => Math.max(1.5 * batchSize * seqLength, WAVE_LOOP[cellOf(config)](config.hiddenSize));

function checkLimits({ device, adapterName, isSoftware }: GpuContext, spec: TrainerSpec): void {
  if (isSoftware && longestLoop(spec) > SOFTWARE_LOOP_LIMIT) {
    throw new WebGpuError(
      `Batch ${spec.batchSize} x ${spec.seqLength} with hidden size ${spec.config.hiddenSize} is too big for the software adapter ${adapterName}: its shader loops stop after 65,535 iterations, ` +
        `which B x T = ${spec.batchSize * spec.seqLength} or H = ${spec.config.hiddenSize} would exceed. Use a smaller batch, sequence length or hidden size, or a GPU.`,
      'too-big',
    );
  }
  // The GRU's stream waves keep one float per unit of a step in workgroup memory (streamWave.ts).
  const { hiddenSize } = spec.config;
  const workgroupBytes = device.limits.maxComputeWorkgroupStorageSize;
  if (cellOf(spec.config) === 'gru' && hiddenSize * 4 > workgroupBytes) {
    throw new WebGpuError(
      `A GRU with hidden size ${hiddenSize} is too big for the GPU ${adapterName}: its step keeps ${hiddenSize * 4} bytes in workgroup memory, over the device's maxComputeWorkgroupStorageSize of ${workgroupBytes}. ` +
        `Choose a hidden size of at most ${Math.floor(workgroupBytes / 4)}.`,
      'too-big',
    );
  }
  const { maxStorageBufferBindingSize, maxBufferSize } = device.limits;
  const [limitName, limit] = maxStorageBufferBindingSize <= maxBufferSize ? ['maxStorageBufferBindingSize', maxStorageBufferBindingSize] : ['maxBufferSize', maxBufferSize];
  const { config, batchSize: B, seqLength: T } = spec;
  const sizes = [{ name: 'parameter', floats: parameterLayout(config).total }, ...activationSizes(config, B, T)];
  for (const { name, floats } of sizes) {
    if (floats * 4 > limit) {
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      throw new WebGpuError(
        `The model is too big for the GPU ${adapterName}: its ${name} buffer needs ${mib(floats * 4)}, over the device's ${limitName} of ${mib(limit)} ` +
          `(${parameterCount(config).toLocaleString('en-US')} parameters; B=${B}, T=${T}, H=${config.hiddenSize}, L=${config.layers}, V=${config.vocabSize}). ` +
          'Choose a smaller hidden size, batch size or sequence length.',
        'too-big',
      );
    }
  }
}

interface EvalPlan {
  acts: Activations;
  state: StateBuffers;
  dispatches: Dispatch[];
}

class GpuTrainer implements WebGpuTrainer {
  readonly description: string;
  lastStep = { dispatches: 0, submits: 0 };
  /** Everything recorded and submitted so far: step() reports its share as lastStep. */
  private readonly recorded = { dispatches: 0, submits: 0 };
  private readonly config: ModelConfig;
  private readonly kernels: Kernels;
  private readonly layout: ParameterLayout;
  private readonly shared: SharedBuffers;
  private readonly moments: GPUBuffer[];
  private readonly optimizerParams: GPUBuffer;
  private readonly acts: Activations;
  private readonly state: StateBuffers;
  private stepDispatches: Dispatch[] = [];
  private gradientDispatches: Dispatch[] = [];
  private readonly evalPlans = new Map<string, Promise<EvalPlan>>();
  private lost?: WebGpuError;
  private disposed = false;

  constructor(
    private readonly spec: TrainerSpec,
    readonly gpu: GpuContext,
    private readonly ownsDevice: boolean,
  ) {
    const { device } = gpu;
    this.config = spec.config;
    this.description = `webgpu (${gpu.adapterName}, ${gpu.backendName}${gpu.isSoftware ? ', software' : ''})`;
    device.lost.then((info) => {
      this.lost ??= new WebGpuError(`The GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}); training cannot continue on WebGPU`, 'device-lost');
    });
    this.kernels = new Kernels(device);
    const k = this.kernels;
    this.layout = parameterLayout(this.config);
    const n = this.layout.total;
    this.shared = {
      layout: this.layout,
      params: k.storage('params', n),
      grads: k.storage('grads', n),
      layerTable: k.uniform('layer table', layerTableData(this.layout, Array.from({ length: this.config.layers }, () => NO_MASK))),
    };
    this.moments = MOMENTS[spec.optimizer].map((m) => k.storage(`moment ${m}`, n));
    this.optimizerParams = k.uniform('optimizer', optimizerUniform(n, 0, 1, 1));
    this.acts = createActivations(k, this.config, spec.batchSize, spec.seqLength, true, this.config.dropout > 0);
    this.state = createState(k, this.config, spec.batchSize);
    k.write(this.shared.params, packFlat(this.layout, spec.weights));
  }

  async build(): Promise<void> {
    const k = this.kernels;
    const { config, shared, acts, state } = this;
    const n = this.layout.total;
    const forward = await forwardPass(k, config, shared, acts, state);
    const backward = await backwardPass(k, config, shared, acts, state);
    const scale = k.storage('clip scale', 1);
    k.write(scale, new Float32Array([1]));
    const clip = this.spec.gradClip > 0 ? await gradNorm(k, n, this.spec.gradClip, shared.grads, k.storage('norm partials', PARTIALS), scale) : [];
    const optimize = await optimizerStep(k, this.spec.optimizer, n, this.optimizerParams, scale, shared.params, shared.grads, this.moments);
    this.gradientDispatches = [...forward, ...backward];
    this.stepDispatches = [...forward, ...backward, ...clip, optimize, ...(await carryPass(k, config, acts, state))];
  }

  async step(batch: Batch, { lr, t, dropoutSeed }: StepParams): Promise<number> {
    this.writeBatch(this.acts, batch);
    this.writeDropout(dropoutSeed);
    const { c1, c2 } = adamCorrection(t);
    this.kernels.write(this.optimizerParams, optimizerUniform(this.layout.total, lr, c1, c2));
    const before = { ...this.recorded };
    const [loss] = await this.run(this.stepDispatches, [this.acts.lossMean]);
    this.lastStep = { dispatches: this.recorded.dispatches - before.dispatches, submits: this.recorded.submits - before.submits };
    return loss[0];
  }

  async gradients(batch: Batch): Promise<{ loss: number; gradients: WeightArrays }> {
    this.writeBatch(this.acts, batch);
    this.writeDropout(undefined);
    const [loss, grads] = await this.run(this.gradientDispatches, [this.acts.lossMean, this.shared.grads]);
    return { loss: loss[0], gradients: unpackFlat(this.layout, grads) };
  }

  async evaluate(streams: BatchStreams): Promise<number> {
    const plan = await this.evalPlan(streams.batchSize, streams.seqLength);
    this.zeroState(plan.state, streams.batchSize);
    const batches = streams.batchesPerEpoch;
    const { device } = this.gpu;
    const losses = device.createBuffer({ label: 'evaluation losses', size: Math.max(4, batches * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    try {
      for (let b = 0; b < batches; b++) {
        this.checkAlive();
        this.writeBatch(plan.acts, streams.batch(b));
        const encoder = device.createCommandEncoder();
        encodeDispatches(encoder, plan.dispatches);
        encoder.copyBufferToBuffer(plan.acts.lossMean, 0, losses, b * 4, 4);
        this.submit(encoder, plan.dispatches.length);
      }
      const [values] = await this.run([], [losses]);
      let total = 0;
      for (let b = 0; b < batches; b++) total += values[b];
      return total / batches;
    } finally {
      losses.destroy();
    }
  }

  async readWeights(): Promise<WeightArrays> {
    const [flat] = await this.run([], [this.shared.params]);
    return unpackFlat(this.layout, flat);
  }

  async writeWeights(weights: WeightArrays): Promise<void> {
    this.checkAlive();
    this.kernels.write(this.shared.params, packFlat(this.layout, weights));
  }

  async readMoments(): Promise<WeightArrays> {
    const flats = await this.run([], this.moments);
    const out: WeightArrays = new Map();
    MOMENTS[this.spec.optimizer].forEach((kind, i) => {
      for (const [name, values] of unpackFlat(this.layout, flats[i], (w) => momentName(w, kind))) out.set(name, values);
    });
    return out;
  }

  async writeMoments(moments: WeightArrays): Promise<void> {
    this.checkAlive();
    MOMENTS[this.spec.optimizer].forEach((kind, i) => this.kernels.write(this.moments[i], packFlat(this.layout, moments, (w) => momentName(w, kind))));
  }

  async readState(): Promise<CarriedState> {
    const [h, c] = await this.run([], [this.state.h, this.state.c]);
    const size = this.spec.batchSize * this.config.hiddenSize;
    const layers = (a: Float32Array) => Array.from({ length: this.config.layers }, (_, l) => a.slice(l * size, (l + 1) * size));
    return { h: layers(h), c: layers(c) };
  }

  async writeState(state: CarriedState): Promise<void> {
    this.checkAlive();
    const size = this.spec.batchSize * this.config.hiddenSize;
    for (let l = 0; l < this.config.layers; l++) {
      for (const [arrays, buffer] of [[state.h, this.state.h], [state.c, this.state.c]] as const) {
        if (arrays[l]?.length !== size) throw new Error(`Carried state of layer ${l + 1} must hold ${size} values (B x H)`);
        this.kernels.write(buffer, arrays[l], l * size);
      }
    }
  }

  resetState(): void {
    this.zeroState(this.state, this.spec.batchSize);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kernels.destroy();
    if (this.ownsDevice) this.gpu.device.destroy();
  }

  private zeroState(state: StateBuffers, B: number): void {
    if (this.lost) return;
    const zeros = new Float32Array(this.config.layers * B * this.config.hiddenSize);
    for (const buffer of [state.h, state.c]) this.kernels.write(buffer, zeros);
  }

  private writeBatch(acts: Activations, batch: Batch): void {
    this.checkAlive();
    if (batch.batchSize !== acts.B || batch.seqLength !== acts.T) {
      throw new Error(`Batch is ${batch.batchSize}x${batch.seqLength}; this trainer was built for ${acts.B}x${acts.T}`);
    }
    this.kernels.write(acts.x, batch.x);
    this.kernels.write(acts.y, batch.y);
  }

  /** This step's masks (dropoutMask.ts), or the identity (threshold 0, scale 1) when the step has none. */
  private writeDropout(dropoutSeed: number | undefined): void {
    const rate = this.config.dropout;
    const masks = Array.from({ length: this.config.layers }, (_, l): LayerMask =>
      dropoutSeed !== undefined && rate > 0 ? { seed: layerMaskSeed(dropoutSeed, l), threshold: dropThreshold(rate), scale: 1 / (1 - rate) } : NO_MASK,
    );
    this.kernels.write(this.shared.layerTable, layerTableData(this.layout, masks));
  }

  /** Forward only, no dropout, from its own state (the training state is not touched). */
  private evalPlan(B: number, T: number): Promise<EvalPlan> {
    const key = `${B}x${T}`;
    let plan = this.evalPlans.get(key);
    if (!plan) {
      plan = (async () => {
        const k = this.kernels;
        const shared = B === this.acts.B && T === this.acts.T ? this.acts : createActivations(k, this.config, B, T, false, false);
        const acts = { ...shared, dropped: undefined };
        const state = createState(k, this.config, B);
        const dispatches = [...(await forwardPass(k, this.config, this.shared, acts, state)), ...(await carryPass(k, this.config, acts, state))];
        return { acts, state, dispatches };
      })();
      this.evalPlans.set(key, plan);
    }
    return plan;
  }

  private submit(encoder: GPUCommandEncoder, dispatches: number): void {
    this.gpu.device.queue.submit([encoder.finish()]);
    this.recorded.dispatches += dispatches;
    this.recorded.submits++;
  }

  private checkAlive(): void {
    if (this.lost) throw this.lost;
    if (this.disposed) throw new Error('The WebGPU trainer was disposed');
  }

  /**
   * Records `dispatches` and copies of `reads` into one command buffer,
   * submits it once and maps the copies back. The map races the device's
   * loss, so a device lost mid-step rejects instead of hanging.
   */
  private async run(dispatches: Dispatch[], reads: GPUBuffer[]): Promise<Float32Array[]> {
    this.checkAlive();
    const { device } = this.gpu;
    const total = reads.reduce((n, b) => n + b.size, 0);
    const staging = device.createBuffer({ label: 'read-back', size: Math.max(4, total), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = device.createCommandEncoder();
      if (dispatches.length) encodeDispatches(encoder, dispatches);
      let offset = 0;
      for (const buffer of reads) {
        encoder.copyBufferToBuffer(buffer, 0, staging, offset, buffer.size);
        offset += buffer.size;
      }
      this.submit(encoder, dispatches.length);
      const lost = device.lost.then(() => Promise.reject(this.lost));
      try {
        await Promise.race([staging.mapAsync(GPUMapMode.READ), lost]);
      } catch (err) {
        throw this.lost ?? new WebGpuError(`Reading results back from the GPU failed: ${(err as Error).message}`, 'device-lost');
      }
      const data = staging.getMappedRange().slice(0);
      staging.unmap();
      offset = 0;
      return reads.map((buffer) => {
        const floats = new Float32Array(data, offset, buffer.size / 4);
        offset += buffer.size;
        return floats;
      });
    } finally {
      staging.destroy();
    }
  }
}
