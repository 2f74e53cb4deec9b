import { VectorMemory, padTo4 } from '../kernels/vectorMemory';
import type { Checkpoint } from './checkpoint';
import { CellType, GATES, ModelConfig, WeightArrays, cellOf, recurrentLayerName } from './modelConfig';
import { UserError } from '../userError';

/** Recurrent state of one stream: per layer, h and c of length H (c an LSTM's only; a GRU's or RNN's stays zero). */
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
 * What the views show of a unit, in [-1, 1]: an LSTM's tanh(c), its cell
 * state squashed (what Karpathy, Johnson and Fei-Fei show); a GRU's or
 * vanilla RNN's h, which is all of its state.
 */
export function shownActivation(cell: CellType, state: LstmState, layer: number, index: number): number {
  return cell === 'lstm' ? Math.tanh(state.c[layer][index]) : state.h[layer][index];
}

/** How the views name shownActivation. */
export const SHOWN_ACTIVATION: Record<CellType, string> = { lstm: 'tanh(c)', gru: 'h', rnn: 'h' };

/** The id advanceFirstLayer takes for the vocabulary's mean embedding: no particular character. */
export const MEAN_INPUT = -1;

/** Rows (beam hypotheses) stepped together by advanceRows and probabilitiesRows; more are taken this many at a time. */
export const MAX_BATCH_ROWS = 16;

/**
 * What advance() may do besides stepping: for causal checks, hold one cell
 * at a value after every step; for the model report, copy out every
 * layer's gates.
 */
export interface StepHook {
  /**
   * An LSTM's c (h then follows from that step's output gate, as if the
   * cell had computed it); a GRU's or RNN's h, which is all its state.
   */
  clamp?: { layer: number; index: number; c: number };
  /** Per layer, filled with this step's gates, H each: an LSTM's i, f, o; a GRU's z, r; a vanilla RNN has none. */
  gates?: Float32Array[];
}

/** The gate blocks (GATES's order) StepHook.gates reports. */
const REPORTED_BLOCKS: Record<CellType, readonly number[]> = { lstm: [0, 1, 3], gru: [0, 1], rnn: [] };

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
 * The gate blocks of a layer that share one recurrent product: all of them
 * for an LSTM or RNN (U h); for a GRU z and r (U_zr h), then the candidate
 * (U_h (r * h)), which needs r first.
 */
const PRODUCT_GROUPS: Record<CellType, number[][]> = { lstm: [[0, 1, 2, 3]], gru: [[0, 1], [2]], rnn: [[0]] };

/**
 * One product group's weights in the kernel's layout: each gate block
 * padded to Hp = padTo4(H) columns, since the SIMD kernel takes rows of
 * whole 4-float lanes.
 */
interface GroupWeights {
  /** Columns: gates x Hp. */
  width: number;
  /** Layer 0: [V, width], embedding x kernel + bias per vocabulary entry; later layers: the kernel [H, width]. */
  input: Float32Array;
  recurrent: Float32Array; // [H, width]
  bias: Float32Array; // [width]
  /** Layer 0: the mean of `input`'s rows, once asked for (MEAN_INPUT). */
  meanInput?: Float32Array;
  /** advance's pre-activations ([width]) and advanceRows' (MAX_BATCH_ROWS x width). */
  z: Float32Array;
  zRows: Float32Array;
}

/** The mean of the `rows` x `width` matrix's rows. */
function meanRow(rows: Float32Array, width: number): Float32Array {
  const n = rows.length / width;
  const mean = new Float32Array(width);
  for (let r = 0; r < n; r++) for (let j = 0; j < width; j++) mean[j] += rows[r * width + j] / n;
  return mean;
}

/**
 * Columns of a Keras gate matrix [rows, gates x H], the blocks `gates` in
 * that order, each padded to Hp columns.
 */
function gateColumns(source: Float32Array, rows: number, H: number, gates: number[], out: Float32Array): Float32Array {
  const total = source.length / rows;
  const Hp = padTo4(H);
  const width = gates.length * Hp;
  for (let k = 0; k < rows; k++) {
    gates.forEach((g, b) => out.set(source.subarray(k * total + g * H, k * total + (g + 1) * H), k * width + b * Hp));
  }
  return out;
}

/**
 * One character at a time: what the editor needs (completions, overlays,
 * neurons) costs a few dozen steps, where a tfjs op per gate would cost more
 * in overhead than in arithmetic. The products run in a WebAssembly SIMD
 * kernel (kernels/vectorMemory.ts). The first layer's input projection is
 * precomputed per vocabulary entry, since embedding then kernel is a fixed
 * [V, gates x H] table.
 */
export class InferenceModel {
  readonly cell: CellType;
  private readonly mem: VectorMemory;
  /** Per layer, its product groups (PRODUCT_GROUPS). */
  private readonly groups: GroupWeights[][];
  private readonly denseKernel: Float32Array; // [H, Vp], rows padded to a multiple of 4
  private readonly denseBias: Float32Array; // [V]
  private readonly logits: Float32Array; // [Vp]
  /** A GRU's r * h, the candidate's recurrent input: one row, and MAX_BATCH_ROWS rows. */
  private readonly resetH: Float32Array;
  private readonly resetHRows: Float32Array[];
  /** probabilitiesRows' logits, MAX_BATCH_ROWS rows. */
  private readonly logitRows: Float32Array;

  private readonly name: string;

  /** `name` (e.g. the checkpoint's folder) is what errors call the model. */
  constructor(readonly config: ModelConfig, weights: WeightArrays, options: { simd?: boolean; name?: string } = {}) {
    this.name = options.name ?? 'in memory';
    this.cell = cellOf(config);
    const { vocabSize: V, embeddingSize: E, hiddenSize: H, layers } = config;
    const Hp = padTo4(H);
    const G = GATES[this.cell] * Hp;
    const Vp = padTo4(V);
    const get = (name: string) => {
      const w = weights.get(name);
      if (!w) throw new Error(`Missing weight ${name}`);
      return w;
    };
    const matrices = (2 * layers - 1) * H * G + E * G + (1 + MAX_BATCH_ROWS) * (layers * G + Vp) + H * Vp;
    this.mem = new VectorMemory(matrices, MAX_BATCH_ROWS * Math.max(E, H), options.simd === false);
    const embedding = get('embedding/embeddings');
    this.groups = [];
    for (let l = 0; l < layers; l++) {
      const name = recurrentLayerName(config, l);
      const kernel = get(`${name}/kernel`);
      const recurrent = get(`${name}/recurrent_kernel`);
      const bias = get(`${name}/bias`);
      this.groups.push(
        PRODUCT_GROUPS[this.cell].map((gates) => {
          const width = gates.length * Hp;
          const group: GroupWeights = {
            width,
            input: l === 0 ? new Float32Array(V * width) : gateColumns(kernel, H, H, gates, this.mem.alloc(H * width)),
            recurrent: gateColumns(recurrent, H, H, gates, this.mem.alloc(H * width)),
            bias: gateColumns(bias, 1, H, gates, new Float32Array(width)),
            z: this.mem.alloc(width),
            zRows: this.mem.alloc(MAX_BATCH_ROWS * width),
          };
          if (l === 0) {
            const kernel0 = gateColumns(kernel, E, H, gates, this.mem.alloc(E * width));
            for (let v = 0; v < V; v++) {
              group.z.set(group.bias);
              this.mem.addVecMat(group.z, embedding.subarray(v * E, (v + 1) * E), kernel0, width);
              group.input.set(group.z, v * width);
            }
          }
          return group;
        }),
      );
    }
    const dense = get('dense/kernel');
    this.denseKernel = this.mem.alloc(H * Vp);
    for (let k = 0; k < H; k++) this.denseKernel.set(dense.subarray(k * V, (k + 1) * V), k * Vp);
    this.denseBias = get('dense/bias');
    this.logits = this.mem.alloc(Vp);
    this.logitRows = this.mem.alloc(MAX_BATCH_ROWS * Vp);
    this.resetH = new Float32Array(H);
    this.resetHRows = Array.from({ length: MAX_BATCH_ROWS }, () => new Float32Array(H));
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
    for (let l = 0; l < this.config.layers; l++) {
      this.stepLayer(state, l, id);
      const z = this.groups[l][0].z;
      // After the layer and before the next reads its h: z still holds this layer's pre-activations.
      if (hook?.clamp?.layer === l) this.clamp(z, state.h[l], state.c[l], hook.clamp.index, hook.clamp.c);
      const gates = hook?.gates?.[l];
      if (gates) this.reportGates(z, gates);
    }
    return state;
  }

  /**
   * Steps only the first layer of `state` (its h[0] and c[0]) in place, by
   * character id `id`, or with MEAN_INPUT by the vocabulary's mean
   * embedding: what an average character rather than a given one would
   * have done to the state (attribution compares the two).
   */
  advanceFirstLayer(state: LstmState, id: number): void {
    this.stepLayer(state, 0, id);
  }

  /** One step of layer l; the first layer's input is character `id`'s row, or the rows' mean for MEAN_INPUT. */
  private stepLayer(state: LstmState, l: number, id: number): void {
    const groups = this.groups[l];
    const h = state.h[l];
    groups.forEach((group, g) => {
      const { z, width } = group;
      if (l === 0) {
        // The rows are embedding x kernel + bias, linear in the embedding: their mean is the mean embedding's.
        z.set(id === MEAN_INPUT ? (group.meanInput ??= meanRow(group.input, width)) : group.input.subarray(id * width, (id + 1) * width));
      } else {
        z.set(group.bias);
        this.mem.addVecMat(z, state.h[l - 1], group.input, width);
      }
      this.mem.addVecMat(z, g === 0 ? h : this.resetTimesH(groups[0].z, h, this.resetH), group.recurrent, width);
    });
    cellUpdate(this.cell, groups[0].z, groups[1]?.z, h, state.c[l]);
  }

  /** A GRU's r * h into `out`, r from the z-and-r pre-activations `zr`. */
  private resetTimesH(zr: Float32Array, h: Float32Array, out: Float32Array): Float32Array {
    const Hp = padTo4(h.length);
    for (let j = 0; j < h.length; j++) out[j] = sigmoid(zr[Hp + j]) * h[j];
    return out;
  }

  private clamp(z: Float32Array, h: Float32Array, c: Float32Array, j: number, value: number): void {
    if (this.cell !== 'lstm') {
      h[j] = value;
      return;
    }
    c[j] = value;
    h[j] = sigmoid(z[3 * padTo4(h.length) + j]) * Math.tanh(value);
  }

  private reportGates(z: Float32Array, gates: Float32Array): void {
    const H = this.config.hiddenSize;
    const Hp = padTo4(H);
    REPORTED_BLOCKS[this.cell].forEach((block, b) => {
      for (let j = 0; j < H; j++) gates[b * H + j] = sigmoid(z[block * Hp + j]);
    });
  }

  /**
   * Advances each states[r] in place by ids[r]: one step of several streams
   * (a beam's hypotheses), each weight matrix read once for up to
   * MAX_BATCH_ROWS of them. The same arithmetic as advance, row by row.
   */
  advanceRows(states: readonly LstmState[], ids: ArrayLike<number>): void {
    for (let from = 0; from < states.length; from += MAX_BATCH_ROWS) {
      const rows = states.slice(from, from + MAX_BATCH_ROWS);
      for (let l = 0; l < this.config.layers; l++) {
        const groups = this.groups[l];
        groups.forEach((group, g) => {
          const { width } = group;
          const z = group.zRows.subarray(0, rows.length * width);
          const id = (r: number) => ids[from + r];
          rows.forEach((_, r) => z.set(l === 0 ? group.input.subarray(id(r) * width, (id(r) + 1) * width) : group.bias, r * width));
          if (l > 0) this.mem.addMatMat(z, rows.map((s) => s.h[l - 1]), group.input, width);
          const zr = groups[0].zRows;
          const w0 = groups[0].width;
          const recurrentIn = rows.map((s, r) => (g === 0 ? s.h[l] : this.resetTimesH(zr.subarray(r * w0, (r + 1) * w0), s.h[l], this.resetHRows[r])));
          this.mem.addMatMat(z, recurrentIn, group.recurrent, width);
        });
        rows.forEach((s, r) => {
          const at = (group: GroupWeights) => group.zRows.subarray(r * group.width, (r + 1) * group.width);
          cellUpdate(this.cell, at(groups[0]), groups[1] && at(groups[1]), s.h[l], s.c[l]);
        });
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

/**
 * One layer's update from its pre-activations, gate blocks padded to Hp:
 * `z` the first product group, `candidate` a GRU's second (see
 * PRODUCT_GROUPS). h (and an LSTM's c) in place.
 */
function cellUpdate(cell: CellType, z: Float32Array, candidate: Float32Array | undefined, h: Float32Array, c: Float32Array): void {
  const H = h.length;
  const Hp = padTo4(H);
  if (cell === 'lstm') {
    for (let j = 0; j < H; j++) {
      const i = sigmoid(z[j]);
      const f = sigmoid(z[Hp + j]);
      const g = Math.tanh(z[2 * Hp + j]);
      const o = sigmoid(z[3 * Hp + j]);
      c[j] = f * c[j] + i * g;
      h[j] = o * Math.tanh(c[j]);
    }
  } else if (cell === 'gru') {
    for (let j = 0; j < H; j++) {
      const u = sigmoid(z[j]);
      h[j] = u * h[j] + (1 - u) * Math.tanh(candidate![j]);
    }
  } else {
    for (let j = 0; j < H; j++) h[j] = Math.tanh(z[j]);
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
