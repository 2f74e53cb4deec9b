import { Dispatch, Kernels } from './kernels';
import { WaveArgs, waveWgsl, waves } from './lstmForwardWaveKernel';

/**
 * The wavefront of the GRU and vanilla RNN kernels: the same anti-diagonals
 * as the LSTM's (lstmForwardWaveKernel.ts), but a workgroup owns one stream
 * of one layer and all its H units. A GRU step multiplies twice in series
 * (the candidate's product needs r h_{t-1} of every unit, and its backward
 * dz_h Uh^T before dz_r), which a workgroup barrier can order only when one
 * workgroup holds the whole step; so the step stays one dispatch per wave.
 * Grid: B x 1 x the layers of the wave. Each invocation walks the units
 * li, li + 64, ...: forward, neighbouring invocations read neighbouring
 * floats of a weight row; backward (dz U^T) they read a column, G floats
 * apart. Not tuned on a GPU: at B = 100 a wave has only 100 workgroups per
 * layer, each reading the whole of U.
 */
export const STREAM_GROUP = 64;

export function streamWaves(kernels: Kernels, name: string, code: string, a: WaveArgs, resources: GPUBuffer[], reversed: boolean): Promise<Dispatch[]> {
  return waves(kernels, name, code, a, resources, reversed, [a.B, 1]);
}

/** Per-invocation loop iterations of a stream wave whose unit loop runs `perUnit` iterations: llvmpipe's cap (webgpuTrainer.ts) applies to it. */
export const streamWaveLoop = (H: number, perUnit: number): number => Math.ceil(H / STREAM_GROUP) * perUnit;

/**
 * The stream wave's WGSL up to the unit loops: the wave's uniform and layer
 * table (waveWgsl), `G` gate columns per row, and in main layer l at step t
 * of stream b, row = b*T + t.
 */
export const streamWaveWgsl = (L: number, gates: number, declarations: string): string => /* wgsl */ `${waveWgsl(L)}
${declarations}
const L = ${L}u;

@compute @workgroup_size(${STREAM_GROUP})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = w.H;
  let G = ${gates}u * H;
  let N = w.B * w.T;
  let l = w.first + wid.z;
  let t = w.d - l;
  let b = wid.x;
  let row = b * w.T + t;
  let lay = layers[l];
`;

/**
 * WGSL for the forward stream waves (bindings params, hState, gates, hs and
 * hprev from 2 on): h_{t-1} at unit j (the carried state at t = 0) and
 * the layer's input at unit j (layer l-1's output, after dropout).
 */
export const streamForwardHelpers = (dropout: boolean): string => /* wgsl */ `
fn hPrevAt(l: u32, b: u32, t: u32, j: u32) -> f32 {
  if (t == 0u) { return hState[(l * w.B + b) * w.H + j]; }
  return hs[(l * w.B * w.T + b * w.T + t - 1u) * w.H + j];
}
fn inputAt(l: u32, row: u32, j: u32) -> f32 {
  return ${dropout ? 'dropped' : 'hs'}[((l - 1u) * w.B * w.T + row) * w.H + j];
}
`;

/**
 * WGSL for the backward stream waves: the gradient of layer l's output
 * (after dropout) at unit k of row `row`: dTop on the top layer, below it
 * dz_{l+1,t} Wx_{l+1}^T over its G gate columns (gates holds dz there).
 */
export const streamBackwardHelpers = /* wgsl */ `
fn outputGradient(l: u32, row: u32, k: u32, G: u32) -> f32 {
  if (l + 1u == L) { return dTop[row * w.H + k]; }
  let z = ((l + 1u) * w.B * w.T + row) * G;
  let wx = layers[l + 1u].offWx + k * G;
  var dy = 0.0;
  for (var c = 0u; c < G; c++) { dy += gates[z + c] * params[wx + c]; }
  return dy;
}
`;
