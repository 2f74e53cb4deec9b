import { Dispatch, Kernels, uniformWords } from './kernels';

/**
 * C[M, N] = op(A)[M, K] · op(B)[K, N] (+ bias[N]), op = identity or transpose.
 * Shapes as stored (row-major, offsets in floats into the bound buffer):
 *   A: [M, K], or [K, M] when transposed;  B: [K, N], or [N, K] when transposed;
 *   C: [M, N];  bias: [N]; each with its own row stride (MatrixRef.ld).
 * Uses: input projections and logits (NN + bias), weight gradients
 * x^T · dz over all B*T rows (TN), input gradients dz · W^T (NT).
 *
 * A workgroup of 16x16 invocations computes a 64x64 tile of C, each
 * invocation a 4x4 block in registers; K is walked 16 at a time through
 * workgroup memory. Operands whose rows are whole vec4s (row length and
 * offset divisible by 4) are loaded as vec4<f32>, others as scalars.
 */
export interface MatrixRef {
  buffer: GPUBuffer;
  /** In floats. */
  offset: number;
  /** Floats from one stored row to the next, when the matrix is a column block of a wider one (the GRU's gate blocks); default the stored row length. */
  ld?: number;
}
export interface Operand extends MatrixRef {
  transposed?: boolean;
}

export interface MatmulArgs {
  M: number;
  N: number;
  K: number;
  a: Operand;
  b: Operand;
  c: MatrixRef;
  bias?: MatrixRef;
}

const TILE = 64;

export function matmul(kernels: Kernels, args: MatmulArgs): Promise<Dispatch> {
  const { M, N, K, a, b, c, bias } = args;
  const transA = !!a.transposed;
  const transB = !!b.transposed;
  const ldA = a.ld ?? (transA ? M : K);
  const ldB = b.ld ?? (transB ? K : N);
  const ldC = c.ld ?? N;
  const variant = {
    transA,
    transB,
    vecA: (transA ? M : K) % 4 === 0 && ldA % 4 === 0 && a.offset % 4 === 0,
    vecB: (transB ? K : N) % 4 === 0 && ldB % 4 === 0 && b.offset % 4 === 0,
    vecC: N % 4 === 0 && ldC % 4 === 0 && c.offset % 4 === 0,
    bias: !!bias,
  };
  const uniform = kernels.uniform('matmul dims', uniformWords([M, N, K, a.offset, b.offset, c.offset, bias?.offset ?? 0, ldA, ldB, ldC]));
  const buffers = [uniform, a.buffer, b.buffer, c.buffer, ...(bias ? [bias.buffer] : [])];
  const name = `matmul ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${bias ? '+bias' : ''}`;
  return kernels.dispatch(name, matmulWgsl(variant), buffers, [Math.ceil(N / TILE), Math.ceil(M / TILE)]);
}

interface Variant {
  transA: boolean;
  transB: boolean;
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
  bias: boolean;
}

/** Loads 4 consecutive floats starting at element `i` (scalar path: each one guarded by `ok(j)`). */
function load4(array: string, vec: boolean, i: string, inRange: (j: number) => string): string {
  if (vec) return `${array}[(${i}) / 4u]`;
  const parts = [0, 1, 2, 3].map((j) => `select(0.0, ${array}[${i} + ${j}u], ${inRange(j)})`);
  return `vec4<f32>(${parts.join(', ')})`;
}

function matmulWgsl(v: Variant): string {
  // A tile: As[k * 16 + m / 4][m % 4] = op(A)[row0 + m][k0 + k]; B tile: Bs[k * 16 + n / 4][n % 4] = op(B)[k0 + k][col0 + n].
  const loadA = v.transA
    ? // A stored [K, M]: a vec4 runs along m, which is already the tile's vec4 direction.
      `{
    let k = li / 16u; let m = (li % 16u) * 4u;
    let kk = k0 + k; let row = row0 + m;
    var val = vec4<f32>(0.0);
    if (kk < d.K && row < d.M) { val = ${load4('a', v.vecA, 'd.offA + kk * d.ldA + row', (j) => `row + ${j}u < d.M`)}; }
    As[k * 16u + m / 4u] = val;
  }`
    : // A stored [M, K]: a vec4 runs along k, so its four values go to four k rows of the tile.
      `{
    let m = li / 4u; let k = (li % 4u) * 4u;
    let row = row0 + m; let kk = k0 + k;
    var val = vec4<f32>(0.0);
    if (row < d.M && kk < d.K) { val = ${load4('a', v.vecA, 'd.offA + row * d.ldA + kk', (j) => `kk + ${j}u < d.K`)}; }
    for (var j = 0u; j < 4u; j++) { As[(k + j) * 16u + m / 4u][m % 4u] = val[j]; }
  }`;
  const loadB = v.transB
    ? `{
    let n = li / 4u; let k = (li % 4u) * 4u;
    let col = col0 + n; let kk = k0 + k;
    var val = vec4<f32>(0.0);
    if (col < d.N && kk < d.K) { val = ${load4('b', v.vecB, 'd.offB + col * d.ldB + kk', (j) => `kk + ${j}u < d.K`)}; }
    for (var j = 0u; j < 4u; j++) { Bs[(k + j) * 16u + n / 4u][n % 4u] = val[j]; }
  }`
    : `{
    let k = li / 16u; let n = (li % 16u) * 4u;
    let kk = k0 + k; let col = col0 + n;
    var val = vec4<f32>(0.0);
    if (kk < d.K && col < d.N) { val = ${load4('b', v.vecB, 'd.offB + kk * d.ldB + col', (j) => `col + ${j}u < d.N`)}; }
    Bs[k * 16u + n / 4u] = val;
  }`;
  const biasValue = v.bias
    ? `vec4<f32>(${[0, 1, 2, 3].map((j) => `select(0.0, bias[d.offBias + col + ${j}u], col + ${j}u < d.N)`).join(', ')})`
    : 'vec4<f32>(0.0)';
  const store = v.vecC
    ? `c[(d.offC + row * d.ldC + col) / 4u] = acc[i] + biasv;`
    : `let out = acc[i] + biasv;
      for (var j = 0u; j < 4u; j++) { if (col + j < d.N) { c[d.offC + row * d.ldC + col + j] = out[j]; } }`;
  const ty = (vec: boolean) => (vec ? 'vec4<f32>' : 'f32');
  return /* wgsl */ `
struct Dims { M: u32, N: u32, K: u32, offA: u32, offB: u32, offC: u32, offBias: u32, ldA: u32, ldB: u32, ldC: u32 }
@group(0) @binding(0) var<uniform> d: Dims;
@group(0) @binding(1) var<storage, read> a: array<${ty(v.vecA)}>;
@group(0) @binding(2) var<storage, read> b: array<${ty(v.vecB)}>;
@group(0) @binding(3) var<storage, read_write> c: array<${ty(v.vecC)}>;
${v.bias ? '@group(0) @binding(4) var<storage, read> bias: array<f32>;' : ''}

const TK = 16u;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let li = ty * 16u + tx;
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  // acc[i]: C[row0 + 4 ty + i][col0 + 4 tx .. + 3]
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < d.K; k0 += TK) {
    ${loadA}
    ${loadB}
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let av = As[k * 16u + ty];
      let bv = Bs[k * 16u + tx];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  let col = col0 + tx * 4u;
  if (col >= d.N) { return; }
  let biasv = ${biasValue};
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + ty * 4u + i;
    if (row < d.M) {
      ${store}
    }
  }
}
`;
}
