import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, test } from 'node:test';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { LstmState } from '../../src/core/inference';
import { Random } from '../../src/core/random';

import { Vocabulary } from '../../src/core/vocabulary';
import { codeFeatures } from '../../src/core/explorer/codeFeatures';
import { explore } from '../../src/core/explorer/explore';
import { EXPLORER_FILE, readExplorerCache, weightsFingerprint, writeExplorerCache } from '../../src/core/explorer/explorerCache';
import { explorerSample } from '../../src/core/explorer/explorerSample';
import { CorrelationAccumulator, NeuronRanking, SteppingModel, describeCell, rankNeurons } from '../../src/core/explorer/neuronRanking';
import { smallOptions, tempDir, trainText, useWasm } from './helpers';

before(useWasm);

/**
 * Code in which about half the characters sit in strings of up to 30 random
 * letters, so that what comes next depends on whether a quote is open.
 */
function quotedCode(lines: number, seed: number): string {
  const rng = new Random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
  const name = () => pick(['a', 'b', 'x', 'f']);
  const words = () => Array.from({ length: 1 + Math.floor(rng.next() * 30) }, () => pick([...'abcdefghijk '])).join('');
  let out = '';
  for (let i = 0; i < lines; i++) {
    const r = rng.next();
    if (r < 0.35) out += `${name()} = "${words()}";\n`;
    else if (r < 0.7) out += `${name()}(${name()}, "${words()}");\n`;
    else if (r < 0.85) out += `${name()} = ${name()}(${name()});\n`;
    else out += `if (${name()} < ${name()}) ${name()} = ${name()};\n`;
  }
  return out;
}

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

/** A stand-in model whose layer 1 cell 2 is a quote flip-flop and layer 0 cell 3 counts open parentheses; every other cell is noise. */
function plantedModel(vocabulary: Vocabulary): SteppingModel {
  const config = { vocabSize: vocabulary.size, embeddingSize: 1, hiddenSize: 4, layers: 2, dropout: 0 };
  const rng = new Random(5);
  let inside = false;
  let depth = 0;
  return {
    config,
    zeroState: (): LstmState => ({ h: [new Float32Array(4), new Float32Array(4)], c: [new Float32Array(4), new Float32Array(4)] }),
    advance(state: LstmState, id: number): LstmState {
      const ch = vocabulary.symbols[id];
      if (ch === '"') inside = !inside;
      if (!inside) depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      for (const c of state.c) for (let j = 0; j < c.length; j++) c[j] = rng.uniform(-2, 2);
      state.c[1][2] = inside ? 2 : -2;
      state.c[0][3] = 0.5 * depth + 0.05 * rng.next();
      return state;
    },
  };
}

test('the cells planted to track quotes and parentheses rank first; labels number layers from 1', async () => {
  const text = quotedCode(200, 9);
  const vocabulary = Vocabulary.fromText(text);
  const ranking = await rankNeurons(plantedModel(vocabulary), vocabulary, text, codeFeatures(text), { top: 3 });
  const top = (feature: string) => ranking.features.find((f) => f.feature === feature)!.top;
  const [string, paren] = [top('insideString')[0], top('parenDepth')[0]];
  assert.deepEqual([string.layer, string.cell, paren.layer, paren.cell], [1, 2, 0, 3]);
  assert.ok(string.r > 0.9999 && paren.r > 0.95, `r = ${string.r}, ${paren.r}`);
  assert.equal(top('insideString').length, 3);
  assert.deepEqual(top('braceDepth'), [], 'a feature constant over the sample ranks no cell');
  assert.equal(describeCell(ranking.cells[0]), 'layer 2 cell 2: inside string, r = 1.00');
  assert.equal(ranking.cells.length, 8);
  assert.equal(ranking.chars, [...text].length);
});

test('ranking refuses misaligned features and stops when cancelled', async () => {
  const text = quotedCode(200, 9);
  const vocabulary = Vocabulary.fromText(text);
  await assert.rejects(rankNeurons(plantedModel(vocabulary), vocabulary, text + 'x', codeFeatures(text)), /insideString has \d+ values for \d+ characters/);
  await assert.rejects(rankNeurons(plantedModel(vocabulary), vocabulary, text, codeFeatures(text), { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

const someRanking: NeuronRanking = {
  activation: 'tanh(c)',
  chars: 10,
  layers: 1,
  hiddenSize: 2,
  features: [{ feature: 'insideString', top: [{ layer: 0, cell: 1, r: -0.9 }] }],
  cells: [{ layer: 0, cell: 1, feature: 'insideString', r: -0.9 }],
};

test('the cache returns what was written for the same weights and sample, and nothing when stale, missing or corrupt', (t) => {
  const dir = tempDir(t);
  const key = { weights: 'w1', sample: 's1', top: 10 };
  assert.equal(readExplorerCache(dir, key), undefined, 'missing');
  writeExplorerCache(dir, key, someRanking);
  assert.deepEqual(readExplorerCache(dir, key), someRanking);
  assert.equal(readExplorerCache(dir, { ...key, weights: 'w2' }), undefined, 'retrained');
  assert.equal(readExplorerCache(dir, { ...key, sample: 's2' }), undefined, 'another sample');
  assert.equal(readExplorerCache(dir, { ...key, top: 20 }), undefined, 'more cells asked for');
  const file = path.join(dir, EXPLORER_FILE);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 50));
  assert.equal(readExplorerCache(dir, key), undefined, 'truncated');
  fs.writeFileSync(file, JSON.stringify({ version: 1, key, ranking: { features: 'no' } }));
  assert.equal(readExplorerCache(dir, key), undefined, 'wrong shape');
  assert.deepEqual(fs.readdirSync(dir), [EXPLORER_FILE], 'no temp files left behind');
});

test('a model trained on quoted code grows a cell that the explorer ranks first for "inside string"; results are cached until the weights change', async (t) => {
  const seed = 1;
  const text = quotedCode(1500, seed);
  const out = tempDir(t);
  await trainText(text, smallOptions(out, { seqLength: 64, batchSize: 16, maxSteps: 300, evalEvery: 300, valFrac: 0.05, lr: 0.01, seed }));
  const model = loadCheckpoint(out);
  const sample = explorerSample([{ path: 'held-out.c', text: quotedCode(300, seed + 1000) }]);

  const first = await explore(model, sample);
  const best = first.ranking.features.find((f) => f.feature === 'insideString')!.top[0];
  assert.ok(Math.abs(best.r) > 0.8, `the best string cell, layer ${best.layer} cell ${best.cell}, has r = ${best.r}`);
  const labelled = first.ranking.cells.find((c) => c.layer === best.layer && c.cell === best.cell)!;
  assert.match(describeCell(labelled), /: inside string, r = -?[01]\.\d\d$/);
  assert.equal(first.fromCache, false);
  assert.ok(fs.existsSync(path.join(out, EXPLORER_FILE)));

  const again = await explore(model, sample);
  assert.equal(again.fromCache, true);
  assert.deepEqual(again.ranking, first.ranking);

  const retrained = new Map([...model.weights].map(([name, w]) => [name, w.map((v) => v * 0.5)]));
  saveCheckpoint(out, model.config, model.vocabulary, retrained);
  const reloaded = loadCheckpoint(out);
  assert.notEqual(weightsFingerprint(reloaded.weights), weightsFingerprint(model.weights));
  assert.equal((await explore(reloaded, sample)).fromCache, false, 'a retrained model never reads the old results');
});
