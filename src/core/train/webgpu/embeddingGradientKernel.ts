import { Dispatch, Kernels, rowChunks, strideGroups, uniformWords } from './kernels';

/**
 * Embedding gradient: each vocabulary row's sum of the gradients of the
 * positions that looked it up,
 *   dTable[v, e] = sum over rows r with x[r] = v of dEmb[r, e]
 * as a two-level tree (rowChunks): first each chunk of rows is scattered
 * into partials[chunk, v, e], then each (v, e) sums its chunks' partials.
 * Shapes: x [N] (i32, N = B*T), dEmb [N, E], partials [chunks, V, E]
 * (embeddingPartialsSize), dTable = grads[offTable..] [V, E].
 * First level: a workgroup owns one chunk, 64 embedding columns and 32
 * vocabulary ids, accumulated in workgroup memory (WGSL has no float
 * atomics; each invocation owns one column, so no two touch the same
 * value); grid ceil(E/64) x ceil(V/32) x chunks. Each position's gradient
 * is read once, where the old kernel read all N of them for every v.
 */
const IDS_PER_GROUP = 32;

export const embeddingPartialsSize = (N: number, V: number, E: number): number => rowChunks(N).count * V * E;

export interface EmbeddingGradientArgs {
  N: number;
  V: number;
  E: number;
  x: GPUBuffer;
  dEmb: GPUBuffer;
  partials: GPUBuffer;
  grads: GPUBuffer;
  offTable: number;
}

export async function embeddingGradient(kernels: Kernels, a: EmbeddingGradientArgs): Promise<Dispatch[]> {
  const { chunk, count } = rowChunks(a.N);
  const uniform = kernels.uniform('embedding gradient', uniformWords([a.N, a.V, a.E, chunk, count, a.offTable]));
  return [
    await kernels.dispatch('embedding gradient of row chunks', CHUNK_WGSL, [uniform, a.x, a.dEmb, a.partials], [Math.ceil(a.E / 64), Math.ceil(a.V / IDS_PER_GROUP), count]),
    await kernels.dispatch('embedding gradient from partials', PARTIALS_WGSL, [uniform, a.partials, a.grads], [strideGroups(a.V * a.E, 256)]),
  ];
}

const HEADER = /* wgsl */ `
struct P { N: u32, V: u32, E: u32, chunk: u32, chunks: u32, offTable: u32 }
@group(0) @binding(0) var<uniform> p: P;
`;

const CHUNK_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read> dEmb: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

const IDS = ${IDS_PER_GROUP}u;
// acc[v * 64 + li]: the chunk's sum for id v0 + v, column e0 + li
var<workgroup> acc: array<f32, ${IDS_PER_GROUP * 64}>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let e = wid.x * 64u + li;
  let v0 = wid.y * IDS;
  for (var v = 0u; v < IDS; v++) { acc[v * 64u + li] = 0.0; }
  if (e >= p.E) { return; }
  let r0 = wid.z * p.chunk;
  let r1 = min(r0 + p.chunk, p.N);
  for (var r = r0; r < r1; r++) {
    // Ids below v0 wrap around to large values, so one comparison keeps the group's 32.
    let v = u32(x[r]) - v0;
    if (v < IDS) { acc[v * 64u + li] += dEmb[r * p.E + e]; }
  }
  for (var v = 0u; v < IDS && v0 + v < p.V; v++) { partials[(wid.z * p.V + v0 + v) * p.E + e] = acc[v * 64u + li]; }
}
`;

const PARTIALS_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let size = p.V * p.E;
  for (var i = gid.x; i < size; i += groups.x * 256u) {
    var s = 0.0;
    for (var c = 0u; c < p.chunks; c++) { s += partials[c * size + i]; }
    grads[p.offTable + i] = s;
  }
}
`;
