import { Dispatch, Kernels, strideGroups } from './kernels';

/**
 * Inverted dropout with the counter-based masks of dropoutMask.ts:
 *   out[i] = in[i] * (pcgHash(seed + i) >= threshold ? scale : 0)
 * Shapes: in, out [B*T, H] (index i batch-major, as dropoutMask.ts counts).
 * The same dispatch shape serves forward (in = h, out = the next layer's
 * input) and backward (in = d input, out = dh): the mask is recomputed
 * from the hash, never stored. seed, threshold and scale live in a uniform
 * buffer the trainer rewrites every step (threshold 0, scale 1 = off).
 */
/** The uniform of one layer's mask: [n, seed, threshold] as u32, scale as f32. */
export function dropoutUniform(n: number, seed: number, threshold: number, scale: number): ArrayBuffer {
  const data = new ArrayBuffer(16);
  new Uint32Array(data, 0, 3).set([n, seed >>> 0, threshold >>> 0]);
  new Float32Array(data, 12, 1)[0] = scale;
  return data;
}

export function dropout(kernels: Kernels, n: number, uniform: GPUBuffer, input: GPUBuffer, output: GPUBuffer): Promise<Dispatch> {
  return kernels.dispatch('dropout', DROPOUT_WGSL, [uniform, input, output], [strideGroups(n, 256)]);
}

const WGSL_PCG_HASH = /* wgsl */ `
fn pcgHash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
`;

const DROPOUT_WGSL = /* wgsl */ `
struct P { n: u32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
${WGSL_PCG_HASH}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < p.n; i += groups.x * 256u) {
    output[i] = input[i] * select(0.0, p.scale, pcgHash(p.seed + i) >= p.threshold);
  }
}
`;
