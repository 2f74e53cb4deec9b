import { Dispatch, Kernels, strideGroups, uniformWords } from './kernels';

/**
 * Embedding lookup and its gradient.
 *   lookup:   out[r, e] = table[x[r], e]
 *   gradient: dTable[v, e] = sum over rows r with x[r] = v of dOut[r, e]
 * Shapes: x [N] (i32, N = B*T), table = params[offTable..] [V, E],
 * out / dOut [N, E], dTable = grads[offTable..] [V, E].
 * The gradient gathers instead of scattering (WGSL has no float atomics):
 * one workgroup per vocabulary row, its invocations across E, each reading
 * the ids (the same address for the whole workgroup, so one broadcast load).
 */
export interface EmbeddingArgs {
  N: number;
  V: number;
  E: number;
  x: GPUBuffer;
  /** params for the lookup, grads for the gradient. */
  table: GPUBuffer;
  offTable: number;
  /** out for the lookup, dOut for the gradient. */
  rows: GPUBuffer;
}

export function embeddingLookup(kernels: Kernels, a: EmbeddingArgs): Promise<Dispatch> {
  const uniform = kernels.uniform('embedding lookup', uniformWords([a.N, a.V, a.E, a.offTable]));
  return kernels.dispatch('embedding lookup', LOOKUP_WGSL, [uniform, a.x, a.table, a.rows], [strideGroups(a.N * a.E, 256)]);
}

export function embeddingGradient(kernels: Kernels, a: EmbeddingArgs): Promise<Dispatch> {
  const uniform = kernels.uniform('embedding gradient', uniformWords([a.N, a.V, a.E, a.offTable]));
  return kernels.dispatch('embedding gradient', GRADIENT_WGSL, [uniform, a.x, a.rows, a.table], [Math.min(a.V, 65535)]);
}

const HEADER = /* wgsl */ `
struct P { N: u32, V: u32, E: u32, offTable: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<i32>;
`;

const LOOKUP_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < p.N * p.E; i += groups.x * 256u) {
    let r = i / p.E;
    let e = i % p.E;
    out[i] = table[p.offTable + u32(x[r]) * p.E + e];
  }
}
`;

const GRADIENT_WGSL = /* wgsl */ `${HEADER}
@group(0) @binding(2) var<storage, read> dOut: array<f32>;
@group(0) @binding(3) var<storage, read_write> dTable: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var v = wid.x; v < p.V; v += groups.x) {
    for (var e = li; e < p.E; e += 64u) {
      var sum = 0.0;
      for (var r = 0u; r < p.N; r++) {
        if (u32(x[r]) == v) { sum += dOut[r * p.E + e]; }
      }
      dTable[p.offTable + v * p.E + e] = sum;
    }
  }
}
`;
