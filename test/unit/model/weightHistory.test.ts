import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { parameterCount } from '../../../src/core/model/modelConfig';
import { CheckpointError } from '../../../src/core/model/modelJson';
import {
  HISTORY_FILE,
  MAX_SNAPSHOTS,
  WeightHistory,
  addSnapshot,
  fromHalves,
  historyDir,
  loadSnapshotWeights,
  readWeightHistory,
  snapshotToDrop,
  snapshotWeights,
  startWeightHistory,
  toHalves,
} from '../../../src/core/model/weightHistory';
import { Random } from '../../../src/core/random';
import { tempDir } from '../helpers';

const config = { vocabSize: 20, embeddingSize: 4, hiddenSize: 8, layers: 2, dropout: 0 };

test('float16 keeps weights to 1 part in 2,048, rounds to nearest even, and clamps what it cannot hold', () => {
  const rng = new Random(3);
  const values = Float32Array.from({ length: 5000 }, () => rng.uniform(-4, 4) * 10 ** Math.floor(rng.uniform(-6, 2)));
  const back = fromHalves(toHalves(values));
  values.forEach((v, i) => assert.ok(Math.abs(back[i] - v) <= Math.max(Math.abs(v) / 2048, 2 ** -25), `${v} came back as ${back[i]}`));
  assert.deepEqual(Array.from(fromHalves(toHalves(Float32Array.of(1, -2.5, 0.0009765625, 65504, 0)))), [1, -2.5, 0.0009765625, 65504, 0]);
  // 1 + 1/2048 lies halfway between 1 and 1 + 1/1024: it goes to the even one, 1.
  assert.equal(fromHalves(toHalves(Float32Array.of(1 + 1 / 2048)))[0], 1);
  assert.equal(fromHalves(toHalves(Float32Array.of(1e6)))[0], 65504);
});

test('the series keeps at most 12 snapshots, spread over the run, and removes the files it drops', (t) => {
  const dir = tempDir(t);
  let history: WeightHistory = startWeightHistory(dir, config);
  for (let step = 10; step <= 400; step += 10) {
    const weights = snapshotWeights(config, initialWeights(config, new Random(step)));
    history = addSnapshot(dir, history, weights, { step, valLoss: 1 / step }, []);
    assert.ok(history.snapshots.length <= MAX_SNAPSHOTS);
  }
  const steps = history.snapshots.map((s) => s.step);
  assert.equal(steps.length, MAX_SNAPSHOTS);
  assert.equal(steps[0], 10, 'the first snapshot stays');
  assert.equal(steps.at(-1), 400, 'the latest snapshot stays');
  const gaps = steps.slice(1).map((s, i) => s - steps[i]);
  assert.ok(Math.max(...gaps) <= 4 * Math.min(...gaps), `spread over the run: gaps ${gaps}`);
  const files = fs.readdirSync(historyDir(dir)).sort();
  assert.deepEqual(files, [HISTORY_FILE, ...history.snapshots.map((s) => s.file)].sort(), 'only what history.json names is kept');
  const bytes = files.filter((f) => f !== HISTORY_FILE).reduce((n, f) => n + fs.statSync(path.join(historyDir(dir), f)).size, 0);
  assert.equal(bytes, MAX_SNAPSHOTS * 2 * parameterCount(config), 'the bound: 12 x 2 bytes x parameters');
  const last = history.snapshots.at(-1)!;
  const expected = snapshotWeights(config, initialWeights(config, new Random(400)));
  for (const [name, values] of loadSnapshotWeights(dir, config, last)) assert.deepEqual(values, expected.get(name), `${name} as snapshotted`);
  assert.deepEqual(readWeightHistory(dir), history, 'history.json says what the series holds');
});

test('thinning drops the inner snapshot whose neighbours are closest', () => {
  assert.equal(snapshotToDrop([0, 10, 20, 25, 40]), 2);
  assert.equal(snapshotToDrop([0, 1, 2, 3]), 1);
});

test('a resumed series keeps the snapshots up to its step; another model starts afresh, replacing the old series at its first snapshot', (t) => {
  const dir = tempDir(t);
  let history = startWeightHistory(dir, config);
  for (const step of [2, 4, 6]) history = addSnapshot(dir, history, snapshotWeights(config, initialWeights(config, new Random(step))), { step }, [{ feature: 'column', step: 4, layer: 0, cell: 1, r: 0.6, precision: 0.95 }].filter((l) => l.step <= step));
  const resumed = startWeightHistory(dir, config, 4);
  assert.deepEqual(resumed.snapshots.map((s) => s.step), [2, 4]);
  assert.equal(resumed.learned.length, 1);
  assert.deepEqual(readWeightHistory(dir)!.snapshots.map((s) => s.step), [2, 4], 'written back');
  assert.equal(fs.readdirSync(historyDir(dir)).length, 3, 'the dropped snapshot file is gone');
  const other = { ...config, hiddenSize: 16 };
  const fresh = startWeightHistory(dir, other, 4);
  assert.equal(fresh.snapshots.length, 0, 'another shape: a new series');
  assert.equal(readWeightHistory(dir)!.snapshots.length, 2, "the folder's series stays until the new one's first snapshot");
  addSnapshot(dir, fresh, snapshotWeights(other, initialWeights(other, new Random(9))), { step: 1 }, []);
  assert.deepEqual(readWeightHistory(dir)!.snapshots.map((s) => s.step), [1]);
  assert.equal(fs.readdirSync(historyDir(dir)).length, 2, 'which removes the old snapshots');
});

test('a damaged history is refused with a message; a damaged snapshot too', (t) => {
  const dir = tempDir(t);
  const history = addSnapshot(dir, startWeightHistory(dir, config), snapshotWeights(config, initialWeights(config, new Random(1))), { step: 5 }, []);
  const file = path.join(historyDir(dir), history.snapshots[0].file);
  const bytes = fs.readFileSync(file);
  bytes[10] ^= 1;
  fs.writeFileSync(file, bytes);
  assert.throws(() => loadSnapshotWeights(dir, config, history.snapshots[0]), (err: Error) => err instanceof CheckpointError && /step 5.*damaged/.test(err.message));
  fs.writeFileSync(path.join(historyDir(dir), HISTORY_FILE), '{"version":1,"snapshots":[{"step":1,"file":"../x"}]}');
  assert.throws(() => readWeightHistory(dir), (err: Error) => err instanceof CheckpointError && /damaged/.test(err.message));
});
