import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { SuffixNgram } from '../../src/core/ngram/suffixNgram';
import { lineSurprisal, mostSurprising } from '../../src/core/predict/lineSurprisal';
import { loadMixture } from '../../src/core/predict/workspaceMixture';
import { FILE_LEFT_OUT } from '../../src/engine/protocol';
import { ModelHost } from '../../src/engine/modelHost';
import { InstantModel } from '../../src/engine/instantModel';

const SHIPPED = path.resolve(__dirname, '../../../models/default');
const CORPUS = path.resolve(__dirname, '../../../models/corpus/sqlite');
const read = (name: string) => fs.readFileSync(path.join(CORPUS, name), 'utf8');
const neuron = { layer: 0, index: 0, kind: 'c' as const };

/** The shipped LSTM and mixer over an n-gram of three corpus files, and over one of the other two alone. */
function hosts() {
  const checkpoint = loadCheckpoint(SHIPPED);
  const { info } = loadMixture(checkpoint)!;
  const [a, file, b] = [read('bitvec.c'), read('hash.c'), read('rowset.c')];
  const enc = (s: string) => checkpoint.vocabulary.encode(s);
  const all = SuffixNgram.build(enc(a + file + b), { vocabSize: checkpoint.vocabulary.size });
  const without = SuffixNgram.build(enc(a + b), { vocabSize: checkpoint.vocabulary.size, discounts: all.discounts });
  return { checkpoint, info, file, all, without, withFile: new ModelHost(checkpoint, 'default', { ngram: all, info }), withoutFile: new ModelHost(checkpoint, 'default', { ngram: without, info }) };
}

const share = (probability: number[], above: number) => probability.filter((p) => p > above).length / probability.length;

test('the overlay of a file the n-gram was built from reads it with the file left out: as an n-gram built without it, and the legend says so', () => {
  const { file, withFile, withoutFile } = hosts();
  const view = { documentId: 'file:///work/hash.c', text: file, from: 2000, to: 6000, neuron };
  const leftOut = withFile.trace(view);
  const fresh = withoutFile.trace(view);
  assert.equal(leftOut.answering, `${fresh.answering}, ${FILE_LEFT_OUT}`);
  assert.deepEqual([leftOut.fileLeftOut, fresh.fileLeftOut], [true, false]);
  assert.equal(leftOut.probability.length, fresh.probability.length);
  for (let i = 0; i < fresh.probability.length; i++) assert.ok(Math.abs(leftOut.probability[i] - fresh.probability[i]) < 1e-6, `offset ${view.from + i}: ${leftOut.probability[i]} vs ${fresh.probability[i]}`);
  // Without leaving it out (no text to place the document by), the n-gram recalls the file: most characters look certain.
  const recalled = withFile.trace({ ...view, documentId: 'file:///work/other.c' }, () => '');
  assert.doesNotMatch(recalled.answering, /left out/);
  assert.ok(share(recalled.probability, 0.8) > share(leftOut.probability, 0.8) + 0.15, `>80%: ${share(recalled.probability, 0.8)} recalled, ${share(leftOut.probability, 0.8)} left out`);
  // Surprising Lines reads the same trace: recalled, no line is surprising (its top lines cost next to nothing); left out, they do.
  const firstLine = file.slice(0, view.from).split('\n').length - 1;
  const top = (probability: number[]) => mostSurprising(lineSurprisal(file, view.from, probability, firstLine), 5);
  assert.ok(top(recalled.probability)[0].bitsPerChar < 0.5, `recalled: ${JSON.stringify(top(recalled.probability)[0])}`);
  assert.ok(top(leftOut.probability).every((l) => l.bitsPerChar > 2), `left out: ${JSON.stringify(top(leftOut.probability))}`);
});

test('a file edited since (a line added) is still left out, found by its text; a file the n-gram never read is not', () => {
  const { file, withFile, withoutFile, checkpoint, all } = hosts();
  const lines = file.split('\n');
  const edited = [...lines.slice(0, 60), '  int brandNewCounter = 0;', ...lines.slice(60)].join('\n');
  const view = { documentId: 'file:///work/hash.c', text: edited, from: 2500, to: 4000, neuron };
  const leftOut = withFile.trace(view);
  assert.match(leftOut.answering, /this file left out of the n-gram/);
  const fresh = withoutFile.trace(view);
  const diff = leftOut.probability.reduce((m, p, i) => Math.max(m, Math.abs(p - fresh.probability[i])), 0);
  assert.ok(diff < 1e-6, `edited: differs by ${diff}`);
  const unseen = read('random.c');
  assert.doesNotMatch(withFile.trace({ documentId: 'file:///work/random.c', text: unseen, from: 0, to: 2000, neuron }).answering, /left out/);
  // While the LSTM trains the workspace n-gram answers alone, and leaves the file out the same way.
  const instant = new InstantModel(all, checkpoint.vocabulary);
  const during = instant.probabilities('file:///work/hash.c', file, 2000, 6000);
  assert.match(during.answering, /this file left out of the n-gram/);
  assert.ok(during.fileLeftOut);
  const freshInstant = new InstantModel(SuffixNgram.fromBuffer(hosts().without.toBuffer()), checkpoint.vocabulary).probabilities('d', file, 2000, 6000);
  for (let i = 0; i < during.probability.length; i += 97) assert.ok(Math.abs(during.probability[i] - freshInstant.probability[i]) < 1e-6);
});
