import { ADAM_BETA1, ADAM_BETA2, OPTIMIZER_EPSILON, RMSPROP_DECAY } from '../stepMath';
import { OptimizerName } from '../trainer';
import { Dispatch, Kernels, strideGroups } from './kernels';

/**
 * The optimizer update of stepMath.ts over the flat parameter buffer, one
 * dispatch for every weight (g = grads * scale, scale from gradNormKernel or 1):
 *   adam:    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr (m / c1) / (sqrt(v / c2) + eps)
 *   rmsprop: ms = d ms + (1-d) g^2;  w -= lr g / (sqrt(ms) + eps)
 * Shapes: params, grads, each moment [n] (n a multiple of 4, read as vec4);
 * scale [1]. lr, c1 = 1 - b1^t and c2 = 1 - b2^t come from the trainer each
 * step (computed in float64 from t, so a resumed run matches).
 */

/** [n/4] as u32, then lr, c1, c2 as f32. */
export function optimizerUniform(n: number, lr: number, c1: number, c2: number): ArrayBuffer {
  const data = new ArrayBuffer(16);
  new Uint32Array(data, 0, 1)[0] = n / 4;
  new Float32Array(data, 4, 3).set([lr, c1, c2]);
  return data;
}

export function optimizerStep(
  kernels: Kernels,
  kind: OptimizerName,
  n: number,
  uniform: GPUBuffer,
  scale: GPUBuffer,
  params: GPUBuffer,
  grads: GPUBuffer,
  moments: GPUBuffer[],
): Promise<Dispatch> {
  const code = kind === 'adam' ? ADAM_WGSL : RMSPROP_WGSL;
  return kernels.dispatch(kind, code, [uniform, scale, grads, params, ...moments], [strideGroups(n / 4, 256)]);
}

const f32 = (x: number) => x.toPrecision(9);

const HEADER = /* wgsl */ `
struct P { n4: u32, lr: f32, c1: f32, c2: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> params: array<vec4<f32>>;
`;

const ADAM_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(4) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> v: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = scale[0];
  for (var i = gid.x; i < p.n4; i += groups.x * 256u) {
    let g = grads[i] * s;
    let mi = ${f32(ADAM_BETA1)} * m[i] + ${f32(1 - ADAM_BETA1)} * g;
    let vi = ${f32(ADAM_BETA2)} * v[i] + ${f32(1 - ADAM_BETA2)} * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] -= p.lr * (mi / p.c1) / (sqrt(vi / p.c2) + ${f32(OPTIMIZER_EPSILON)});
  }
}
`;

const RMSPROP_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(4) var<storage, read_write> ms: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = scale[0];
  for (var i = gid.x; i < p.n4; i += groups.x * 256u) {
    let g = grads[i] * s;
    let msi = ${f32(RMSPROP_DECAY)} * ms[i] + ${f32(1 - RMSPROP_DECAY)} * g * g;
    ms[i] = msi;
    params[i] -= p.lr * g / (sqrt(msi) + ${f32(OPTIMIZER_EPSILON)});
  }
}
`;
