import { GATES, ModelConfig, cellOf } from '../../model/modelConfig';
import { biasGradient, biasPartialsSize } from './biasGradientKernel';
import { carryState } from './carryStateKernel';
import { embeddingGradient, embeddingPartialsSize } from './embeddingGradientKernel';
import { embeddingLookup } from './embeddingLookupKernel';
import { gruBackwardWaves } from './gruBackwardWaveKernel';
import { gruForwardWaves } from './gruForwardWaveKernel';
import { Dispatch, Kernels } from './kernels';
import { lstmBackwardWaves } from './lstmBackwardWaveKernel';
import { lstmForwardWaves } from './lstmForwardWaveKernel';
import { MatrixRef, matmul } from './matmulKernel';
import { ParameterLayout } from './parameterLayout';
import { rnnBackwardWaves } from './rnnBackwardWaveKernel';
import { rnnForwardWaves } from './rnnForwardWaveKernel';
import { lossMean, softmaxCrossEntropy } from './softmaxCrossEntropyKernel';

/**
 * The network's forward and backward passes as lists of dispatches over GPU
 * buffers, built once per batch shape and replayed every step:
 * embedding -> the first layer's input projection for all T -> the
 * recurrent layers (LSTM, GRU or vanilla RNN) as a wavefront (L+T-1
 * dispatches, layer l+1 at t beside layer l at t+1) -> logits for all T ->
 * softmax cross-entropy; backward in reverse (the wavefront's L+T-1
 * dispatches again), with one matmul over all B*T rows per weight gradient
 * (two for a GRU's recurrent kernel: dUzr = hprev^T dz_ur beside
 * dUh = resetH^T dz_h) and two-level reductions for the bias and embedding
 * gradients. G below is the gate columns per row: GATES[cell] x H.
 * Row r = b*T + t (batch-major), as Batch.x is; the per-layer activations
 * are stacked [L, B*T, ...] so that one dispatch can run several layers.
 */

/** Buffers every pass shares: the flat weights and gradients and the layer table (layerTable.ts). */
export interface SharedBuffers {
  layout: ParameterLayout;
  params: GPUBuffer;
  grads: GPUBuffer;
  /** Weight offsets and this step's dropout masks, per layer; the masks are rewritten every step. */
  layerTable: GPUBuffer;
}

/** Activations of one batch shape (B, T), N = B*T; per-layer buffers are stacked over the L layers. */
export interface Activations {
  B: number;
  T: number;
  x: GPUBuffer;
  y: GPUBuffer;
  emb: GPUBuffer;
  /** [L, N, G]: the first layer's input projection, then the activated gates, then dz. */
  gates: GPUBuffer;
  hs: GPUBuffer;
  /** [L, N, H]: the LSTM's cell states; zeros for the other cells (their carried c). */
  cs: GPUBuffer;
  hprev: GPUBuffer;
  /** [L, N, H]: a GRU's r h_{t-1}, the operand of dUh. */
  resetH?: GPUBuffer;
  /** [L, N, H] the layers' outputs after dropout (training with dropout only). */
  dropped?: GPUBuffer;
  logits: GPUBuffer;
  loss: GPUBuffer;
  /** [1]: the batch's mean loss. */
  lossMean: GPUBuffer;
  /** dc [L, B, H]: what a step hands its predecessor besides the dz product (the LSTM's dc f, the GRU's dh u + dResetH r). */
  backward?: { dTop: GPUBuffer; dEmb: GPUBuffer; dc: GPUBuffer; biasPartials: GPUBuffer; embeddingPartials: GPUBuffer };
}

/** Carried state, [L, B, H] (c: zeros but for the LSTM). */
export interface StateBuffers {
  h: GPUBuffer;
  c: GPUBuffer;
}

export interface BufferSize {
  name: string;
  floats: number;
}

/** Every activation buffer's size, so that a model too big for the device is refused before anything is allocated. */
export function activationSizes(config: ModelConfig, B: number, T: number): BufferSize[] {
  const { hiddenSize: H, embeddingSize: E, vocabSize: V, layers: L } = config;
  const N = B * T;
  const G = GATES[cellOf(config)] * H;
  return [
    { name: 'gates', floats: L * N * G },
    { name: 'hidden states', floats: L * N * H },
    { name: 'embedded input', floats: N * E },
    { name: 'logits', floats: N * V },
    { name: 'bias gradient partials', floats: biasPartialsSize(N, Math.max(G, V)) },
    { name: 'embedding gradient partials', floats: embeddingPartialsSize(N, V, E) },
  ];
}

export function createActivations(k: Kernels, config: ModelConfig, B: number, T: number, backward: boolean, withDropout: boolean): Activations {
  const { hiddenSize: H, embeddingSize: E, vocabSize: V, layers: L } = config;
  const N = B * T;
  const G = GATES[cellOf(config)] * H;
  return {
    B,
    T,
    x: k.storage('x', N),
    y: k.storage('y', N),
    emb: k.storage('embedded', N * E),
    gates: k.storage('gates', L * N * G),
    hs: k.storage('hs', L * N * H),
    cs: k.storage('cs', L * N * H),
    hprev: k.storage('hprev', L * N * H),
    resetH: cellOf(config) === 'gru' ? k.storage('resetH', L * N * H) : undefined,
    dropped: withDropout ? k.storage('dropped', L * N * H) : undefined,
    logits: k.storage('logits', N * V),
    loss: k.storage('loss', N),
    lossMean: k.storage('loss mean', 1),
    backward: backward
      ? {
          dTop: k.storage('dTop', N * H),
          dEmb: k.storage('dEmb', N * E),
          dc: k.storage('dc', L * B * H),
          biasPartials: k.storage('bias partials', biasPartialsSize(N, Math.max(G, V))),
          embeddingPartials: k.storage('embedding partials', embeddingPartialsSize(N, V, E)),
        }
      : undefined,
  };
}

export function createState(k: Kernels, config: ModelConfig, B: number): StateBuffers {
  const size = config.layers * B * config.hiddenSize;
  return { h: k.storage('h state', size), c: k.storage('c state', size) };
}

/** Layer l's output [N, H] (after dropout when there is dropout): the next layer's input, or the dense layer's. */
const layerOutput = (a: Activations, H: number, l: number): MatrixRef => ({ buffer: a.dropped ?? a.hs, offset: l * a.B * a.T * H });

/** Forward pass through the loss (and dlogits, left in `logits`). */
export async function forwardPass(k: Kernels, config: ModelConfig, s: SharedBuffers, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const { B, T } = a;
  const { hiddenSize: H, embeddingSize: E, vocabSize: V, layers: L } = config;
  const N = B * T;
  const at = (name: string) => ({ buffer: s.params, offset: s.layout.byName.get(name)!.offset });
  const first = s.layout.layerNames[0];
  return [
    await embeddingLookup(k, { N, V, E, x: a.x, params: s.params, offTable: at('embedding/embeddings').offset, out: a.emb }),
    await matmul(k, { M: N, N: GATES[cellOf(config)] * H, K: E, a: { buffer: a.emb, offset: 0 }, b: at(`${first}/kernel`), c: { buffer: a.gates, offset: 0 }, bias: at(`${first}/bias`) }),
    ...(await recurrentForwardWaves(k, config, s, a, state)),
    await matmul(k, { M: N, N: V, K: H, a: layerOutput(a, H, L - 1), b: at('dense/kernel'), c: { buffer: a.logits, offset: 0 }, bias: at('dense/bias') }),
    await softmaxCrossEntropy(k, { N, V, logits: a.logits, y: a.y, loss: a.loss }),
    await lossMean(k, N, a.loss, a.lossMean),
  ];
}

function recurrentForwardWaves(k: Kernels, config: ModelConfig, s: SharedBuffers, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const wave = { B: a.B, T: a.T, H: config.hiddenSize, L: config.layers, layerTable: s.layerTable, params: s.params };
  const common = { ...wave, hState: state.h, gates: a.gates, hs: a.hs, hprev: a.hprev, dropped: a.dropped };
  switch (cellOf(config)) {
    case 'lstm':
      return lstmForwardWaves(k, { ...common, cState: state.c, cs: a.cs });
    case 'gru':
      return gruForwardWaves(k, { ...common, resetH: a.resetH! });
    case 'rnn':
      return rnnForwardWaves(k, common);
  }
}

function recurrentBackwardWaves(k: Kernels, config: ModelConfig, s: SharedBuffers, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const bw = a.backward!;
  const wave = { B: a.B, T: a.T, H: config.hiddenSize, L: config.layers, layerTable: s.layerTable, params: s.params, dTop: bw.dTop, gates: a.gates, dropout: !!a.dropped };
  switch (cellOf(config)) {
    case 'lstm':
      return lstmBackwardWaves(k, { ...wave, cs: a.cs, cState: state.c, dc: bw.dc });
    case 'gru':
      return gruBackwardWaves(k, { ...wave, hprev: a.hprev, carry: bw.dc });
    case 'rnn':
      return rnnBackwardWaves(k, { ...wave, hs: a.hs });
  }
}

/** Backward pass from dlogits to every weight's gradient in `s.grads`. */
export async function backwardPass(k: Kernels, config: ModelConfig, s: SharedBuffers, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const { B, T } = a;
  const { hiddenSize: H, embeddingSize: E, vocabSize: V, layers: L } = config;
  const N = B * T;
  const G = GATES[cellOf(config)] * H;
  const bw = a.backward!;
  const offset = (name: string) => s.layout.byName.get(name)!.offset;
  const grad = (name: string) => ({ buffer: s.grads, offset: offset(name) });
  const transposed = (m: MatrixRef) => ({ ...m, transposed: true });
  const dz = (l: number, column = 0, ld?: number): MatrixRef => ({ buffer: a.gates, offset: l * N * G + column, ld });
  const list: Dispatch[] = [
    await matmul(k, { M: H, N: V, K: N, a: transposed(layerOutput(a, H, L - 1)), b: { buffer: a.logits, offset: 0 }, c: grad('dense/kernel') }),
    ...(await biasGradient(k, N, V, { buffer: a.logits, offset: 0 }, bw.biasPartials, s.grads, offset('dense/bias'))),
    await matmul(k, { M: N, N: H, K: V, a: { buffer: a.logits, offset: 0 }, b: { buffer: s.params, offset: offset('dense/kernel'), transposed: true }, c: { buffer: bw.dTop, offset: 0 } }),
    ...(await recurrentBackwardWaves(k, config, s, a, state)),
  ];
  for (let l = L - 1; l >= 0; l--) {
    const name = s.layout.layerNames[l];
    const input = l === 0 ? { buffer: a.emb, offset: 0 } : layerOutput(a, H, l - 1);
    const hprev = transposed({ buffer: a.hprev, offset: l * N * H });
    const recurrent = grad(`${name}/recurrent_kernel`);
    list.push(
      await matmul(k, { M: l === 0 ? E : H, N: G, K: N, a: transposed(input), b: dz(l), c: grad(`${name}/kernel`) }),
      ...(cellOf(config) === 'gru'
        ? [
            await matmul(k, { M: H, N: 2 * H, K: N, a: hprev, b: dz(l, 0, G), c: { ...recurrent, ld: G } }),
            await matmul(k, { M: H, N: H, K: N, a: transposed({ buffer: a.resetH!, offset: l * N * H }), b: dz(l, 2 * H, G), c: { ...recurrent, offset: recurrent.offset + 2 * H, ld: G } }),
          ]
        : [await matmul(k, { M: H, N: G, K: N, a: hprev, b: dz(l), c: recurrent })]),
      ...(await biasGradient(k, N, G, dz(l), bw.biasPartials, s.grads, offset(`${name}/bias`))),
    );
  }
  const first = s.layout.layerNames[0];
  list.push(
    await matmul(k, { M: N, N: E, K: G, a: dz(0), b: { buffer: s.params, offset: offset(`${first}/kernel`), transposed: true }, c: { buffer: bw.dEmb, offset: 0 } }),
    ...(await embeddingGradient(k, { N, V, E, x: a.x, dEmb: bw.dEmb, partials: bw.embeddingPartials, grads: s.grads, offTable: offset('embedding/embeddings') })),
  );
  return list;
}

/** The carried state after the batch: each layer's last h and c, in one dispatch. */
export async function carryPass(k: Kernels, config: ModelConfig, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  return [await carryState(k, config.layers, a.B, a.T, config.hiddenSize, a.hs, a.cs, state.h, state.c)];
}
