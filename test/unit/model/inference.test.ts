import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceModel, MAX_BATCH_ROWS } from '../../../src/core/model/inference';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { CELL_TYPES, ModelConfig, WeightArrays } from '../../../src/core/model/modelConfig';
import { Random } from '../../../src/core/random';
import { config, vocabulary, weights } from '../tinyModel';

/** The tiny model's shape with another cell and `hiddenSize` units, its weights as large. */
function tinyOf(shape: Partial<ModelConfig>): { config: ModelConfig; weights: WeightArrays } {
  const c: ModelConfig = { ...config, ...shape };
  const w = initialWeights(c, new Random(2));
  for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] *= 10;
  return { config: c, weights: w };
}

for (const cell of CELL_TYPES) {
  test(`${cell}: advanceRows and probabilitiesRows step and predict each row as advance and probabilities do, in the SIMD kernel and in JS, past one batch of rows`, () => {
    // 7 units: gate blocks padded to the kernel's 4-float lanes.
    const tiny = cell === 'lstm' ? { config, weights } : tinyOf({ cell, hiddenSize: 7 });
    for (const simd of [true, false]) {
      const model = new InferenceModel(tiny.config, tiny.weights, { simd });
      const rows = MAX_BATCH_ROWS + 3;
      const texts = Array.from({ length: rows }, (_, r) => 'int x = (y + z);'.slice(r % 7));
      const states = texts.map(() => model.zeroState());
      const single = texts.map(() => model.zeroState());
      for (let step = 0; step < 6; step++) {
        const ids = texts.map((t) => vocabulary.idOf(t[step]));
        model.advanceRows(states, ids);
        single.forEach((s, r) => model.advance(s, ids[r]));
        const batched = model.probabilitiesRows(states);
        single.forEach((s, r) => {
          const expected = model.probabilities(s);
          for (let v = 0; v < expected.length; v++) assert.ok(Math.abs(batched[r][v] - expected[v]) < 1e-5, `simd ${simd}, row ${r}, step ${step}`);
          for (let l = 0; l < tiny.config.layers; l++) {
            for (let j = 0; j < tiny.config.hiddenSize; j++) {
              assert.ok(Math.abs(states[r].c[l][j] - s.c[l][j]) < 1e-5);
              assert.ok(Math.abs(states[r].h[l][j] - s.h[l][j]) < 1e-5);
            }
          }
        });
      }
    }
  });
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** x W + b for Keras's [in, G] kernel, plain loops. */
function affine(x: ArrayLike<number>, w: Float32Array, b: Float32Array | undefined, G: number): number[] {
  return Array.from({ length: G }, (_, j) => {
    let s = b ? b[j] : 0;
    for (let k = 0; k < x.length; k++) s += x[k] * w[k * G + j];
    return s;
  });
}

test('a GRU and a vanilla RNN step as Cho et al. (r on h before the product) and min-char-rnn write them, and the hook reports z and r and holds h', () => {
  for (const cell of ['gru', 'rnn'] as const) {
    const { config: c, weights: w } = tinyOf({ cell, hiddenSize: 5, layers: 1 });
    const H = c.hiddenSize;
    const model = new InferenceModel(c, w);
    const state = model.zeroState();
    let h = new Array<number>(H).fill(0);
    for (const ch of 'if (a) {b;}') {
      const id = vocabulary.idOf(ch);
      const x = w.get('embedding/embeddings')!.subarray(id * c.embeddingSize, (id + 1) * c.embeddingSize);
      const name = cell === 'gru' ? 'gru_1' : 'simple_rnn_1';
      const kernel = w.get(`${name}/kernel`)!;
      const recurrent = w.get(`${name}/recurrent_kernel`)!;
      const bias = w.get(`${name}/bias`)!;
      const gates = [new Float32Array(3 * H)];
      if (cell === 'rnn') {
        const wx = affine(x, kernel, bias, H);
        const uh = affine(h, recurrent, undefined, H);
        h = h.map((_, j) => Math.tanh(wx[j] + uh[j]));
        model.advance(state, id);
      } else {
        const wx = affine(x, kernel, bias, 3 * H);
        const uh = affine(h, recurrent, undefined, 3 * H);
        const z = h.map((_, j) => sigmoid(wx[j] + uh[j]));
        const r = h.map((_, j) => sigmoid(wx[H + j] + uh[H + j]));
        const rh = h.map((v, j) => r[j] * v);
        // The candidate's recurrent product reads only the last H columns of U.
        const candidate = affine(rh, recurrent, undefined, 3 * H).slice(2 * H);
        h = h.map((v, j) => z[j] * v + (1 - z[j]) * Math.tanh(wx[2 * H + j] + candidate[j]));
        model.advance(state, id, { gates });
        for (let j = 0; j < H; j++) {
          assert.ok(Math.abs(gates[0][j] - z[j]) < 1e-5, `z ${j}`);
          assert.ok(Math.abs(gates[0][H + j] - r[j]) < 1e-5, `r ${j}`);
        }
      }
      h.forEach((v, j) => assert.ok(Math.abs(state.h[0][j] - v) < 1e-5, `${cell} after ${JSON.stringify(ch)}: h[${j}] ${state.h[0][j]} vs ${v}`));
      assert.ok(h.some((v) => Math.abs(v) > 0.1), 'the state moves');
    }
    model.advance(state, vocabulary.idOf('x'), { clamp: { layer: 0, index: 2, c: 0.75 } });
    assert.equal(state.h[0][2], 0.75, `${cell}: a clamp holds h, its whole state`);
  }
});
