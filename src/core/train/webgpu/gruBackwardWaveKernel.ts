import { Dispatch, Kernels, storageArrays } from './kernels';
import { WaveArgs } from './lstmForwardWaveKernel';
import { streamBackwardHelpers, streamWaveWgsl, streamWaves } from './streamWave';

/**
 * One wave of the backward GRU wavefront (the wasm trainer's
 * gruStepBackward.wat), d = L+T-2 .. 0, one workgroup per stream and layer
 * (streamWave.ts). For each (l, t), with m = keepScale(l, row*H + k):
 *   dh = m dy + carry_{t+1} + dz_{ur,t+1} Uzr^T   (only m dy at t = T-1)
 *   dy = dTop[row] on the top layer, dz_{l+1,t} Wx_{l+1}^T below it
 *   dz_h = dh (1 - u) (1 - hh^2);  dz_u = dh (h_{t-1} - hh) u (1 - u)
 *   dResetH = dz_h Uh^T                        (every unit's dz_h, in workgroup memory)
 *   dz_r = dResetH h_{t-1} r (1 - r);  carry_t = dh u + dResetH r
 * carry_t and dz_{ur,t} Uzr^T are the parts of dh_{t-1} the step hands back.
 * Shapes: gates [L, B*T, 3H] holds u, r, hh on entry and dz after the row's
 * wave; hprev [L, B*T, H] (h_{t-1}); carry [L, B, H]; dTop [B*T, H].
 */
export interface GruBackwardWaveArgs extends WaveArgs {
  dTop: GPUBuffer;
  hprev: GPUBuffer;
  gates: GPUBuffer;
  carry: GPUBuffer;
  /** Whether the forward pass dropped (the masks come from the layer table). */
  dropout: boolean;
}

export function gruBackwardWaves(kernels: Kernels, a: GruBackwardWaveArgs): Promise<Dispatch[]> {
  return streamWaves(kernels, 'gru backward wave', gruBackwardWgsl(a.L, a.H, a.dropout), a, [a.dTop, a.hprev, a.gates, a.carry], true);
}

const gruBackwardWgsl = (L: number, H: number, dropout: boolean): string => /* wgsl */ `${streamWaveWgsl(
  L,
  3,
  `${storageArrays(2, [
    ['params', 'read'],
    ['dTop', 'read'],
    ['hprev', 'read'],
    ['gates', 'read_write'],
    ['carry', 'read_write'],
  ])}
// dzh[k] = dz_h of unit k: the operand of dResetH, every unit's
var<workgroup> dzh: array<f32, ${H}>;
${streamBackwardHelpers}`,
)}
  let last = t + 1u == w.T;
  for (var k = li; k < H; k += 64u) {
    let z = (l * N + row) * G + k;
    let at = (l * N + row) * H + k;
    let c = (l * w.B + b) * H + k;
    var dh = outputGradient(l, row, k, G)${dropout ? ' * keepScale(l, row * H + k)' : ''};
    if (!last) {
      let next = (l * N + row + 1u) * G;
      let uk = lay.offWh + k * G;
      for (var j = 0u; j < 2u * H; j++) { dh += gates[next + j] * params[uk + j]; }
      dh += carry[c];
    }
    let u = gates[z];
    let hh = gates[z + 2u * H];
    let dzH = dh * (1.0 - u) * (1.0 - hh * hh);
    gates[z] = dh * (hprev[at] - hh) * u * (1.0 - u);
    gates[z + 2u * H] = dzH;
    dzh[k] = dzH;
    carry[c] = dh * u;
  }
  workgroupBarrier();
  for (var k = li; k < H; k += 64u) {
    let z = (l * N + row) * G + k;
    let uh = lay.offWh + k * G + 2u * H;
    var dResetH = 0.0;
    for (var j = 0u; j < H; j++) { dResetH += dzh[j] * params[uh + j]; }
    let r = gates[z + H];
    gates[z + H] = dResetH * hprev[(l * N + row) * H + k] * r * (1.0 - r);
    carry[(l * w.B + b) * H + k] += dResetH * r;
  }
}
`;
