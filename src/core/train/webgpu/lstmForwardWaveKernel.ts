import { Dispatch, Kernels, WGSL_ACTIVATIONS, storageArrays, uniformWords } from './kernels';
import { layerTableWgsl } from './layerTable';

/**
 * One wave of the forward LSTM wavefront: every layer l whose time step
 * t = d - l is in range, for all B streams, in one dispatch. Layer l at t
 * needs layer l-1 at t and itself at t-1, both on the previous
 * anti-diagonal d - 1, so L layers over T steps take L+T-1 dispatches
 * instead of L*T. For each (l, t):
 *   z = pre + x_t Wx + h_{t-1} Wh,  pre = gates[0, b, t] (x Wx + b of the
 *       first layer, computed for all T beforehand) for l = 0, b for l > 0,
 *       where x_t is layer l-1's output at t (after dropout) and has no
 *       term for l = 0
 *   i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
 *   c_t = f c_{t-1} + i g;  h_t = o tanh(c_t);  out_t = h_t keepScale(l, row*H + k)
 * Shapes (row = b*T + t, batch-major; every buffer stacks the L layers):
 * gates [L, B*T, 4H] (gate blocks i, f, g, o; left holding the activated
 * gates), hs, cs, hprev [L, B*T, H] (hprev: h_{t-1} at row t, the operand of
 * dWh = hprev^T dz), dropped [L, B*T, H] (the outputs after dropout; without
 * it a layer's input is hs), hState, cState [L, B, H] (h_{-1}, c_{-1}: the
 * carried state); Wx, Wh, b of layer l at the offsets of the layer table.
 *
 * A workgroup owns 16 hidden units and 16 streams of one layer (z of the
 * grid is the layer); each invocation keeps the four gates of one unit for
 * four streams in registers, so the gate math follows the products without
 * leaving the invocation. The products walk the input then the recurrent
 * rows 16 at a time through workgroup memory. Grid: ceil(H/16) x ceil(B/16)
 * x the layers of the wave (224 workgroups per layer at B=100, H=512).
 */
/** What both waves take: the shape, the layer table (layerTable.ts) and the flat parameters it points into. */
export interface WaveArgs {
  B: number;
  T: number;
  H: number;
  L: number;
  layerTable: GPUBuffer;
  params: GPUBuffer;
}

export interface LstmWaveArgs extends WaveArgs {
  hState: GPUBuffer;
  cState: GPUBuffer;
  gates: GPUBuffer;
  hs: GPUBuffer;
  cs: GPUBuffer;
  hprev: GPUBuffer;
  dropped?: GPUBuffer;
}

export const UNITS_PER_GROUP = 16;
export const STREAMS_PER_GROUP = 16;

/** The layers on anti-diagonal d (l + t = d) of an L x T grid: first .. first + count - 1. */
export function antiDiagonal(d: number, L: number, T: number): { first: number; count: number } {
  const first = Math.max(0, d - T + 1);
  return { first, count: Math.min(L - 1, d) - first + 1 };
}

/**
 * The L+T-1 dispatches of `code` over the anti-diagonals, in order
 * (forward, d ascending) or reversed (backward), each with its own uniform
 * (waveWgsl's first layer and d) and grid (`perLayer` workgroups in x and
 * y for each layer of the wave, in z); the layer table binds at 1, the
 * parameters at 2, `resources` from 3 on.
 */
export async function waves(
  kernels: Kernels,
  name: string,
  code: string,
  a: WaveArgs,
  resources: GPUBuffer[],
  reversed: boolean,
  perLayer: [number, number] = [Math.ceil(a.H / UNITS_PER_GROUP), Math.ceil(a.B / STREAMS_PER_GROUP)],
): Promise<Dispatch[]> {
  const list: Dispatch[] = [];
  for (let i = 0; i < a.L + a.T - 1; i++) {
    const d = reversed ? a.L + a.T - 2 - i : i;
    const { first, count } = antiDiagonal(d, a.L, a.T);
    const uniform = kernels.uniform(name, uniformWords([a.B, a.T, a.H, first, d]));
    list.push(await kernels.dispatch(name, code, [uniform, a.layerTable, a.params, ...resources], [...perLayer, count]));
  }
  return list;
}

/** The wave's uniform at binding 0 and the layer table at 1: layer l = first + workgroup_id.z runs step t = d - l. */
export const waveWgsl = (L: number): string => /* wgsl */ `
struct Wave { B: u32, T: u32, H: u32, first: u32, d: u32 }
@group(0) @binding(0) var<uniform> w: Wave;
${layerTableWgsl(L, 1)}
${WGSL_ACTIVATIONS}
`;

/**
 * Both waves' entry point and the invocation's place in the grid: layer l
 * at step t; unit k, the u-th of the group's 16 from unit0; streams
 * b0 + 4q .. b0 + 4q + 3 of the group's 16.
 */
export const WAVE_MAIN = /* wgsl */ `@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = w.H;
  let G = 4u * H;
  let N = w.B * w.T;
  let l = w.first + wid.z;
  let t = w.d - l;
  let u = li % 16u;
  let q = li / 16u;
  let unit0 = wid.x * 16u;
  let k = unit0 + u;
  let b0 = wid.y * 16u;
`;

/** The L+T-1 waves, d = 0 .. L+T-2. */
export function lstmForwardWaves(kernels: Kernels, a: LstmWaveArgs): Promise<Dispatch[]> {
  const resources = [a.hState, a.cState, a.gates, a.hs, a.cs, a.hprev, ...(a.dropped ? [a.dropped] : [])];
  return waves(kernels, 'lstm forward wave', forwardWaveWgsl(a.L, !!a.dropped), a, resources, false);
}

const forwardWaveWgsl = (L: number, dropout: boolean): string => /* wgsl */ `${waveWgsl(L)}
${storageArrays(2, [
  ['params', 'read'],
  ['hState', 'read'],
  ['cState', 'read'],
  ['gates', 'read_write'],
  ['hs', 'read_write'],
  ['cs', 'read_write'],
  ['hprev', 'read_write'],
  ...(dropout ? [['dropped', 'read_write'] as [string, 'read_write']] : []),
])}
const KT = 16u;
// xT[j * 4 + q][s] = operand row j0 + j for stream 4q + s of the group (x_t, then h_{t-1})
var<workgroup> xT: array<vec4<f32>, 64>;
// wT[j * 64 + gate * 16 + u] = the weight of operand row j0 + j for gate column gate * H + unit u of the group
var<workgroup> wT: array<f32, 1024>;

// Layer l's output (the next layer's input) at index i of its [B*T, H] slice.
fn layerOut(l: u32, i: u32) -> f32 {
  return ${dropout ? 'dropped' : 'hs'}[l * w.B * w.T * w.H + i];
}

${WAVE_MAIN}
  let lay = layers[l];
  // Operand rows [0, KP) are x_t (H of them, padded to whole tiles), [KP, KP + H) are h_{t-1}; the first layer has no x_t term here.
  let KP = (H + KT - 1u) / KT * KT;
  var kStart = 0u;
  if (l == 0u) { kStart = KP; }
  // acc[gate][s]: the products' part of z for unit k, stream b0 + 4q + s.
  var acc: array<vec4<f32>, 4>;
  for (var j0 = kStart; j0 < KP + H; j0 += KT) {
    let isInput = j0 < KP;
    let rowBase = select(j0 - KP, j0, isInput);
    for (var e = li; e < 256u; e += 64u) {
      let j = rowBase + e % 16u;
      let s = e / 16u;
      let b = b0 + s;
      var v = 0.0;
      if (b < w.B && j < H) {
        if (isInput) {
          v = layerOut(l - 1u, (b * w.T + t) * H + j);
        } else if (t == 0u) {
          v = hState[(l * w.B + b) * H + j];
        } else {
          v = hs[l * N * H + (b * w.T + t - 1u) * H + j];
        }
      }
      xT[(e % 16u) * 4u + s / 4u][s % 4u] = v;
    }
    let offW = select(lay.offWh, lay.offWx, isInput);
    for (var e = li; e < 1024u; e += 64u) {
      let uu = e % 16u;
      let gate = (e / 16u) % 4u;
      let j = rowBase + e / 64u;
      var v = 0.0;
      if (j < H && unit0 + uu < H) { v = params[offW + j * G + gate * H + unit0 + uu]; }
      wT[e] = v;
    }
    workgroupBarrier();
    for (var j = 0u; j < KT; j++) {
      let x4 = xT[j * 4u + q];
      acc[0] += x4 * wT[j * 64u + u];
      acc[1] += x4 * wT[j * 64u + 16u + u];
      acc[2] += x4 * wT[j * 64u + 32u + u];
      acc[3] += x4 * wT[j * 64u + 48u + u];
    }
    workgroupBarrier();
  }
  if (k >= H) { return; }
  var bias = vec4<f32>(0.0);
  if (l > 0u) { bias = vec4<f32>(params[lay.offB + k], params[lay.offB + H + k], params[lay.offB + 2u * H + k], params[lay.offB + 3u * H + k]); }
  for (var s = 0u; s < 4u; s++) {
    let b = b0 + q * 4u + s;
    if (b >= w.B) { break; }
    let row = b * w.T + t;
    let z = l * N * G + row * G + k;
    var pre = bias;
    if (l == 0u) { pre = vec4<f32>(gates[z], gates[z + H], gates[z + 2u * H], gates[z + 3u * H]); }
    let i = sigmoid(pre[0] + acc[0][s]);
    let f = sigmoid(pre[1] + acc[1][s]);
    let g = tanhSafe(pre[2] + acc[2][s]);
    let o = sigmoid(pre[3] + acc[3][s]);
    let at = l * N * H + row * H + k;
    var cPrev: f32;
    if (t == 0u) {
      cPrev = cState[(l * w.B + b) * H + k];
      hprev[at] = hState[(l * w.B + b) * H + k];
    } else {
      cPrev = cs[at - H];
    }
    let c = f * cPrev + i * g;
    let h = o * tanhSafe(c);
    gates[z] = i;
    gates[z + H] = f;
    gates[z + 2u * H] = g;
    gates[z + 3u * H] = o;
    cs[at] = c;
    hs[at] = h;
    if (t + 1u < w.T) { hprev[at + H] = h; }
    ${dropout ? 'dropped[at] = h * keepScale(l, row * H + k);' : ''}
  }
}
`;
