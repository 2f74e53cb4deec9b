/**
 * core/explain: why the model predicted what it did. Attribution of one
 * prediction to the characters before it: one forward and one backward
 * pass over the window, through the CPU trainer's own kernels (train/wasm),
 * so each cell's backward math (LSTM, GRU, vanilla RNN) exists once. This
 * folder sits above train/ for that reason (test/unit/coreLayering.test.ts).
 *
 * A character's contribution is what it, rather than an average character
 * (the vocabulary's mean embedding), did to log p: the first layer's step
 * is taken both ways, exactly, from the state before it, and the
 * difference between the two states it leaves (h, and an LSTM's c) is
 * carried to log p to first order by the backward pass's gradient with
 * respect to that state. Gradient times input, which linearises the step
 * too, misses what a step does through a saturated gate: on the trained
 * quoted-code test model it ranks an opening quote first for its closing
 * quote 6 times in 26, this 21 times (taking the rest of the window both
 * ways too, occlusion, 18). Occlusion costs a forward pass per character of
 * the window, and integrated gradients many (on that model its sum is off
 * by up to 40% at 1,024 steps, where it ranks the quote first 6 times in
 * 26, as gradient times input does): this costs one more step
 * of the first layer per character, within the editor's budget (150 ms for
 * 500 characters on a 2-core machine).
 */
import { InferenceModel, LstmState, MEAN_INPUT } from '../model/inference';
import { topGuesses } from '../predict/modelLens';
import { WeightArrays } from '../model/modelConfig';
import { UserError } from '../userError';
import { Vocabulary } from '../text/vocabulary';
import { compileKernels, instantiateKernels } from '../train/wasm/kernelModules';
import { TrainingLayout, packWeight, packWeights, stateMatrix, trainingLayout } from '../train/wasm/trainingLayout';
import { WorkerStep } from '../train/wasm/workerStep';
import { Attribution, MAX_WINDOW } from './contributions';


/** The gradient pass's result for a window of ids read from a state. */
export interface WindowGradient {
  /** Per window position, oldest first: the contribution to log p(target) in nats. */
  contributions: Float32Array;
  /** log p(target) after the window, from the same forward pass. */
  logProbability: number;
}

/**
 * A model's weights in a wasm memory laid out as the CPU trainer's for one
 * stream of MAX_WINDOW steps: made once per model (about 10 MB for 2x128),
 * then each attribution is one forward and one backward pass on it, and a
 * step of the first layer per character (in `firstLayer`).
 */
export class Attributor {
  private readonly layout: TrainingLayout;
  private readonly f32: Float32Array;
  private readonly i32: Int32Array;
  private readonly step: WorkerStep;
  /** An LSTM's gradient with respect to the first layer's c at each step, by way of the steps after it (MAX_WINDOW x H). */
  private readonly dcLater: Float32Array | undefined;
  private packed = false;

  /** `model` is the same weights as inference steps them: it takes the first layer's step on the mean embedding. */
  constructor(
    private readonly model: InferenceModel,
    weights: WeightArrays,
  ) {
    const { config } = model;
    // Inference has no dropout: no masks to lay out.
    this.layout = trainingLayout({ ...config, dropout: 0 }, 1, MAX_WINDOW, 0);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(this.layout.bytes / 65536), maximum: Math.ceil(this.layout.bytes / 65536), shared: true });
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    packWeights(this.layout, weights, this.f32, this.layout.params);
    const modules = compileKernels();
    this.step = new WorkerStep(instantiateKernels(modules, memory), { memory, modules, layout: this.layout, optimizer: 'adam', gradClip: 0, dropout: 0, index: 0, count: 1 });
    if (this.layout.dims.cell === 'lstm') this.dcLater = new Float32Array(MAX_WINDOW * config.hiddenSize);
  }

  /**
   * Contributions of each of `ids` (read from `state`, which is left as it
   * is) to log p(`target`) after the last of them.
   */
  windowGradient(state: LstmState, ids: ArrayLike<number>, target: number): WindowGradient {
    const T = ids.length;
    if (T < 1 || T > MAX_WINDOW) throw new UserError(`An attribution window is 1 to ${MAX_WINDOW} characters, got ${T}`);
    const { layout, f32, dcLater } = this;
    const { H, hLd } = layout.dims;
    this.i32.set(Array.from(ids), layout.xIds / 4);
    // Every step's target must be a valid id; only the last one's gradient is kept.
    this.i32.fill(target, layout.yIds / 4, layout.yIds / 4 + T);
    const carried = stateMatrix(layout.dims);
    for (let l = 0; l < this.model.config.layers; l++) {
      packWeight(carried, state.h[l], f32, layout.train.h[l]);
      // An LSTM's c; a GRU's or RNN's stays zero.
      packWeight(carried, state.c[l], f32, layout.train.c[l]);
    }
    // The last step's c reaches log p only through its h.
    dcLater?.fill(0, (T - 1) * H, T * H);
    const dc = layout.dc / 4;
    const recordDc = (t: number) => {
      if (t > 0) dcLater!.set(f32.subarray(dc, dc + H), (t - 1) * H);
    };
    this.step.lastStepGradient(T, !this.packed, dcLater && recordDc);
    this.packed = true;
    // The pass leaves d(-log p / T)/d(state): -T times it is d(log p)/d(state).
    const { hs, cs } = layout.layers[0];
    const average: LstmState = { h: [new Float32Array(H)], c: [new Float32Array(H)] };
    const contributions = new Float32Array(T);
    for (let t = 0; t < T; t++) {
      const before = (t - 1) * hLd;
      average.h[0].set(t === 0 ? state.h[0] : f32.subarray(hs / 4 + before, hs / 4 + before + H));
      if (dcLater) average.c[0].set(t === 0 ? state.c[0] : f32.subarray(cs / 4 + before, cs / 4 + before + H));
      this.model.advanceFirstLayer(average, MEAN_INPUT);
      const [dh, h, c] = [layout.dH / 4 + t * hLd, hs / 4 + t * hLd, cs / 4 + t * hLd];
      let sum = 0;
      for (let j = 0; j < H; j++) sum += f32[dh + j] * (f32[h + j] - average.h[0][j]);
      if (dcLater) for (let j = 0; j < H; j++) sum += dcLater[t * H + j] * (f32[c + j] - average.c[0][j]);
      contributions[t] = -T * sum;
    }
    const stats = layout.stats / 4 + 2 * (T - 1);
    return { contributions, logProbability: f32[stats + 1] - Math.log(f32[stats]) };
  }
}

/** What to explain at an offset: the character there (the default), another one, or the model's top guess. */
export type Explained = { char?: string; guess?: boolean };

/**
 * Why the model gave a character its probability at UTF-16 offset `at` of
 * `text` (see Explained): the contribution of each of the `window`
 * characters before it, read from `stateBefore(from)`, the state before the
 * window's first character (the caller's document trace knows it).
 */
export function attribute(
  attributor: Attributor,
  model: InferenceModel,
  vocabulary: Vocabulary,
  text: string,
  at: number,
  stateBefore: (offset: number) => LstmState,
  options: Explained & { window?: number } = {},
): Attribution {
  const char = options.guess ? topGuesses(model.probabilities(stateBefore(at)), vocabulary, 1)[0].char : options.char ?? (at < text.length ? String.fromCodePoint(text.codePointAt(at)!) : undefined);
  if (char === undefined) throw new UserError(`Offset ${at} is at the end of the text (${text.length} characters): explain the top guess there, or name a character`);
  const size = options.window ?? MAX_WINDOW;
  // `size` characters are at most 2 * size code units: only those are split (a document's window is up to 100k).
  // One more, so that a pair cut in two leaves its lone half first, outside the last `size`.
  const before = Array.from(text.slice(Math.max(0, at - 2 * size - 1), at));
  const chars = before.slice(Math.max(0, before.length - size));
  if (chars.length === 0) throw new UserError('Nothing comes before the first character: there is no context to attribute its prediction to.');
  let from = at;
  for (const c of chars) from -= c.length;
  const { contributions, logProbability } = attributor.windowGradient(stateBefore(from), chars.map((c) => vocabulary.idOf(c)), vocabulary.idOf(char));
  let offset = from;
  const window = chars.map((c, t) => {
    const contribution = { offset, char: c, back: chars.length - t, nats: contributions[t] };
    offset += c.length;
    return contribution;
  });
  return { char, at, probability: Math.exp(logProbability), window };
}
