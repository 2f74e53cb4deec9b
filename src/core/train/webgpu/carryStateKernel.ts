import { Dispatch, Kernels, strideGroups, uniformWords } from './kernels';

/**
 * The state carried to the next batch: every layer's last h and c.
 *   hState[l, b, k] = hs[l, b*T + T-1, k];  cState[l, b, k] = cs[l, b*T + T-1, k]
 * Shapes: hs, cs [L, B*T, H]; hState, cState [L, B, H]. Recorded after the
 * backward pass, which still reads the old state (c_{-1}).
 */
export function carryState(kernels: Kernels, L: number, B: number, T: number, H: number, hs: GPUBuffer, cs: GPUBuffer, hState: GPUBuffer, cState: GPUBuffer): Promise<Dispatch> {
  const uniform = kernels.uniform('carry state', uniformWords([L, B, T, H]));
  return kernels.dispatch('carry state', CARRY_STATE_WGSL, [uniform, hs, cs, hState, cState], [strideGroups(L * B * H, 256)]);
}

const CARRY_STATE_WGSL = /* wgsl */ `
struct P { L: u32, B: u32, T: u32, H: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> cs: array<f32>;
@group(0) @binding(3) var<storage, read_write> hState: array<f32>;
@group(0) @binding(4) var<storage, read_write> cState: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let perLayer = p.B * p.H;
  for (var i = gid.x; i < p.L * perLayer; i += groups.x * 256u) {
    let l = i / perLayer;
    let b = (i % perLayer) / p.H;
    let src = (l * p.B * p.T + b * p.T + p.T - 1u) * p.H + i % p.H;
    hState[i] = hs[src];
    cState[i] = cs[src];
  }
}
`;
