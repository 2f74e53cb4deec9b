// Does this cell matter: the clamping hook of InferenceModel.advance, the
// validation text cut as the trainer cut it, and on a model trained in the
// test whose string cell is known, clamping that cell costs more inside
// strings than outside.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { splitIds, storedSplit } from '../../../src/core/text/batches';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { readCorpus } from '../../../src/core/text/corpus';
import { InferenceModel } from '../../../src/core/model/inference';
import { clampEffect, measuredText } from '../../../src/core/explorer/clampEffect';
import { explore } from '../../../src/core/explorer/explore';
import { corpusFiles, explorerSample } from '../../../src/core/explorer/explorerSample';
import { tempDir } from '../helpers';
import { quotedCode, useTrainedQuotedModel } from '../quotedCode';

const trained = useTrainedQuotedModel();

test('a clamped cell holds its c after every step and its h follows from the output gate; an empty hook changes nothing', () => {
  const checkpoint = loadCheckpoint(trained());
  const model = InferenceModel.of(checkpoint);
  const ids = checkpoint.vocabulary.encode('a = "bad";\n');
  const [plain, empty, clamped] = [model.zeroState(), model.zeroState(), model.zeroState()];
  for (const id of ids) {
    const before = model.cloneState(clamped);
    model.advance(plain, id);
    model.advance(empty, id, {});
    model.advance(clamped, id, { clamp: { layer: 0, index: 3, c: 0.7 } });
    assert.deepEqual(empty, plain);
    assert.equal(clamped.c[0][3], Math.fround(0.7));
    // The output gate the step computed, read back from an unclamped step from the same state.
    const free = model.advance(model.cloneState(before), id);
    const o = free.h[0][3] / Math.tanh(free.c[0][3]);
    assert.ok(Math.abs(clamped.h[0][3] - o * Math.tanh(0.7)) < 1e-5);
  }
});

test("clamping the trained model's string cell raises the loss inside strings more than outside, measured on its validation split", async (t) => {
  const folder = tempDir(t);
  // trainQuotedModel trained on quotedCode(1500, 1) as one file: the same text read as a corpus is the one it split.
  fs.writeFileSync(path.join(folder, 'a.c'), quotedCode(1500, 1));
  const checkpoint = loadCheckpoint(trained());
  const corpus = readCorpus(folder);
  const sample = explorerSample(corpusFiles(corpus));
  const pass = await explore(checkpoint, sample);
  const cell = pass.ranking.features.find((f) => f.feature === 'insideString')!.top[0];
  assert.ok(Math.abs(cell.r) > 0.8, `layer ${cell.layer} cell ${cell.cell}: r = ${cell.r}`);

  const measured = measuredText(checkpoint, corpus, () => sample);
  assert.equal(measured.kind, 'validation');
  const ids = checkpoint.vocabulary.encode(corpus.text);
  const val = splitIds(ids, storedSplit(checkpoint.metadata.training, corpus.report.files.map((f) => f.chars)));
  assert.equal(measured.text, Array.from(val.val, (id) => checkpoint.vocabulary.symbols[id]).join(''));
  assert.equal(measured.features.insideString.length, val.val.length);
  assert.equal(measured.training, Array.from(val.train, (id) => checkpoint.vocabulary.symbols[id]).join(''));

  const meanTanh = pass.firing[cell.layer * checkpoint.config.hiddenSize + cell.cell].mean;
  const effect = await clampEffect(InferenceModel.of(checkpoint), checkpoint.vocabulary, measured, { layer: cell.layer, index: cell.cell, meanTanh, feature: 'insideString' });
  assert.deepEqual(effect.runs.map((r) => r.clamp), ['none', 'zero', 'mean']);
  assert.ok(effect.featureChars > 0.3 * effect.chars && effect.featureChars < 0.7 * effect.chars);
  const [none, zero, mean] = effect.runs;
  const rise = (r: typeof none) => ({ inside: r.featureBitsPerChar! - none.featureBitsPerChar!, outside: r.otherBitsPerChar! - none.otherBitsPerChar! });
  const shown = effect.runs.map((r) => `${r.clamp}: ${r.featureBitsPerChar!.toFixed(3)} inside, ${r.otherBitsPerChar!.toFixed(3)} outside`).join('; ');
  // The cell is one of several that know a quote is open, so the rise is small, but it is where the cell's feature is.
  for (const r of [zero, mean]) {
    const { inside, outside } = rise(r);
    assert.ok(inside > 0.01 && inside > 3 * Math.abs(outside), shown);
  }
  // Overall is the two parts weighted by their characters.
  const weighted = (none.featureBitsPerChar! * effect.featureChars + none.otherBitsPerChar! * (effect.chars - effect.featureChars)) / effect.chars;
  assert.ok(Math.abs(weighted - none.bitsPerChar) < 1e-9);
  assert.equal(effect.completion.texts.length, 3);
  assert.ok(effect.completion.prime.endsWith('"'), 'the prime ends where a string opens');

  // A corpus other than the one trained on has no known held-out part: the explorer's sample stands in.
  fs.appendFileSync(path.join(folder, 'a.c'), 'x = 1;\n');
  assert.equal(measuredText(checkpoint, readCorpus(folder), () => sample).kind, 'sample');
});
