import { MAT_VEC_WASM_BASE64 } from './matVecWasm';

/**
 * Float32 vectors and matrices in one WebAssembly memory, with a SIMD
 * out += x * W kernel (matVec.wat). A one-character LSTM step is three such
 * products; in plain JS loops they run at ~1 GFLOP/s, in the kernel at
 * 10-20 (measured here), which is what makes a 40-character completion from
 * a 2x256 model take a few milliseconds.
 *
 * All views are allocated up front (`capacity` floats), because growing the
 * memory would detach every view handed out.
 */
const bytes = Buffer.from(MAT_VEC_WASM_BASE64, 'base64');
const simdAvailable = WebAssembly.validate(bytes);

export class VectorMemory {
  private readonly memory?: WebAssembly.Memory;
  private readonly kernel?: (out: number, x: number, w: number, m: number, n: number) => void;
  private readonly batchKernel?: (out: number, x: number, w: number, rows: number, m: number, n: number) => void;
  private readonly adaptKernel?: (w: number, w0: number, x: number, e: number, r: number, c: number, m: number, n: number) => void;
  private readonly scratch: Float32Array;
  private top = 0;

  constructor(capacity: number, scratchFloats: number, forceJs = false) {
    const floats = capacity + scratchFloats + 64;
    if (simdAvailable && !forceJs) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      this.memory = instance.exports.memory as WebAssembly.Memory;
      const pages = Math.ceil((floats * 4) / 65536);
      this.memory.grow(Math.max(0, pages - this.memory.buffer.byteLength / 65536));
      this.kernel = instance.exports.addVecMat as VectorMemory['kernel'];
      this.batchKernel = instance.exports.addMatMat as VectorMemory['batchKernel'];
      this.adaptKernel = instance.exports.adaptRows as VectorMemory['adaptKernel'];
    }
    this.scratch = this.alloc(scratchFloats);
  }

  /** Whether products run in the SIMD kernel (false: plain JS loops). */
  get simd(): boolean {
    return this.kernel !== undefined;
  }

  /** A zeroed vector of n floats (16-byte aligned inside the memory). */
  alloc(n: number): Float32Array {
    if (!this.memory) return new Float32Array(n);
    const start = this.top;
    this.top += Math.ceil(n / 4) * 4;
    if (this.top * 4 > this.memory.buffer.byteLength) throw new Error('VectorMemory capacity exceeded');
    return new Float32Array(this.memory.buffer, start * 4, n);
  }

  /**
   * out[0..n) += x * W, W row-major [x.length, n] with n a multiple of 4.
   * out and W must come from alloc(); x may be any array.
   */
  addVecMat(out: Float32Array, x: Float32Array, w: Float32Array, n: number): void {
    const m = x.length;
    if (this.kernel) {
      this.scratch.set(x);
      this.kernel(out.byteOffset, this.scratch.byteOffset, w.byteOffset, m, n);
      return;
    }
    for (let k = 0; k < m; k++) {
      const xk = x[k];
      if (xk === 0) continue;
      const base = k * n;
      for (let j = 0; j < n; j++) out[j] += xk * w[base + j];
    }
  }

  /**
   * out[r * n + j] += xs[r] * W for each row r: addVecMat for several
   * vectors of one length m at once, W read once for all of them. out (rows
   * x n, n a multiple of 4) and W must come from alloc(); the vectors are
   * copied into the scratch, which must hold rows x m floats.
   */
  addMatMat(out: Float32Array, xs: readonly Float32Array[], w: Float32Array, n: number): void {
    const rows = xs.length;
    const m = rows > 0 ? xs[0].length : 0;
    if (rows * m > this.scratch.length) throw new Error(`VectorMemory scratch holds ${this.scratch.length} floats, not ${rows} x ${m}`);
    if (this.batchKernel) {
      xs.forEach((x, r) => this.scratch.set(x, r * m));
      this.batchKernel(out.byteOffset, this.scratch.byteOffset, w.byteOffset, rows, m, n);
      return;
    }
    xs.forEach((x, r) => this.addVecMat(out.subarray(r * n, (r + 1) * n), x, w, n));
  }

  /**
   * Dynamic evaluation's step, for rows k < x.length of W [x.length, n]:
   * W[k, j] += -x[k] e[j] + min(1, r[k] c[j]) (W0[k, j] - W[k, j]).
   * Every array must come from alloc(); n a multiple of 4.
   */
  adaptRows(w: Float32Array, w0: Float32Array, x: Float32Array, e: Float32Array, r: Float32Array, c: Float32Array, n: number): void {
    const m = x.length;
    if (this.adaptKernel) {
      this.adaptKernel(w.byteOffset, w0.byteOffset, x.byteOffset, e.byteOffset, r.byteOffset, c.byteOffset, m, n);
      return;
    }
    for (let k = 0; k < m; k++) {
      const base = k * n;
      for (let j = 0; j < n; j++) {
        const wj = w[base + j];
        w[base + j] = wj - x[k] * e[j] + Math.min(1, r[k] * c[j]) * (w0[base + j] - wj);
      }
    }
  }
}

/** n rounded up to a multiple of 4 (the kernel's row length unit). */
export const padTo4 = (n: number): number => Math.ceil(n / 4) * 4;
