import { Dispatch, Kernels, uniformWords } from './kernels';

/**
 * Bias gradient: the column sums of a gradient over every position,
 *   db[c] = sum over r < R of d[r, c]
 * Shapes: d [R, C] (dz [B*T, 4H] or dlogits [B*T, V]), db = grads[offOut..] [C].
 * A workgroup owns 16 columns and splits the rows 16 ways (adjacent
 * invocations read adjacent columns of a row), then adds the 16 partial
 * sums in workgroup memory.
 */
export function biasGradient(kernels: Kernels, R: number, C: number, d: GPUBuffer, grads: GPUBuffer, offOut: number): Promise<Dispatch> {
  const uniform = kernels.uniform('bias gradient', uniformWords([R, C, offOut]));
  return kernels.dispatch('bias gradient', BIAS_GRADIENT_WGSL, [uniform, d, grads], [Math.ceil(C / 16)]);
}

const BIAS_GRADIENT_WGSL = /* wgsl */ `
struct P { R: u32, C: u32, offOut: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let col = wid.x * 16u + li % 16u;
  let slice = li / 16u;
  var s = 0.0;
  if (col < p.C) {
    for (var r = slice; r < p.R; r += 16u) { s += d[r * p.C + col]; }
  }
  partial[li] = s;
  workgroupBarrier();
  for (var k = 128u; k >= 16u; k >>= 1u) {
    if (li < k) { partial[li] += partial[li + k]; }
    workgroupBarrier();
  }
  if (li < 16u && col < p.C) { grads[p.offOut + col] = partial[li]; }
}
`;
