import * as tf from '@tensorflow/tfjs';
import { Batch, BatchStreams } from '../../text/batches';
import { evaluateLoss } from './evaluateLoss';
import { WeightArrays } from '../../model/modelConfig';
import { ADAM_BETA1, ADAM_BETA2, OPTIMIZER_EPSILON, RMSPROP_DECAY, adamCorrection } from '../stepMath';
import { CarriedState, MOMENTS, StepParams, Trainer, TrainerSpec, momentName } from '../trainer';
import { LstmImplementation, Network, TensorState, disposeState } from './network';

/**
 * The trainer on a tfjs backend (wasm, cpu, tfjs-node, tfjs-node-gpu): the
 * network's forward pass on the autograd tape, the fused LSTM's hand-written
 * backward, and the optimizer of stepMath.ts written out in tfjs ops (not
 * tf.train's, whose Adam accumulates beta^t in float32 and so drifts on
 * resume).
 */
export async function createTfjsTrainer(spec: TrainerSpec, lstm: LstmImplementation = 'fused', description = `${tf.getBackend()} (tfjs)`): Promise<Trainer> {
  return new TfjsTrainer(spec, lstm, description);
}

class TfjsTrainer implements Trainer {
  private readonly net: Network;
  private readonly names: string[];
  private readonly vars: tf.Variable[];
  /** moments[k][i]: moment MOMENTS[optimizer][k] of weight i. */
  private readonly moments: tf.Variable[][];
  private state: TensorState;

  constructor(
    private readonly spec: TrainerSpec,
    lstm: LstmImplementation,
    readonly description: string,
  ) {
    this.net = new Network(spec.config, spec.weights, lstm);
    this.names = [...this.net.variables.keys()];
    this.vars = [...this.net.variables.values()];
    this.moments = MOMENTS[spec.optimizer].map(() => this.vars.map((v) => zeroVariable(v)));
    this.state = this.net.zeroState(spec.batchSize);
  }

  async step(batch: Batch, { lr, t, dropoutSeed }: StepParams): Promise<number> {
    const loss = tf.tidy(() => {
      const { value, grads, next } = this.lossAndGradients(batch, dropoutSeed);
      disposeState(this.state);
      this.state = next;
      const scale = this.clipScale(grads);
      if (this.spec.optimizer === 'adam') this.adam(grads, scale, lr, t);
      else this.rmsprop(grads, scale, lr);
      return value;
    });
    const value = (await loss.data())[0];
    loss.dispose();
    return value;
  }

  async gradients(batch: Batch): Promise<{ loss: number; gradients: WeightArrays }> {
    const { value, grads, next } = this.lossAndGradients(batch, undefined);
    disposeState(next);
    const gradients: WeightArrays = new Map();
    for (let i = 0; i < grads.length; i++) gradients.set(this.names[i], (await grads[i].data()) as Float32Array);
    const loss = (await value.data())[0];
    tf.dispose([value, ...grads]);
    return { loss, gradients };
  }

  evaluate(streams: BatchStreams): Promise<number> {
    return evaluateLoss(this.net, streams);
  }

  readWeights(): Promise<WeightArrays> {
    return this.net.toArrays();
  }

  async writeWeights(weights: WeightArrays): Promise<void> {
    tf.tidy(() => this.names.forEach((name, i) => this.vars[i].assign(tf.tensor(requireArray(weights, name), this.vars[i].shape))));
  }

  async readMoments(): Promise<WeightArrays> {
    const out: WeightArrays = new Map();
    const kinds = MOMENTS[this.spec.optimizer];
    for (let k = 0; k < kinds.length; k++) {
      for (let i = 0; i < this.names.length; i++) out.set(momentName(this.names[i], kinds[k]), (await this.moments[k][i].data()) as Float32Array);
    }
    return out;
  }

  async writeMoments(moments: WeightArrays): Promise<void> {
    tf.tidy(() =>
      MOMENTS[this.spec.optimizer].forEach((kind, k) =>
        this.names.forEach((name, i) => this.moments[k][i].assign(tf.tensor(requireArray(moments, momentName(name, kind)), this.vars[i].shape))),
      ),
    );
  }

  async readState(): Promise<CarriedState> {
    const read = (ts: tf.Tensor2D[]) => Promise.all(ts.map(async (x) => (await x.data()) as Float32Array));
    return { h: await read(this.state.h), c: await read(this.state.c) };
  }

  async writeState(state: CarriedState): Promise<void> {
    const { batchSize: B, config } = this.spec;
    const H = config.hiddenSize;
    const part = (arrays: Float32Array[]) => arrays.map((a) => tf.tensor2d(a, [B, H]));
    disposeState(this.state);
    this.state = { h: part(state.h), c: part(state.c) };
  }

  resetState(): void {
    disposeState(this.state);
    this.state = this.net.zeroState(this.spec.batchSize);
  }

  dispose(): void {
    disposeState(this.state);
    this.net.dispose();
    for (const vs of this.moments) for (const v of vs) v.dispose();
  }

  /** Inside a tidy or followed by disposal: loss, gradients in weight order, and the state after the batch (kept). */
  private lossAndGradients(batch: Batch, dropoutSeed: number | undefined) {
    const { batchSize: B, seqLength: T, x, y } = batch;
    let next: TensorState | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const r = this.net.loss(tf.tensor2d(x, [B, T], 'int32'), tf.tensor2d(y, [B, T], 'int32'), this.state, dropoutSeed);
      next = { h: r.state.h.map((s) => tf.keep(s)), c: r.state.c.map((s) => tf.keep(s)) };
      return r.loss;
    }, this.vars);
    return { value, grads: this.vars.map((v) => grads[v.name]), next: next! };
  }

  private clipScale(grads: tf.Tensor[]): tf.Scalar {
    const clip = this.spec.gradClip;
    if (!(clip > 0)) return tf.scalar(1);
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    return tf.div(clip, tf.maximum(norm, clip));
  }

  private adam(grads: tf.Tensor[], scale: tf.Scalar, lr: number, t: number): void {
    const { c1, c2 } = adamCorrection(t);
    const [ms, vs] = this.moments;
    grads.forEach((raw, i) => {
      const g = tf.mul(raw, scale);
      const m = tf.add(tf.mul(ADAM_BETA1, ms[i]), tf.mul(1 - ADAM_BETA1, g));
      const v = tf.add(tf.mul(ADAM_BETA2, vs[i]), tf.mul(1 - ADAM_BETA2, tf.square(g)));
      ms[i].assign(m);
      vs[i].assign(v);
      const denom = tf.add(tf.sqrt(tf.div(v, c2)), OPTIMIZER_EPSILON);
      this.vars[i].assign(tf.sub(this.vars[i], tf.div(tf.mul(lr, tf.div(m, c1)), denom)));
    });
  }

  private rmsprop(grads: tf.Tensor[], scale: tf.Scalar, lr: number): void {
    const [mss] = this.moments;
    grads.forEach((raw, i) => {
      const g = tf.mul(raw, scale);
      const ms = tf.add(tf.mul(RMSPROP_DECAY, mss[i]), tf.mul(1 - RMSPROP_DECAY, tf.square(g)));
      mss[i].assign(ms);
      this.vars[i].assign(tf.sub(this.vars[i], tf.div(tf.mul(lr, g), tf.add(tf.sqrt(ms), OPTIMIZER_EPSILON))));
    });
  }
}

/** A zeroed, non-trainable variable of `like`'s shape (tidy lets the initial tensor go; the variable keeps its data). */
const zeroVariable = (like: tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(like), false));

function requireArray(arrays: WeightArrays, name: string): Float32Array {
  const a = arrays.get(name);
  if (!a) throw new Error(`Missing ${name}`);
  return a;
}
