import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { LabelScoreTable, MAX_SNAPSHOTS, SnapshotScorer, loadSnapshotWeights, readWeightHistory } from '../../../src/core/model/weightHistory';
import { TrainProgress } from '../../../src/core/train/progress';
import { smallOptions, structuredText, tempDir, trainText, useWasm } from '../helpers';

before(useWasm);

const table: LabelScoreTable = { sample: 'fixed', features: ['column'], r: [], precision: [] };
/** A scorer for validations every 2 steps from `firstStep`: "column" passes from step 6 on, "inside comment" from step 10 on. */
const scorerFrom = (firstStep: number): SnapshotScorer => {
  let step = firstStep - 2;
  return async () => {
    step += 2;
    const over = [
      ...(step >= 6 ? [{ feature: 'column', layer: 0, cell: 3, r: 0.7, precision: 0.95 }] : []),
      ...(step >= 10 ? [{ feature: 'insideComment', layer: 0, cell: 5, r: -0.8, precision: 0.99 }] : []),
    ];
    return { scores: table, over };
  };
};

test('training keeps a snapshot at each validation, and a resumed run keeps and extends the series', async (t) => {
  const text = structuredText(200);
  const whole = tempDir(t);
  const parts = tempDir(t);
  const options = { maxSteps: 12, evalEvery: 2 };
  await trainText(text, smallOptions(whole, options));
  await trainText(text, smallOptions(parts, { ...options, maxSteps: 6 }));
  assert.deepEqual(readWeightHistory(parts)!.snapshots.map((s) => s.step), [2, 4, 6]);
  await trainText(text, smallOptions(parts, { ...options, resume: true }));
  const a = readWeightHistory(whole)!;
  const b = readWeightHistory(parts)!;
  assert.deepEqual(b.snapshots.map((s) => s.step), [2, 4, 6, 8, 10, 12], 'the resumed run extends the series');
  assert.deepEqual(b.snapshots.map((s) => s.file), a.snapshots.map((s) => s.file), 'with the same weights as a run without a break');
  assert.deepEqual(loadSnapshotWeights(parts, b.config, b.snapshots[5]), loadSnapshotWeights(whole, a.config, a.snapshots[5]));
  await trainText(text, smallOptions(parts, { ...options, maxSteps: 4 }));
  assert.deepEqual(readWeightHistory(parts)!.snapshots.map((s) => s.step), [2, 4], 'a new run in the folder starts a new series');
});

test('a long run keeps at most 12 snapshots, the first and the latest among them', async (t) => {
  const out = tempDir(t);
  await trainText(structuredText(200), smallOptions(out, { maxSteps: 40, evalEvery: 1 }));
  const steps = readWeightHistory(out)!.snapshots.map((s) => s.step);
  assert.equal(steps.length, MAX_SNAPSHOTS);
  assert.equal(steps[0], 1);
  assert.equal(steps.at(-1), 40);
});

test('each label is dated by the first snapshot that passes, reported with the validation, and kept across a resume', async (t) => {
  const text = structuredText(200);
  const out = tempDir(t);
  const learnedAt = (p: TrainProgress[]) => p.filter((x) => x.kind === 'validation').at(-1)!.learned!.map((l) => `${l.feature}@${l.step}`);
  const first: TrainProgress[] = [];
  await trainText(text, smallOptions(out, { maxSteps: 8, evalEvery: 2 }), { scoreSnapshot: scorerFrom(2), onProgress: (p) => first.push(p) });
  assert.deepEqual(learnedAt(first), ['column@6']);
  const second: TrainProgress[] = [];
  await trainText(text, smallOptions(out, { maxSteps: 12, evalEvery: 2, resume: true }), { scoreSnapshot: scorerFrom(10), onProgress: (p) => second.push(p) });
  assert.deepEqual(learnedAt(second), ['column@6', 'insideComment@10'], 'the first date stays; the new label gets its own');
  const history = readWeightHistory(out)!;
  assert.deepEqual(history.learned.map((l) => l.step), [6, 10]);
  assert.equal(history.snapshots[0].scores?.sample, 'fixed', 'the scores are kept with each snapshot');
});
