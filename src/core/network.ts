import * as tf from '@tensorflow/tfjs';
import { ModelConfig, WeightArrays, weightSpecs, lstmLayerName } from './modelConfig';

/** Per-layer LSTM state for B streams: h and c are [B, H]. */
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
 * The trainable network on a tfjs backend: embedding -> L LSTM layers ->
 * dense -> softmax. The LSTM is written op by op (one recurrent matmul and
 * the gate math per step, recorded on tfjs's autograd tape); the input
 * projection of each layer is done for all T steps in one matmul.
 */
export class Network {
  readonly variables: Map<string, tf.Variable>;
  private readonly embedding: tf.Variable;
  private readonly lstm: LstmVars[];
  private readonly denseKernel: tf.Variable;
  private readonly denseBias: tf.Variable;

  constructor(readonly config: ModelConfig, weights: WeightArrays) {
    this.variables = new Map();
    for (const spec of weightSpecs(config)) {
      const values = weights.get(spec.name);
      if (!values) throw new Error(`Missing weight ${spec.name}`);
      this.variables.set(spec.name, tf.variable(tf.tensor(values, spec.shape, 'float32'), true, `charlens/${spec.name}`));
    }
    const v = (name: string) => this.variables.get(name)!;
    this.embedding = v('embedding/embeddings');
    this.lstm = Array.from({ length: config.layers }, (_, l) => ({
      kernel: v(`${lstmLayerName(l)}/kernel`),
      recurrent: v(`${lstmLayerName(l)}/recurrent_kernel`),
      bias: v(`${lstmLayerName(l)}/bias`),
    }));
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
   * batch can start there. `dropoutSeed` undefined means no dropout.
   */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, state: TensorState, dropoutSeed?: number): { loss: tf.Scalar; state: TensorState } {
    const [B, T] = x.shape;
    const { hiddenSize: H, vocabSize: V, dropout } = this.config;
    // Embedding lookup as one-hot x table: its gradient is a matmul, which every
    // backend has (gather's gradient needs UnsortedSegmentSum, which wasm lacks).
    const oneHot = tf.oneHot(tf.reshape(x, [B * T]), V);
    let seq = tf.reshape(tf.matMul(oneHot, this.embedding), [B, T, this.config.embeddingSize]) as tf.Tensor3D;
    const next: TensorState = { h: [], c: [] };
    this.lstm.forEach((layer, l) => {
      const inSize = seq.shape[2];
      // Input projection for all T steps at once: [B*T, in] x [in, 4H].
      const xProj = tf.add(tf.matMul(tf.reshape(seq, [B * T, inSize]), layer.kernel), layer.bias);
      const steps = tf.unstack(tf.reshape(xProj, [B, T, 4 * H]), 1) as tf.Tensor2D[];
      let h = state.h[l];
      let c = state.c[l];
      const outputs: tf.Tensor2D[] = [];
      for (const xt of steps) {
        const z = tf.add(xt, tf.matMul(h, layer.recurrent));
        const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
        c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
        h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
        outputs.push(h);
      }
      next.h.push(h);
      next.c.push(c);
      seq = tf.stack(outputs, 1) as tf.Tensor3D;
      if (dropoutSeed !== undefined && dropout > 0) seq = tf.dropout(seq, dropout, undefined, dropoutSeed + l) as tf.Tensor3D;
    });
    const logits = tf.add(tf.matMul(tf.reshape(seq, [B * T, H]), this.denseKernel), this.denseBias);
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
