import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { InferenceModel, LstmState } from '../../../src/core/model/inference';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { CELL_TYPES, CellType, GATES, ModelConfig, WeightArrays, recurrentLayerName } from '../../../src/core/model/modelConfig';
import { feed } from '../../../src/core/predict/sampling';
import { Random } from '../../../src/core/random';
import { UserError } from '../../../src/core/userError';
import { Vocabulary } from '../../../src/core/text/vocabulary';
import { Attributor, attribute } from '../../../src/core/explain/attribution';
import { MAX_WINDOW, strongest } from '../../../src/core/explain/contributions';
import { quotedCode, useTrainedQuotedModel } from '../quotedCode';

const vocabulary = Vocabulary.fromText('abcdefgh (){};="\n');
const configOf = (cell: CellType): ModelConfig => ({ vocabSize: vocabulary.size, embeddingSize: 6, hiddenSize: 12, layers: 2, dropout: 0, cell });
const config = configOf('lstm');

/** Weights at six times initialisation's scale: every character moves the state and the contributions are well away from 0. */
function scaledWeights(c: ModelConfig): WeightArrays {
  const w = initialWeights(c, new Random(3));
  for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] *= 6;
  for (const [name, a] of w) if (name.endsWith('/bias') || name === 'embedding/embeddings') for (let i = 0; i < a.length; i++) a[i] += new Random(a.length + i).uniform(-0.5, 0.5);
  return w;
}
const weights = scaledWeights(config);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * log p(target) after reading the given embedding vectors from `state`: a
 * plain float64 network of `c`'s cell, the reference the kernels are checked
 * against. Keras's gate orders: an LSTM's i, f, g, o; a GRU's z, r, h~ with
 * r applied to h before the recurrent product (reset_after false).
 */
function referenceLogProbability(c: ModelConfig, w: WeightArrays, state: LstmState, inputs: Float64Array[], target: number): number {
  const { hiddenSize: H, layers, vocabSize: V } = c;
  const G = GATES[c.cell ?? 'lstm'] * H;
  const h = state.h.map((a) => Float64Array.from(a));
  const cs = state.c.map((a) => Float64Array.from(a));
  for (const x of inputs) {
    let input: Float64Array = x;
    for (let l = 0; l < layers; l++) {
      const name = recurrentLayerName(c, l);
      const [kernel, recurrent, bias] = ['kernel', 'recurrent_kernel', 'bias'].map((k) => w.get(`${name}/${k}`)!);
      const z = Float64Array.from(bias);
      input.forEach((v, k) => { for (let j = 0; j < G; j++) z[j] += v * kernel[k * G + j]; });
      // The GRU's candidate reads r h, not h: its recurrent product waits for r.
      const recurrentColumns = c.cell === 'gru' ? 2 * H : G;
      h[l].forEach((v, k) => { for (let j = 0; j < recurrentColumns; j++) z[j] += v * recurrent[k * G + j]; });
      if (c.cell === 'gru') {
        const resetH = h[l].map((v, k) => sigmoid(z[H + k]) * v);
        resetH.forEach((v, k) => { for (let j = 0; j < H; j++) z[2 * H + j] += v * recurrent[k * G + 2 * H + j]; });
      }
      for (let j = 0; j < H; j++) {
        if (c.cell === 'gru') {
          const u = sigmoid(z[j]);
          h[l][j] = u * h[l][j] + (1 - u) * Math.tanh(z[2 * H + j]);
        } else if (c.cell === 'rnn') {
          h[l][j] = Math.tanh(z[j]);
        } else {
          cs[l][j] = sigmoid(z[H + j]) * cs[l][j] + sigmoid(z[j]) * Math.tanh(z[2 * H + j]);
          h[l][j] = sigmoid(z[3 * H + j]) * Math.tanh(cs[l][j]);
        }
      }
      input = h[l];
    }
  }
  const dense = w.get('dense/kernel')!;
  const logits = Float64Array.from(w.get('dense/bias')!);
  h[layers - 1].forEach((v, k) => { for (let j = 0; j < V; j++) logits[j] += v * dense[k * V + j]; });
  const max = Math.max(...logits);
  const sum = logits.reduce((s, v) => s + Math.exp(v - max), 0);
  return logits[target] - max - Math.log(sum);
}

for (const cell of CELL_TYPES) {
  test(`gradient x input matches central differences of a float64 ${cell.toUpperCase()} along (embedding - mean embedding), from a carried state`, () => {
    const config = configOf(cell);
    const weights = scaledWeights(config);
    const model = new InferenceModel(config, weights);
    const start = feed(model, vocabulary, model.zeroState(), 'f(a, "bc");\n');
    const window = 'x = "abc de';
    const target = vocabulary.idOf('"');
    const ids = Array.from(window).map((ch) => vocabulary.idOf(ch));
    const attributor = new Attributor(config, weights);
    const { contributions, logProbability } = attributor.windowGradient(start, ids, target);

    const E = config.embeddingSize;
    const table = weights.get('embedding/embeddings')!;
    const embedding = (id: number) => Float64Array.from(table.subarray(id * E, (id + 1) * E));
    const mean = Float64Array.from({ length: E }, (_, e) => Array.from({ length: config.vocabSize }, (_, v) => table[v * E + e]).reduce((s, x) => s + x, 0) / config.vocabSize);
    const inputs = ids.map(embedding);
    const exact = referenceLogProbability(config, weights, start, inputs, target);
    assert.ok(Math.abs(logProbability - exact) < 1e-4, `log p ${logProbability} vs ${exact}`);
    assert.ok(Math.abs(Math.log(model.probabilities(feed(model, vocabulary, model.cloneState(start), window))[target]) - exact) < 1e-4);

    const eps = 1e-4;
    let largest = 0;
    ids.forEach((_, t) => {
      const moved = (sign: number) => inputs.map((x, s) => (s === t ? x.map((v, e) => v + sign * eps * (v - mean[e])) : x));
      const reference = (referenceLogProbability(config, weights, start, moved(1), target) - referenceLogProbability(config, weights, start, moved(-1), target)) / (2 * eps);
      largest = Math.max(largest, Math.abs(reference));
      assert.ok(Math.abs(contributions[t] - reference) < 1e-3 + 1e-3 * Math.abs(reference), `position ${t} (${window[t]}): ${contributions[t]} vs ${reference}`);
    });
    assert.ok(largest > 0.05, `the tiny model's contributions are not all near 0 (largest ${largest})`);
  });
}

test('attribute: offsets in UTF-16 over astral characters, the window capped, the state asked for at its start; the strongest sorted by size', () => {
  const model = new InferenceModel(config, weights);
  const attributor = new Attributor(config, weights);
  const text = 'ab😀(c = "d");\n';
  const at = text.indexOf(')');
  const asked: number[] = [];
  const stateAt = (offset: number) => (asked.push(offset), feed(model, vocabulary, model.zeroState(), text.slice(0, offset)));
  const whole = attribute(attributor, model, vocabulary, text, at, stateAt);
  assert.deepEqual(asked, [0]);
  assert.equal(whole.char, ')');
  assert.deepEqual(whole.window.map((c) => c.offset), [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(whole.window.map((c) => c.char).join(''), text.slice(0, at));
  assert.ok(Math.abs(whole.probability - model.probabilities(feed(model, vocabulary, model.zeroState(), text.slice(0, at)))[vocabulary.idOf(')')]) < 1e-5);

  const last4 = attribute(attributor, model, vocabulary, text, at, stateAt, { window: 4, char: ';' });
  assert.deepEqual(asked, [0, 8]);
  assert.equal(last4.char, ';');
  assert.deepEqual(last4.window.map((c) => c.char), [...' "d"']);
  const top = strongest(whole.window, 3);
  assert.equal(top.length, 3);
  assert.ok(Math.abs(top[0].nats) >= Math.abs(top[1].nats) && Math.abs(top[1].nats) >= Math.abs(top[2].nats));
  assert.ok(whole.window.every((c) => top.includes(c) || Math.abs(c.nats) <= Math.abs(top[2].nats)));

  assert.throws(() => attribute(attributor, model, vocabulary, text, 0, stateAt), UserError);
  assert.throws(() => attribute(attributor, model, vocabulary, text, text.length, stateAt), /top guess/);
  const guessed = attribute(attributor, model, vocabulary, text, text.length, stateAt, { guess: true, window: 3 });
  const after = model.probabilities(feed(model, vocabulary, model.zeroState(), text));
  assert.equal(vocabulary.idOf(guessed.char), after.indexOf(Math.max(...after)));
  assert.ok(Math.abs(guessed.probability - Math.max(...after)) < 1e-5);
  assert.throws(() => attributor.windowGradient(model.zeroState(), new Array(MAX_WINDOW + 1).fill(0), 0), UserError);
});

const quotedModel = useTrainedQuotedModel();

/**
 * Gradient x input reads the opening quote as one of the few characters a
 * closing quote's probability depends on, though not always as the first
 * (for 6 of these 26). Saturation is not why: integrated gradients from the
 * same baseline, once converged (1,024 steps; with fewer, its sum misses
 * log p less that of an all-baseline window by up to 10 times), puts it
 * first for 6 too; from a space instead, 16. The model does track the quote:
 * putting a space in its place lowers log p more than doing so to any other
 * character for 20 of the 26, but that costs a forward pass per character
 * of the window. A window's 60 characters taken at random would put it in
 * the top 3 one time in 20.
 */
test("on the trained quoted-code model, a closing quote's probability depends on its opening quote among the strongest three", () => {
  const checkpoint = loadCheckpoint(quotedModel());
  const model = InferenceModel.of(checkpoint);
  const attributor = new Attributor(checkpoint.config, checkpoint.weights);
  const text = quotedCode(40, 77);
  const closings = [...text.matchAll(/"[a-k ]{6,}"/g)].map((m) => m.index! + m[0].length - 1);
  assert.ok(closings.length >= 20);
  const ranks = closings.map((at) => {
    const why = attribute(attributor, model, checkpoint.vocabulary, text, at, (offset) => feed(model, checkpoint.vocabulary, model.zeroState(), text.slice(0, offset)), { window: 60 });
    return strongest(why.window, why.window.length).findIndex((c) => c.offset === text.lastIndexOf('"', at - 1)) + 1;
  });
  const top3 = ranks.filter((r) => r >= 1 && r <= 3).length;
  assert.ok(top3 >= closings.length / 2, `the opening quote is among the strongest 3 of 60 for ${top3} of ${closings.length} closing quotes (ranks ${ranks.join(' ')})`);
});
