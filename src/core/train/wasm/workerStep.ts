import { dropThreshold, layerMaskSeed } from '../dropoutMask';
import { clipScale } from '../stepMath';
import { INIT_BIAS, INIT_ZERO, Kernels } from './kernelModules';
import { F64Slot, JobKind, Slot, WorkerInit, barrier, claimTasks, share } from './workerControl';
import { NORM_CHUNK, StateBuffers, TrainingLayout, weightAt, weightNames } from './trainingLayout';

/** Batch rows per task of the row phase: 8 keep matmul as fast as more would (the B panel is reused from L2). */
const CHUNK_ROWS = 8;
/** Output rows per task of a weight-gradient product. */
const GRADIENT_ROWS = 16;

/**
 * One worker's share of a job. The row phase splits the batch rows into
 * tasks of CHUNK_ROWS streams, each the whole forward and backward pass of
 * its rows (a contiguous block of batch-major rows in every buffer),
 * recurrence included: no barrier per time step. What sums over all rows
 * is split another way, by output rows or columns: the weight gradients,
 * the norm and the update. No sum's order depends on which worker does
 * which task, so 1 and N threads give bitwise the same numbers.
 *
 *   Step:      [pack] ‖ forward + backward + carry, per row task ‖ weight gradients ‖ norm parts ‖ clip + update
 *   Gradients: [pack] ‖ forward + backward, per row task ‖ weight gradients
 *   Evaluate:  [pack] ‖ forward + carry, per row task          (‖ = barrier; pack after the weights change)
 */
export class WorkerStep {
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;
  private readonly control: Int32Array;
  private readonly layout: TrainingLayout;

  constructor(
    private readonly k: Kernels,
    private readonly init: WorkerInit,
  ) {
    const buffer = init.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.control = new Int32Array(buffer);
    this.layout = init.layout;
  }

  run(kind: JobKind): void {
    const { control } = this;
    const B = control[Slot.Batch];
    const T = control[Slot.Seq];
    const dropoutSeed = control[Slot.DropoutOn] ? control[Slot.DropoutSeed] >>> 0 : undefined;
    const backward = kind !== JobKind.Evaluate;
    const state = kind === JobKind.Evaluate ? this.layout.evaluation : this.layout.train;
    if (control[Slot.Pack]) {
      this.packWeights();
      this.sync();
    }
    claimTasks(control, Slot.RowTask, Math.ceil(B / CHUNK_ROWS), (task) => {
      const rows: [number, number] = [task * CHUNK_ROWS, Math.min(B, (task + 1) * CHUNK_ROWS)];
      this.forward(B, T, rows, state, dropoutSeed, backward);
      if (backward) this.backward(T, rows, state, dropoutSeed);
      if (kind !== JobKind.Gradients) this.carryState(T, rows, state);
    });
    if (!backward) return;
    this.sync();
    const units = this.gradientTasks(B * T, dropoutSeed);
    claimTasks(control, Slot.GradientTask, units.length, (i) => units[i]());
    if (kind === JobKind.Gradients) return;
    this.sync();
    this.sumSquareParts();
    this.sync();
    this.update();
  }

  /**
   * Attribution's pass (core/explain/attribution.ts), on one thread: the
   * stream in batch row 0 read for T steps from the state in `train`, then
   * the backward pass from the last step's loss alone (the other steps'
   * logit gradients zeroed), which leaves in dEmbedded the gradient of
   * -log p(y_{T-1}) / T with respect to each step's embedding, and in the
   * first layer's rows of dH with respect to its h at each step.
   * `afterFirstLayerStep(t)` is called once the first layer's step t is
   * through, when an LSTM's dc holds the gradient with respect to its c at
   * step t - 1 by way of the steps after it.
   */
  lastStepGradient(T: number, pack: boolean, afterFirstLayerStep?: (t: number) => void): void {
    if (pack) this.packWeights();
    this.forward(1, T, [0, 1], this.layout.train, undefined, true);
    const { logits, dims } = this.layout;
    this.f32.fill(0, logits / 4, logits / 4 + (T - 1) * dims.Vp);
    this.backward(T, [0, 1], this.layout.train, undefined, afterFirstLayerStep);
  }

  private sync(): void {
    barrier(this.control, this.init.count);
  }

  private w(name: string): number {
    return weightAt(this.layout, this.layout.params, name);
  }

  /** W (forward) or W^T (backward) of a kernel, packed as matmul's B. */
  private packed(name: string, transposed: boolean): number {
    const p = this.layout.packed.get(name)!;
    return transposed ? p.t : p.w;
  }

  /** The input of layer l + 1 (or of the output projection): layer l's output, dropped out when training with dropout. */
  private output(l: number, dropoutSeed: number | undefined): number {
    const layer = this.layout.layers[l];
    return dropoutSeed !== undefined && this.init.dropout > 0 ? layer.dropped : layer.hs;
  }

  private packWeights(): void {
    const { index, count } = this.init;
    for (const [name, to] of this.layout.packed) {
      const w = this.layout.byName.get(name)!;
      const cols = w.blocks * w.paddedWidth;
      const ld = cols * 4;
      let [s0, s1] = share(cols / 8, index, count);
      this.k.packPanels(to.w, this.w(name), w.paddedRows, cols, ld, 0, s0, s1);
      [s0, s1] = share(w.paddedRows / 8, index, count);
      if (this.layout.dims.cell === 'gru' && name.endsWith('/recurrent_kernel')) {
        // Uzr^T, then Uh^T: the backward step multiplies by them apart
        const Hp = w.paddedWidth;
        this.k.packPanels(to.t, this.w(name), w.paddedRows, 2 * Hp, ld, 1, s0, s1);
        this.k.packPanels(to.t + 2 * Hp * w.paddedRows * 4, this.w(name) + 2 * Hp * 4, w.paddedRows, Hp, ld, 1, s0, s1);
      } else {
        this.k.packPanels(to.t, this.w(name), w.paddedRows, cols, ld, 1, s0, s1);
      }
    }
  }

  private forward(B: number, T: number, [b0, b1]: [number, number], state: StateBuffers, dropoutSeed: number | undefined, backward: boolean): void {
    const { k, layout } = this;
    const { L, V, H, Vp, Ep, Hp, G, zLd, hLd, cell } = layout.dims;
    const rows = b1 - b0;
    if (rows === 0) return;
    const r0 = b0 * T;
    const n = rows * T;
    k.embeddingLookup(layout.embedded + r0 * Ep * 4, this.w('embedding/embeddings'), layout.xIds + r0 * 4, n, Ep);
    for (let l = 0; l < L; l++) {
      const layer = layout.layers[l];
      const names = weightNames(this.layout.dims, l);
      const [input, inWidth, inLd] = l === 0 ? [layout.embedded, Ep, Ep] : [this.output(l - 1, dropoutSeed), Hp, hLd];
      // x Wx + b for all T steps of these rows at once
      k.matmul(layer.z + r0 * zLd * 4, input + r0 * inLd * 4, this.packed(names.kernel, false), n, inWidth, G, inLd * 4, zLd * 4, INIT_BIAS, this.w(names.bias));
      for (let t = 0; t < T; t++) {
        const row = r0 + t; // batch row b0 at step t; the others follow T rows apart
        const first = t === 0;
        const [z, zStride, h, outStride] = [layer.z + row * zLd * 4, T * zLd * 4, layer.hs + row * hLd * 4, T * hLd * 4];
        const hPrev = first ? state.h[l] + b0 * Hp * 4 : layer.hs + (row - 1) * hLd * 4;
        const prevStride = first ? Hp * 4 : T * hLd * 4;
        const wh = this.packed(names.recurrent, false);
        if (cell === 'gru') k.gruStepForward(z, zStride, hPrev, prevStride, h, layer.resetH + row * hLd * 4, outStride, wh, rows, Hp);
        else if (cell === 'rnn') k.rnnStepForward(z, zStride, hPrev, prevStride, h, outStride, wh, rows, Hp);
        else {
          const cPrev = first ? state.c[l] + b0 * Hp * 4 : layer.cs + (row - 1) * hLd * 4;
          k.lstmStepForward(z, zStride, hPrev, cPrev, prevStride, h, layer.cs + row * hLd * 4, layer.tanhC + row * hLd * 4, outStride, wh, rows, Hp);
        }
      }
      if (backward) this.gatherPreviousH(T, [b0, b1], l, state);
      if (dropoutSeed !== undefined && this.init.dropout > 0) {
        const keep = 1 / (1 - this.init.dropout);
        k.dropoutMask(layer.mask + r0 * hLd * 4, layerMaskSeed(dropoutSeed, l), dropThreshold(this.init.dropout), keep, r0, n, H, Hp, hLd);
        k.applyMask(layer.dropped + r0 * hLd * 4, layer.hs + r0 * hLd * 4, layer.mask + r0 * hLd * 4, n * hLd);
      }
    }
    k.matmul(layout.logits + r0 * Vp * 4, this.output(L - 1, dropoutSeed) + r0 * hLd * 4, this.packed('dense/kernel', false), n, Hp, Vp, hLd * 4, Vp * 4, INIT_BIAS, this.w('dense/bias'));
    k.softmaxCrossEntropy(layout.logits + r0 * Vp * 4, layout.yIds + r0 * 4, layout.stats + r0 * 8, n, V, Vp, 1 / (B * T), backward ? 1 : 0);
  }

  /** hPrev rows: the carried h for t = 0, h_{t-1} after; what dWh = hPrev^T dz needs as one [B*T, Hp] matrix. */
  private gatherPreviousH(T: number, [b0, b1]: [number, number], l: number, state: StateBuffers): void {
    const { Hp, hLd } = this.layout.dims;
    const { hs, hPrev } = this.layout.layers[l];
    for (let b = b0; b < b1; b++) {
      const to = hPrev / 4 + b * T * hLd;
      this.f32.copyWithin(to, state.h[l] / 4 + b * Hp, state.h[l] / 4 + (b + 1) * Hp);
      this.f32.copyWithin(to + hLd, hs / 4 + b * T * hLd, hs / 4 + ((b + 1) * T - 1) * hLd);
    }
  }

  private backward(T: number, [b0, b1]: [number, number], state: StateBuffers, dropoutSeed: number | undefined, afterFirstLayerStep?: (t: number) => void): void {
    const { k, layout } = this;
    const { L, Vp, Ep, Hp, G, zLd, hLd, cell } = layout.dims;
    const rows = b1 - b0;
    if (rows === 0) return;
    const r0 = b0 * T;
    const n = rows * T;
    k.matmul(layout.dH + r0 * hLd * 4, layout.logits + r0 * Vp * 4, this.packed('dense/kernel', true), n, Vp, Hp, Vp * 4, hLd * 4, INIT_ZERO, 0);
    for (let l = L - 1; l >= 0; l--) {
      const layer = layout.layers[l];
      const names = weightNames(this.layout.dims, l);
      if (dropoutSeed !== undefined && this.init.dropout > 0) k.applyMask(layout.dH + r0 * hLd * 4, layout.dH + r0 * hLd * 4, layer.mask + r0 * hLd * 4, n * hLd);
      const dc = layout.dc + b0 * Hp * 4;
      if (cell === 'lstm') this.f32.fill(0, dc / 4, dc / 4 + rows * Hp);
      for (let t = T - 1; t >= 0; t--) {
        const row = r0 + t;
        const first = t === 0;
        const [z, zStride, dh, stride] = [layer.z + row * zLd * 4, T * zLd * 4, layout.dH + row * hLd * 4, T * hLd * 4];
        const whT = this.packed(names.recurrent, true);
        const dhPrev = first ? 0 : layout.dH + (row - 1) * hLd * 4;
        if (cell === 'gru') k.gruStepBackward(z, zStride, dh, layer.hPrev + row * hLd * 4, stride, layout.dResetH + b0 * Hp * 4, whT, dhPrev, rows, Hp);
        else if (cell === 'rnn') k.rnnStepBackward(z, zStride, dh, layer.hs + row * hLd * 4, stride, whT, dhPrev, rows, Hp);
        else {
          const cPrev = first ? state.c[l] + b0 * Hp * 4 : layer.cs + (row - 1) * hLd * 4;
          k.lstmStepBackward(z, zStride, dh, layer.tanhC + row * hLd * 4, stride, cPrev, first ? Hp * 4 : stride, dc, whT, dhPrev, rows, Hp);
        }
        if (l === 0) afterFirstLayerStep?.(t);
      }
      // dz Wx^T: the gradient of this layer's input (the layer below's output, or the embeddings)
      const [dInput, inWidth, inLd] = l === 0 ? [layout.dEmbedded, Ep, Ep] : [layout.dH, Hp, hLd];
      k.matmul(dInput + r0 * inLd * 4, layer.z + r0 * zLd * 4, this.packed(names.kernel, true), n, G, inWidth, zLd * 4, inLd * 4, INIT_ZERO, 0);
    }
  }

  /** The state after each stream's last step becomes the next batch's initial state (c only an LSTM's). */
  private carryState(T: number, [b0, b1]: [number, number], state: StateBuffers): void {
    const { Hp, hLd, cell } = this.layout.dims;
    this.layout.layers.forEach((layer, l) => {
      for (let b = b0; b < b1; b++) {
        const last = ((b + 1) * T - 1) * hLd;
        this.f32.copyWithin(state.h[l] / 4 + b * Hp, layer.hs / 4 + last, layer.hs / 4 + last + Hp);
        if (cell === 'lstm') this.f32.copyWithin(state.c[l] / 4 + b * Hp, layer.cs / 4 + last, layer.cs / 4 + last + Hp);
      }
    });
  }

  /** The weight-gradient products as tasks of GRADIENT_ROWS output rows; the small sums last, to fill in at the end. */
  private gradientTasks(N: number, dropoutSeed: number | undefined): Array<() => void> {
    const { k, layout } = this;
    const { L, V, Vp, Ep, Hp, G, zLd, hLd, cell } = layout.dims;
    const g = (name: string) => weightAt(layout, layout.grads, name);
    const tasks: Array<() => void> = [];
    // C[K, column..column + n] = A[N, K]^T B[N, n], A rows lda floats apart, B rows ldb, C rows ldc
    const product = (name: string, a: number, K: number, lda: number, b: number, n: number, ldb: number, column = 0, ldc = n) => {
      const c = g(name) + column * 4;
      for (let k0 = 0; k0 < K; k0 += GRADIENT_ROWS) tasks.push(() => k.matmulTransA(c, a, b, N, k0, Math.min(K, k0 + GRADIENT_ROWS), n, lda * 4, ldb * 4, ldc * 4));
    };
    for (let l = 0; l < L; l++) {
      const layer = layout.layers[l];
      const names = weightNames(this.layout.dims, l);
      if (l === 0) product(names.kernel, layout.embedded, Ep, Ep, layer.z, G, zLd);
      else product(names.kernel, this.output(l - 1, dropoutSeed), Hp, hLd, layer.z, G, zLd);
      if (cell === 'gru') {
        // dUzr = hPrev^T dz_zr beside dUh = (r hPrev)^T dz_h
        product(names.recurrent, layer.hPrev, Hp, hLd, layer.z, 2 * Hp, zLd, 0, G);
        product(names.recurrent, layer.resetH, Hp, hLd, layer.z + 2 * Hp * 4, Hp, zLd, 2 * Hp, G);
      } else {
        product(names.recurrent, layer.hPrev, Hp, hLd, layer.z, G, zLd);
      }
    }
    product('dense/kernel', this.output(L - 1, dropoutSeed), Hp, hLd, layout.logits, Vp, Vp);
    for (let l = 0; l < L; l++) tasks.push(() => k.columnSum(g(weightNames(this.layout.dims, l).bias), layout.layers[l].z, N, zLd * 4, G));
    tasks.push(() => k.columnSum(g('dense/bias'), layout.logits, N, Vp * 4, Vp));
    tasks.push(() => k.embeddingGradient(g('embedding/embeddings'), layout.dEmbedded, layout.xIds, N, V, Ep));
    return tasks;
  }

  private sumSquareParts(): void {
    const { layout } = this;
    for (let c = this.init.index; c < layout.normChunks; c += this.init.count) {
      const n = Math.min(NORM_CHUNK, layout.flatFloats - c * NORM_CHUNK);
      this.f64[layout.normParts / 8 + c] = this.k.sumSquares(layout.grads + c * NORM_CHUNK * 4, n);
    }
  }

  private update(): void {
    const { k, layout, init } = this;
    let sum = 0;
    for (let c = 0; c < layout.normChunks; c++) sum += this.f64[layout.normParts / 8 + c];
    const scale = clipScale(Math.sqrt(sum), init.gradClip);
    const [u0, u1] = share(layout.flatFloats / 4, init.index, init.count);
    const at = (base: number) => base + u0 * 16;
    const n = (u1 - u0) * 4;
    const lr = this.f64[F64Slot.LearningRate];
    if (init.optimizer === 'adam') {
      k.adamUpdate(at(layout.params), at(layout.grads), at(layout.moments[0]), at(layout.moments[1]), n, lr, this.f64[F64Slot.C1], this.f64[F64Slot.C2], scale);
    } else {
      k.rmspropUpdate(at(layout.params), at(layout.grads), at(layout.moments[0]), n, lr, scale);
    }
  }
}
