import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, test } from 'node:test';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/model/checkpoint';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { codeFeatures } from '../../src/core/explorer/codeFeatures';
import { explore } from '../../src/core/explorer/explore';
import { EXPLORER_FILE, EXPLORER_STATES_FILE, readExplorerCache, writeExplorerCache } from '../../src/core/explorer/explorerCache';
import { explorerSample } from '../../src/core/explorer/explorerSample';
import { CorrelationAccumulator, describeCell } from '../../src/core/explorer/neuronRanking';
import { ExplorerPass, passOverSample } from '../../src/core/explorer/samplePass';
import { tempDir, useWasm } from './helpers';
import { plantedModel, quotedCode, trainQuotedModel } from './quotedCode';

before(useWasm);

test('correlations from running sums match Pearson r, and are NaN where a side is constant', () => {
  const xs = [[1, 2, 3, 4, 5], [0.3, -0.1, 0.9, 0.2, -0.5]];
  const ys = [[2, 4, 6, 8, 10], [5, 4, 3, 2, 1], [7, 7, 7, 7, 7], [1, 0, 1, 1, 0]];
  const acc = new CorrelationAccumulator(xs.length, ys.length);
  for (let n = 0; n < 5; n++) acc.add(xs.map((x) => x[n]), ys.map((y) => y[n]));
  const r = acc.correlations();
  const pearson = (a: number[], b: number[]) => {
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const [ma, mb] = [mean(a), mean(b)];
    const dot = (u: number[], mu: number, v: number[], mv: number) => u.reduce((s, x, i) => s + (x - mu) * (v[i] - mv), 0);
    return dot(a, ma, b, mb) / Math.sqrt(dot(a, ma, a, ma) * dot(b, mb, b, mb));
  };
  xs.forEach((x, i) =>
    ys.forEach((y, j) => {
      if (j === 2) assert.ok(Number.isNaN(r[i * 4 + j]));
      else assert.ok(Math.abs(r[i * 4 + j] - pearson(x, y)) < 1e-9, `x${i} y${j}: ${r[i * 4 + j]} vs ${pearson(x, y)}`);
    }),
  );
});

test('the cells planted to track quotes and parentheses rank first; labels number layers from 1', async () => {
  const text = quotedCode(200, 9);
  const vocabulary = Vocabulary.fromText(text);
  const { ranking } = await passOverSample(plantedModel(vocabulary), vocabulary, text, codeFeatures(text), { top: 3 });
  const top = (feature: string) => ranking.features.find((f) => f.feature === feature)!.top;
  const [string, paren] = [top('insideString')[0], top('parenDepth')[0]];
  assert.deepEqual([string.layer, string.cell, paren.layer, paren.cell], [1, 2, 0, 3]);
  assert.ok(string.r > 0.9999 && paren.r > 0.95, `r = ${string.r}, ${paren.r}`);
  assert.equal(top('insideString').length, 3);
  assert.deepEqual(top('braceDepth'), [], 'a feature constant over the sample ranks no cell');
  assert.equal(describeCell(ranking.cells[0]), 'layer 2 cell 2: inside string, r = 1.00, top-1% precision 1.00');
  assert.equal(ranking.cells.length, 8);
  assert.equal(ranking.chars, [...text].length);
});

test('ranking refuses misaligned features and stops when cancelled', async () => {
  const text = quotedCode(200, 9);
  const vocabulary = Vocabulary.fromText(text);
  await assert.rejects(passOverSample(plantedModel(vocabulary), vocabulary, text + 'x', codeFeatures(text)), /insideString has \d+ values for \d+ characters/);
  await assert.rejects(passOverSample(plantedModel(vocabulary), vocabulary, text, codeFeatures(text), { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

const someRanking: ExplorerPass = {
  ranking: {
    activation: 'tanh(c)',
    chars: 10,
    layers: 1,
    hiddenSize: 2,
    features: [{ feature: 'insideString', top: [{ layer: 0, cell: 1, r: -0.9, precision: 0.5 }], baseRate: 0.4 }],
    cells: [{ layer: 0, cell: 1, feature: 'insideString', r: -0.9, precision: 0.5 }],
  },
  firing: [
    { layer: 0, cell: 0, mean: 0, highest: [], lowest: [], quantiles: [] },
    { layer: 0, cell: 1, mean: 0.1, highest: [{ at: 3, value: 0.9 }], lowest: [], quantiles: [{ q: 0.5, at: 2, value: 0.1 }] },
  ],
  states: { interval: 128, width: 4, data: Float32Array.from([1, 2, 3, 4]) },
};

test('the cache returns what was written for the same weights and sample, and nothing when stale, missing or corrupt', (t) => {
  const dir = tempDir(t);
  const key = { weights: '0123456789abcdef', sample: 's1', top: 10 };
  const shape = { layers: 1, hiddenSize: 2 };
  const heard: string[] = [];
  const read = (k = key) => readExplorerCache(dir, k, shape, (why) => heard.push(why));
  assert.equal(read(), undefined, 'missing');
  writeExplorerCache(dir, key, someRanking);
  assert.deepEqual(read(), someRanking);
  assert.equal(read({ ...key, sample: 's2' }), undefined, 'another sample');
  assert.equal(read({ ...key, top: 20 }), undefined, 'more cells asked for');
  assert.equal(heard.length, 0, 'another sample or size is no fault of the cache');
  assert.equal(read({ ...key, weights: 'fedcba9876543210' }), undefined, 'retrained');
  assert.match(heard.pop()!, /explorer\.json belongs to other weights \(0123456789abcdef\) than the model's \(fedcba9876543210\)/);
  assert.equal(readExplorerCache(dir, key, { layers: 2, hiddenSize: 2 }, (why) => heard.push(why)), undefined, 'another shape');
  assert.match(heard.pop()!, /ranking is of a 1x2 model, not 2x2/);
  const file = path.join(dir, EXPLORER_FILE);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 50));
  assert.equal(read(), undefined, 'truncated');
  assert.match(heard.pop()!, /explorer\.json is damaged \(not JSON/);
  writeExplorerCache(dir, key, someRanking);
  fs.writeFileSync(path.join(dir, EXPLORER_STATES_FILE), new Uint8Array(16));
  assert.equal(read(), undefined, 'states from another pass');
  assert.match(heard.pop()!, /explorer\.states\.bin is not a CharLens model file/);
  assert.deepEqual(fs.readdirSync(dir).sort(), [EXPLORER_FILE, EXPLORER_STATES_FILE], 'no temp files left behind');
});

test('a model trained on quoted code grows a cell that the explorer ranks first for "inside string"; results are cached until the weights change', async (t) => {
  const seed = 1;
  const out = tempDir(t);
  await trainQuotedModel(out, seed);
  const model = loadCheckpoint(out);
  const sample = explorerSample([{ path: 'held-out.c', text: quotedCode(300, seed + 1000) }]);

  const first = await explore(model, sample);
  const best = first.ranking.features.find((f) => f.feature === 'insideString')!.top[0];
  assert.ok(Math.abs(best.r) > 0.8, `the best string cell, layer ${best.layer} cell ${best.cell}, has r = ${best.r}`);
  const labelled = first.ranking.cells.find((c) => c.layer === best.layer && c.cell === best.cell)!;
  assert.match(describeCell(labelled), /: inside string, r = -?[01]\.\d\d, top-1% precision [01]\.\d\d$/);
  assert.equal(first.fromCache, false);
  assert.ok(fs.existsSync(path.join(out, EXPLORER_FILE)));

  const again = await explore(model, sample);
  assert.equal(again.fromCache, true);
  assert.deepEqual(again.ranking, first.ranking);
  assert.deepEqual(again.firing, first.firing);
  assert.deepEqual(again.states, first.states);

  const retrained = new Map([...model.weights].map(([name, w]) => [name, w.map((v) => v * 0.5)]));
  saveCheckpoint(out, model.config, model.vocabulary, retrained);
  const reloaded = loadCheckpoint(out);
  assert.notEqual(reloaded.fingerprint, model.fingerprint);
  assert.equal((await explore(reloaded, sample)).fromCache, false, 'a retrained model never reads the old results');
});
