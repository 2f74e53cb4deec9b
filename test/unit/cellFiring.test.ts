// Where a cell fires (highest, lowest and quantile snippets) and the precision
// at a cell's top 1%, on a planted model (checked against a direct count) and
// on a model trained in the test whose string cell is known.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { InferenceModel, LstmState } from '../../src/core/model/inference';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { BINS } from '../../src/core/explorer/activationSketch';
import { SNIPPET_AFTER, SNIPPET_BEFORE, cellSnippets } from '../../src/core/explorer/cellSnippets';
import { FEATURE_NAMES, codeFeatures } from '../../src/core/explorer/codeFeatures';
import { explore } from '../../src/core/explorer/explore';
import { explorerSample } from '../../src/core/explorer/explorerSample';
import { QUANTILES, featureThresholds, passOverSample } from '../../src/core/explorer/samplePass';
import { tempDir, useWasm } from './helpers';
import { plantedModel, quotedCode, trainQuotedModel } from './quotedCode';

before(useWasm);

test('precision at the top 1%, quantiles and means match a direct count over every activation', async () => {
  const text = quotedCode(300, 4);
  const vocabulary = Vocabulary.fromText(text);
  const planted = plantedModel(vocabulary);
  const seen: number[][] = [];
  const model = {
    ...planted,
    advance(state: LstmState, id: number) {
      planted.advance(state, id);
      seen.push(state.c.flatMap((c) => Array.from(c, Math.tanh)));
      return state;
    },
  };
  const features = codeFeatures(text);
  const { ranking, firing } = await passOverSample(model, vocabulary, text, features);
  const thresholds = featureThresholds(features);
  const n = seen.length;
  for (const c of ranking.cells) {
    const k = c.layer * 4 + c.cell;
    const values = seen.map((x, i) => ({ x: x[k], on: features[c.feature][i] > thresholds[c.feature] }));
    values.sort((a, b) => (c.r > 0 ? b.x - a.x : a.x - b.x));
    const top = values.slice(0, Math.round(n / 100));
    const direct = top.filter((v) => v.on).length / top.length;
    assert.ok(Math.abs(c.precision! - direct) < 0.05, `layer ${c.layer} cell ${c.cell}: ${c.precision} vs ${direct}`);
    const sorted = seen.map((x) => x[k]).sort((a, b) => a - b);
    const f = firing[k];
    assert.ok(Math.abs(f.mean - sorted.reduce((s, v) => s + v, 0) / n) < 1e-9);
    for (const q of f.quantiles) {
      assert.ok(Math.abs(q.value - sorted[Math.min(n - 1, Math.floor(q.q * n))]) <= 2 / BINS + 1e-6, `quantile ${q.q}`);
      assert.equal(q.value, Math.fround(seen[q.at][k]), 'the example is a character with that value');
    }
    assert.deepEqual(f.quantiles.map((q) => q.q), QUANTILES);
    assert.equal(f.highest[0].value, Math.fround(sorted[n - 1]), 'the highest place is the maximum');
    assert.equal(f.lowest[0].value, Math.fround(sorted[0]));
  }
  const string = ranking.cells.find((c) => c.layer === 1 && c.cell === 2)!;
  assert.equal(string.precision, 1, 'the planted quote cell is inside a string at every one of its top 1%');
  const base = ranking.features.find((f) => f.feature === 'insideString')!.baseRate;
  assert.ok(Math.abs(base - features.insideString.reduce((s, v) => s + v, 0) / n) < 1e-9);
  assert.equal(FEATURE_NAMES.length, ranking.features.length);
});

test("a trained model's string cell fires inside strings: its strongest snippets are in strings, at their file's line and column, and re-read exactly", async (t) => {
  const out = tempDir(t);
  await trainQuotedModel(out);
  const checkpoint = loadCheckpoint(out);
  const files = [
    { path: 'a.c', text: quotedCode(150, 2001) },
    { path: 'src/b.c', text: quotedCode(150, 2002) },
  ];
  const sample = explorerSample(files);
  const pass = await explore(checkpoint, sample);
  const best = pass.ranking.features.find((f) => f.feature === 'insideString')!.top[0];
  assert.ok(Math.abs(best.r) > 0.8 && best.precision! > 0.9, `layer ${best.layer} cell ${best.cell}: r = ${best.r}, precision ${best.precision}`);
  const firing = pass.firing[best.layer * checkpoint.config.hiddenSize + best.cell];
  const chars = Array.from(sample.text);
  const snippets = cellSnippets(InferenceModel.of(checkpoint), checkpoint.vocabulary, { chars, parts: sample.parts, pass }, firing);
  const strongest = snippets.filter((s) => s.kind === (best.r > 0 ? 'highest' : 'lowest'));
  assert.equal(strongest.length, 8);
  assert.deepEqual(new Set(strongest.map((s) => s.path)), new Set(['a.c', 'src/b.c']), 'the strongest places are spread over both files');
  const candidates = firing[best.r > 0 ? 'highest' : 'lowest'];
  const inside = candidates.slice(0, 8).filter((p) => sample.features.insideString[p.at] === 1);
  assert.ok(inside.length >= 7, `${inside.length} of 8 strongest places are inside strings`);
  for (const s of snippets) {
    assert.ok(Math.abs(s.activations[s.focus] - s.value) < 1e-5, 'the window re-read from the saved state gives the value the pass saw');
    const line = files.find((f) => f.path === s.path)!.text.split('\n')[s.line];
    assert.equal(line[s.column] ?? '\n', s.chars[s.focus], `${s.path}:${s.line + 1}:${s.column + 1}`);
  }
  // A quantile is left out only where its snippet would show the place of one listed before it.
  const listed = snippets.filter((s) => s.kind === 'quantile').map((s) => s.quantile!);
  assert.deepEqual(listed, QUANTILES.filter((q) => listed.includes(q)));
  const placeOf = new Map(firing.quantiles.map((p) => [p.q, p.at]));
  for (const q of QUANTILES.filter((q) => !listed.includes(q))) {
    assert.ok(listed.some((l) => Math.abs(placeOf.get(l)! - placeOf.get(q)!) < SNIPPET_BEFORE + SNIPPET_AFTER + 1), `the ${q} quantile shows another's place`);
  }
});
