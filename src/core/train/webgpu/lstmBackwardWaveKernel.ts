import { Dispatch, Kernels, storageArrays } from './kernels';
import { WAVE_MAIN, WaveArgs, waveWgsl, waves } from './lstmForwardWaveKernel';

/**
 * One wave of the backward LSTM wavefront (torch-rnn's LSTM backward): the
 * anti-diagonals of the forward pass in reverse, d = L+T-2 .. 0, every layer
 * l with t = d - l in range in one dispatch. Layer l at t needs itself at
 * t+1 and layer l+1 at t, both on anti-diagonal d + 1, the wave before.
 * For each (l, t), with m = keepScale(l, row*H + k) (dropout on l's output):
 *   dh  = m dy + dz_{l,t+1} Wh_l^T     (no recurrent term at t = T-1)
 *   dy  = dTop[b, t] for the top layer, dz_{l+1,t} Wx_{l+1}^T below it
 *   dc  = dcNext + dh o (1 - tanh(c_t)^2)      (dcNext = dc_{t+1} f_{t+1}, 0 at t = T-1)
 *   dz_i = dc g i(1-i);  dz_f = dc c_{t-1} f(1-f);  dz_g = dc i (1-g^2);  dz_o = dh tanh(c_t) o(1-o)
 * Shapes (row = b*T + t; stacked over the L layers as in the forward wave):
 * gates [L, B*T, 4H]: the activated gates on entry, overwritten by dz row by
 * row; cs [L, B*T, H]; cState [L, B, H] (c_{-1}); dc [L, B, H] carries
 * dc_t f_t to step t-1; dTop [B*T, H] the gradient of the top layer's
 * output (after dropout).
 *
 * Same grid as the forward wave: 16 units x 16 streams of one layer per
 * workgroup, each invocation one unit for four streams; the dz rows and
 * weight rows (Wh_l, then Wx_{l+1}) are staged 16 columns at a time.
 */
export interface LstmBackwardWaveArgs extends WaveArgs {
  dTop: GPUBuffer;
  cs: GPUBuffer;
  cState: GPUBuffer;
  gates: GPUBuffer;
  dc: GPUBuffer;
  /** Whether the forward pass dropped (the masks come from the layer table). */
  dropout: boolean;
}

/** The L+T-1 waves, d = L+T-2 .. 0. */
export function lstmBackwardWaves(kernels: Kernels, a: LstmBackwardWaveArgs): Promise<Dispatch[]> {
  const resources = [a.dTop, a.cs, a.cState, a.gates, a.dc];
  return waves(kernels, 'lstm backward wave', backwardWaveWgsl(a.L, a.dropout), a, resources, true);
}

const backwardWaveWgsl = (L: number, dropout: boolean): string => /* wgsl */ `${waveWgsl(L)}
${storageArrays(2, [
  ['params', 'read'],
  ['dTop', 'read'],
  ['cs', 'read'],
  ['cState', 'read'],
  ['gates', 'read_write'],
  ['dc', 'read_write'],
])}
const L = ${L}u;
const KT = 16u;
// dzT[j * 4 + q][s] = dz column j0 + j for stream 4q + s of the group
var<workgroup> dzT: array<vec4<f32>, 64>;
// wT[j * 16 + u] = the weight linking unit u of the group to dz column j0 + j
var<workgroup> wT: array<f32, 256>;

${WAVE_MAIN}
  let last = t + 1u == w.T;
  let top = l + 1u == L;
  // dz columns [0, GP) are dz_{l,t+1} (against Wh_l), [GP, GP + G) dz_{l+1,t} (against Wx_{l+1}), each padded to whole tiles.
  let GP = (G + KT - 1u) / KT * KT;
  var kStart = 0u;
  if (last) { kStart = GP; }
  var kEnd = GP + G;
  if (top) { kEnd = GP; }
  // accRec[s], accUp[s]: the two products at stream b0 + 4q + s, unit k.
  var accRec = vec4<f32>(0.0);
  var accUp = vec4<f32>(0.0);
  for (var j0 = kStart; j0 < kEnd; j0 += KT) {
    let fromAbove = j0 >= GP;
    let col0 = select(j0, j0 - GP, fromAbove);
    // dz_{l,t+1} is row t+1 of layer l; dz_{l+1,t} is row t of layer l+1.
    let dzBase = select(l * N * G + G, (l + 1u) * N * G, fromAbove);
    let offW = select(layers[l].offWh, layers[min(l + 1u, L - 1u)].offWx, fromAbove);
    for (var e = li; e < 256u; e += 64u) {
      let j = e % 16u;
      let s = e / 16u;
      let b = b0 + s;
      let col = col0 + j;
      var v = 0.0;
      if (b < w.B && col < G) { v = gates[dzBase + (b * w.T + t) * G + col]; }
      dzT[j * 4u + s / 4u][s % 4u] = v;
      var wv = 0.0;
      if (unit0 + s < H && col < G) { wv = params[offW + (unit0 + s) * G + col]; }
      wT[j * 16u + s] = wv;
    }
    workgroupBarrier();
    var acc = vec4<f32>(0.0);
    for (var j = 0u; j < KT; j++) { acc += dzT[j * 4u + q] * wT[j * 16u + u]; }
    if (fromAbove) { accUp += acc; } else { accRec += acc; }
    workgroupBarrier();
  }
  if (k >= H) { return; }
  for (var s = 0u; s < 4u; s++) {
    let b = b0 + q * 4u + s;
    if (b >= w.B) { break; }
    let row = b * w.T + t;
    let z = l * N * G + row * G + k;
    let at = l * N * H + row * H + k;
    let i = gates[z];
    let f = gates[z + H];
    let g = gates[z + 2u * H];
    let o = gates[z + 3u * H];
    var cPrev: f32;
    if (t == 0u) { cPrev = cState[(l * w.B + b) * H + k]; } else { cPrev = cs[at - H]; }
    let tc = tanhSafe(cs[at]);
    var dy = accUp[s];
    if (top) { dy = dTop[row * H + k]; }
    let dh = dy${dropout ? ' * keepScale(l, row * H + k)' : ''} + accRec[s];
    var dcv = dh * o * (1.0 - tc * tc);
    let carry = (l * w.B + b) * H + k;
    if (!last) { dcv += dc[carry]; }
    dc[carry] = dcv * f;
    gates[z] = dcv * g * i * (1.0 - i);
    gates[z + H] = dcv * cPrev * f * (1.0 - f);
    gates[z + 2u * H] = dcv * i * (1.0 - g * g);
    gates[z + 3u * H] = dh * tc * o * (1.0 - o);
  }
}
`;
