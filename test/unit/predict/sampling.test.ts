import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceModel } from '../../../src/core/model/inference';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { Random } from '../../../src/core/random';
import { pickNext, sample } from '../../../src/core/predict/sampling';
import { UNKNOWN_SYMBOL, Vocabulary } from '../../../src/core/text/vocabulary';

const vocabulary = Vocabulary.fromText('abcdefgh ;{}\n');
const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 2, dropout: 0 };
const weights = initialWeights(config, new Random(5));
for (const a of weights.values()) for (let i = 0; i < a.length; i++) a[i] *= 10;
const model = new InferenceModel(config, weights);

test('the same seed gives the same sample, another seed another sample', () => {
  const a = sample(model, vocabulary, { seed: 1, length: 200 });
  const b = sample(model, vocabulary, { seed: 1, length: 200 });
  const c = sample(model, vocabulary, { seed: 2, length: 200 });
  assert.equal(a.text, b.text);
  assert.notEqual(a.text, c.text);
  assert.equal([...a.text].length, 200);
  assert.ok(!a.text.includes(UNKNOWN_SYMBOL), 'the unknown symbol is never generated');
});

test('argmax is deterministic whatever the seed, and a prime changes the continuation', () => {
  const a = sample(model, vocabulary, { argmax: true, seed: 1, length: 50 });
  assert.equal(a.text, sample(model, vocabulary, { argmax: true, seed: 99, length: 50 }).text);
  assert.notEqual(sample(model, vocabulary, { argmax: true, prime: 'abc{', length: 50 }).text, a.text);
});

test('generation ends at a stop string, which is left out', () => {
  const r = sample(model, vocabulary, { seed: 3, length: 2000, stop: ['\n'] });
  assert.equal(r.stoppedBy, '\n');
  assert.ok(!r.text.includes('\n'));
});

test('characters outside the vocabulary are read as unknown and reported', () => {
  const r = sample(model, vocabulary, { prime: 'a€b∑', length: 10, seed: 4 });
  assert.deepEqual(r.unknownInPrime, ['€', '∑']);
  assert.equal([...r.text].length, 10);
  assert.deepEqual(Array.from(vocabulary.encode('a€')), [vocabulary.idOf('a'), 0]);
});

test('top-k and top-p keep only the most likely characters', () => {
  const probs = Float32Array.from([0, 0.5, 0.3, 0.15, 0.05]);
  const rng = new Random(9);
  const draws = (o: { topK: number; topP: number }) => new Set(Array.from({ length: 500 }, () => pickNext(probs, { argmax: false, ...o }, rng)));
  assert.deepEqual([...draws({ topK: 2, topP: 1 })].sort(), [1, 2]);
  assert.deepEqual([...draws({ topK: 0, topP: 0.8 })].sort(), [1, 2]);
  assert.deepEqual([...draws({ topK: 0, topP: 1 })].sort(), [1, 2, 3, 4]);
});

test('low temperature sharpens the distribution', () => {
  const state = model.zeroState();
  model.advance(state, vocabulary.idOf('a'));
  const hot = model.probabilities(state, 2);
  const cold = model.probabilities(state, 0.3);
  assert.ok(Math.max(...cold) > Math.max(...hot));
});
