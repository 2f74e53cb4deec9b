import { Dispatch, Kernels, WGSL_ACTIVATIONS, uniformWords } from './kernels';
import { STREAMS_PER_GROUP, UNITS_PER_GROUP } from './lstmStepKernel';

/**
 * Backward through one time step t of one LSTM layer for all B streams
 * (torch-rnn's LSTM backward, one dispatch per layer and step, t = T-1 .. 0):
 *   dh  = dHs[b, t] + dz_{t+1} Wh^T            (no recurrent term at t = T-1)
 *   dc  = dcNext + dh o (1 - tanh(c_t)^2)      (dcNext = dc_{t+1} f_{t+1}, 0 at t = T-1)
 *   dz_i = dc g i(1-i);  dz_f = dc c_{t-1} f(1-f);  dz_g = dc i (1-g^2);  dz_o = dh tanh(c_t) o(1-o)
 * Shapes (row r = b*T + t): gates [B*T, 4H]: the activated gates on entry,
 * overwritten by dz row by row (row t+1 already holds dz_{t+1}); Wh =
 * params[offW..] [H, 4H]; dHs, cs [B*T, H]; cState [B, H] (c_{-1}); dc [B, H]
 * carries dc_t f_t to step t-1.
 *
 * Same grid as the forward step: 16 units x 16 streams per workgroup, each
 * invocation one unit for four streams, the dz_{t+1} and Wh tiles staged in
 * workgroup memory.
 */
export interface LstmBackwardStepArgs {
  B: number;
  T: number;
  H: number;
  t: number;
  params: GPUBuffer;
  offW: number;
  dHs: GPUBuffer;
  cs: GPUBuffer;
  cState: GPUBuffer;
  gates: GPUBuffer;
  dc: GPUBuffer;
}

export function lstmBackwardStep(kernels: Kernels, a: LstmBackwardStepArgs): Promise<Dispatch> {
  const uniform = kernels.uniform('lstm backward step', uniformWords([a.B, a.T, a.H, a.t, a.offW]));
  return kernels.dispatch('lstm backward step', LSTM_BACKWARD_STEP_WGSL, [uniform, a.params, a.dHs, a.cs, a.cState, a.gates, a.dc], [
    Math.ceil(a.H / UNITS_PER_GROUP),
    Math.ceil(a.B / STREAMS_PER_GROUP),
  ]);
}

const LSTM_BACKWARD_STEP_WGSL = /* wgsl */ `
struct P { B: u32, T: u32, H: u32, t: u32, offW: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> dHs: array<f32>;
@group(0) @binding(3) var<storage, read> cs: array<f32>;
@group(0) @binding(4) var<storage, read> cState: array<f32>;
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;
@group(0) @binding(6) var<storage, read_write> dc: array<f32>;
${WGSL_ACTIVATIONS}
const KT = 16u;
// dzT[j * 4 + q][s] = dz_{t+1}[stream 4q + s of the group][j0 + j]
var<workgroup> dzT: array<vec4<f32>, 64>;
// wT[j * 16 + u] = Wh[unit u of the group][j0 + j]
var<workgroup> wT: array<f32, 256>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = p.H;
  let G = 4u * H;
  let u = li % 16u;
  let q = li / 16u;
  let unit0 = wid.x * 16u;
  let k = unit0 + u;
  let b0 = wid.y * 16u;
  let last = p.t + 1u == p.T;
  // acc[s]: (dz_{t+1} Wh^T)[stream b0 + 4q + s][k]
  var acc = vec4<f32>(0.0);
  if (!last) {
    for (var j0 = 0u; j0 < G; j0 += KT) {
      for (var e = li; e < 256u; e += 64u) {
        let j = e % 16u;
        let s = e / 16u;
        let b = b0 + s;
        var v = 0.0;
        if (b < p.B && j0 + j < G) { v = gates[(b * p.T + p.t + 1u) * G + j0 + j]; }
        dzT[j * 4u + s / 4u][s % 4u] = v;
        var w = 0.0;
        if (unit0 + s < H && j0 + j < G) { w = params[p.offW + (unit0 + s) * G + j0 + j]; }
        wT[j * 16u + s] = w;
      }
      workgroupBarrier();
      for (var j = 0u; j < KT; j++) { acc += dzT[j * 4u + q] * wT[j * 16u + u]; }
      workgroupBarrier();
    }
  }
  if (k >= H) { return; }
  for (var s = 0u; s < 4u; s++) {
    let b = b0 + q * 4u + s;
    if (b >= p.B) { break; }
    let row = b * p.T + p.t;
    let z = row * G + k;
    let i = gates[z];
    let f = gates[z + H];
    let g = gates[z + 2u * H];
    let o = gates[z + 3u * H];
    var cPrev: f32;
    if (p.t == 0u) { cPrev = cState[b * H + k]; } else { cPrev = cs[(row - 1u) * H + k]; }
    let tc = tanhSafe(cs[row * H + k]);
    let dh = dHs[row * H + k] + acc[s];
    var dcv = dh * o * (1.0 - tc * tc);
    if (!last) { dcv += dc[b * H + k]; }
    dc[b * H + k] = dcv * f;
    gates[z] = dcv * g * i * (1.0 - i);
    gates[z + H] = dcv * cPrev * f * (1.0 - f);
    gates[z + 2u * H] = dcv * i * (1.0 - g * g);
    gates[z + 3u * H] = dh * tc * o * (1.0 - o);
  }
}
`;
