// The model report's figures against direct counts: gate saturation from an
// LSTM step written out here from the weights, the loss by character class
// partitioning the characters, and the order-1 n-gram's errors.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { codeFeatures } from '../../../src/core/explorer/codeFeatures';
import { InferenceModel } from '../../../src/core/model/inference';
import { ModelConfig, lstmLayerName } from '../../../src/core/model/modelConfig';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { Random } from '../../../src/core/random';
import { REPORTED_GATES, LEFT_SATURATED, RIGHT_SATURATED, charClass, modelReport } from '../../../src/core/explorer/modelReport';
import { useWasm } from '../helpers';
import { config, vocabulary, weights } from '../tinyModel';

before(useWasm);

const text = 'if (a < b) { x = y; } // note\n\tcount = (a + b);\n'.repeat(20);

/** Every step's gates i, f, o per layer, from the Keras weights (gate blocks i, f, candidate, o) in float64. */
function directGates(ids: Int32Array): number[][][] {
  const { hiddenSize: H, layers, embeddingSize: E } = config;
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const h = Array.from({ length: layers }, () => new Float64Array(H));
  const c = Array.from({ length: layers }, () => new Float64Array(H));
  const steps: number[][][] = [];
  for (const id of ids) {
    const perLayer: number[][] = [];
    for (let l = 0; l < layers; l++) {
      const input = l === 0 ? weights.get('embedding/embeddings')!.subarray(id * E, (id + 1) * E) : h[l - 1];
      const kernel = weights.get(`${lstmLayerName(l)}/kernel`)!;
      const recurrent = weights.get(`${lstmLayerName(l)}/recurrent_kernel`)!;
      const z = Float64Array.from(weights.get(`${lstmLayerName(l)}/bias`)!);
      for (let k = 0; k < input.length; k++) for (let g = 0; g < 4 * H; g++) z[g] += input[k] * kernel[k * 4 * H + g];
      for (let k = 0; k < H; k++) for (let g = 0; g < 4 * H; g++) z[g] += h[l][k] * recurrent[k * 4 * H + g];
      const gates: number[] = [];
      for (let j = 0; j < H; j++) {
        const [i, f, o] = [sigmoid(z[j]), sigmoid(z[H + j]), sigmoid(z[3 * H + j])];
        c[l][j] = f * c[l][j] + i * Math.tanh(z[2 * H + j]);
        h[l][j] = o * Math.tanh(c[l][j]);
      }
      for (const block of [0, 1, 3]) for (let j = 0; j < H; j++) gates.push(sigmoid(z[block * H + j]));
      perLayer.push(gates);
    }
    steps.push(perLayer);
  }
  return steps;
}

test('gate saturation fractions match a direct count over every step of every gate', async () => {
  const model = new InferenceModel(config, weights);
  const report = await modelReport(model, vocabulary, { kind: 'sample', text, features: codeFeatures(text) });
  const ids = vocabulary.encode(text);
  // The report scores every character but the last's successor: the steps over all but the last character.
  const steps = directGates(ids.subarray(0, ids.length - 1));
  const n = steps.length;
  assert.equal(report.chars, n);
  const GATES = REPORTED_GATES.lstm;
  assert.equal(report.saturation.length, config.layers * GATES.length);
  let saturated = 0;
  for (const s of report.saturation) {
    const g = GATES.indexOf(s.gate);
    for (let j = 0; j < config.hiddenSize; j++) {
      const values = steps.map((step) => step[s.layer][g * config.hiddenSize + j]);
      const left = values.filter((v) => v < LEFT_SATURATED).length / n;
      const right = values.filter((v) => v > RIGHT_SATURATED).length / n;
      // float32 against float64 may put a value a hair from 0.1 or 0.9 on the other side: one step at most.
      assert.ok(Math.abs(s.left[j] - left) <= 1 / n && Math.abs(s.right[j] - right) <= 1 / n, `layer ${s.layer} ${s.gate} cell ${j}: ${s.left[j]}/${s.right[j]} vs ${left}/${right}`);
      saturated += left + right;
    }
  }
  assert.ok(saturated > 0, 'the large weights saturate some gates');
});

test("a GRU's report counts its update and reset gates, a vanilla RNN's its tanh read as (1 + h) / 2, against direct counts", async () => {
  for (const cell of ['gru', 'rnn'] as const) {
    const shape: ModelConfig = { ...config, layers: 1, hiddenSize: 6, cell };
    const w = initialWeights(shape, new Random(2));
    for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] *= 10;
    const report = await modelReport(new InferenceModel(shape, w), vocabulary, { kind: 'sample', text, features: codeFeatures(text) });
    assert.deepEqual(report.saturation.map((r) => r.gate), cell === 'gru' ? ['update', 'reset'] : ['tanh']);
    // The rows, written out here in float64 from the Keras weights: z, r (gate blocks z, r, candidate) or (1 + h) / 2.
    const H = shape.hiddenSize;
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const G = cell === 'gru' ? 3 * H : H;
    const ids = vocabulary.encode(text).subarray(0, -1);
    const rows: number[][] = [];
    let h = new Float64Array(H);
    for (const id of ids) {
      const x = w.get('embedding/embeddings')!.subarray(id * shape.embeddingSize, (id + 1) * shape.embeddingSize);
      const name = cell === 'gru' ? 'gru_1' : 'simple_rnn_1';
      const z = Float64Array.from(w.get(`${name}/bias`)!);
      for (let k = 0; k < x.length; k++) for (let g = 0; g < G; g++) z[g] += x[k] * w.get(`${name}/kernel`)![k * G + g];
      const u = new Float64Array(G);
      const recurrent = w.get(`${name}/recurrent_kernel`)!;
      for (let k = 0; k < H; k++) for (let g = 0; g < G; g++) u[g] += h[k] * recurrent[k * G + g];
      if (cell === 'rnn') {
        h = h.map((_, j) => Math.tanh(z[j] + u[j]));
        rows.push(Array.from(h, (v) => (1 + v) / 2));
        continue;
      }
      const update = Array.from({ length: H }, (_, j) => sigmoid(z[j] + u[j]));
      const reset = Array.from({ length: H }, (_, j) => sigmoid(z[H + j] + u[H + j]));
      const candidate = new Float64Array(H);
      for (let k = 0; k < H; k++) for (let j = 0; j < H; j++) candidate[j] += reset[k] * h[k] * recurrent[k * G + 2 * H + j];
      h = h.map((v, j) => update[j] * v + (1 - update[j]) * Math.tanh(z[2 * H + j] + candidate[j]));
      rows.push([...update, ...reset]);
    }
    const n = rows.length;
    let saturated = 0;
    report.saturation.forEach((s, g) => {
      for (let j = 0; j < H; j++) {
        const values = rows.map((row) => row[g * H + j]);
        const left = values.filter((v) => v < LEFT_SATURATED).length / n;
        const right = values.filter((v) => v > RIGHT_SATURATED).length / n;
        assert.ok(Math.abs(s.left[j] - left) <= 1 / n && Math.abs(s.right[j] - right) <= 1 / n, `${cell} ${s.gate} cell ${j}: ${s.left[j]}/${s.right[j]} vs ${left}/${right}`);
        saturated += left + right;
      }
    });
    assert.ok(saturated > 0, `${cell}: the large weights saturate some units`);
  }
});

test('the classes partition the scored characters, and the order-1 n-gram guesses the most common training character', async () => {
  const model = new InferenceModel(config, weights);
  const training = 'x = a;\n'.repeat(30);
  const report = await modelReport(model, vocabulary, { kind: 'validation', text, features: codeFeatures(text), training });
  assert.equal(report.classes.reduce((s, c) => s + c.chars, 0), report.chars);
  const weighted = report.classes.reduce((s, c) => s + c.bitsPerChar * c.chars, 0) / report.chars;
  assert.ok(Math.abs(weighted - report.bitsPerChar) < 1e-9);
  const comments = report.classes.find((c) => c.charClass === 'comment')!;
  assert.equal(comments.chars, 20 * '/ note'.length, "each repetition's comment from the delimiter's last character on");
  assert.equal(charClass('(', false, false), 'bracket');
  assert.equal(charClass('_', false, false), 'identifier');
  // ' ' is the commonest character of the training text: the unigram is wrong wherever the next character is another.
  const unigram = report.ngram!.find((g) => g.order === 1)!;
  const chars = Array.from(text).slice(1);
  assert.ok(Math.abs(unigram.errorRate - chars.filter((ch) => ch !== ' ').length / chars.length) < 1e-12);
  for (const g of report.ngram!) assert.ok(g.sharedWithLstm >= 0 && g.sharedWithLstm <= 1 && g.fixedByLstm >= 0 && g.fixedByLstm <= 1);
  assert.equal((await modelReport(model, vocabulary, { kind: 'sample', text, features: codeFeatures(text) })).ngram, undefined);
});
