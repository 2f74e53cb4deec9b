// Does this cell matter: the clamping hook of InferenceModel.advance, the
// validation text cut as the trainer cut it, and on a model trained in the
// test whose string cell is known, clamping that cell costs more inside
// strings than outside; a long text is read as a fixed sample of windows,
// with progress; where the completions part, each run's two likeliest
// characters.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { splitIds, storedSplit } from '../../../src/core/text/batches';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { readCorpus } from '../../../src/core/text/corpus';
import { InferenceModel } from '../../../src/core/model/inference';
import { CLAMP_WINDOWS, MeasuredText, SCORED_CHARS, WARMUP_CHARS, clampEffect, clampWindows, measuredText } from '../../../src/core/explorer/clampEffect';
import { codeFeatures } from '../../../src/core/explorer/codeFeatures';
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

test('a text longer than the sample is read as windows spread over it, each from the zero state after a warm-up; a short one whole', () => {
  assert.deepEqual(clampWindows(5000), [{ from: 0, scoreFrom: 1, to: 5000 }]);
  assert.deepEqual(clampWindows(1), []);
  const length = 183_620;
  const windows = clampWindows(length);
  assert.equal(windows.length, CLAMP_WINDOWS);
  for (const [k, w] of windows.entries()) {
    assert.equal(w.scoreFrom - w.from, WARMUP_CHARS);
    assert.equal(w.to - w.scoreFrom, SCORED_CHARS);
    if (k > 0) assert.ok(w.from >= windows[k - 1].to, 'no two overlap');
  }
  // Spread over the whole text: the first at its start, the last in its final eighth.
  assert.equal(windows[0].from, 0);
  assert.ok(windows[CLAMP_WINDOWS - 1].from >= (length * (CLAMP_WINDOWS - 1)) / CLAMP_WINDOWS - CLAMP_WINDOWS && windows[CLAMP_WINDOWS - 1].to <= length);
});

test('on a long text the clamp scores the fixed sample only, reports its progress, and as trained gives the loss of those windows', async () => {
  const checkpoint = loadCheckpoint(trained());
  const model = InferenceModel.of(checkpoint);
  const text = quotedCode(4000, 2);
  const measured: MeasuredText = { kind: 'sample', text, features: codeFeatures(text) };
  const progress: Array<[number, number]> = [];
  const effect = await clampEffect(model, checkpoint.vocabulary, measured, { layer: 0, index: 3, meanTanh: 0.2, feature: 'insideString', onProgress: (chars, of) => progress.push([chars, of]) });
  const windows = clampWindows(Array.from(text).length);
  assert.equal(effect.windows, CLAMP_WINDOWS);
  assert.equal(effect.textChars, Array.from(text).length);
  assert.equal(effect.chars, CLAMP_WINDOWS * SCORED_CHARS);
  const of = CLAMP_WINDOWS * (WARMUP_CHARS + SCORED_CHARS);
  assert.ok(progress.length > 10 && progress.every(([chars, total], k) => total === of && (k === 0 || chars >= progress[k - 1][0])));
  assert.deepEqual(progress[progress.length - 1], [of, of]);
  // As trained: each window read from the zero state, its characters after the warm-up scored.
  const ids = checkpoint.vocabulary.encode(text);
  let nats = 0;
  for (const w of windows) {
    const state = model.zeroState();
    for (let i = w.from; i + 1 < w.to; i++) {
      model.advance(state, ids[i]);
      if (i + 1 >= w.scoreFrom) nats -= Math.log(model.probabilities(state)[ids[i + 1]]);
    }
  }
  assert.ok(Math.abs(effect.runs[0].bitsPerChar - nats / effect.chars / Math.LN2) < 1e-9, `${effect.runs[0].bitsPerChar}`);
});

test('where the completions part, they agree before it and each run picked the likelier of its two likeliest characters there', async () => {
  const checkpoint = loadCheckpoint(trained());
  const model = InferenceModel.of(checkpoint);
  const text = quotedCode(200, 3);
  const measured: MeasuredText = { kind: 'sample', text, features: codeFeatures(text) };
  let parted = 0;
  // Cells in turn until the completions part under a clamp.
  for (let index = 0; index < checkpoint.config.hiddenSize && parted === 0; index++) {
    const { completion } = await clampEffect(model, checkpoint.vocabulary, measured, { layer: 0, index, meanTanh: 0.9, feature: 'insideString' });
    const texts = completion.texts.map((t) => Array.from(t));
    const { parting } = completion;
    if (!parting) {
      assert.ok(texts.every((t) => t.join('') === texts[0].join('')), `cell ${index}: no parting, yet the completions differ`);
      continue;
    }
    parted++;
    for (const t of texts) assert.deepEqual(t.slice(0, parting.at), texts[0].slice(0, parting.at));
    assert.ok(texts.some((t) => t[parting.at] !== texts[0][parting.at]));
    parting.choices.forEach((c, k) => {
      assert.equal(c.first.char, texts[k][parting.at]);
      assert.ok(c.first.probability >= c.second.probability && c.second.char !== c.first.char);
    });
  }
  assert.ok(parted > 0, 'some cell held at 0 or at 0.9 changes the completion');
});
