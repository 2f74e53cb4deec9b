import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { CHECKPOINT_CHARS, DynamicDocuments } from '../../../src/core/predict/dynamicDocuments';
import { readCorpus } from '../../../src/core/text/corpus';
import { DYNAMIC_EVALUATION_VERSION, DynamicEvaluation, DynamicEvaluationParams, RMS_EPSILON, fitDynamicEvaluation } from '../../../src/core/predict/dynamicEvaluation';
import { InferenceModel } from '../../../src/core/model/inference';
import { padTo4 } from '../../../src/core/kernels/vectorMemory';
import { meanNats, scoreWithLstm } from '../../../src/core/predict/mixture';
import { buildWorkspaceNgram } from '../../../src/core/ngram/workspaceNgram';
import { fitAndSaveMixture, loadMixture } from '../../../src/core/predict/workspaceMixture';
import { Random } from '../../../src/core/random';
import { feed } from '../../../src/core/predict/sampling';
import { ModelHost } from '../../../src/engine/modelHost';
import * as rpc from '../../../src/engine/protocol';
import { startEngine, testFolders } from '../engineProcess';
import { tempDir } from '../helpers';
import { config, countingModel, vocabulary, weights } from '../tinyModel';

const SHIPPED = path.resolve(__dirname, '../../../../models/default');

/** Settings with unit mean squares, so that a step is exactly -eta / (1 + eps)^2 times the gradient. */
const unitParams = (learningRate: number, decay = 0): DynamicEvaluationParams => ({
  version: DYNAMIC_EVALUATION_VERSION,
  learningRate,
  decay,
  hiddenMeanSquare: new Array(config.hiddenSize).fill(1),
  outputMeanSquare: new Array(config.vocabSize).fill(1),
});

/** Text with a few random strings, each repeated: the random model predicts them badly, and they come back. */
function repeatingText(): string {
  const rng = new Random(5);
  const letters = 'abcdefghijklmnopqrstuvwxyz(){};=+<> ';
  const words = Array.from({ length: 4 }, () => Array.from({ length: 7 }, () => letters[Math.floor(rng.next() * letters.length)]).join(''));
  let text = '';
  while (text.length < 6000) text += `${words[Math.floor(rng.next() * words.length)]}\n`;
  return text;
}

test('on text that repeats what the static model predicts badly, dynamic evaluation falls well below it', () => {
  const model = new InferenceModel(config, weights);
  const ids = vocabulary.encode(repeatingText());
  const staticNats = meanNats(scoreWithLstm(model, ids));
  const { params, probs } = fitDynamicEvaluation(model, ids);
  const adapted = meanNats(probs);
  assert.equal(params.version, DYNAMIC_EVALUATION_VERSION);
  assert.equal(params.hiddenMeanSquare.length, config.hiddenSize);
  assert.ok(adapted < 0.6 * staticNats, `adapted ${adapted.toFixed(3)} vs static ${staticNats.toFixed(3)} nats/char`);
  // The second half, once the layer has seen the strings, is better than the first.
  assert.ok(meanNats(probs, ids.length >> 1) < meanNats(probs, 0, ids.length >> 1));
});

test("a step is the cross-entropy's gradient with respect to the output layer, scaled by -eta / (rms + eps)^2", () => {
  const model = new InferenceModel(config, weights);
  const eta = 1e-3;
  const rule = new DynamicEvaluation(model, unitParams(eta));
  const layer = rule.fresh();
  const state = feed(model, vocabulary, model.zeroState(), 'int x = (a + b);');
  const h = state.h[config.layers - 1];
  const id = vocabulary.idOf('{');
  const before = layer.snapshot();
  layer.learn(h, layer.probabilities(h), id);
  const after = layer.snapshot();
  const loss = (w: Float32Array) => {
    layer.restore(w);
    return -Math.log(layer.probabilities(h)[id]);
  };
  const H = config.hiddenSize;
  const Vp = padTo4(config.vocabSize);
  const rng = new Random(9);
  // Some kernel weights, the target's column and the bias row among them.
  const places = [...Array.from({ length: 20 }, () => [Math.floor(rng.next() * H), Math.floor(rng.next() * config.vocabSize)]), [3, id], [H, id], [H, 0]];
  for (const [k, j] of places) {
    const at = k * Vp + j;
    const step = 1e-2;
    const plus = before.slice();
    plus[at] += step;
    const minus = before.slice();
    minus[at] -= step;
    const numeric = (loss(plus) - loss(minus)) / (2 * step);
    const analytic = ((before[at] - after[at]) * (1 + RMS_EPSILON) ** 2) / eta;
    assert.ok(Math.abs(numeric - analytic) < 2e-3 + 2e-2 * Math.abs(numeric), `weight [${k}, ${j}]: finite differences ${numeric}, step ${analytic}`);
  }
  // The padding of each row stays zero.
  for (let k = 0; k <= H; k++) for (let j = config.vocabSize; j < Vp; j++) assert.equal(after[k * Vp + j], 0);
});

test('decay pulls an adapted layer back to the saved weights', () => {
  const model = new InferenceModel(config, weights);
  const h = feed(model, vocabulary, model.zeroState(), 'while (i < n)').h[config.layers - 1];
  const distance = (decay: number) => {
    const rule = new DynamicEvaluation(model, unitParams(1e-2, decay));
    const layer = rule.fresh();
    for (let i = 0; i < 400; i++) layer.learn(h, layer.probabilities(h), vocabulary.idOf(i % 2 ? ';' : '{'));
    return layer.snapshot().reduce((sum, w, i) => sum + Math.abs(w - rule.saved[i]), 0);
  };
  assert.ok(distance(0.05) < 0.25 * distance(0), `${distance(0.05)} vs ${distance(0)}`);
});

test('after an edit, a document reads on from the checkpoint before it, to exactly what a fresh read of the new text gives', () => {
  const rule = () => new DynamicEvaluation(countingModel().model, unitParams(3e-3, 1e-4));
  const text = repeatingText().slice(0, 2000);
  const counting = countingModel();
  const documents = new DynamicDocuments(new DynamicEvaluation(counting.model, unitParams(3e-3, 1e-4)), vocabulary);
  documents.at('doc', text);
  const reads = (edited: string) => {
    const before = counting.steps();
    const reading = documents.at('doc', edited);
    const fresh = new DynamicDocuments(rule(), vocabulary).at('doc', edited);
    const h = (r: typeof reading) => r.state.h[config.layers - 1];
    assert.deepEqual(reading.state, fresh.state);
    assert.deepEqual(reading.layer.snapshot(), fresh.layer.snapshot());
    assert.deepEqual(reading.layer.probabilities(h(reading)), fresh.layer.probabilities(h(fresh)));
    return counting.steps() - before;
  };
  // Typing on costs the characters typed.
  assert.equal(reads(text + 'abc'), 3);
  // An edit past the checkpoint at 1024 re-reads from there, one before it from the start.
  assert.equal(reads(text.slice(0, 1500) + 'X' + text.slice(1501) + 'abc'), 2003 - CHECKPOINT_CHARS);
  assert.equal(reads(text.slice(0, 500) + 'YY' + text.slice(500)), 2002);
  // Deleting back to before the checkpoint, then typing again.
  assert.equal(reads(text.slice(0, 1000)), 1000);
  assert.equal(reads(text.slice(0, 1000) + '😀 x'), 3);
});

/** The shipped LSTM copied into a folder of its own, with a mixture fitted and saved as training saves one, on a slice of the shipped corpus. */
function modelWithMixture(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  for (const f of fs.readdirSync(SHIPPED).filter((f) => f === 'model.json' || f.startsWith('weights.'))) fs.copyFileSync(path.join(SHIPPED, f), path.join(dir, f));
  const checkpoint = loadCheckpoint(dir);
  const model = InferenceModel.of(checkpoint);
  const ids = checkpoint.vocabulary.encode(readCorpus(path.join(SHIPPED, '..', 'corpus')).text.slice(0, 64_000));
  const info = fitAndSaveMixture(checkpoint, model, checkpoint.vocabulary, buildWorkspaceNgram(ids.subarray(0, 60_000), checkpoint.vocabulary.size), { val: ids.subarray(60_000), test: new Int32Array(0) });
  return { dir, checkpoint, info };
}

const digest = (dir: string) => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));

const PREFIX = 'static int sqlite3Count(sqlite3 *db){\n  int n = 0;\n  sqlite3Count(db);\n  n = sqlite3C';

test('dynamic evaluation never writes to the saved model, and with the setting off completions are the static ones', (t) => {
  const { dir, checkpoint, info } = modelWithMixture(t);
  assert.ok(info.dynamicEvaluation, 'the mixture has dynamic evaluation fitted');
  const files = digest(dir);
  const mixture = loadMixture(checkpoint)!;
  const withoutDynamic = { ngram: mixture.ngram, info: { ...mixture.info, dynamicEvaluation: undefined } };
  const guess = (host: ModelHost) => host.predictorAt('doc', PREFIX).distribution(0);
  const staticGuess = guess(new ModelHost(checkpoint, 'default', withoutDynamic));
  const on = new ModelHost(checkpoint, 'default', mixture, { dynamicEvaluation: true });
  const off = new ModelHost(checkpoint, 'default', mixture, { dynamicEvaluation: false });
  assert.deepEqual(guess(off), staticGuess);
  assert.notDeepEqual(guess(on), staticGuess);
  assert.match(on.answering, /dynamic evaluation/);
  assert.doesNotMatch(off.answering, /dynamic evaluation/);
  assert.equal(on.info.validation?.dynamic?.enabled, true);
  assert.equal(off.info.validation?.dynamic?.enabled, false);
  // Turned off, the same host answers statically again.
  on.setOptions({ dynamicEvaluation: false });
  assert.deepEqual(guess(on), staticGuess);
  assert.deepEqual(digest(dir), files);
  t.diagnostic(`fitted on 4,000 validation characters: learning rate ${info.dynamicEvaluation.params.learningRate}, decay ${info.dynamicEvaluation.params.decay}, LSTM ${info.valNats.lstm.toFixed(3)} -> ${info.dynamicEvaluation.lstm.toFixed(3)} nats/char`);
});

test('the engine takes the setting at Initialize and from SetDynamicEvaluation, and says so in the model info and the log', async (t) => {
  const { dir } = modelWithMixture(t);
  const files = digest(dir);
  const { connection, log } = startEngine(t);
  const init = await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'cpu', models: [{ dir, source: 'workspace' }], dynamicEvaluation: true });
  assert.match(init.model!.answering, /dynamic evaluation/);
  assert.equal(init.model!.validation?.dynamic?.enabled, true);
  const predict = () => connection.sendRequest(rpc.Predict, { documentId: 'doc', prefix: PREFIX, topK: 3 });
  const adapted = await predict();
  const off = await connection.sendRequest(rpc.SetDynamicEvaluation, { enabled: false });
  assert.doesNotMatch(off.model!.answering, /dynamic evaluation/);
  assert.match(rpc.describeValidation(off.model!.validation!), /dynamically evaluated [0-9.]+ \(off in the settings\)/);
  const unadapted = await predict();
  assert.notDeepEqual(unadapted.guesses, adapted.guesses);
  await connection.sendRequest(rpc.SetDynamicEvaluation, { enabled: true });
  assert.deepEqual(await predict(), adapted);
  assert.match(log(), /dynamically evaluated/);
  assert.deepEqual(digest(dir), files);
});
