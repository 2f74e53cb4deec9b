import assert from 'node:assert/strict';
import fs = require('fs');
import * as path from 'path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../../../src/core/model/checkpoint';
import { InferenceModel } from '../../../src/core/model/inference';
import { modelJsonChecksum } from '../../../src/core/model/modelJson';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { CELL_TYPES, ModelConfig, cellOf } from '../../../src/core/model/modelConfig';
import { Random } from '../../../src/core/random';
import { Vocabulary } from '../../../src/core/text/vocabulary';
import { folderHandler, stepProbabilities, tempDir, useWasm } from '../helpers';

before(useWasm);

const text = 'int main(void) {\n  return "ok";\n}\n';
const vocabulary = Vocabulary.fromText(text);
const config: ModelConfig = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 2, dropout: 0.2 };
// Larger than char-rnn's init so the probabilities differ clearly from uniform.
const weights = (shape = config) => {
  const w = initialWeights(shape, new Random(3));
  for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] *= 8;
  const rng = new Random(4);
  w.get('dense/bias')!.forEach((_, i, a) => (a[i] = rng.uniform(-3, 3)));
  return w;
};

test('a saved model loads back with identical probabilities', (t) => {
  const dir = tempDir(t);
  const original = weights();
  saveCheckpoint(dir, config, vocabulary, original, { metrics: { step: 7, epoch: 1, valLoss: 1.5 } });
  const loaded = loadCheckpoint(dir);
  assert.deepEqual(loaded.vocabulary.symbols, vocabulary.symbols);
  assert.equal(loaded.metadata.metrics?.valLoss, 1.5);
  const ids = vocabulary.encode(text);
  assert.deepEqual(stepProbabilities(new InferenceModel(loaded.config, loaded.weights), ids), stepProbabilities(new InferenceModel(config, original), ids));
});

for (const cell of CELL_TYPES) {
  // 7 units: gate blocks that are no whole number of the kernel's 4-float lanes.
  for (const hiddenSize of [16, 7]) {
    test(`tf.loadLayersModel opens a ${cell} checkpoint of ${hiddenSize} units and predicts what CharLens predicts`, async (t) => {
      const dir = tempDir(t);
      const shape: ModelConfig = { ...config, hiddenSize, cell };
      const w = weights(shape);
      saveCheckpoint(dir, shape, vocabulary, w);
      assert.deepEqual(loadCheckpoint(dir).config, shape);
      const model = await tf.loadLayersModel(folderHandler(dir));
      const ids = vocabulary.encode(text);
      const keras = model.predict(tf.tensor2d(Array.from(ids), [1, ids.length])) as tf.Tensor;
      const kerasProbs = (await keras.array()) as number[][][];
      for (const simd of [true, false]) {
        const ours = stepProbabilities(new InferenceModel(shape, w, { simd }), ids);
        let maxDiff = 0;
        ours.forEach((p, step) => p.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - kerasProbs[0][step][i])))));
        assert.ok(maxDiff < 1e-5, `probabilities differ by up to ${maxDiff} (simd ${simd})`);
        const spread = Math.max(...ours[5]) / Math.min(...ours[5]);
        assert.ok(spread > 3, 'the comparison is made on non-uniform probabilities');
      }
    });
  }
}

test('a checkpoint written before the cell type was stored loads as the LSTM it is', (t) => {
  const dir = tempDir(t);
  const w = weights();
  saveCheckpoint(dir, config, vocabulary, w);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.userDefinedMetadata.charlens.config.cell, undefined, 'an LSTM config without a cell is written as it was');
  assert.equal(json.modelTopology.config.layers[1].class_name, 'LSTM');
  const loaded = loadCheckpoint(dir);
  assert.equal(cellOf(loaded.config), 'lstm');
  const ids = vocabulary.encode(text);
  assert.deepEqual(stepProbabilities(InferenceModel.of(loaded), ids), stepProbabilities(new InferenceModel({ ...config, cell: 'lstm' }, w), ids));
});

test('a checkpoint naming an unknown cell type says so', (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, weights());
  const modelFile = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
  json.userDefinedMetadata.charlens.config.cell = 'transformer';
  writeWithChecksum(modelFile, json);
  assert.throws(() => loadCheckpoint(dir), /config is invalid: Model cell must be one of lstm, gru, rnn, got "transformer"/);
});

test('saving again replaces the checkpoint whole and removes the old weight file', (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, weights());
  const other = weights();
  other.get('dense/bias')![0] = 42;
  saveCheckpoint(dir, config, vocabulary, other);
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).length, 1);
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0);
  assert.equal(loadCheckpoint(dir).weights.get('dense/bias')![0], 42);
});

function writeWithChecksum(file: string, json: any): void {
  json.userDefinedMetadata.charlens.checksum = modelJsonChecksum(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

test('corrupt or mismatched checkpoints say what is wrong', (t) => {
  const dir = tempDir(t);
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof CheckpointError && /model.json not found/.test(e.message));
  saveCheckpoint(dir, config, vocabulary, weights());
  const modelFile = path.join(dir, 'model.json');
  const good = fs.readFileSync(modelFile, 'utf8');
  const bin = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.bin'))!);
  const goodBin = fs.readFileSync(bin);

  fs.writeFileSync(bin, goodBin.subarray(0, 100));
  assert.throws(() => loadCheckpoint(dir), /corrupt: .* is 100 bytes but its manifest needs/);
  const flipped = Buffer.from(goodBin);
  flipped[10] ^= 0xff;
  fs.writeFileSync(bin, flipped);
  assert.throws(() => loadCheckpoint(dir), /does not match its checksum/);
  fs.writeFileSync(bin, goodBin);

  fs.writeFileSync(modelFile, good.slice(0, good.length / 2));
  assert.throws(() => loadCheckpoint(dir), /corrupt: model.json is not valid JSON/);

  // Inconsistent files as a writer with a bug would write them, checksum and all: the deeper checks still catch them.
  const json = JSON.parse(good);
  json.userDefinedMetadata.charlens.vocabulary.pop();
  writeWithChecksum(modelFile, json);
  assert.throws(() => loadCheckpoint(dir), /vocabulary has \d+ symbols but the model expects \d+/);

  const wrongShape = JSON.parse(good);
  wrongShape.userDefinedMetadata.charlens.config.hiddenSize = 32;
  writeWithChecksum(modelFile, wrongShape);
  assert.throws(() => loadCheckpoint(dir), /weight embedding\/embeddings|lstm_1\/kernel has shape \[8,64\] but the model config needs \[8,128\]/);

  fs.rmSync(bin);
  fs.writeFileSync(modelFile, good);
  assert.throws(() => loadCheckpoint(dir), /incomplete: weight file .* is missing/);

  fs.writeFileSync(modelFile, JSON.stringify({ format: 'layers-model', modelTopology: {} }));
  assert.throws(() => loadCheckpoint(dir), /not a CharLens model/);
});

test('a save into a folder without model.json keeps the files there that merely look like weight files', (t) => {
  const dir = tempDir(t);
  const foreign = ['weights.0123456789abcdef.bin', 'resume.fedcba9876543210.bin'];
  for (const name of foreign) fs.writeFileSync(path.join(dir, name), 'the user\'s own file');
  saveCheckpoint(dir, config, vocabulary, weights());
  const other = weights();
  other.get('dense/bias')![0] = 42;
  saveCheckpoint(dir, config, vocabulary, other);
  for (const name of foreign) assert.equal(fs.readFileSync(path.join(dir, name), 'utf8'), 'the user\'s own file', `${name} is kept`);
  const named = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
  assert.deepEqual(fs.readdirSync(dir).sort(), [...foreign, 'model.json', named].sort(), 'the first save\'s weights went with the model.json that named them');
});

test('a full disk while model.json is written leaves the folder as it was, with no orphan weights', (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, weights());
  const before = fs.readdirSync(dir).sort();
  const write = fs.writeFileSync;
  t.mock.method(fs, 'writeFileSync', (target: unknown, data: unknown, ...rest: unknown[]) => {
    // model.json is the only file written as a string: the weights before it are staged already.
    if (typeof target === 'number' && typeof data === 'string') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return Reflect.apply(write, fs, [target, data, ...rest]);
  });
  const other = weights();
  other.get('dense/bias')![0] = 42;
  assert.throws(() => saveCheckpoint(dir, config, vocabulary, other), (e: unknown) => e instanceof CheckpointError && /disk full while writing .*model\.json; the previous checkpoint is intact/.test((e as Error).message));
  t.mock.restoreAll();
  assert.deepEqual(fs.readdirSync(dir).sort(), before);
});

test('two writers saving into one folder never leave a model.json that names missing weights, and readers always load', async (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, weights());
  const checkpointModule = require.resolve('../../../src/core/model/checkpoint');
  const writer = (seed: number) =>
    new Promise<void>((resolve, reject) => {
      const script = `
        const { saveCheckpoint, loadCheckpoint } = require(${JSON.stringify(checkpointModule)});
        const c = loadCheckpoint(${JSON.stringify(dir)});
        for (let i = 0; i < 150; i++) {
          for (const a of c.weights.values()) a[0] = ${seed} * 1000 + i;
          saveCheckpoint(${JSON.stringify(dir)}, c.config, c.vocabulary, c.weights);
        }`;
      const child = require('child_process').spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('exit', (code: number) => (code === 0 ? resolve() : reject(new Error(`writer ${seed} failed: ${stderr}`))));
    });
  const writers = Promise.all([writer(1), writer(2)]);
  let done = false;
  void writers.finally(() => (done = true)).catch(() => undefined);
  let reads = 0;
  while (!done) {
    loadCheckpoint(dir); // throws on a model.json naming a missing weight file
    reads++;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await writers;
  assert.ok(reads > 0);
  loadCheckpoint(dir);
});

test('any byte flipped in model.json is refused or leaves the same model; files from before the checksum still load', (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, weights(), { metrics: { step: 7, epoch: 1, valLoss: 1.5 } });
  const file = path.join(dir, 'model.json');
  const good = fs.readFileSync(file);
  const original = loadCheckpoint(dir);
  let refused = 0;
  for (let at = 0; at < good.length; at++) {
    const flipped = Buffer.from(good);
    flipped[at] ^= 1 << at % 8;
    fs.writeFileSync(file, flipped);
    let loaded;
    try {
      loaded = loadCheckpoint(dir);
    } catch (err) {
      assert.ok(err instanceof CheckpointError, `byte ${at}: ${(err as Error).stack}`);
      refused++;
      continue;
    }
    // Only a flip JSON reads the same way (none in a file without spaces) may load.
    assert.deepEqual([loaded.vocabulary.symbols, loaded.config, loaded.metadata.metrics], [original.vocabulary.symbols, original.config, original.metadata.metrics], `byte ${at} flipped`);
  }
  assert.equal(refused, good.length, 'every flip is refused');
  const old = JSON.parse(good.toString('utf8'));
  old.userDefinedMetadata.charlens.version = 1;
  delete old.userDefinedMetadata.charlens.checksum;
  fs.writeFileSync(file, JSON.stringify(old));
  assert.deepEqual(loadCheckpoint(dir).weights, original.weights, 'a version 1 file, written before checksums, loads');
});

test('a writer killed (SIGKILL) at any moment of its saves leaves a checkpoint that loads', async (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, weights());
  const checkpointModule = require.resolve('../../../src/core/model/checkpoint');
  const script = `
    const { saveCheckpoint, loadCheckpoint } = require(${JSON.stringify(checkpointModule)});
    const c = loadCheckpoint(${JSON.stringify(dir)});
    process.stdout.write('saving');
    for (let i = 0; ; i++) {
      for (const a of c.weights.values()) a[0] = i;
      saveCheckpoint(${JSON.stringify(dir)}, c.config, c.vocabulary, c.weights, { resume: { tensors: c.weights, state: { i } } });
    }`;
  for (let kill = 0; kill < 12; kill++) {
    const child = require('child_process').spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await new Promise((resolve) => setTimeout(resolve, 5 + kill * 7));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    assert.doesNotThrow(() => loadCheckpoint(dir), `killed after ${5 + kill * 7} ms of saving`);
  }
});
