import { CellType, GATES, ModelConfig, WeightArrays, cellOf, recurrentLayerName, weightSpecs } from '../../model/modelConfig';

/**
 * Where everything of a training step lives in the one shared wasm memory:
 * the control block the threads synchronise on, the flat parameter buffer
 * (and, at the same offsets, gradients and optimizer moments), and the
 * activations of a [B, T] batch.
 *
 * Internally E, H and V are padded to multiples of 8 (Ep, Hp, Vp: the
 * kernels work on 4 x 8 blocks); every padded weight, moment and state entry
 * is zero and stays zero: a padded hidden unit sees z = 0, so c = h = 0 (a
 * GRU's h = u hPrev + (1 - u) tanh(0) = 0 too) and it gets no gradient, and padded vocabulary columns are masked out of the
 * softmax. Activations are batch-major, row b*T + t, like the batch and the
 * dropout masks, so a thread that owns batch rows [b0, b1) owns one
 * contiguous block of rows in every buffer.
 */
const PAD = 8;
export const padded = (n: number): number => Math.ceil(n / PAD) * PAD;

export interface Dims {
  B: number;
  T: number;
  L: number;
  V: number;
  E: number;
  H: number;
  Vp: number;
  Ep: number;
  Hp: number;
  cell: CellType;
  /** GATES x Hp: a row's gate blocks, each Hp wide (an LSTM's i, f, g, o; a GRU's u, r, h; an RNN's one). */
  G: number;
  /**
   * Row strides (floats) of the [B*T, G] and [B*T, Hp] activations: one
   * cache line more than the row, so that walking down rows (the weight
   * gradients do, 64 rows at a time) spreads over the L1's sets instead of
   * landing on one whenever a row is a multiple of 4 KB long.
   */
  zLd: number;
  hLd: number;
}

/**
 * One weight in the flat buffers: Keras shape [rows, blocks * width] stored
 * as [paddedRows, blocks * paddedWidth], so gate blocks pad separately.
 */
export interface PlacedWeight {
  name: string;
  /** In floats from the start of a flat buffer. */
  offset: number;
  rows: number;
  paddedRows: number;
  blocks: number;
  width: number;
  paddedWidth: number;
  /** paddedRows * blocks * paddedWidth */
  size: number;
}

/** Rows of the [B*T, .] buffers are zLd or hLd floats apart (Dims). */
export interface LayerBuffers {
  /** [B*T, G] the input projection, then the activated gates, then the gradients of their pre-activations. */
  z: number;
  /** [B*T, Hp] h_t; an LSTM's c_t and tanh(c_t) (0 for the other cells) */
  hs: number;
  cs: number;
  tanhC: number;
  /** [B*T, Hp] a GRU's r_t h_{t-1}, for dUh = (r hPrev)^T dz_h (0 for the other cells). */
  resetH: number;
  /** [B*T, Hp] h_{t-1} of each row (the carried state at t = 0), for dWh = hPrev^T dz. */
  hPrev: number;
  /** [B*T, Hp] dropout multipliers and the dropped output (0 when the model has no dropout). */
  mask: number;
  dropped: number;
}

export interface StateBuffers {
  /** Per layer [B, Hp]. */
  h: number[];
  c: number[];
}

export interface TrainingLayout {
  dims: Dims;
  weights: PlacedWeight[];
  byName: Map<string, PlacedWeight>;
  /** Floats in each flat buffer (a multiple of 4). */
  flatFloats: number;
  /** Byte offsets of the flat buffers. */
  params: number;
  grads: number;
  /** One flat buffer per optimizer moment (MOMENTS order). */
  moments: number[];
  /**
   * Per kernel (<layer>/kernel, <layer>/recurrent_kernel, dense/kernel), W and
   * W^T packed as matmul's B operand (packPanels.wat): W for the forward
   * products, W^T for the backward ones (dz Wx^T, dz Wh^T, dlogits Wd^T).
   * A GRU's recurrent W^T is two: Uzr^T [2Hp, Hp], then Uh^T [Hp, Hp], as
   * its step takes them apart (gruStepBackward.wat).
   */
  packed: Map<string, { w: number; t: number }>;
  /** [B*T] i32 inputs and targets. */
  xIds: number;
  yIds: number;
  /** [B*T, 2] f32 softmax sums and target logits (softmaxCrossEntropy.wat). */
  stats: number;
  /** [B*T, Ep] the looked-up embeddings and their gradients. */
  embedded: number;
  dEmbedded: number;
  layers: LayerBuffers[];
  /** [B*T, Hp] gradient of the current layer's output, then of its h (the backward pass's dh). */
  dH: number;
  /** [B*T, Vp] logits, then their gradient. */
  logits: number;
  /** [B, Hp] the backward pass's dc (an LSTM's; else 0). */
  dc: number;
  /** [B, Hp] the backward pass's d(r hPrev) of a step (a GRU's; else 0). */
  dResetH: number;
  train: StateBuffers;
  evaluation: StateBuffers;
  /** [normChunks] f64 sums of squares of the gradient, per NORM_CHUNK floats. */
  normParts: number;
  normChunks: number;
  bytes: number;
}

/** Bytes of the control block at the start of the memory (workerControl.ts); no buffer starts at 0. */
const CONTROL_BYTES = 256;
/** Floats per partial sum of the gradient norm: fixed, so the sum's order does not depend on the thread count. */
export const NORM_CHUNK = 16384;

export function trainingLayout(config: ModelConfig, batchSize: number, seqLength: number, momentCount: number): TrainingLayout {
  const { vocabSize: V, embeddingSize: E, hiddenSize: H, layers: L } = config;
  const Hp = padded(H);
  const cell = cellOf(config);
  const G = GATES[cell] * Hp;
  const dims: Dims = { B: batchSize, T: seqLength, L, V, E, H, Vp: padded(V), Ep: padded(E), Hp, cell, G, zLd: G + 16, hLd: Hp + 16 };
  const { B, T, Vp, Ep, zLd, hLd } = dims;
  const N = B * T;

  let flat = 0;
  const weights = weightSpecs(config).map((spec): PlacedWeight => {
    const [rows, cols] = spec.shape.length === 1 ? [1, spec.shape[0]] : spec.shape;
    const gates = spec.name.startsWith('embedding/') || spec.name.startsWith('dense/') ? 1 : GATES[cell];
    const width = cols / gates;
    // Rows index E or H (padded) except the embedding's, which ids index.
    const paddedRows = rows === 1 || spec.name === 'embedding/embeddings' ? rows : padded(rows);
    const paddedWidth = padded(width);
    const size = paddedRows * gates * paddedWidth;
    const placed = { name: spec.name, offset: flat, rows, paddedRows, blocks: gates, width, paddedWidth, size };
    flat += size;
    return placed;
  });

  let top = CONTROL_BYTES;
  const alloc = (floats: number): number => {
    const at = top;
    top += Math.ceil(floats / 16) * 64; // 64-byte (cache line) aligned
    return at;
  };
  const params = alloc(flat);
  const grads = alloc(flat);
  const moments = Array.from({ length: momentCount }, () => alloc(flat));
  const packed = new Map(weights.filter((w) => w.name.endsWith('kernel')).map((w) => [w.name, { w: alloc(w.size), t: alloc(w.size) }]));
  const state = (): StateBuffers => ({ h: Array.from({ length: L }, () => alloc(B * Hp)), c: Array.from({ length: L }, () => alloc(B * Hp)) });
  const normChunks = Math.ceil(flat / NORM_CHUNK);
  const layout: TrainingLayout = {
    dims,
    weights,
    byName: new Map(weights.map((w) => [w.name, w])),
    flatFloats: flat,
    params,
    grads,
    moments,
    packed,
    xIds: alloc(N),
    yIds: alloc(N),
    stats: alloc(2 * N),
    embedded: alloc(N * Ep),
    dEmbedded: alloc(N * Ep),
    layers: Array.from({ length: L }, () => ({
      z: alloc(N * zLd),
      hs: alloc(N * hLd),
      cs: cell === 'lstm' ? alloc(N * hLd) : 0,
      tanhC: cell === 'lstm' ? alloc(N * hLd) : 0,
      resetH: cell === 'gru' ? alloc(N * hLd) : 0,
      hPrev: alloc(N * hLd),
      mask: config.dropout > 0 ? alloc(N * hLd) : 0,
      dropped: config.dropout > 0 ? alloc(N * hLd) : 0,
    })),
    dH: alloc(N * hLd),
    logits: alloc(N * Vp),
    dc: cell === 'lstm' ? alloc(B * Hp) : 0,
    dResetH: cell === 'gru' ? alloc(B * Hp) : 0,
    train: state(),
    evaluation: state(),
    normParts: alloc(2 * normChunks),
    normChunks,
    bytes: 0,
  };
  layout.bytes = top;
  return layout;
}

export const weightNames = (config: Pick<ModelConfig, 'cell'>, layer: number) => {
  const name = recurrentLayerName(config, layer);
  return { kernel: `${name}/kernel`, recurrent: `${name}/recurrent_kernel`, bias: `${name}/bias` };
};

/** Byte offset of weight `name` in the flat buffer starting at byte `base`. */
export function weightAt(layout: TrainingLayout, base: number, name: string): number {
  const w = layout.byName.get(name);
  if (!w) throw new Error(`No weight ${name}`);
  return base + w.offset * 4;
}

/** Writes Keras-layout `values` of `w` into the flat buffer `flat` (a view of the memory from byte `base`), padding zeroed. */
export function packWeight(w: PlacedWeight, values: Float32Array, flat: Float32Array, base: number): void {
  if (values.length !== w.rows * w.blocks * w.width) {
    throw new Error(`${w.name} has ${values.length} values, expected ${w.rows * w.blocks * w.width}`);
  }
  const start = base / 4 + w.offset;
  flat.fill(0, start, start + w.size);
  for (let i = 0; i < w.rows; i++) {
    for (let q = 0; q < w.blocks; q++) {
      const from = (i * w.blocks + q) * w.width;
      flat.set(values.subarray(from, from + w.width), start + (i * w.blocks + q) * w.paddedWidth);
    }
  }
}

/** The Keras-layout values of `w` from the flat buffer at byte `base` (a copy). */
export function unpackWeight(w: PlacedWeight, flat: Float32Array, base: number): Float32Array {
  const out = new Float32Array(w.rows * w.blocks * w.width);
  const start = base / 4 + w.offset;
  for (let i = 0; i < w.rows; i++) {
    for (let q = 0; q < w.blocks; q++) {
      const from = start + (i * w.blocks + q) * w.paddedWidth;
      out.set(flat.subarray(from, from + w.width), (i * w.blocks + q) * w.width);
    }
  }
  return out;
}

export function packWeights(layout: TrainingLayout, arrays: WeightArrays, flat: Float32Array, base: number, key: (name: string) => string = (n) => n): void {
  for (const w of layout.weights) {
    const values = arrays.get(key(w.name));
    if (!values) throw new Error(`Missing ${key(w.name)}`);
    packWeight(w, values, flat, base);
  }
}

export function unpackWeights(layout: TrainingLayout, flat: Float32Array, base: number, key: (name: string) => string = (n) => n): WeightArrays {
  return new Map(layout.weights.map((w) => [key(w.name), unpackWeight(w, flat, base)]));
}

/** A carried state [B, H] as it sits padded in a [B, Hp] buffer (pack and unpack it with offset `at` as base). */
export const stateMatrix = (dims: Dims): PlacedWeight => ({
  name: 'carried state',
  offset: 0,
  rows: dims.B,
  paddedRows: dims.B,
  blocks: 1,
  width: dims.H,
  paddedWidth: dims.Hp,
  size: dims.B * dims.Hp,
});
