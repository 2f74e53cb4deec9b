import * as tf from '@tensorflow/tfjs';
import { createTfjsTrainer } from '../core/train/tfjs/tfjsTrainer';
import { Trainer } from '../core/train/trainer';
import { GpuContext, createDawnGpu, openGpu, softwareAdapterOptions } from '../core/train/webgpu/device';
import { createWebGpuTrainer } from '../core/train/webgpu/webgpuTrainer';
import { TrainShape, benchSpec, benchStepper, shapeLabel } from './benchShapes';

export interface WebGpuBenchRow {
  /** 'webgpu': CharLens's WGSL trainer; 'tfjs-webgpu': tfjs ops (op-by-op LSTM) on tfjs-backend-webgpu. */
  path: 'webgpu' | 'tfjs-webgpu';
  shape: TrainShape;
  adapter: string;
  msPerStep: number;
  charsPerSecond: number;
  /** Per training step (WGSL trainer only). */
  dispatches?: number;
  submits?: number;
}

/** Always measured; the others only on a hardware adapter (minutes per step on llvmpipe). */
export const SMALL_SHAPE: TrainShape = { B: 50, T: 50, H: 128, L: 2, V: 65 };
export const GPU_SHAPES: TrainShape[] = [
  { B: 100, T: 100, H: 512, L: 2, V: 100 },
  { B: 256, T: 128, H: 512, L: 2, V: 100 },
];

/** ms per step (forward, backward, clip, Adam) after one warm-up step, on random ids. */
async function msPerStep(trainer: Trainer, s: TrainShape, steps: number): Promise<number> {
  const step = benchStepper(s);
  let t = 0;
  await step(trainer, ++t);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step(trainer, ++t);
  return (performance.now() - t0) / steps;
}

export interface WebGpuBenchOptions {
  /** Timed steps per trainer and shape, after one warm-up step. */
  steps?: number;
  /** Timed steps of tfjs's op-by-op path (seconds a step even on a GPU); by default `steps`, and 1 on the software adapter. */
  tfjsSteps?: number;
  /** By default SMALL_SHAPE, and GPU_SHAPES too on a hardware adapter. */
  shapes?: TrainShape[];
  print?: (line: string) => void;
  /** Told why a path did not run at all (no adapter, tfjs-backend-webgpu missing). */
  onSkip?: (path: WebGpuBenchRow['path'], reason: string) => void;
}

/**
 * `charlens bench train`'s GPU part: ms/step and chars/s of the WGSL trainer
 * at each shape, with its dispatches and submits per step, then the same for
 * tfjs's op-by-op path on tfjs-backend-webgpu where that backend loads.
 * Prints one line per row through `print` and returns the rows.
 */
export async function benchTrainWebGpu(options: WebGpuBenchOptions = {}): Promise<WebGpuBenchRow[]> {
  const { steps = 3, print = (l: string) => process.stdout.write(`${l}\n`) } = options;
  const rows: WebGpuBenchRow[] = [];
  let gpu: GpuContext;
  try {
    gpu = await openGpu({ allowSoftware: true });
  } catch (err) {
    print(`  webgpu: skipped (${(err as Error).message})`);
    options.onSkip?.('webgpu', (err as Error).message);
    return rows;
  }
  const shapes = options.shapes ?? (gpu.isSoftware ? [SMALL_SHAPE] : [SMALL_SHAPE, ...GPU_SHAPES]);
  const report = (row: WebGpuBenchRow) => {
    rows.push(row);
    const counts = row.dispatches === undefined ? '' : `  ${row.dispatches} dispatches, ${row.submits} submit per step`;
    print(`  ${row.path.padEnd(12)} ${shapeLabel(row.shape).padEnd(20)} ${row.msPerStep.toFixed(1).padStart(9)} ms/step ${row.charsPerSecond.toFixed(0).padStart(9)} chars/s${counts}  [${row.adapter}]`);
  };
  try {
    if (gpu.isSoftware && !options.shapes) print(`  webgpu: software adapter only (${gpu.adapterName}); the larger shapes need a GPU`);
    for (const shape of shapes) {
      const trainer = await createWebGpuTrainer(benchSpec(shape), gpu);
      try {
        const ms = await msPerStep(trainer, shape, steps);
        report({ path: 'webgpu', shape, adapter: gpu.adapterName, msPerStep: ms, charsPerSecond: (shape.B * shape.T * 1000) / ms, ...trainer.lastStep });
      } finally {
        trainer.dispose();
      }
    }
  } finally {
    gpu.device.destroy();
  }
  const previous = tf.getBackend();
  try {
    await useTfjsWebGpu(gpu.isSoftware);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    print(`  tfjs-webgpu: skipped (${reason})`);
    options.onSkip?.('tfjs-webgpu', reason);
    return rows;
  }
  try {
    for (const shape of shapes) {
      const trainer = await createTfjsTrainer(benchSpec(shape), 'reference');
      try {
        // Op by op on llvmpipe takes tens of seconds a step: one timed step says enough there.
        const ms = await msPerStep(trainer, shape, options.tfjsSteps ?? (gpu.isSoftware ? 1 : steps));
        report({ path: 'tfjs-webgpu', shape, adapter: gpu.adapterName, msPerStep: ms, charsPerSecond: (shape.B * shape.T * 1000) / ms });
      } finally {
        trainer.dispose();
      }
    }
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  return rows;
}

/**
 * tfjs-backend-webgpu on a Dawn adapter. It asks navigator.gpu for a plain
 * adapter, which the software one only is in compatibility mode, so the
 * request is adjusted there (otherwise tfjs silently stays on its old
 * backend); and it keeps the default of 8 storage buffers per shader, which
 * its AddN of the LSTM's gradients exceeds, so the device asks for the
 * adapter's maximum.
 */
async function useTfjsWebGpu(software: boolean): Promise<void> {
  const dawn = createDawnGpu(software);
  const requestAdapter = async (o?: GPURequestAdapterOptions) => {
    const adapter = await dawn.requestAdapter(software ? { ...o, ...softwareAdapterOptions } : o);
    if (!adapter) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    const maxStorageBuffersPerShaderStage = adapter.limits.maxStorageBuffersPerShaderStage;
    Object.defineProperty(adapter, 'requestDevice', {
      value: (d: GPUDeviceDescriptor = {}) => requestDevice({ ...d, requiredLimits: { ...d.requiredLimits, maxStorageBuffersPerShaderStage } }),
    });
    return adapter;
  };
  const gpu = { requestAdapter };
  const nav = (globalThis as { navigator?: object }).navigator ?? Object.assign(globalThis, { navigator: {} }).navigator;
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  // Registers the backend only when navigator.gpu exists, so it is loaded after.
  require(['@tensorflow', 'tfjs-backend-webgpu'].join('/'));
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not initialise on this adapter');
}
