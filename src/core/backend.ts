import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendAvailability, BackendName, BackendRequest } from './backendNames';
import type { TrainerFactory } from './train/loop';
import { createTfjsTrainer } from './train/tfjs/tfjsTrainer';
import { createWasmTrainer, defaultThreadCount, wasmTrainerSupport } from './train/wasm/wasmTrainer';
import { GpuContext, openGpu } from './train/webgpu/device';
import { createWebGpuTrainer } from './train/webgpu/webgpuTrainer';
import { UserError } from './userError';

export { BACKENDS, BackendAvailability, BackendName, BackendRequest };

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

/** The optional tfjs-node packages: what each needs and what it is called once loaded. */
const TFJS_NODE = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', why: 'it needs CUDA 11.2, cuDNN 8.1 and the libtensorflow its install downloads', description: 'tensorflow-gpu (CUDA)', gpu: true },
  tensorflow: { pkg: '@tensorflow/tfjs-node', why: 'its install downloads libtensorflow', description: 'tensorflow (CPU)', gpu: false },
} as const;

const CPU_DESCRIPTION = 'cpu (plain JavaScript)';

async function activate(name: BackendName, named: boolean, options: BackendOptions): Promise<Activated> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const node = TFJS_NODE[name];
      loadOptional(node.pkg, node.why);
      await use('tensorflow');
      return onTfjs(node.description, node.gpu);
    }
    case 'webgpu':
      return activateWebGpu(named);
    case 'wasm':
      await useWasm();
      return wasmTrainer(options.threads);
    case 'cpu':
      require('@tensorflow/tfjs-backend-cpu');
      await use('cpu');
      return onTfjs(CPU_DESCRIPTION);
  }
}

/**
 * Tries what each backend needs (the package, the GPU adapter, the wasm
 * runtime's features) without switching tfjs to it: a menu of backends can
 * then say which load here and why the others do not. The GPU device the
 * probe opens is destroyed again.
 */
export async function probeBackends(): Promise<BackendAvailability[]> {
  const probed: BackendAvailability[] = [];
  for (const name of BACKENDS) {
    try {
      probed.push({ name, ...(await probe(name)) });
    } catch (err) {
      probed.push({ name, unavailable: (err as Error).message.split('\n')[0] });
    }
  }
  return probed;
}

async function probe(name: BackendName): Promise<Omit<BackendAvailability, 'name'>> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      loadOptional(TFJS_NODE[name].pkg, TFJS_NODE[name].why);
      return { description: TFJS_NODE[name].description };
    case 'webgpu': {
      const gpu = await openGpu({ allowSoftware: true });
      gpu.device.destroy();
      return { description: describeGpu(gpu), software: gpu.isSoftware };
    }
    case 'wasm':
      require('@tensorflow/tfjs-backend-wasm');
      wasmDirectory();
      return { description: wasmTrainer().description };
    case 'cpu':
      require('@tensorflow/tfjs-backend-cpu');
      return { description: CPU_DESCRIPTION };
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
    description: describeGpu(gpu),
    gpu: !gpu.isSoftware,
    createTrainer: (spec) => createWebGpuTrainer(spec, gpu),
  };
}

const describeGpu = (gpu: GpuContext): string => `webgpu (${gpu.adapterName}, ${gpu.backendName}${gpu.isSoftware ? ', software' : ''})`;

/** The .wasm binaries sit next to the bundle (dist/) or in the package when run from source. */
function wasmDirectory(): string {
  const beside = path.join(__dirname, 'tfjs-backend-wasm-simd.wasm');
  if (fs.existsSync(beside)) return __dirname + path.sep;
  // A computed name keeps esbuild from trying to bundle the resolve.
  const pkg = ['@tensorflow', 'tfjs-backend-wasm', 'package.json'].join('/');
  return path.join(path.dirname(require.resolve(pkg)), 'dist') + path.sep;
}
