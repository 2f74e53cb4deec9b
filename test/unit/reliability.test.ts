// Issue 13, CLI/core side: each test failed before its fix.
import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import fs = require('fs');
import { ensureWritableFolder, removeStaleTempFiles, writeFileAtomic } from '../../src/core/atomicFile';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../../src/core/model/checkpoint';
import { formatCorpusReport, readCorpus, streamCorpusFile } from '../../src/core/text/corpus';
import { InferenceModel, ModelOutputError } from '../../src/core/model/inference';
import { initialWeights } from '../../src/core/model/lstmInit';
import { NgramModel } from '../../src/core/ngram/kneserNey';
import { Random } from '../../src/core/random';
import { MAX_SAMPLE_LENGTH, pickNext, sample } from '../../src/core/predict/sampling';
import { DEFAULT_TRAIN_OPTIONS, validateTrainOptions } from '../../src/core/train/options';
import { UserError } from '../../src/core/userError';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { tempDir } from './helpers';

const vocabulary = Vocabulary.fromText('abcdefgh (){};\n');
const config = { vocabSize: vocabulary.size, embeddingSize: 4, hiddenSize: 8, layers: 1, dropout: 0 };
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const temps = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));

test('a failed write or fsync removes its temp file and says the disk is full, leaving the old content', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'data.json');
  writeFileAtomic(file, 'old');
  for (const method of ['writeFileSync', 'fsyncSync'] as const) {
    const mock = t.mock.method(fs, method, () => {
      throw enospc();
    });
    assert.throws(
      () => writeFileAtomic(file, 'new'),
      (e: unknown) => e instanceof UserError && e.code === 'ENOSPC' && e.message === `disk full while writing ${file}`,
    );
    mock.mock.restore();
    assert.deepEqual(temps(dir), [], `no temp file after a failing ${method}`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
  }
});

test('a full disk during a save is a CheckpointError, and the previous checkpoint still loads', (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, initialWeights(config, new Random(1)));
  const write = fs.writeFileSync;
  t.mock.method(fs, 'writeFileSync', (target: unknown, ...rest: unknown[]) => {
    if (typeof target === 'number') throw enospc(); // the temp file's descriptor: the probe writes by name
    return Reflect.apply(write, fs, [target, ...rest]);
  });
  assert.throws(
    () => saveCheckpoint(dir, config, vocabulary, initialWeights(config, new Random(2))),
    (e: unknown) => e instanceof CheckpointError && /^disk full while writing .*weights\.[0-9a-f]{16}\.bin; the previous checkpoint is intact$/.test(e.message),
  );
  t.mock.restoreAll();
  assert.deepEqual(temps(dir), []);
  assert.deepEqual(loadCheckpoint(dir).weights, initialWeights(config, new Random(1)));
});

test('stale temp files of killed writers are swept by loading and by the next save; live and foreign ones stay', (t) => {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, initialWeights(config, new Random(1)));
  const stale = ['.model.json.999999999.1700000000000.tmp', `.weights.bin.999999999.${Date.now()}.tmp`];
  const live = `.model.json.${process.pid}.${Date.now()}.tmp`;
  const foreign = '.notes.tmp';
  for (const name of [...stale, live, foreign]) fs.writeFileSync(path.join(dir, name), 'x');
  loadCheckpoint(dir);
  assert.deepEqual(temps(dir).sort(), [live, foreign].sort());
  fs.writeFileSync(path.join(dir, stale[0]), 'x');
  saveCheckpoint(dir, config, vocabulary, initialWeights(config, new Random(2)));
  assert.deepEqual(temps(dir).sort(), [live, foreign].sort());
  removeStaleTempFiles(path.join(dir, 'missing')); // never throws
});

test('ensureWritableFolder creates the folder, refuses a file, and leaves no probe behind', (t) => {
  const dir = tempDir(t);
  const nested = path.join(dir, 'a', 'b');
  ensureWritableFolder(nested);
  assert.deepEqual(fs.readdirSync(nested), []);
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, 'x');
  assert.throws(() => ensureWritableFolder(file), (e: unknown) => e instanceof UserError && e.message === `${file} is a file, not a folder`);
  assert.throws(() => ensureWritableFolder(path.join(file, 'sub')), (e: unknown) => e instanceof UserError && /Cannot write .*file.sub: a part of the path is a file/.test(e.message));
});

test('finite but huge weights load, and then every probability is an error that names the model', (t) => {
  const dir = tempDir(t);
  const weights = initialWeights(config, new Random(1));
  for (const w of weights.values()) w.fill(3e38);
  saveCheckpoint(dir, config, vocabulary, weights);
  const model = InferenceModel.of(loadCheckpoint(dir));
  // From the zero state the logits are the (equal) biases; one character in, the products overflow.
  const state = model.advance(model.zeroState(), 1);
  assert.throws(() => model.probabilities(state), (e: unknown) => e instanceof ModelOutputError && e instanceof UserError && e.message.includes(dir));
  assert.throws(() => sample(model, vocabulary, { length: 5, prime: 'a' }), ModelOutputError);
});

test('pickNext refuses non-finite probabilities instead of answering the last symbol', () => {
  const rng = new Random(1);
  for (const probs of [[0, NaN, NaN, NaN], [0, 0.5, Infinity, 0.1], [0, 0, 0, 0]]) {
    for (const argmax of [false, true]) {
      assert.throws(() => pickNext(Float32Array.from(probs), { argmax, topK: 0, topP: 1 }, rng), RangeError, `${probs} argmax ${argmax}`);
    }
  }
  assert.equal(pickNext(Float32Array.from([0, 0.1, 0.9]), { argmax: true, topK: 0, topP: 1 }, rng), 2);
});

function withModelJson(t: Parameters<typeof tempDir>[0], edit: (json: any) => void): string {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, initialWeights(config, new Random(1)));
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
  return dir;
}

test('a model.json missing a field is a CheckpointError naming the file and the field, never a TypeError', (t) => {
  const cases: Array<[(json: any) => void, RegExp]> = [
    [(j) => delete j.weightsManifest[0].weights[1].shape, /weightsManifest\[0\]\.weights\[1\]\.shape is missing/],
    [(j) => (j.weightsManifest[0].weights[0].shape = 'big'), /weightsManifest\[0\]\.weights\[0\]\.shape must be a list/],
    [(j) => delete j.weightsManifest, /weightsManifest is missing/],
    [(j) => (j.weightsManifest = []), /weightsManifest\[0\] is missing/],
    [(j) => delete j.weightsManifest[0].paths, /weightsManifest\[0\]\.paths is missing/],
    [(j) => delete j.userDefinedMetadata.charlens.config, /userDefinedMetadata\.charlens\.config is missing/],
    [(j) => (j.userDefinedMetadata.charlens.config.layers = 0), /config is invalid: Model layers must be a positive integer/],
    [(j) => delete j.userDefinedMetadata.charlens.vocabulary, /userDefinedMetadata\.charlens\.vocabulary is missing/],
    [(j) => (j.userDefinedMetadata.charlens.vocabulary = [1, 2]), /vocabulary must be a list of strings/],
    [(j) => (j.userDefinedMetadata.charlens.resume = { file: 'x.bin', state: {} }), /resume\.tensors is missing/],
  ];
  for (const [edit, message] of cases) {
    const dir = withModelJson(t, edit);
    assert.throws(
      () => loadCheckpoint(dir),
      (e: unknown) => e instanceof CheckpointError && e.message.includes(path.join(dir, 'model.json')) && message.test(e.message),
      message.source,
    );
  }
});

test('a model file that cannot be read says why', (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'model.json'));
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof CheckpointError && e.message === `Cannot read ${path.join(dir, 'model.json')}: a folder, not a file`);
});

test('every bad train option is a UserError, val + test fractions included', () => {
  const bad: Array<Partial<typeof DEFAULT_TRAIN_OPTIONS>> = [
    { layers: 0 }, { hidden: -5 }, { lr: 0 }, { dropout: 1 }, { valFrac: 1 }, { valFrac: 0.5, testFrac: 0.5 },
    { optimizer: 'sgd' as 'adam' }, { seqLength: 1.5 },
  ];
  for (const o of bad) {
    assert.throws(() => validateTrainOptions({ ...DEFAULT_TRAIN_OPTIONS, out: 'x', ...o }), UserError, JSON.stringify(o));
  }
  validateTrainOptions({ ...DEFAULT_TRAIN_OPTIONS, out: 'x', valFrac: 0.5, testFrac: 0.4 });
});

test('UTF-16 files, with or without a byte-order mark, are decoded and counted; binaries stay binary', (t) => {
  const dir = tempDir(t);
  const text = 'int main(void) { return 0; }\n// é ok\n';
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.from(le).swap16();
  fs.writeFileSync(path.join(dir, 'le.c'), Buffer.concat([Buffer.from([0xff, 0xfe]), le]));
  fs.writeFileSync(path.join(dir, 'be.c'), Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
  fs.writeFileSync(path.join(dir, 'nobom.c'), le);
  fs.writeFileSync(path.join(dir, 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0]));
  const corpus = readCorpus(dir);
  assert.equal(corpus.text, text.repeat(3));
  assert.deepEqual(corpus.report.files.map((f) => [f.path, f.encoding]), [['be.c', 'utf-16be'], ['le.c', 'utf-16le'], ['nobom.c', 'utf-16le']]);
  assert.deepEqual(corpus.report.skipped, [{ path: 'blob.c', reason: 'binary (NUL byte)' }]);
  assert.match(formatCorpusReport(corpus.report), /; 3 decoded from UTF-16; skipped 1: 1 binary/);
});

test('a file read a megabyte at a time gives the text read whole: line ends and characters across the chunk ends', (t) => {
  const dir = tempDir(t);
  const MB = 1 << 20;
  const raw = 'a'.repeat(MB - 1) + '\r\n' + 'b'.repeat(MB - 2) + '€' + 'x\r'.repeat(1000) + 'end';
  fs.writeFileSync(path.join(dir, 'big.c'), raw);
  const expected = raw.replace(/\r\n?/g, '\n') + '\n';
  const corpus = readCorpus(dir);
  assert.ok(corpus.text === expected, 'readCorpus');
  assert.equal(corpus.report.chars, [...expected].length);
  const pieces: string[] = [];
  streamCorpusFile(corpus.report, corpus.report.files[0], (p) => pieces.push(p));
  assert.ok(pieces.length >= 3 && pieces.join('') === expected, 'streamed');
  fs.writeFileSync(path.join(dir, 'big.c'), raw.slice(0, 2 * MB) + '\0');
  assert.throws(() => streamCorpusFile(corpus.report, corpus.report.files[0], () => {}), /big\.c changed while it was read: it is now binary \(NUL byte\)/);
});

test('a missing folder or a symlink loop is named for what it is', (t) => {
  const dir = tempDir(t);
  fs.symlinkSync(path.join(dir, 'loop'), path.join(dir, 'loop'));
  assert.throws(() => readCorpus(path.join(dir, 'nope')), /Cannot read folder .*nope: not found/);
  assert.throws(() => readCorpus(path.join(dir, 'loop')), /Cannot read folder .*loop: a symlink loop/);
});

test('a sample streams in pieces that add up to the result, holding back what may start a stop string', () => {
  const model = new InferenceModel(config, initialWeights(config, new Random(3)));
  for (const stop of [[], ['}'], ['a;\n', 'x']]) {
    const pieces: string[] = [];
    const result = sample(model, vocabulary, { length: 3000, seed: 2, stop }, (p) => pieces.push(p));
    assert.equal(pieces.join(''), result.text, `stop ${stop}`);
    if (stop.length === 0) assert.ok(pieces.length > 5, 'long output comes in pieces, not at the end');
  }
  assert.throws(() => sample(model, vocabulary, { length: MAX_SAMPLE_LENGTH + 1 }), (e: unknown) => e instanceof UserError && /--length must be a whole number from 0 to 1,000,000/.test(e.message));
});

test('an n-gram scores a text read in pieces exactly as the whole text, static and online', () => {
  const ids = vocabulary.encode('if (a) { b(); }\n'.repeat(40) + 'hgfedcba\n'.repeat(20));
  const order = 5;
  const whole = NgramModel.create({ order, vocabSize: vocabulary.size }).score(ids, { online: true });
  const pieced = NgramModel.create({ order, vocabSize: vocabulary.size });
  const parts: number[] = [];
  for (let start = 0; start < ids.length; start += 97) {
    const from = Math.min(start, order - 1);
    parts.push(...pieced.score(ids.subarray(start - from, start + 97), { online: true, from }));
  }
  assert.deepEqual(Float32Array.from(parts), whole);
});
