import { VectorMemory, padTo4 } from '../kernels/vectorMemory';
import type { Checkpoint } from './checkpoint';
import { ModelConfig, WeightArrays, lstmLayerName } from './modelConfig';
import { UserError } from '../userError';

/** LSTM state of one stream: per layer, h and c of length H. */
export interface LstmState {
  h: Float32Array[];
  c: Float32Array[];
}

export interface StepResult {
  /** Next-character probabilities, length V. */
  probs: Float32Array;
  /** The state after this character (h and c of every layer). */
  state: LstmState;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Rows (beam hypotheses) stepped together by advanceRows and probabilitiesRows; more are taken this many at a time. */
export const MAX_BATCH_ROWS = 16;

/**
 * What advance() may do besides stepping: for causal checks, hold one cell's
 * c at a value after every step (h then follows from that step's output
 * gate, as if the cell had computed it); for the model report, copy out
 * every layer's gates.
 */
export interface StepHook {
  clamp?: { layer: number; index: number; c: number };
  /** Per layer, [3H] filled with this step's input, forget and output gates (i, f, o), H each. */
  gates?: Float32Array[];
}

/**
 * Weights can be finite and still overflow float32 arithmetic (3e38 loads;
 * its products do not): such a model predicts nothing, and says so rather
 * than answering NaN.
 */
export class ModelOutputError extends UserError {
  constructor(model: string) {
    super(`Model ${model} gives non-finite probabilities (its weights overflow float32 arithmetic): retrain it or use another checkpoint`, 'non-finite-output');
  }
}

/**
 * One character at a time: what the editor needs (completions, overlays,
 * neurons) costs a few dozen steps, where a tfjs op per gate would cost more
 * in overhead than in arithmetic. The products run in a WebAssembly SIMD
 * kernel (kernels/vectorMemory.ts). The first layer's input projection is
 * precomputed per vocabulary entry, since embedding then kernel is a fixed
 * [V, 4H] table.
 */
export class InferenceModel {
  private readonly mem: VectorMemory;
  private readonly inputTable: Float32Array; // [V, 4H] = embedding x kernel_1 + bias_1
  private readonly kernels: Float32Array[]; // layers >= 1: [H, 4H]
  private readonly recurrent: Float32Array[]; // [H, 4H]
  private readonly biases: Float32Array[]; // [4H]
  private readonly denseKernel: Float32Array; // [H, Vp], rows padded to a multiple of 4
  private readonly denseBias: Float32Array; // [V]
  private readonly logits: Float32Array; // [Vp]
  private readonly z: Float32Array;
  /** advanceRows' gate inputs and probabilitiesRows' logits, MAX_BATCH_ROWS rows each. */
  private readonly zRows: Float32Array;
  private readonly logitRows: Float32Array;

  private readonly name: string;

  /** `name` (e.g. the checkpoint's folder) is what errors call the model. */
  constructor(readonly config: ModelConfig, weights: WeightArrays, options: { simd?: boolean; name?: string } = {}) {
    this.name = options.name ?? 'in memory';
    const { vocabSize: V, embeddingSize: E, hiddenSize: H, layers } = config;
    const G = 4 * H;
    const Vp = padTo4(V);
    const get = (name: string) => {
      const w = weights.get(name);
      if (!w) throw new Error(`Missing weight ${name}`);
      return w;
    };
    const matrices = (2 * layers - 1) * H * G + E * G + H * Vp + G + Vp + MAX_BATCH_ROWS * (G + Vp);
    this.mem = new VectorMemory(matrices, MAX_BATCH_ROWS * Math.max(E, H), options.simd === false);
    const copy = (values: Float32Array) => {
      const view = this.mem.alloc(values.length);
      view.set(values);
      return view;
    };
    this.kernels = [];
    this.recurrent = [];
    this.biases = [];
    for (let l = 0; l < layers; l++) {
      if (l > 0) this.kernels.push(copy(get(`${lstmLayerName(l)}/kernel`)));
      this.recurrent.push(copy(get(`${lstmLayerName(l)}/recurrent_kernel`)));
      this.biases.push(get(`${lstmLayerName(l)}/bias`));
    }
    this.z = this.mem.alloc(G);
    const embedding = get('embedding/embeddings');
    const kernel0 = this.mem.alloc(E * G);
    kernel0.set(get(`${lstmLayerName(0)}/kernel`));
    this.inputTable = new Float32Array(V * G);
    for (let v = 0; v < V; v++) {
      this.z.set(this.biases[0]);
      this.mem.addVecMat(this.z, embedding.subarray(v * E, (v + 1) * E), kernel0, G);
      this.inputTable.set(this.z, v * G);
    }
    const dense = get('dense/kernel');
    this.denseKernel = this.mem.alloc(H * Vp);
    for (let k = 0; k < H; k++) this.denseKernel.set(dense.subarray(k * V, (k + 1) * V), k * Vp);
    this.denseBias = get('dense/bias');
    this.logits = this.mem.alloc(Vp);
    this.zRows = this.mem.alloc(MAX_BATCH_ROWS * G);
    this.logitRows = this.mem.alloc(MAX_BATCH_ROWS * Vp);
  }

  /** The model of a loaded checkpoint, named by its folder. */
  static of(checkpoint: Pick<Checkpoint, 'dir' | 'config' | 'weights'>): InferenceModel {
    return new InferenceModel(checkpoint.config, checkpoint.weights, { name: checkpoint.dir });
  }

  zeroState(): LstmState {
    const { hiddenSize: H, layers } = this.config;
    return {
      h: Array.from({ length: layers }, () => new Float32Array(H)),
      c: Array.from({ length: layers }, () => new Float32Array(H)),
    };
  }

  cloneState(state: LstmState): LstmState {
    return { h: state.h.map((a) => a.slice()), c: state.c.map((a) => a.slice()) };
  }

  /** Advances `state` in place by character id `id` and returns the result; `hook` (see StepHook) costs nothing when absent. */
  advance(state: LstmState, id: number, hook?: StepHook): LstmState {
    const H = this.config.hiddenSize;
    const G = 4 * H;
    const z = this.z;
    for (let l = 0; l < this.config.layers; l++) {
      if (l === 0) {
        z.set(this.inputTable.subarray(id * G, (id + 1) * G));
      } else {
        z.set(this.biases[l]);
        this.mem.addVecMat(z, state.h[l - 1], this.kernels[l - 1], G);
      }
      this.mem.addVecMat(z, state.h[l], this.recurrent[l], G);
      const h = state.h[l];
      const c = state.c[l];
      cellUpdate(z, 0, h, c);
      // After the layer and before the next reads its h: z still holds this layer's gate inputs.
      if (hook?.clamp?.layer === l) {
        const j = hook.clamp.index;
        c[j] = hook.clamp.c;
        h[j] = sigmoid(z[3 * H + j]) * Math.tanh(c[j]);
      }
      const gates = hook?.gates?.[l];
      if (gates) {
        for (let j = 0; j < 2 * H; j++) gates[j] = sigmoid(z[j]);
        for (let j = 0; j < H; j++) gates[2 * H + j] = sigmoid(z[3 * H + j]);
      }
    }
    return state;
  }

  /**
   * Advances each states[r] in place by ids[r]: one step of several streams
   * (a beam's hypotheses), each weight matrix read once for up to
   * MAX_BATCH_ROWS of them. The same arithmetic as advance, row by row.
   */
  advanceRows(states: readonly LstmState[], ids: ArrayLike<number>): void {
    const H = this.config.hiddenSize;
    const G = 4 * H;
    for (let from = 0; from < states.length; from += MAX_BATCH_ROWS) {
      const rows = states.slice(from, from + MAX_BATCH_ROWS);
      const z = this.zRows.subarray(0, rows.length * G);
      for (let l = 0; l < this.config.layers; l++) {
        rows.forEach((_, r) => z.set(l === 0 ? this.inputTable.subarray(ids[from + r] * G, (ids[from + r] + 1) * G) : this.biases[l], r * G));
        if (l > 0) this.mem.addMatMat(z, rows.map((s) => s.h[l - 1]), this.kernels[l - 1], G);
        this.mem.addMatMat(z, rows.map((s) => s.h[l]), this.recurrent[l], G);
        rows.forEach((s, r) => cellUpdate(z, r * G, s.h[l], s.c[l]));
      }
    }
  }

  /** Next-character probabilities given the state (softmax of the dense layer). */
  probabilities(state: LstmState, temperature = 1): Float32Array {
    this.logits.fill(0);
    this.mem.addVecMat(this.logits, state.h[this.config.layers - 1], this.denseKernel, this.logits.length);
    return this.softmaxOfLogits(this.logits, temperature);
  }

  /** probabilities() of each state, the dense layer read once for up to MAX_BATCH_ROWS of them. */
  probabilitiesRows(states: readonly LstmState[]): Float32Array[] {
    const Vp = padTo4(this.config.vocabSize);
    const out: Float32Array[] = [];
    for (let from = 0; from < states.length; from += MAX_BATCH_ROWS) {
      const rows = states.slice(from, from + MAX_BATCH_ROWS);
      const logits = this.logitRows.subarray(0, rows.length * Vp);
      logits.fill(0);
      this.mem.addMatMat(logits, rows.map((s) => s.h[this.config.layers - 1]), this.denseKernel, Vp);
      rows.forEach((_, r) => out.push(this.softmaxOfLogits(logits.subarray(r * Vp, (r + 1) * Vp), 1)));
    }
    return out;
  }

  /** softmax(dense logits + bias), with padded `raw` logits from the kernel. */
  private softmaxOfLogits(raw: Float32Array, temperature: number): Float32Array {
    const V = this.config.vocabSize;
    const logits = new Float32Array(V);
    for (let v = 0; v < V; v++) logits[v] = raw[v] + this.denseBias[v];
    const probs = softmax(logits, temperature);
    // softmax subtracts the largest logit, so its output is finite everywhere exactly when that logit is: one look tells.
    if (!Number.isFinite(probs[0])) throw new ModelOutputError(this.name);
    return probs;
  }

  /** A copy of the output layer, kernel [H, V] row-major and bias [V], for dynamic evaluation to adapt per document. */
  outputLayer(): { kernel: Float32Array; bias: Float32Array } {
    const { hiddenSize: H, vocabSize: V } = this.config;
    const Vp = padTo4(V);
    const kernel = new Float32Array(H * V);
    for (let k = 0; k < H; k++) kernel.set(this.denseKernel.subarray(k * Vp, k * Vp + V), k * V);
    return { kernel, bias: this.denseBias.slice() };
  }

  /** The step API: feed one character, get probabilities and every layer's h and c. */
  step(state: LstmState, id: number): StepResult {
    this.advance(state, id);
    return { probs: this.probabilities(state), state };
  }
}

/** One LSTM cell layer's update from its gate inputs z[at..at + 4H) (gates i, f, g, o, H each): c and h in place. */
function cellUpdate(z: Float32Array, at: number, h: Float32Array, c: Float32Array): void {
  const H = h.length;
  for (let j = 0; j < H; j++) {
    const i = sigmoid(z[at + j]);
    const f = sigmoid(z[at + H + j]);
    const g = Math.tanh(z[at + 2 * H + j]);
    const o = sigmoid(z[at + 3 * H + j]);
    c[j] = f * c[j] + i * g;
    h[j] = o * Math.tanh(c[j]);
  }
}

export function softmax(logits: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
