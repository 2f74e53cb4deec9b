import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { InferenceModel } from '../../../src/core/model/inference';
import { loadSnapshotWeights, readWeightHistory } from '../../../src/core/model/weightHistory';
import { explorerSample } from '../../../src/core/explorer/explorerSample';
import { LINE_CONTEXT, bestCells, cellLabelHistory, describeLearned, labelScores, lineActivations, sampleScorer, scoredHistory } from '../../../src/core/explorer/labelHistory';
import { isLearned } from '../../../src/core/explorer/neuronRanking';
import { passOverSample } from '../../../src/core/explorer/samplePass';
import { smallOptions, tempDir, trainText, useWasm } from '../helpers';
import { quotedCode } from '../quotedCode';

test('a model trained on quoted code learns its string cell during training: the snapshots date it, with the explorer\'s own scores', async (t) => {
  await useWasm();
  const out = tempDir(t);
  const sample = explorerSample([{ path: 'quoted.js', text: quotedCode(400, 9) }]);
  const text = quotedCode(1500, 1);
  await trainText(text, smallOptions(out, { seqLength: 64, batchSize: 16, maxSteps: 300, evalEvery: 50, valFrac: 0.05, lr: 0.01, split: 'tail' }), { scoreSnapshot: sampleScorer(sample) });
  const model = loadCheckpoint(out);
  const history = readWeightHistory(out)!;
  assert.deepEqual(history.snapshots.map((s) => s.step), [50, 100, 150, 200, 250, 300]);

  const string = history.learned.find((l) => l.feature === 'insideString');
  assert.ok(string, `the string label is learned during training: ${describeLearned(history.learned)}`);
  const first = history.snapshots.find((s) => bestCells(s.scores!, model.config.hiddenSize).some((c) => c.feature === 'insideString' && isLearned(c)))!;
  assert.equal(string.step, first.step, 'dated by the first snapshot where a cell passes');
  assert.ok(Math.abs(history.snapshots[0].scores!.r[0]) <= 1);

  // The scores kept with a snapshot are the explorer's, on its weights and the same sample.
  const last = history.snapshots.at(-1)!;
  const snapshotModel = new InferenceModel(history.config, loadSnapshotWeights(out, history.config, last));
  const pass = await passOverSample(snapshotModel, model.vocabulary, sample.text, sample.features);
  for (const ranked of pass.ranking.features.find((f) => f.feature === 'insideString')!.top.slice(0, 3)) {
    const row = cellLabelHistory([{ step: last.step, table: last.scores! }], ranked.layer, ranked.cell, model.config.hiddenSize, 'insideString').points[0];
    assert.ok(Math.abs(row.r - ranked.r) < 1e-3 && Math.abs(row.precision! - ranked.precision!) < 1e-3, `layer ${ranked.layer + 1} cell ${ranked.cell}: ${JSON.stringify(row)} against ${JSON.stringify(ranked)}`);
  }

  // Asked on the sample training scored: read, not computed; on another sample: computed, the same way.
  const same = (await scoredHistory(model, sample))!;
  assert.equal(same.computed, 0);
  const other = explorerSample([{ path: 'other.js', text: quotedCode(200, 4) }]);
  const again = (await scoredHistory(model, other))!;
  assert.equal(again.computed, 6);
  assert.deepEqual(again.snapshots.at(-1)!.table, await labelScores(snapshotModel, model.vocabulary, other));

  // A cell on a line at the first and the last snapshot: read from LINE_CONTEXT characters before it, so what lies further back changes nothing.
  const line = 'x = "abc def";\n';
  const { layer, cell } = pass.ranking.features.find((f) => f.feature === 'insideString')!.top[0];
  const before = text.slice(0, 3000);
  const strip = (m: InferenceModel, prefix: string) => lineActivations(m, model.vocabulary, prefix + line, prefix.length, prefix.length + line.length, layer, cell);
  const firstModel = new InferenceModel(history.config, loadSnapshotWeights(out, history.config, history.snapshots[0]));
  const late = strip(snapshotModel, before);
  assert.equal(late.length, line.length);
  assert.ok(late.every((a) => a >= -1 && a <= 1));
  assert.deepEqual(strip(snapshotModel, 'int y;\n'.repeat(100) + before.slice(-LINE_CONTEXT)), late, 'only the LINE_CONTEXT characters before the line count');
  assert.notDeepEqual(strip(snapshotModel, before.slice(-3)), late, 'and the characters just before do');
  assert.notDeepEqual(strip(firstModel, before), late, 'the cell reads the line differently as it trains');
});

test('the learned line names each label at its step, in the order learned', () => {
  assert.equal(describeLearned([]), '');
  assert.equal(
    describeLearned([
      { feature: 'braceDepth', step: 2400, layer: 0, cell: 1, r: 0.6, precision: 0.95 },
      { feature: 'toLineEnd', step: 300, layer: 0, cell: 2, r: 0.6, precision: 0.95 },
      { feature: 'insideComment', step: 1100, layer: 0, cell: 3, r: -0.9, precision: 0.99 },
    ]),
    'learned: distance to line end at step 300, inside comment at step 1,100, { } depth at step 2,400',
  );
});
