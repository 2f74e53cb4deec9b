import { Dispatch, Kernels, uniformWords } from './kernels';

/**
 * Global-norm clipping factor over the flat gradient buffer (stepMath.ts):
 *   scale = clip / max(|g|, clip),  |g| = sqrt(sum_i g_i^2)
 * in two dispatches: `PARTIALS` workgroups each reduce a strided share of
 * the n floats to one partial sum, then one workgroup adds the partials and
 * writes the scale. Shapes: grads [n] (the padding between weights is
 * zero), partials [PARTIALS], scale [1].
 */
export const PARTIALS = 256;

export async function gradNorm(kernels: Kernels, n: number, clip: number, grads: GPUBuffer, partials: GPUBuffer, scale: GPUBuffer): Promise<Dispatch[]> {
  const uniform = kernels.uniform('grad norm', uniformWords([n], [clip]));
  return [
    await kernels.dispatch('sum of squares', SUM_OF_SQUARES_WGSL, [uniform, grads, partials], [PARTIALS]),
    await kernels.dispatch('clip scale', CLIP_SCALE_WGSL, [uniform, partials, scale], [1]),
  ];
}

const HEADER = /* wgsl */ `
struct P { n: u32, clip: f32 }
@group(0) @binding(0) var<uniform> p: P;
var<workgroup> red: array<f32, 256>;

fn workgroupSum(li: u32, value: f32) -> f32 {
  red[li] = value;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] += red[li + k]; }
    workgroupBarrier();
  }
  return red[0];
}
`;

const SUM_OF_SQUARES_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  var s = 0.0;
  for (var i = gid.x; i < p.n / 4u; i += ${PARTIALS}u * 256u) {
    let g = grads[i];
    s += dot(g, g);
  }
  let total = workgroupSum(li, s);
  if (li == 0u) { partials[wid.x] = total; }
}
`;

const CLIP_SCALE_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let norm = sqrt(workgroupSum(li, partials[li]));
  if (li == 0u) { scale[0] = p.clip / max(norm, p.clip); }
}
`;
