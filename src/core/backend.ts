import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendName, BackendRequest } from './backendNames';

export { BACKENDS, BackendName, BackendRequest };

/**
 * Picks the tfjs backend. 'auto' tries the fastest first: CUDA through
 * tfjs-node-gpu, WebGPU through Dawn when an adapter exists, TensorFlow's
 * CPU library through tfjs-node, then WebAssembly (SIMD), then plain JS.
 * The optional packages are loaded with a plain require at run time, so a
 * machine without them (or where their native install failed) still runs.
 */

export interface BackendChoice {
  name: BackendName;
  /** Why each faster backend was passed over (empty when the first choice loaded). */
  skipped: string[];
}

export class BackendError extends Error {}

export async function selectBackend(request: BackendRequest = 'auto'): Promise<BackendChoice> {
  if (request !== 'auto' && !BACKENDS.includes(request)) {
    throw new BackendError(`Unknown backend '${request}'; choose one of auto, ${BACKENDS.join(', ')}`);
  }
  const candidates = request === 'auto' ? BACKENDS : [request];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      await activate(name);
      return { name, skipped };
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new BackendError(`Backend ${candidates.join(', ')} could not be loaded (${skipped.join('; ')})`);
}

async function activate(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      loadOptional('@tensorflow/tfjs-node-gpu', 'it needs CUDA 11.2, cuDNN 8.1 and the libtensorflow its install downloads');
      return use('tensorflow');
    case 'tensorflow':
      loadOptional('@tensorflow/tfjs-node', 'its install downloads libtensorflow');
      return use('tensorflow');
    case 'webgpu':
      return activateWebGpu();
    case 'wasm': {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(wasmDirectory());
      return use('wasm');
    }
    case 'cpu':
      require('@tensorflow/tfjs-backend-cpu');
      return use('cpu');
  }
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

async function activateWebGpu(): Promise<void> {
  let dawn: { create: (flags: string[]) => GPU; globals: object };
  try {
    dawn = require('webgpu');
  } catch (err) {
    throw new Error(`the webgpu package (Dawn) is not available: ${(err as Error).message}`);
  }
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter found (no supported GPU or driver)');
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis.navigator ?? Object.assign(globalThis, { navigator: {} }).navigator, 'gpu', { value: gpu, configurable: true });
  loadOptional('@tensorflow/tfjs-backend-webgpu', 'it is an optional dependency');
  return use('webgpu');
}

/** The .wasm binaries sit next to the bundle (dist/) or in the package when run from source. */
function wasmDirectory(): string {
  const beside = path.join(__dirname, 'tfjs-backend-wasm-simd.wasm');
  if (fs.existsSync(beside)) return __dirname + path.sep;
  // A computed name keeps esbuild from trying to bundle the resolve.
  const pkg = ['@tensorflow', 'tfjs-backend-wasm', 'package.json'].join('/');
  return path.join(path.dirname(require.resolve(pkg)), 'dist') + path.sep;
}
