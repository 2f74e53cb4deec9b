import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { saveCheckpoint } from '../../src/core/model/checkpoint';
import { initialWeights } from '../../src/core/model/lstmInit';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { charlens, smallOptions, structuredText, tempDir, trainText, useWasm } from './helpers';


test('explore prints the best cells per feature, and the second time reads them from the model folder', (t) => {
  const dir = tempDir(t);
  const source = path.join(dir, 'loop.c');
  const text = `${structuredText(100)}  puts("done"); /* (x) */\n`;
  fs.writeFileSync(source, text);
  const model = path.join(dir, 'model');
  const vocabulary = Vocabulary.fromText(text);
  const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 8, layers: 2, dropout: 0 };
  saveCheckpoint(model, config, vocabulary, initialWeights(config, new Random(1)));

  const first = charlens('explore', model, source, '--top', '2');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^2 x 8 cells \(layers from 1, cells from 0\), tanh\(c\) over [\d,]+ characters\n/);
  assert.match(first.stdout, /\ninside string: \(on at \d+\.\d% of characters\)\n {2}layer [12] cell \d +r = +-?[01]\.\d\d {2}top-1% precision [01]\.\d\d\n {2}layer [12] cell \d +r = +-?[01]\.\d\d {2}top-1% precision [01]\.\d\d\n\n/);
  assert.match(first.stdout, /\n\[ \] depth: constant in this sample\n/);
  assert.match(first.stdout, /\nStrongest cells:\n {2}layer [12] cell \d: .+, r = -?[01]\.\d\d, top-1% precision [01]\.\d\d\n {2}layer/);
  assert.match(first.stderr, /Ranked in [\d.]+ s; cached in .*explorer\.json/);

  const second = charlens('explore', model, source, '--top', '2');
  assert.equal(second.stdout, first.stdout);
  assert.match(second.stderr, /Read from .*explorer\.json/);

  const bad = charlens('explore', model, source, '--chars', '0');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--chars must be a whole number from 1 to 1,000,000,000, got 0/);
});

test('explore --history prints each feature\'s best cell at every snapshot and when each label was learned; a model without snapshots is refused', async (t) => {
  await useWasm();
  const dir = tempDir(t);
  const source = path.join(dir, 'loop.c');
  const text = structuredText(300);
  fs.writeFileSync(source, text);
  const model = path.join(dir, 'model');
  await trainText(text, smallOptions(model, { maxSteps: 6, evalEvery: 2 }));
  const shown = charlens('explore', model, source, '--top', '1', '--history');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /\nLabel scores at each of 3 snapshots \(3 scored now in [\d.]+ s\); each feature's best cell, \* where \|r\| >= 0\.5 and top-1% precision >= 0\.9:\n/);
  for (const step of [2, 4, 6]) {
    assert.match(shown.stdout, new RegExp(`\\nstep ${step} \\(validation \\d\\.\\d{3} bits/char\\):\\n {2}inside string {10}constant in this sample\\n {2}inside comment {9}constant in this sample\\n {2}\\( \\) depth {14}layer 1 cell \\d+ +r = +-?[01]\\.\\d\\d  top-1% precision [01]\\.\\d\\d( \\*)?\\n`));
  }
  assert.equal(shown.stdout.match(/^ {2}\S.{21} layer 1 cell \d+ +r = /gm)!.length, 3 * 5, 'the five features that vary, at each snapshot');
  assert.match(shown.stdout, /\n(learned: .+ at step [246].*|learned: nothing yet past the threshold)\n$/);

  const untrained = path.join(dir, 'untrained');
  const vocabulary = Vocabulary.fromText(text);
  const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 8, layers: 1, dropout: 0 };
  saveCheckpoint(untrained, config, vocabulary, initialWeights(config, new Random(1)));
  const refused = charlens('explore', untrained, source, '--history');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /keeps no history of its weights \(no history\/ folder\)/);
});
