import * as tf from '@tensorflow/tfjs';
import { lstmSequenceFused } from './lstmFused';
import { matMul } from './matMul';
import { GATES, ModelConfig, WeightArrays, cellOf, recurrentLayerName, weightSpecs } from '../../model/modelConfig';
import { dropoutMask } from '../dropoutMask';

/**
 * 'fused': the whole-sequence op with a hand-written gradient (lstmFused.ts);
 * 'reference': op by op on the autograd tape, the slow and obviously
 * correct version the fused one is checked against.
 */
export type LstmImplementation = 'fused' | 'reference';

interface LayerOutput {
  hs: tf.Tensor3D;
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/**
 * x[:, t, :] for every t. One step is a reshape: tfjs hands unstack's
 * gradient a lone tensor where there is one output, and that gradient
 * (a stack) then throws.
 */
function timeSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, G] = x.shape;
  return T === 1 ? [tf.reshape(x, [B, G])] : (tf.unstack(x, 1) as tf.Tensor2D[]);
}

function referenceLayer(xProj: tf.Tensor3D, recurrent: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): LayerOutput {
  let h = h0;
  let c = c0;
  const outputs: tf.Tensor2D[] = [];
  for (const xt of timeSteps(xProj)) {
    const z = tf.add(xt, matMul(h, recurrent));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
    c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
    h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
    outputs.push(h);
  }
  return { hs: tf.stack(outputs, 1) as tf.Tensor3D, h, c };
}

/** A GRU layer op by op (Cho et al., r on h before the product, as Keras's reset_after=false); it has no c, which stays zero. */
function gruLayer(xProj: tf.Tensor3D, recurrent: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): LayerOutput {
  const H = h0.shape[1];
  const [updateReset, candidate] = tf.split(recurrent, [2 * H, H], 1) as tf.Tensor2D[];
  let h = h0;
  const outputs: tf.Tensor2D[] = [];
  for (const xt of timeSteps(xProj)) {
    const [xz, xr, xh] = tf.split(xt, 3, 1) as tf.Tensor2D[];
    const [uz, ur] = tf.split(matMul(h, updateReset), 2, 1) as tf.Tensor2D[];
    const z = tf.sigmoid(tf.add(xz, uz));
    const r = tf.sigmoid(tf.add(xr, ur));
    const hh = tf.tanh(tf.add(xh, matMul(tf.mul(r, h), candidate)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
    outputs.push(h);
  }
  return { hs: tf.stack(outputs, 1) as tf.Tensor3D, h, c: tf.zerosLike(c0) };
}

/** A vanilla RNN layer op by op, h = tanh(W x + U h + b); it has no c, which stays zero. */
function rnnLayer(xProj: tf.Tensor3D, recurrent: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): LayerOutput {
  let h = h0;
  const outputs: tf.Tensor2D[] = [];
  for (const xt of timeSteps(xProj)) {
    h = tf.tanh(tf.add(xt, matMul(h, recurrent))) as tf.Tensor2D;
    outputs.push(h);
  }
  return { hs: tf.stack(outputs, 1) as tf.Tensor3D, h, c: tf.zerosLike(c0) };
}

function fusedLayer(xProj: tf.Tensor3D, recurrent: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): LayerOutput {
  const [B, , G] = xProj.shape;
  const r = lstmSequenceFused(xProj, recurrent, h0.dataSync() as Float32Array, c0.dataSync() as Float32Array);
  return { hs: r.hs, h: tf.tensor2d(r.hT, [B, G / 4]), c: tf.tensor2d(r.cT, [B, G / 4]) };
}

/** Per-layer recurrent state for B streams: h and c are [B, H] (c an LSTM's only). */
export interface TensorState {
  h: tf.Tensor2D[];
  c: tf.Tensor2D[];
}

interface LstmVars {
  kernel: tf.Variable;
  recurrent: tf.Variable;
  bias: tf.Variable;
}

/**
 * The trainable network on a tfjs backend: embedding -> L recurrent layers
 * -> dense -> softmax. The input projection of each layer is one matmul for
 * all T steps, as is the output projection; an LSTM's recurrence runs fused
 * or op by op (see LstmImplementation), a GRU's or RNN's op by op.
 */
export class Network {
  private static instances = 0;
  readonly variables: Map<string, tf.Variable>;
  private readonly embedding: tf.Variable;
  private readonly lstm: LstmVars[];
  private readonly runLayer: typeof referenceLayer;
  private readonly denseKernel: tf.Variable;
  private readonly denseBias: tf.Variable;

  constructor(
    readonly config: ModelConfig,
    weights: WeightArrays,
    implementation: LstmImplementation = 'fused',
  ) {
    this.variables = new Map();
    // tfjs variable names are global: two networks (training and a scoring copy) must not clash.
    const id = Network.instances++;
    for (const spec of weightSpecs(config)) {
      const values = weights.get(spec.name);
      if (!values) throw new Error(`Missing weight ${spec.name}`);
      this.variables.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(values, spec.shape, 'float32'), true, `charlens${id}/${spec.name}`)));
    }
    const v = (name: string) => this.variables.get(name)!;
    this.embedding = v('embedding/embeddings');
    this.lstm = Array.from({ length: config.layers }, (_, l) => ({
      kernel: v(`${recurrentLayerName(config, l)}/kernel`),
      recurrent: v(`${recurrentLayerName(config, l)}/recurrent_kernel`),
      bias: v(`${recurrentLayerName(config, l)}/bias`),
    }));
    const cell = cellOf(config);
    this.runLayer = cell === 'gru' ? gruLayer : cell === 'rnn' ? rnnLayer : implementation === 'fused' ? fusedLayer : referenceLayer;
    this.denseKernel = v('dense/kernel');
    this.denseBias = v('dense/bias');
  }

  zeroState(batch: number): TensorState {
    const H = this.config.hiddenSize;
    const zeros = () => Array.from({ length: this.config.layers }, () => tf.zeros([batch, H]) as tf.Tensor2D);
    return { h: zeros(), c: zeros() };
  }

  /**
   * Mean cross-entropy (nats/char) of predicting y from x, both [B, T], from
   * `state`. Returns the loss and the state after the last step, so the next
   * batch can start there. `dropoutSeed` undefined means no dropout; the
   * masks come from dropoutMask.ts, so every trainer draws the same ones.
   */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, state: TensorState, dropoutSeed?: number): { loss: tf.Scalar; state: TensorState } {
    const [B, T] = x.shape;
    const { hiddenSize: H, vocabSize: V, dropout } = this.config;
    // Embedding lookup as one-hot x table: its gradient is a matmul, which every
    // backend has (gather's gradient needs UnsortedSegmentSum, which wasm lacks).
    const oneHot = tf.oneHot(tf.reshape(x, [B * T]), V);
    let seq = tf.reshape(matMul(oneHot, this.embedding), [B, T, this.config.embeddingSize]) as tf.Tensor3D;
    const next: TensorState = { h: [], c: [] };
    this.lstm.forEach((layer, l) => {
      const inSize = seq.shape[2];
      // Input projection for all T steps at once: [B*T, in] x [in, gates x H].
      const xProj = tf.add(matMul(tf.reshape(seq, [B * T, inSize]), layer.kernel), layer.bias);
      const out = this.runLayer(tf.reshape(xProj, [B, T, GATES[cellOf(this.config)] * H]) as tf.Tensor3D, layer.recurrent as tf.Tensor2D, state.h[l], state.c[l]);
      next.h.push(out.h);
      next.c.push(out.c);
      seq = out.hs;
      if (dropoutSeed !== undefined && dropout > 0) seq = tf.mul(seq, tf.tensor3d(dropoutMask(dropoutSeed, l, B * T * H, dropout), [B, T, H]));
    });
    const logits = tf.add(matMul(tf.reshape(seq, [B * T, H]), this.denseKernel), this.denseBias);
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(tf.oneHot(tf.reshape(y, [B * T]), V), logProbs), 1);
    return { loss: tf.neg(tf.mean(picked)) as tf.Scalar, state: next };
  }

  async toArrays(): Promise<WeightArrays> {
    const out: WeightArrays = new Map();
    for (const [name, variable] of this.variables) out.set(name, (await variable.data()) as Float32Array);
    return out;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
  }
}

export function disposeState(state: TensorState): void {
  tf.dispose([...state.h, ...state.c]);
}
