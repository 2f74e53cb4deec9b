import { TRAIN_KERNELS_WASM_BASE64 } from './kernels/trainKernelsWasm';

/**
 * The CPU trainer's WebAssembly kernels (kernels/*.wat): compiled once in
 * the main thread, then instantiated by every worker on the one shared
 * memory. Each kernel's shapes are in a comment at the top of its .wat file;
 * every pointer argument is a byte offset into that memory.
 */
export type KernelName = keyof typeof TRAIN_KERNELS_WASM_BASE64;
export type KernelModules = Record<KernelName, WebAssembly.Module>;

/** matmul's `init`: what C starts from. */
export const INIT_ZERO = 0;
export const INIT_ACCUMULATE = 1;
export const INIT_BIAS = 2;

/** activate's `kind`. */
export const EXP = 0;
export const SIGMOID = 1;
export const TANH = 2;

export interface Kernels {
  activate(out: number, x: number, n: number, kind: number): void;
  matmul(c: number, a: number, b: number, m: number, k: number, n: number, lda: number, ldc: number, init: number, bias: number): void;
  matmulTransA(c: number, a: number, b: number, rows: number, k0: number, k1: number, n: number, lda: number, ldb: number, ldc: number): void;
  lstmStepForward(
    z: number, zStride: number, hPrev: number, cPrev: number, prevStride: number,
    h: number, c: number, tanhC: number, outStride: number, wh: number, rows: number, hp: number,
  ): void;
  lstmStepBackward(
    z: number, zStride: number, dh: number, tanhC: number, stride: number,
    cPrev: number, prevStride: number, dc: number, whT: number, dhPrev: number, rows: number, hp: number,
  ): void;
  gruStepForward(z: number, zStride: number, hPrev: number, prevStride: number, h: number, resetH: number, outStride: number, wh: number, rows: number, hp: number): void;
  gruStepBackward(z: number, zStride: number, dh: number, hPrev: number, stride: number, dResetH: number, whT: number, dhPrev: number, rows: number, hp: number): void;
  rnnStepForward(z: number, zStride: number, hPrev: number, prevStride: number, h: number, outStride: number, wh: number, rows: number, hp: number): void;
  rnnStepBackward(z: number, zStride: number, dh: number, h: number, stride: number, whT: number, dhPrev: number, rows: number, hp: number): void;
  softmaxCrossEntropy(logits: number, targets: number, stats: number, rows: number, v: number, vp: number, scale: number, grad: number): void;
  embeddingLookup(out: number, table: number, ids: number, rows: number, ep: number): void;
  embeddingGradient(dTable: number, dx: number, ids: number, rows: number, v: number, ep: number): void;
  columnSum(out: number, x: number, rows: number, ldx: number, n: number): void;
  sumSquares(x: number, n: number): number;
  adamUpdate(w: number, g: number, m: number, v: number, n: number, lr: number, c1: number, c2: number, scale: number): void;
  rmspropUpdate(w: number, g: number, ms: number, n: number, lr: number, scale: number): void;
  packPanels(out: number, w: number, rows: number, cols: number, ld: number, transposed: number, s0: number, s1: number): void;
  dropoutMask(mask: number, seed: number, threshold: number, keep: number, row0: number, rows: number, h: number, hp: number, ld: number): void;
  applyMask(out: number, x: number, mask: number, n: number): void;
}

const binary = (name: KernelName) => Buffer.from(TRAIN_KERNELS_WASM_BASE64[name], 'base64');

export function compileKernels(): KernelModules {
  const names = Object.keys(TRAIN_KERNELS_WASM_BASE64) as KernelName[];
  return Object.fromEntries(names.map((name) => [name, new WebAssembly.Module(binary(name))])) as KernelModules;
}

/**
 * Instances of every kernel on `memory`. A module's imports name the memory
 * ("env") or another kernel module (the step kernels import matmulF32's
 * matmul and activations' activate), which is instantiated first.
 */
export function instantiateKernels(modules: KernelModules, memory: WebAssembly.Memory): Kernels {
  const instances = new Map<string, WebAssembly.Instance>();
  const instance = (name: KernelName): WebAssembly.Instance => {
    const done = instances.get(name);
    if (done) return done;
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    for (const imp of WebAssembly.Module.imports(modules[name])) {
      const value = imp.module === 'env' ? memory : instance(imp.module as KernelName).exports[imp.name];
      (imports[imp.module] ??= {})[imp.name] = value;
    }
    const made = new WebAssembly.Instance(modules[name], imports);
    instances.set(name, made);
    return made;
  };
  const kernels: Record<string, unknown> = {};
  for (const name of Object.keys(modules) as KernelName[]) Object.assign(kernels, instance(name).exports);
  return kernels as unknown as Kernels;
}

/** (module (func (result v128) (v128.const i32x4 0 0 0 0))): valid only where WebAssembly has SIMD. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b,
]);

export const simdAvailable = (): boolean => WebAssembly.validate(SIMD_PROBE);
