import { Dispatch, Kernels, WGSL_ACTIVATIONS, uniformWords } from './kernels';

/**
 * One time step t of one LSTM layer for all B streams, the recurrent matmul
 * and the gate math in one dispatch:
 *   z = gates[b, t] + h_{t-1} Wh     (gates holds x_t Wx + b on entry)
 *   i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
 *   c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
 * Shapes (row r = b*T + t, batch-major): gates [B*T, 4H] (gate blocks i, f,
 * g, o; left holding the activated gates), Wh = params[offW..] [H, 4H],
 * hState, cState [B, H] (h_{-1}, c_{-1}: the carried state), hs, cs [B*T, H],
 * hprev [B*T, H] (h_{t-1} at row t, the operand of dWh = hprev^T dz).
 *
 * A workgroup owns 16 hidden units and 16 streams; each invocation keeps the
 * four gates of one unit for four streams in registers, so the gate math
 * follows the product without leaving the invocation. The grid is
 * ceil(H/16) x ceil(B/16) workgroups (224 at B=100, H=512).
 */
export interface LstmStepArgs {
  B: number;
  T: number;
  H: number;
  t: number;
  params: GPUBuffer;
  /** Offset of Wh in params, in floats. */
  offW: number;
  hState: GPUBuffer;
  cState: GPUBuffer;
  gates: GPUBuffer;
  hs: GPUBuffer;
  cs: GPUBuffer;
  hprev: GPUBuffer;
}

export const UNITS_PER_GROUP = 16;
export const STREAMS_PER_GROUP = 16;

export function lstmStep(kernels: Kernels, a: LstmStepArgs): Promise<Dispatch> {
  const uniform = kernels.uniform('lstm step', uniformWords([a.B, a.T, a.H, a.t, a.offW]));
  return kernels.dispatch('lstm step', LSTM_STEP_WGSL, [uniform, a.params, a.hState, a.cState, a.gates, a.hs, a.cs, a.hprev], [
    Math.ceil(a.H / UNITS_PER_GROUP),
    Math.ceil(a.B / STREAMS_PER_GROUP),
  ]);
}

const LSTM_STEP_WGSL = /* wgsl */ `
struct P { B: u32, T: u32, H: u32, t: u32, offW: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> hState: array<f32>;
@group(0) @binding(3) var<storage, read> cState: array<f32>;
@group(0) @binding(4) var<storage, read_write> gates: array<f32>;
@group(0) @binding(5) var<storage, read_write> hs: array<f32>;
@group(0) @binding(6) var<storage, read_write> cs: array<f32>;
@group(0) @binding(7) var<storage, read_write> hprev: array<f32>;
${WGSL_ACTIVATIONS}
const KT = 16u;
// hT[j * 4 + q][s] = h_{t-1}[stream 4q + s of the group][j0 + j]
var<workgroup> hT: array<vec4<f32>, 64>;
// wT[j * 64 + gate * 16 + u] = Wh[j0 + j][gate * H + unit u of the group]
var<workgroup> wT: array<f32, 1024>;

fn hPrev(b: u32, j: u32) -> f32 {
  if (p.t == 0u) { return hState[b * p.H + j]; }
  return hs[(b * p.T + p.t - 1u) * p.H + j];
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = p.H;
  let G = 4u * H;
  let u = li % 16u;
  let q = li / 16u;
  let unit0 = wid.x * 16u;
  let k = unit0 + u;
  let b0 = wid.y * 16u;
  // acc[gate][s]: the recurrent part of z for unit k, stream b0 + 4q + s.
  var acc: array<vec4<f32>, 4>;
  for (var j0 = 0u; j0 < H; j0 += KT) {
    for (var e = li; e < 256u; e += 64u) {
      let j = e % 16u;
      let s = e / 16u;
      let b = b0 + s;
      var v = 0.0;
      if (b < p.B && j0 + j < H) { v = hPrev(b, j0 + j); }
      hT[j * 4u + s / 4u][s % 4u] = v;
    }
    for (var e = li; e < 1024u; e += 64u) {
      let uu = e % 16u;
      let gate = (e / 16u) % 4u;
      let j = e / 64u;
      var v = 0.0;
      if (j0 + j < H && unit0 + uu < H) { v = params[p.offW + (j0 + j) * G + gate * H + unit0 + uu]; }
      wT[e] = v;
    }
    workgroupBarrier();
    for (var j = 0u; j < KT; j++) {
      let h4 = hT[j * 4u + q];
      acc[0] += h4 * wT[j * 64u + u];
      acc[1] += h4 * wT[j * 64u + 16u + u];
      acc[2] += h4 * wT[j * 64u + 32u + u];
      acc[3] += h4 * wT[j * 64u + 48u + u];
    }
    workgroupBarrier();
  }
  if (k >= H) { return; }
  for (var s = 0u; s < 4u; s++) {
    let b = b0 + q * 4u + s;
    if (b >= p.B) { break; }
    let row = b * p.T + p.t;
    let z = row * G + k;
    let i = sigmoid(gates[z] + acc[0][s]);
    let f = sigmoid(gates[z + H] + acc[1][s]);
    let g = tanhSafe(gates[z + 2u * H] + acc[2][s]);
    let o = sigmoid(gates[z + 3u * H] + acc[3][s]);
    var cPrev: f32;
    if (p.t == 0u) {
      cPrev = cState[b * H + k];
      hprev[row * H + k] = hState[b * H + k];
    } else {
      cPrev = cs[(row - 1u) * H + k];
    }
    let c = f * cPrev + i * g;
    let h = o * tanhSafe(c);
    gates[z] = i;
    gates[z + H] = f;
    gates[z + 2u * H] = g;
    gates[z + 3u * H] = o;
    cs[row * H + k] = c;
    hs[row * H + k] = h;
    if (p.t + 1u < p.T) { hprev[(row + 1u) * H + k] = h; }
  }
}
`;
