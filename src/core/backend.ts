import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendName, BackendRequest } from './backendNames';
import type { TrainerFactory } from './train/loop';
import { createTfjsTrainer } from './train/tfjs/tfjsTrainer';
import { createWasmTrainer, defaultThreadCount, wasmTrainerSupport } from './train/wasm/wasmTrainer';
import { GpuContext, openGpu } from './train/webgpu/device';
import { createWebGpuTrainer } from './train/webgpu/webgpuTrainer';
import { UserError } from './userError';

export { BACKENDS, BackendName, BackendRequest };

/**
 * Picks where training runs and the tfjs backend for everything else tfjs
 * does. 'auto' tries the fastest first: CUDA through tfjs-node-gpu, our
 * WGSL trainer on a hardware WebGPU adapter (never the software one, which
 * is slower than wasm), TensorFlow's CPU library through tfjs-node, then
 * WebAssembly (SIMD), then plain JS. Asked for by name, 'webgpu' takes any
 * adapter, Mesa's llvmpipe included. The optional packages are loaded with
 * a plain require at run time, so a machine without them (or where their
 * native install failed) still runs.
 */

export interface BackendChoice {
  name: BackendName;
  /** Why each faster backend was passed over (empty when the first choice loaded). */
  skipped: string[];
  /** Where training runs, for the user: "wasm (CPU)", "webgpu (NVIDIA H100, vulkan)". */
  description: string;
  /** A hardware GPU trains: bigger models are worth it. */
  gpu: boolean;
  createTrainer: TrainerFactory;
}

export class BackendError extends UserError {}

export interface BackendOptions {
  /** Threads of the wasm CPU trainer (default: the cores, less one for the editor when there are more than 2). */
  threads?: number;
}

export async function selectBackend(request: BackendRequest = 'auto', options: BackendOptions = {}): Promise<BackendChoice> {
  if (request !== 'auto' && !BACKENDS.includes(request)) {
    throw new BackendError(`Unknown backend '${request}'; choose one of auto, ${BACKENDS.join(', ')}`);
  }
  const candidates = request === 'auto' ? BACKENDS : [request];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      return { name, skipped, ...(await activate(name, request === name, options)) };
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new BackendError(`Backend ${candidates.join(', ')} could not be loaded (${skipped.join('; ')})`);
}

type Activated = Omit<BackendChoice, 'name' | 'skipped'>;

const onTfjs = (description: string, gpu = false): Activated => ({ description, gpu, createTrainer: (spec) => createTfjsTrainer(spec, 'fused', description) });

async function activate(name: BackendName, named: boolean, options: BackendOptions): Promise<Activated> {
  switch (name) {
    case 'tensorflow-gpu':
      loadOptional('@tensorflow/tfjs-node-gpu', 'it needs CUDA 11.2, cuDNN 8.1 and the libtensorflow its install downloads');
      await use('tensorflow');
      return onTfjs('tensorflow-gpu (CUDA)', true);
    case 'tensorflow':
      loadOptional('@tensorflow/tfjs-node', 'its install downloads libtensorflow');
      await use('tensorflow');
      return onTfjs('tensorflow (CPU)');
    case 'webgpu':
      return activateWebGpu(named);
    case 'wasm':
      await useWasm();
      return wasmTrainer(options.threads);
    case 'cpu':
      require('@tensorflow/tfjs-backend-cpu');
      await use('cpu');
      return onTfjs('cpu (plain JavaScript)');
  }
}

async function useWasm(): Promise<void> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDirectory());
  await use('wasm');
}

async function use(backend: string): Promise<void> {
  // Production mode drops tfjs's debug checks and its console nags (we report the backend ourselves).
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not initialise the ${backend} backend`);
  await tf.ready();
}

function loadOptional(pkg: string, why: string): void {
  try {
    require(pkg);
  } catch (err) {
    const notInstalled = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    throw new Error(notInstalled ? `${pkg} is not installed (${why})` : `${pkg} failed to load: ${(err as Error).message}`);
  }
}

/**
 * Our WebAssembly SIMD trainer on worker threads where the runtime has SIMD
 * and shared memory, else tfjs's wasm backend (which the rest of tfjs work
 * uses either way), saying why.
 */
function wasmTrainer(requested?: number): Activated {
  const support = wasmTrainerSupport();
  if (support.reason) return onTfjs(`wasm (CPU, tfjs: ${support.reason})`);
  const threads = requested && requested > 0 ? requested : defaultThreadCount();
  return {
    description: `wasm SIMD (CPU, ${threads} thread${threads === 1 ? '' : 's'})`,
    gpu: false,
    createTrainer: (spec) => createWasmTrainer(spec, { threads }),
  };
}

/** One GPU device per process, opened on first use and kept: Dawn devices are costly to open and must not leak. */
let openedGpu: Promise<GpuContext> | undefined;

/** Destroys the process's GPU device, if one was opened: an open Dawn device keeps a process from exiting. */
export async function releaseGpu(): Promise<void> {
  const gpu = openedGpu;
  openedGpu = undefined;
  (await gpu?.catch(() => undefined))?.device.destroy();
}

async function activateWebGpu(allowSoftware: boolean): Promise<Activated> {
  const gpu = await (openedGpu ??= openGpu({ allowSoftware }).catch((err) => {
    openedGpu = undefined;
    throw err;
  }));
  if (gpu.isSoftware && !allowSoftware) {
    throw new Error(`only a software adapter (${gpu.adapterName}), slower than wasm; choose webgpu by name to use it`);
  }
  // The trainer is ours; what else uses tfjs (scoring, the explorer) runs on wasm.
  await useWasm();
  return {
    description: `webgpu (${gpu.adapterName}, ${gpu.backendName}${gpu.isSoftware ? ', software' : ''})`,
    gpu: !gpu.isSoftware,
    createTrainer: (spec) => createWebGpuTrainer(spec, gpu),
  };
}

/** The .wasm binaries sit next to the bundle (dist/) or in the package when run from source. */
function wasmDirectory(): string {
  const beside = path.join(__dirname, 'tfjs-backend-wasm-simd.wasm');
  if (fs.existsSync(beside)) return __dirname + path.sep;
  // A computed name keeps esbuild from trying to bundle the resolve.
  const pkg = ['@tensorflow', 'tfjs-backend-wasm', 'package.json'].join('/');
  return path.join(path.dirname(require.resolve(pkg)), 'dist') + path.sep;
}
