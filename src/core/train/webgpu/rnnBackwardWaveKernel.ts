import { Dispatch, Kernels, storageArrays } from './kernels';
import { WaveArgs } from './lstmForwardWaveKernel';
import { streamBackwardHelpers, streamWaveWgsl, streamWaves } from './streamWave';

/**
 * One wave of the backward vanilla RNN wavefront (the wasm trainer's
 * rnnStepBackward.wat), d = L+T-2 .. 0, one workgroup per stream and layer
 * (streamWave.ts). For each (l, t), with m = keepScale(l, row*H + k):
 *   dh = m dy + dz_{l,t+1} U^T   (only m dy at t = T-1)
 *   dy = dTop[row] on the top layer, dz_{l+1,t} Wx_{l+1}^T below it
 *   dz = dh (1 - h_t^2)
 * Shapes: gates [L, B*T, H] receives dz; hs [L, B*T, H]; dTop [B*T, H].
 */
export interface RnnBackwardWaveArgs extends WaveArgs {
  dTop: GPUBuffer;
  hs: GPUBuffer;
  gates: GPUBuffer;
  /** Whether the forward pass dropped (the masks come from the layer table). */
  dropout: boolean;
}

export function rnnBackwardWaves(kernels: Kernels, a: RnnBackwardWaveArgs): Promise<Dispatch[]> {
  return streamWaves(kernels, 'rnn backward wave', rnnBackwardWgsl(a.L, a.dropout), a, [a.dTop, a.hs, a.gates], true);
}

const rnnBackwardWgsl = (L: number, dropout: boolean): string => /* wgsl */ `${streamWaveWgsl(
  L,
  1,
  `${storageArrays(2, [
    ['params', 'read'],
    ['dTop', 'read'],
    ['hs', 'read'],
    ['gates', 'read_write'],
  ])}
${streamBackwardHelpers}`,
)}
  for (var k = li; k < H; k += 64u) {
    var dh = outputGradient(l, row, k, G)${dropout ? ' * keepScale(l, row * H + k)' : ''};
    if (t + 1u < w.T) {
      let next = (l * N + row + 1u) * G;
      for (var j = 0u; j < H; j++) { dh += gates[next + j] * params[lay.offWh + k * G + j]; }
    }
    let at = (l * N + row) * H + k;
    let h = hs[at];
    gates[at] = dh * (1.0 - h * h);
  }
}
`;
