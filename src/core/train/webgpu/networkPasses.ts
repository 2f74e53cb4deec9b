import { ModelConfig, lstmLayerName } from '../../model/modelConfig';
import { biasGradient } from './biasGradientKernel';
import { carryState } from './carryStateKernel';
import { dropout } from './dropoutKernel';
import { embeddingGradient, embeddingLookup } from './embeddingKernel';
import { Dispatch, Kernels } from './kernels';
import { lstmBackwardStep } from './lstmBackwardStepKernel';
import { lstmStep } from './lstmStepKernel';
import { matmul } from './matmulKernel';
import { ParameterLayout } from './parameterLayout';
import { lossMean, softmaxCrossEntropy } from './softmaxCrossEntropyKernel';

/**
 * The network's forward and backward passes as lists of dispatches over GPU
 * buffers, built once per batch shape and replayed every step:
 * embedding -> per layer (input projection for all T, T recurrent steps,
 * dropout) -> logits for all T -> softmax cross-entropy; backward in
 * reverse, with one matmul over all B*T rows per weight gradient.
 * Row r = b*T + t (batch-major), as Batch.x is.
 */

/** Buffers every pass shares: the flat weights and gradients and the per-step dropout uniforms. */
export interface SharedBuffers {
  layout: ParameterLayout;
  params: GPUBuffer;
  grads: GPUBuffer;
  /** One per layer, rewritten every step. */
  dropoutUniforms: GPUBuffer[];
}

export interface LayerActivations {
  /** [N, 4H]: the input projection, then the activated gates, then dz. */
  gates: GPUBuffer;
  hs: GPUBuffer;
  cs: GPUBuffer;
  hprev: GPUBuffer;
  /** [N, H] the layer's output after dropout (training with dropout only). */
  dropped?: GPUBuffer;
}

/** Activations of one batch shape (B, T), N = B*T. */
export interface Activations {
  B: number;
  T: number;
  x: GPUBuffer;
  y: GPUBuffer;
  emb: GPUBuffer;
  layers: LayerActivations[];
  logits: GPUBuffer;
  loss: GPUBuffer;
  /** [1]: the batch's mean loss. */
  lossMean: GPUBuffer;
  backward?: { dOut: GPUBuffer; dHs?: GPUBuffer; dEmb: GPUBuffer; dc: GPUBuffer };
}

/** Carried LSTM state, per layer [B, H]. */
export interface StateBuffers {
  h: GPUBuffer[];
  c: GPUBuffer[];
}

export interface BufferSize {
  name: string;
  floats: number;
}

/** Every activation buffer's size, so that a model too big for the device is refused before anything is allocated. */
export function activationSizes(config: ModelConfig, B: number, T: number): BufferSize[] {
  const { hiddenSize: H, embeddingSize: E, vocabSize: V } = config;
  const N = B * T;
  return [
    { name: 'gates', floats: N * 4 * H },
    { name: 'hidden states', floats: N * H },
    { name: 'embedded input', floats: N * E },
    { name: 'logits', floats: N * V },
  ];
}

export function createActivations(k: Kernels, config: ModelConfig, B: number, T: number, backward: boolean, withDropout: boolean): Activations {
  const { hiddenSize: H, embeddingSize: E, vocabSize: V } = config;
  const N = B * T;
  return {
    B,
    T,
    x: k.storage('x', N),
    y: k.storage('y', N),
    emb: k.storage('embedded', N * E),
    layers: Array.from({ length: config.layers }, () => ({
      gates: k.storage('gates', N * 4 * H),
      hs: k.storage('hs', N * H),
      cs: k.storage('cs', N * H),
      hprev: k.storage('hprev', N * H),
      dropped: withDropout ? k.storage('dropped', N * H) : undefined,
    })),
    logits: k.storage('logits', N * V),
    loss: k.storage('loss', N),
    lossMean: k.storage('loss mean', 1),
    backward: backward
      ? { dOut: k.storage('dOut', N * H), dHs: withDropout ? k.storage('dHs', N * H) : undefined, dEmb: k.storage('dEmb', N * E), dc: k.storage('dc', B * H) }
      : undefined,
  };
}

export function createState(k: Kernels, config: ModelConfig, B: number): StateBuffers {
  const make = (name: string) => Array.from({ length: config.layers }, () => k.storage(name, B * config.hiddenSize));
  return { h: make('h state'), c: make('c state') };
}

const layerOutput = (a: Activations, l: number): GPUBuffer => a.layers[l].dropped ?? a.layers[l].hs;

/** Forward pass through the loss (and dlogits, left in `logits`). */
export async function forwardPass(k: Kernels, config: ModelConfig, s: SharedBuffers, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const { B, T } = a;
  const { hiddenSize: H, embeddingSize: E, vocabSize: V } = config;
  const N = B * T;
  const at = (name: string) => ({ buffer: s.params, offset: s.layout.byName.get(name)!.offset });
  const list: Dispatch[] = [await embeddingLookup(k, { N, V, E, x: a.x, table: s.params, offTable: at('embedding/embeddings').offset, rows: a.emb })];
  for (let l = 0; l < config.layers; l++) {
    const name = lstmLayerName(l);
    const layer = a.layers[l];
    const input = l === 0 ? a.emb : layerOutput(a, l - 1);
    list.push(await matmul(k, { M: N, N: 4 * H, K: l === 0 ? E : H, a: { buffer: input, offset: 0 }, b: at(`${name}/kernel`), c: { buffer: layer.gates, offset: 0 }, bias: at(`${name}/bias`) }));
    const offW = at(`${name}/recurrent_kernel`).offset;
    for (let t = 0; t < T; t++) {
      list.push(await lstmStep(k, { B, T, H, t, params: s.params, offW, hState: state.h[l], cState: state.c[l], gates: layer.gates, hs: layer.hs, cs: layer.cs, hprev: layer.hprev }));
    }
    if (layer.dropped) list.push(await dropout(k, N * H, s.dropoutUniforms[l], layer.hs, layer.dropped));
  }
  list.push(await matmul(k, { M: N, N: V, K: H, a: { buffer: layerOutput(a, config.layers - 1), offset: 0 }, b: at('dense/kernel'), c: { buffer: a.logits, offset: 0 }, bias: at('dense/bias') }));
  list.push(await softmaxCrossEntropy(k, { N, V, logits: a.logits, y: a.y, loss: a.loss }));
  list.push(await lossMean(k, N, a.loss, a.lossMean));
  return list;
}

/** Backward pass from dlogits to every weight's gradient in `s.grads`. */
export async function backwardPass(k: Kernels, config: ModelConfig, s: SharedBuffers, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const { B, T } = a;
  const { hiddenSize: H, embeddingSize: E, vocabSize: V, layers: L } = config;
  const N = B * T;
  const bw = a.backward!;
  const offset = (name: string) => s.layout.byName.get(name)!.offset;
  const grad = (name: string) => ({ buffer: s.grads, offset: offset(name) });
  const whole = (buffer: GPUBuffer, transposed = false) => ({ buffer, offset: 0, transposed });
  const list: Dispatch[] = [
    await matmul(k, { M: H, N: V, K: N, a: whole(layerOutput(a, L - 1), true), b: whole(a.logits), c: grad('dense/kernel') }),
    await biasGradient(k, N, V, a.logits, s.grads, offset('dense/bias')),
    await matmul(k, { M: N, N: H, K: V, a: whole(a.logits), b: { buffer: s.params, offset: offset('dense/kernel'), transposed: true }, c: whole(bw.dOut) }),
  ];
  for (let l = L - 1; l >= 0; l--) {
    const name = lstmLayerName(l);
    const layer = a.layers[l];
    let dHs = bw.dOut;
    if (layer.dropped) {
      dHs = bw.dHs!;
      list.push(await dropout(k, N * H, s.dropoutUniforms[l], bw.dOut, dHs));
    }
    const offW = offset(`${name}/recurrent_kernel`);
    for (let t = T - 1; t >= 0; t--) {
      list.push(await lstmBackwardStep(k, { B, T, H, t, params: s.params, offW, dHs, cs: layer.cs, cState: state.c[l], gates: layer.gates, dc: bw.dc }));
    }
    const inSize = l === 0 ? E : H;
    const input = l === 0 ? a.emb : layerOutput(a, l - 1);
    list.push(
      await matmul(k, { M: inSize, N: 4 * H, K: N, a: whole(input, true), b: whole(layer.gates), c: grad(`${name}/kernel`) }),
      await matmul(k, { M: H, N: 4 * H, K: N, a: whole(layer.hprev, true), b: whole(layer.gates), c: grad(`${name}/recurrent_kernel`) }),
      await biasGradient(k, N, 4 * H, layer.gates, s.grads, offset(`${name}/bias`)),
      await matmul(k, { M: N, N: inSize, K: 4 * H, a: whole(layer.gates), b: { buffer: s.params, offset: offset(`${name}/kernel`), transposed: true }, c: whole(l === 0 ? bw.dEmb : bw.dOut) }),
    );
  }
  list.push(await embeddingGradient(k, { N, V, E, x: a.x, table: s.grads, offTable: offset('embedding/embeddings'), rows: bw.dEmb }));
  return list;
}

/** The carried state after the batch: each layer's last h and c. */
export async function carryPass(k: Kernels, config: ModelConfig, a: Activations, state: StateBuffers): Promise<Dispatch[]> {
  const list: Dispatch[] = [];
  for (let l = 0; l < config.layers; l++) list.push(await carryState(k, a.B, a.T, config.hiddenSize, a.layers[l].hs, a.layers[l].cs, state.h[l], state.c[l]));
  return list;
}
