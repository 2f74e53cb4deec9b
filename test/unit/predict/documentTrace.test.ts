import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { readCorpus } from '../../../src/core/text/corpus';
import { DocumentTrace, Neuron, neuronValue } from '../../../src/core/predict/documentTrace';
import { InferenceModel } from '../../../src/core/model/inference';
import { config, countingModel, exactState, vocabulary, weights } from '../tinyModel';

const neuron: Neuron = { layer: 1, index: 3, kind: 'c' };
const text = 'int main() {\n  for (i = 0; i < n; i++) { x += y; }\n  return 0;\n}\n'.repeat(6);

/** Probabilities and activations from one plain read of the whole text. */
function exactValues(t: string, n: Neuron) {
  const model = new InferenceModel(config, weights);
  const state = model.zeroState();
  const probability: number[] = [];
  const activation: number[] = [];
  for (const ch of t) {
    const id = vocabulary.idOf(ch);
    const p = model.probabilities(state)[id];
    model.advance(state, id);
    for (let k = 0; k < ch.length; k++) {
      probability.push(p);
      activation.push(neuronValue('lstm', state, n));
    }
  }
  return { probability, activation };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `offset ${i}: ${a[i]} vs ${b[i]}`);
};

test('the overlay values equal a full read of the document when it fits in the warm-up', () => {
  const trace = new DocumentTrace(new InferenceModel(config, weights), vocabulary, { interval: 16, warmup: 10_000 });
  const slice = trace.trace(text, 100, 200, neuron);
  const exact = exactValues(text, neuron);
  assert.equal(slice.start, 0);
  close(slice.probability, exact.probability.slice(100, 200));
  close(slice.activation, exact.activation.slice(100, 200));
});

test('a one-character edit re-reads only from the checkpoint before it', () => {
  const { model, steps } = countingModel();
  const trace = new DocumentTrace(model, vocabulary, { interval: 16, warmup: 10_000 });
  trace.trace(text, 0, 300, neuron);
  const edited = text.slice(0, 250) + 'z' + text.slice(250);
  const before = steps();
  const slice = trace.trace(edited, 0, 301, neuron);
  assert.ok(steps() - before <= 301 - 240, `re-read ${steps() - before} characters`);
  const exact = exactValues(edited, neuron);
  close(slice.probability, exact.probability.slice(0, 301));
  close(slice.activation, exact.activation.slice(0, 301));
});

test('scrolling back over read text and choosing another neuron re-read from nearby checkpoints only', () => {
  const { model, steps } = countingModel();
  const trace = new DocumentTrace(model, vocabulary, { interval: 16, warmup: 10_000 });
  trace.trace(text, 0, text.length, neuron);
  let before = steps();
  trace.trace(text, 50, 150, neuron);
  assert.equal(steps() - before, 0);
  const other: Neuron = { layer: 0, index: 7, kind: 'h' };
  before = steps();
  const slice = trace.trace(text, 300, 340, other);
  assert.ok(steps() - before <= 40 + 16);
  close(slice.activation, exactValues(text, other).activation.slice(300, 340));
});

test('far into a long document the reading starts a warm-up before the visible range', () => {
  const { model, steps } = countingModel();
  const trace = new DocumentTrace(model, vocabulary, { interval: 16, warmup: 100 });
  const long = 'x😀'.repeat(5000);
  const slice = trace.trace(long, 9000, 9100, neuron);
  assert.ok(steps() <= 100 + 100, `read ${steps()} characters`);
  assert.equal(slice.start, 8901, 'starts on a whole character, never inside a surrogate pair');
  assert.equal(slice.probability.length, 100);
  // A surrogate pair's two code units share the pair's values.
  assert.equal(slice.activation[1], slice.activation[2]);
});

test('the hover state after a character equals a full read', () => {
  const trace = new DocumentTrace(new InferenceModel(config, weights), vocabulary, { interval: 16, warmup: 10_000 });
  trace.trace(text, 0, 120, neuron);
  assert.deepEqual(trace.stateAfterChar(text, 77), exactState(text.slice(0, 78)));
  assert.deepEqual(trace.stateBefore(text, 200), exactState(text.slice(0, 200)));
});

test('a neuron outside the model is refused with a message naming the valid range', () => {
  const trace = new DocumentTrace(new InferenceModel(config, weights), vocabulary);
  assert.throws(() => trace.trace(text, 0, 10, { layer: 2, index: 0, kind: 'c' }), /layers 1 to 2/);
  assert.throws(() => trace.trace(text, 0, 10, { layer: 0, index: 16, kind: 'h' }), /cells 0 to 15/);
});

test('with a trained model, an edit is re-read only until the state meets the old reading again', () => {
  const shipped = loadCheckpoint(path.join(__dirname, '..', '..', '..', '..', 'models', 'default'));
  const source = readCorpus(path.join(__dirname, '..', '..', '..', '..', 'models', 'corpus')).text.slice(0, 6000);
  const model = new InferenceModel(shipped.config, shipped.weights);
  let steps = 0;
  const advance = model.advance.bind(model);
  model.advance = (state, id) => (steps++, advance(state, id));
  const trace = new DocumentTrace(model, shipped.vocabulary, { interval: 64, warmup: 10_000 });
  const n: Neuron = { layer: 1, index: 17, kind: 'c' };
  trace.trace(source, 0, source.length, n);
  const edited = source.slice(0, 3000) + 'q' + source.slice(3000);
  steps = 0;
  const slice = trace.trace(edited, 0, edited.length, n);
  assert.ok(steps < 1000, `re-read ${steps} of the ${edited.length - 3000} characters after the edit`);
  const exact = new DocumentTrace(new InferenceModel(shipped.config, shipped.weights), shipped.vocabulary, { interval: 64, warmup: 10_000 }).trace(edited, 0, edited.length, n);
  for (let i = 0; i < edited.length; i++) {
    assert.ok(Math.abs(slice.probability[i] - exact.probability[i]) < 1e-3, `probability at ${i}`);
    assert.ok(Math.abs(slice.activation[i] - exact.activation[i]) < 1e-3, `activation at ${i}`);
  }
});
