import { Dispatch, Kernels, strideGroups, uniformWords } from './kernels';

/**
 * Embedding lookup: out[r, e] = table[x[r], e].
 * Shapes: x [N] (i32, N = B*T), table = params[offTable..] [V, E], out [N, E].
 */
export interface EmbeddingLookupArgs {
  N: number;
  V: number;
  E: number;
  x: GPUBuffer;
  params: GPUBuffer;
  offTable: number;
  out: GPUBuffer;
}

export function embeddingLookup(kernels: Kernels, a: EmbeddingLookupArgs): Promise<Dispatch> {
  const uniform = kernels.uniform('embedding lookup', uniformWords([a.N, a.V, a.E, a.offTable]));
  return kernels.dispatch('embedding lookup', LOOKUP_WGSL, [uniform, a.x, a.params, a.out], [strideGroups(a.N * a.E, 256)]);
}

const LOOKUP_WGSL = /* wgsl */ `
struct P { N: u32, V: u32, E: u32, offTable: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<i32>;
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
