import { Dispatch, Kernels, storageArrays } from './kernels';
import { WaveArgs } from './lstmForwardWaveKernel';
import { streamForwardHelpers, streamWaveWgsl, streamWaves } from './streamWave';

/**
 * One wave of the forward vanilla RNN wavefront (min-char-rnn's step, the
 * wasm trainer's rnnStepForward.wat), one workgroup per stream and layer
 * (streamWave.ts). For each (l, t):
 *   h_t = tanh(pre + h_{t-1} U),  pre = x_t W + b (gates[0, row] for l = 0, computed for all T beforehand)
 * Shapes (row = b*T + t; stacked over the L layers): gates [L, B*T, H] (the
 * first layer's pre; backward writes dz there), hs, hprev [L, B*T, H],
 * dropped as in the LSTM wave, hState [L, B, H].
 */
export interface RnnWaveArgs extends WaveArgs {
  hState: GPUBuffer;
  gates: GPUBuffer;
  hs: GPUBuffer;
  hprev: GPUBuffer;
  dropped?: GPUBuffer;
}

export function rnnForwardWaves(kernels: Kernels, a: RnnWaveArgs): Promise<Dispatch[]> {
  const resources = [a.hState, a.gates, a.hs, a.hprev, ...(a.dropped ? [a.dropped] : [])];
  return streamWaves(kernels, 'rnn forward wave', rnnForwardWgsl(a.L, !!a.dropped), a, resources, false);
}

const rnnForwardWgsl = (L: number, dropout: boolean): string => /* wgsl */ `${streamWaveWgsl(
  L,
  1,
  `${storageArrays(2, [
    ['params', 'read'],
    ['hState', 'read'],
    ['gates', 'read'],
    ['hs', 'read_write'],
    ['hprev', 'read_write'],
    ...(dropout ? [['dropped', 'read_write'] as [string, 'read_write']] : []),
  ])}
${streamForwardHelpers(dropout)}`,
)}
  for (var k = li; k < H; k += 64u) {
    var z: f32;
    if (l == 0u) {
      z = gates[row * H + k];
    } else {
      z = params[lay.offB + k];
      for (var j = 0u; j < H; j++) { z += inputAt(l, row, j) * params[lay.offWx + j * H + k]; }
    }
    for (var j = 0u; j < H; j++) { z += hPrevAt(l, b, t, j) * params[lay.offWh + j * H + k]; }
    let h = tanhSafe(z);
    let at = (l * N + row) * H + k;
    hprev[at] = hPrevAt(l, b, t, k);
    hs[at] = h;
    ${dropout ? 'dropped[at] = h * keepScale(l, row * H + k);' : ''}
  }
}
`;
