import { Dispatch, Kernels, rowChunks, uniformWords } from './kernels';
import { MatrixRef } from './matmulKernel';

/**
 * Bias gradient: the column sums of a gradient over every position,
 *   db[c] = sum over r < R of d[r, c]
 * as a two-level tree (rowChunks): first each chunk of rows is summed per
 * column into partials[chunk, c], then each column's partials are summed.
 * Shapes: d [R, C] at d.offset (dz [B*T, 4H] of one layer, or dlogits
 * [B*T, V]), partials [chunks, C] (biasPartialsSize), db =
 * grads[offOut..] [C].
 * Both levels: a workgroup owns 64 adjacent columns (one coalesced load per
 * row) and four lanes of rows, added in workgroup memory at the end. The
 * first level's grid is ceil(C/64) x chunks (5,792 workgroups for dz at
 * B*T = 32,768, H = 512), not ceil(C/16) workgroups each walking all R rows.
 */
export const biasPartialsSize = (R: number, C: number): number => rowChunks(R).count * C;

export async function biasGradient(kernels: Kernels, R: number, C: number, d: MatrixRef, partials: GPUBuffer, grads: GPUBuffer, offOut: number): Promise<Dispatch[]> {
  const { chunk, count } = rowChunks(R);
  const uniform = kernels.uniform('bias gradient', uniformWords([R, C, chunk, count, d.offset, offOut]));
  const columnGroups = Math.ceil(C / 64);
  return [
    await kernels.dispatch('column sums of row chunks', CHUNK_SUMS_WGSL, [uniform, d.buffer, partials], [columnGroups, count]),
    await kernels.dispatch('column sums of partials', PARTIAL_SUMS_WGSL, [uniform, partials, grads], [columnGroups]),
  ];
}

const HEADER = /* wgsl */ `
struct P { R: u32, C: u32, chunk: u32, chunks: u32, offD: u32, offOut: u32 }
@group(0) @binding(0) var<uniform> p: P;
var<workgroup> lanes: array<f32, 256>;

// The sum of the four lanes of column li (li < 64) of the workgroup.
fn laneSum(li: u32, value: f32) -> f32 {
  lanes[li] = value;
  workgroupBarrier();
  return lanes[li] + lanes[li + 64u] + lanes[li + 128u] + lanes[li + 192u];
}
`;

const CHUNK_SUMS_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let col = wid.x * 64u + li % 64u;
  let r0 = wid.y * p.chunk;
  let r1 = min(r0 + p.chunk, p.R);
  var s = 0.0;
  if (col < p.C) {
    for (var r = r0 + li / 64u; r < r1; r += 4u) { s += d[p.offD + r * p.C + col]; }
  }
  let total = laneSum(li, s);
  if (li < 64u && col < p.C) { partials[wid.y * p.C + col] = total; }
}
`;

const PARTIAL_SUMS_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let col = wid.x * 64u + li % 64u;
  var s = 0.0;
  if (col < p.C) {
    for (var i = li / 64u; i < p.chunks; i += 4u) { s += partials[i * p.C + col]; }
  }
  let total = laneSum(li, s);
  if (li < 64u && col < p.C) { grads[p.offOut + col] = total; }
}
`;
