import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { saveCheckpoint } from '../../src/core/model/checkpoint';
import { initialWeights } from '../../src/core/model/lstmInit';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { charlens, structuredText, tempDir } from './helpers';


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
