import { Dispatch, Kernels, storageArrays } from './kernels';
import { WaveArgs } from './lstmForwardWaveKernel';
import { streamForwardHelpers, streamWaveWgsl, streamWaves } from './streamWave';

/**
 * One wave of the forward GRU wavefront (Keras reset_after = false, the
 * wasm trainer's gruStepForward.wat): every layer l with t = d - l in range,
 * one workgroup per stream and layer (streamWave.ts). For each (l, t):
 *   pre = x_t Wx + b (gates[0, row] for l = 0, computed for all T beforehand)
 *   u = sigmoid(pre_u + h_{t-1} Uu);  r = sigmoid(pre_r + h_{t-1} Ur)
 *   resetH = r h_{t-1}                     (every unit's, in workgroup memory)
 *   hh = tanh(pre_h + resetH Uh);  h_t = u h_{t-1} + (1 - u) hh
 * Shapes (row = b*T + t; stacked over the L layers): gates [L, B*T, 3H]
 * (blocks u, r, h; left holding u, r, hh), hs, hprev, resetH [L, B*T, H]
 * (hprev and resetH: the operands of dUzr and dUh), dropped as in the LSTM
 * wave, hState [L, B, H]; W = [Wu | Wr | Wh] at the layer table's offsets.
 */
export interface GruWaveArgs extends WaveArgs {
  hState: GPUBuffer;
  gates: GPUBuffer;
  hs: GPUBuffer;
  hprev: GPUBuffer;
  resetH: GPUBuffer;
  dropped?: GPUBuffer;
}

export function gruForwardWaves(kernels: Kernels, a: GruWaveArgs): Promise<Dispatch[]> {
  const resources = [a.hState, a.gates, a.hs, a.hprev, a.resetH, ...(a.dropped ? [a.dropped] : [])];
  return streamWaves(kernels, 'gru forward wave', gruForwardWgsl(a.L, a.H, !!a.dropped), a, resources, false);
}

const gruForwardWgsl = (L: number, H: number, dropout: boolean): string => /* wgsl */ `${streamWaveWgsl(
  L,
  3,
  `${storageArrays(2, [
    ['params', 'read'],
    ['hState', 'read'],
    ['gates', 'read_write'],
    ['hs', 'read_write'],
    ['hprev', 'read_write'],
    ['resetH', 'read_write'],
    ...(dropout ? [['dropped', 'read_write'] as [string, 'read_write']] : []),
  ])}
// rh[j] = r_j h_{t-1, j}: the candidate's operand, every unit's
var<workgroup> rh: array<f32, ${H}>;
${streamForwardHelpers(dropout)}`,
)}
  for (var k = li; k < H; k += 64u) {
    let z = (l * N + row) * G + k;
    var pre: vec3<f32>;
    if (l == 0u) {
      pre = vec3<f32>(gates[z], gates[z + H], gates[z + 2u * H]);
    } else {
      pre = vec3<f32>(params[lay.offB + k], params[lay.offB + H + k], params[lay.offB + 2u * H + k]);
      for (var j = 0u; j < H; j++) {
        let o = lay.offWx + j * G + k;
        pre += inputAt(l, row, j) * vec3<f32>(params[o], params[o + H], params[o + 2u * H]);
      }
    }
    var ur = pre.xy;
    for (var j = 0u; j < H; j++) {
      let o = lay.offWh + j * G + k;
      ur += hPrevAt(l, b, t, j) * vec2<f32>(params[o], params[o + H]);
    }
    let u = sigmoid(ur.x);
    let r = sigmoid(ur.y);
    let hp = hPrevAt(l, b, t, k);
    let at = (l * N + row) * H + k;
    gates[z] = u;
    gates[z + H] = r;
    gates[z + 2u * H] = pre.z;
    rh[k] = r * hp;
    resetH[at] = r * hp;
    hprev[at] = hp;
  }
  workgroupBarrier();
  for (var k = li; k < H; k += 64u) {
    let z = (l * N + row) * G + k;
    var zh = gates[z + 2u * H];
    for (var j = 0u; j < H; j++) { zh += rh[j] * params[lay.offWh + j * G + 2u * H + k]; }
    let hh = tanhSafe(zh);
    let hp = hPrevAt(l, b, t, k);
    let h = hh + gates[z] * (hp - hh);
    let at = (l * N + row) * H + k;
    gates[z + 2u * H] = hh;
    hs[at] = h;
    ${dropout ? 'dropped[at] = h * keepScale(l, row * H + k);' : ''}
  }
}
`;
