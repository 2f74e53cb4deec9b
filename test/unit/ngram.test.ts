import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { saveCheckpoint } from '../../src/core/model/checkpoint';
import { InferenceModel } from '../../src/core/model/inference';
import { initialWeights } from '../../src/core/model/lstmInit';
import { fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from '../../src/core/predict/mixture';
import { NgramModel } from '../../src/core/ngram/kneserNey';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { charlens, structuredText, tempDir, unigramEntropy } from './helpers';

const train = structuredText(400, 1);
const heldOut = structuredText(100, 2);
const vocabulary = Vocabulary.fromText(train + heldOut + 'xyzXYZ_');
const trainIds = vocabulary.encode(train);
const heldOutIds = vocabulary.encode(heldOut);

/** Code that keeps using identifiers the training text never had. */
function newIdentifiers(lines: number): string {
  const names = ['xy_zz', 'zap_yy', 'yaz_x'];
  let out = '';
  for (let i = 0; i < lines; i++) out += `  ${names[i % 3]} = ${names[(i + 1) % 3]} + 1;\n`;
  return out;
}

function assertSumsToOne(model: NgramModel, context: ArrayLike<number>, what: string) {
  const dist = model.distribution(context);
  let sum = 0;
  let sumOfDist = 0;
  for (let w = 0; w < model.vocabSize; w++) {
    const p = model.probability(context, w);
    assert.ok(p > 0, `${what}: P(${w}) > 0`);
    assert.ok(Math.abs(dist[w] - p) < 1e-6, `${what}: distribution()[${w}] = ${dist[w]} but probability() = ${p}`);
    sum += p;
    sumOfDist += dist[w];
  }
  assert.ok(Math.abs(sum - 1) < 1e-9, `${what}: probabilities sum to ${sum}`);
  assert.ok(Math.abs(sumOfDist - 1) < 1e-5, `${what}: distribution sums to ${sumOfDist}`);
}

test('probabilities sum to 1 over the vocabulary for every order and context, seen or not', () => {
  const unseen = vocabulary.encode('XYZ_xyz');
  for (const order of [1, 2, 3, 5, 8, 20]) {
    const model = NgramModel.build(trainIds, { order, vocabSize: vocabulary.size });
    const contexts = [new Int32Array(0), trainIds.subarray(0, 1), trainIds.subarray(0, 137), heldOutIds.subarray(0, 61), unseen, trainIds.subarray(0, 20).map((v, i) => (i % 2 ? v : unseen[0]))];
    for (const [i, context] of contexts.entries()) assertSumsToOne(model, context, `order ${order}, context ${i}`);
    // Online learning must keep every context's statistics consistent with its children.
    model.score(vocabulary.encode(newIdentifiers(20)), { online: true });
    for (const [i, context] of contexts.entries()) assertSumsToOne(model, context, `order ${order} after learning, context ${i}`);
  }
});

test('Kneser-Ney beats a unigram, and each order up to 5 beats the one below on structured text', () => {
  const nats = [1, 2, 3, 4, 5].map((order) => meanNats(NgramModel.build(trainIds, { order, vocabSize: vocabulary.size }).score(heldOutIds)));
  assert.ok(nats[0] < unigramEntropy(heldOut) + 0.05, `order 1: ${nats[0]} vs unigram entropy ${unigramEntropy(heldOut)}`);
  for (let k = 1; k < nats.length; k++) assert.ok(nats[k] < nats[k - 1], `order ${k + 1} (${nats[k]}) beats order ${k} (${nats[k - 1]})`);
  assert.ok(nats[4] < 0.5 * unigramEntropy(heldOut), `order 5: ${nats[4]}`);
});

test('lower orders use continuation counts: a frequent symbol seen after one context only is rare elsewhere', () => {
  // 'q' comes 50 times, always after 'Q'; 'x' 10 times, after 10 different symbols.
  const vocab = Vocabulary.fromText('Qqxabcdefghijz');
  const ids = vocab.encode('Qq'.repeat(50) + 'axbxcxdxexfxgxhxixjx');
  const model = NgramModel.build(ids, { order: 2, vocabSize: vocab.size });
  const novel = vocab.encode('z');
  assert.ok(model.probability(novel, vocab.idOf('x')) > 2 * model.probability(novel, vocab.idOf('q')));
});

test('online learning beats static counts on text that repeats new identifiers', () => {
  const ids = vocabulary.encode(newIdentifiers(60));
  const staticNats = meanNats(NgramModel.build(trainIds, { order: 6, vocabSize: vocabulary.size }).score(ids));
  const online = NgramModel.build(trainIds, { order: 6, vocabSize: vocabulary.size });
  const onlineNats = meanNats(online.score(ids, { online: true }));
  assert.ok(onlineNats < 0.5 * staticNats, `online ${onlineNats} vs static ${staticNats}`);
  // What it learned stays: a second static pass is better still.
  assert.ok(meanNats(online.score(ids)) < onlineNats);
});

test('learning symbol by symbol equals building from the whole text', () => {
  const built = NgramModel.build(trainIds, { order: 7, vocabSize: vocabulary.size });
  const learned = NgramModel.create({ order: 7, vocabSize: vocabulary.size });
  for (let i = 0; i < trainIds.length; i++) learned.learn(trainIds.subarray(0, i), trainIds[i]);
  assert.deepEqual(learned.score(heldOutIds), built.score(heldOutIds));
});

test('a model written and read back gives identical probabilities, and learns on identically', () => {
  const model = NgramModel.build(trainIds, { order: 9, vocabSize: vocabulary.size });
  const copy = NgramModel.fromBuffer(model.toBuffer());
  assert.equal(copy.order, 9);
  assert.equal(copy.entries, model.entries);
  assert.deepEqual(copy.score(heldOutIds), model.score(heldOutIds));
  assert.deepEqual(copy.distribution(heldOutIds.subarray(0, 40)), model.distribution(heldOutIds.subarray(0, 40)));
  const more = vocabulary.encode(newIdentifiers(10));
  assert.deepEqual(copy.score(more, { online: true }), model.score(more, { online: true }));
  assert.throws(() => NgramModel.fromBuffer(Buffer.from('not a model at all')), /Not a CharLens n-gram model/);
  assert.throws(() => NgramModel.fromBuffer(model.toBuffer().subarray(0, 100)), /truncated or corrupt/);
});

test('symbols outside the vocabulary are refused', () => {
  const model = NgramModel.create({ order: 3, vocabSize: 5 });
  assert.throws(() => model.probability([1, 2], 5), /outside the n-gram vocabulary/);
  assert.throws(() => model.score([1, 7, 2]), /Symbol 7/);
});

test('the fitted mixture weight lies in [0, 1] and the mixture is no worse than either predictor', () => {
  const weak = NgramModel.build(trainIds, { order: 2, vocabSize: vocabulary.size }).score(heldOutIds);
  const strong = NgramModel.build(trainIds, { order: 6, vocabSize: vocabulary.size }).score(heldOutIds);
  const w = fitMixtureWeight(strong, weak);
  assert.ok(w > 0 && w < 1, `weight ${w}`);
  const mixed = meanNats(mixProbabilities(strong, weak, w));
  assert.ok(mixed <= Math.min(meanNats(strong), meanNats(weak)) + 1e-9, `mixture ${mixed} vs ${meanNats(strong)} and ${meanNats(weak)}`);
  // One predictor better on every character: all the weight goes to it.
  assert.ok(fitMixtureWeight(strong, strong.map((p) => p / 2)) > 0.999);
  assert.ok(fitMixtureWeight(strong.map((p) => p / 2), strong) < 0.001);
});

test('LSTM scoring carries the state through the whole text from a zero state', () => {
  const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 2, dropout: 0 };
  const model = new InferenceModel(config, initialWeights(config, new Random(3)));
  const ids = heldOutIds.subarray(0, 50);
  const probs = scoreWithLstm(model, ids);
  const state = model.zeroState();
  let expected = model.probabilities(state);
  for (let i = 0; i < ids.length; i++) {
    assert.ok(Math.abs(probs[i] - expected[ids[i]]) < 1e-7, `character ${i}`);
    expected = model.step(state, ids[i]).probs;
  }
});

test('charlens ngram prints a row per order, and charlens eval adds the comparison table', (t) => {
  const dir = tempDir(t);
  const trainFile = path.join(dir, 'train.c');
  const testFile = path.join(dir, 'test.c');
  fs.writeFileSync(trainFile, train);
  fs.writeFileSync(testFile, heldOut);
  const ngram = charlens('ngram', trainFile, testFile, '--order', '2,4');
  assert.equal(ngram.code, 0, ngram.stderr);
  assert.match(ngram.stdout, /^2 +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d{3} /m);
  assert.match(ngram.stdout, /^4 +\d+\.\d{3} /m);

  const modelDir = path.join(dir, 'model');
  const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 1, dropout: 0 };
  saveCheckpoint(modelDir, config, vocabulary, initialWeights(config, new Random(1)));
  const evaluated = charlens('eval', modelDir, testFile, '--train', trainFile, '--order', '5');
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /^\d+\.\d{3} nats\/char/, 'the LSTM loss line still comes first');
  assert.match(evaluated.stdout, /first 10% of the target/);
  assert.match(evaluated.stdout, /^LSTM +\d+\.\d{3} +\d+\.\d{3} +\(weights fixed/m);
  assert.match(evaluated.stdout, /^n-gram order 5 +(\d+\.\d{3} +){3}\d+\.\d{3}$/m);
  assert.match(evaluated.stdout, /^LSTM \+ n-gram mixture +(\d+\.\d{3} +){3}\d+\.\d{3}$/m);
});
