import { ModelConfig, WeightArrays, lstmLayerName } from './modelConfig';

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

/**
 * One character at a time with plain Float32Array loops: what the editor
 * needs (completions, overlays, neurons) costs a few dozen steps, where a
 * tfjs op per gate would cost more in overhead than in arithmetic.
 * The first layer's input projection is precomputed per vocabulary entry,
 * since embedding then kernel is a fixed [V, 4H] table.
 */
export class InferenceModel {
  private readonly inputTable: Float32Array; // [V, 4H] = embedding x kernel_1 + bias_1
  private readonly kernels: Float32Array[]; // layers >= 1: [H, 4H]
  private readonly recurrent: Float32Array[]; // [H, 4H]
  private readonly biases: Float32Array[]; // [4H]
  private readonly denseKernel: Float32Array; // [H, V]
  private readonly denseBias: Float32Array; // [V]
  private readonly z: Float32Array;

  constructor(readonly config: ModelConfig, weights: WeightArrays) {
    const { vocabSize: V, embeddingSize: E, hiddenSize: H, layers } = config;
    const get = (name: string) => {
      const w = weights.get(name);
      if (!w) throw new Error(`Missing weight ${name}`);
      return w;
    };
    this.kernels = [];
    this.recurrent = [];
    this.biases = [];
    for (let l = 0; l < layers; l++) {
      this.kernels.push(get(`${lstmLayerName(l)}/kernel`));
      this.recurrent.push(get(`${lstmLayerName(l)}/recurrent_kernel`));
      this.biases.push(get(`${lstmLayerName(l)}/bias`));
    }
    const embedding = get('embedding/embeddings');
    this.inputTable = new Float32Array(V * 4 * H);
    for (let v = 0; v < V; v++) {
      const row = this.inputTable.subarray(v * 4 * H, (v + 1) * 4 * H);
      row.set(this.biases[0]);
      addVecMat(row, embedding.subarray(v * E, (v + 1) * E), this.kernels[0]);
    }
    this.denseKernel = get('dense/kernel');
    this.denseBias = get('dense/bias');
    this.z = new Float32Array(4 * H);
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

  /** Advances `state` in place by character id `id` and returns the result. */
  advance(state: LstmState, id: number): LstmState {
    const H = this.config.hiddenSize;
    const z = this.z;
    for (let l = 0; l < this.config.layers; l++) {
      if (l === 0) {
        z.set(this.inputTable.subarray(id * 4 * H, (id + 1) * 4 * H));
      } else {
        z.set(this.biases[l]);
        addVecMat(z, state.h[l - 1], this.kernels[l]);
      }
      addVecMat(z, state.h[l], this.recurrent[l]);
      const h = state.h[l];
      const c = state.c[l];
      for (let j = 0; j < H; j++) {
        const i = sigmoid(z[j]);
        const f = sigmoid(z[H + j]);
        const g = Math.tanh(z[2 * H + j]);
        const o = sigmoid(z[3 * H + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * Math.tanh(c[j]);
      }
    }
    return state;
  }

  /** Next-character probabilities given the state (softmax of the dense layer). */
  probabilities(state: LstmState, temperature = 1): Float32Array {
    const logits = this.denseBias.slice();
    addVecMat(logits, state.h[this.config.layers - 1], this.denseKernel);
    return softmax(logits, temperature);
  }

  /** The step API: feed one character, get probabilities and every layer's h and c. */
  step(state: LstmState, id: number): StepResult {
    this.advance(state, id);
    return { probs: this.probabilities(state), state };
  }
}

/** out += x * W, with W row-major [x.length, out.length]. */
function addVecMat(out: Float32Array, x: Float32Array, w: Float32Array): void {
  const n = out.length;
  for (let k = 0; k < x.length; k++) {
    const xk = x[k];
    if (xk === 0) continue;
    const base = k * n;
    for (let j = 0; j < n; j++) out[j] += xk * w[base + j];
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
