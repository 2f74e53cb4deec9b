/// <reference types="@webgpu/types" />
import * as fs from 'fs';
import * as path from 'path';
import { WebGpuError } from './webGpuError';

/**
 * Opens a WebGPU device through Dawn (the `webgpu` package): a hardware
 * adapter (Vulkan, Metal, D3D12) first, then, where allowed, Mesa's llvmpipe
 * through Dawn's OpenGL ES backend, the software adapter that lets the
 * kernels be tested on CPU-only machines (../shared/notes/gpu-device.md).
 */
export interface GpuContext {
  device: GPUDevice;
  /** "NVIDIA H100 (nvidia, hopper)", "llvmpipe (mesa)". */
  adapterName: string;
  isSoftware: boolean;
  /** The Dawn backend the adapter runs on: 'vulkan', 'metal', 'd3d12' or 'opengles'. */
  backendName: string;
}

interface Dawn {
  create(flags: string[]): GPU;
  globals: object;
}

/** Fields of GPUAdapterInfo and the compatibility option, which this version of @webgpu/types lacks. */
type AdapterWithInfo = GPUAdapter & { info?: { vendor?: string; architecture?: string; device?: string; description?: string } };
export type AdapterOptions = GPURequestAdapterOptions & { featureLevel?: 'core' | 'compatibility' };

/** Limits the kernels need above WebGPU's defaults (compatibility defaults are lower still). */
const WANTED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
] as const;
const MIN_INVOCATIONS = 256;
const MIN_STORAGE_BUFFERS = 8;

let dawn: Dawn | undefined;

function loadDawn(): Dawn {
  if (dawn) return dawn;
  // The addon is required directly rather than through the package's ES module
  // entry, which needs require(esm) (Node >= 20.19; VS Code's Electron may be older).
  // An installed extension carries it beside the bundle (dist/dawn, see
  // esbuild.config.mjs); from source it is in the package.
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const file = `${process.platform}-${arch}.dawn.node`;
  const candidates = [path.join(__dirname, 'dawn', file), ['webgpu', 'dist', file].join('/')];
  const failures: string[] = [];
  for (const addon of candidates) {
    if (path.isAbsolute(addon) && !fs.existsSync(addon)) continue;
    try {
      dawn = require(addon) as Dawn;
      break;
    } catch (err) {
      failures.push(`${addon}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (!dawn) throw new WebGpuError(`WebGPU is unavailable: the Dawn addon ${file} could not be loaded (${failures.join('; ')})`, 'dawn-missing');
  // Dawn's GPUBufferUsage, GPUMapMode, ... constants are not Node globals.
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
  return dawn;
}

/**
 * A Dawn instance: the native backends (Vulkan, Metal, D3D12), or OpenGL ES
 * for the software adapter, whose adapters must then be requested with
 * featureLevel 'compatibility' (softwareAdapterOptions).
 */
export function createDawnGpu(software: boolean): GPU {
  // EGL reads this when the OpenGL ES backend starts; it must be in the real process environment by then.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  return loadDawn().create(software ? ['backend=opengles'] : []);
}

export const softwareAdapterOptions: AdapterOptions = { featureLevel: 'compatibility' };

/**
 * Why Dawn's hardware backend cannot start here, found without Dawn: on
 * Linux without the Vulkan loader, Dawn prints a C++ warning with a source
 * location to stderr on every start, which reads like a crash. The loader
 * is looked for as Dawn looks for it (dlopen, so LD_LIBRARY_PATH and the
 * linker cache count); a library that loads but is no Node addon says "did
 * not self-register", which means it is there.
 */
export function missingGpuDriver(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    process.dlopen({ exports: {} }, 'libvulkan.so.1');
  } catch (err) {
    if (!/did not self-register/.test((err as Error).message)) return 'no Vulkan driver (libvulkan.so.1 not found)';
  }
  return undefined;
}

export async function openGpu(options: { allowSoftware: boolean }): Promise<GpuContext> {
  const tried: string[] = [];
  const attempts: Array<{ options: AdapterOptions; software: boolean }> = [];
  const missing = missingGpuDriver();
  if (missing) tried.push(`hardware: ${missing}`);
  else attempts.push({ options: { powerPreference: 'high-performance' }, software: false });
  if (options.allowSoftware) attempts.push({ options: softwareAdapterOptions, software: true });
  else if (missing) throw new WebGpuError(`${missing}; WebGPU unavailable`, 'no-adapter');
  for (const attempt of attempts) {
    const gpu = createDawnGpu(attempt.software);
    const adapter = (await gpu.requestAdapter(attempt.options)) as AdapterWithInfo | null;
    if (!adapter) {
      tried.push(attempt.software ? 'software (OpenGL ES, Mesa llvmpipe)' : 'hardware (Vulkan, Metal, D3D12)');
      continue;
    }
    const device = await requestDevice(adapter);
    const info = adapter.info ?? {};
    const software = attempt.software || /llvmpipe|lavapipe|swiftshader|software/i.test(`${info.description} ${info.device} ${info.architecture}`);
    // The GPU object owns the Dawn instance; keeping it reachable from the device keeps the instance alive.
    Object.defineProperty(device, 'charlensInstance', { value: gpu });
    return { device, adapterName: describe(info, software), isSoftware: software, backendName: attempt.software ? 'opengles' : nativeBackend() };
  }
  const hint = options.allowSoftware
    ? ' (on Linux the software adapter needs libegl1, libegl-mesa0, libgl1-mesa-dri and libEGL.so from libegl-dev)'
    : '; allow the software adapter to use Mesa llvmpipe instead';
  throw new WebGpuError(`No WebGPU adapter found: tried ${tried.join(', then ')}${hint}`, 'no-adapter');
}

async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  if (requiredLimits.maxComputeInvocationsPerWorkgroup < MIN_INVOCATIONS || requiredLimits.maxStorageBuffersPerShaderStage < MIN_STORAGE_BUFFERS) {
    throw new WebGpuError(
      `The WebGPU adapter allows ${requiredLimits.maxComputeInvocationsPerWorkgroup} invocations per workgroup and ${requiredLimits.maxStorageBuffersPerShaderStage} storage buffers per shader; CharLens needs ${MIN_INVOCATIONS} and ${MIN_STORAGE_BUFFERS}`,
      'no-adapter',
    );
  }
  return adapter.requestDevice({ requiredLimits });
}

/** "llvmpipe-llvm-15-0-6-256-bits (OpenGL version OpenGL ES 3.2 Mesa 22.3.6)", "NVIDIA H100 80GB HBM3 (nvidia, hopper)". */
function describe(info: NonNullable<AdapterWithInfo['info']>, software: boolean): string {
  const name = (info.device || info.description || info.architecture || (software ? 'software adapter' : 'GPU')).replace(/-+$/, '');
  const extra = [info.vendor, info.architecture, info.description].filter((s): s is string => !!s && !name.includes(s));
  return extra.length ? `${name} (${[...new Set(extra)].join(', ')})` : name;
}

const nativeBackend = (): string => (process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan');
