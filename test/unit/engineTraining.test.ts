// The engine's one training run (src/engine/training.ts): whatever way a run
// ends its state is cleared, so Stop answers truly and the next run may
// start; an out folder that cannot hold a model is refused before any
// thread starts.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { TrainingError } from '../../src/core/train/loop';
import { checkOutFolder } from '../../src/core/train/outFolder';
import type { TrainFinished } from '../../src/engine/protocol';
import { Training, TrainingEvents } from '../../src/engine/training';
import { tiny } from './engineProcess';
import { structuredText, tempDir } from './helpers';

function events(load: TrainingEvents['load']): { events: TrainingEvents; finished: Promise<TrainFinished> } {
  let resolve!: (f: TrainFinished) => void;
  const finished = new Promise<TrainFinished>((r) => (resolve = r));
  return { events: { progress: () => undefined, load, trained: () => undefined, finished: resolve }, finished };
}

test('a run whose trained model fails to load at the end leaves the engine free to train again', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(200));
  const out = path.join(tempDir(t), 'model');
  const training = new Training();
  const failing = events(() => {
    throw new Error('the disk went away');
  });
  await training.start({ folder, options: { ...tiny, out, maxSteps: 3 } }, 'wasm', failing.events);
  const finished = await failing.finished;
  assert.match(finished.error ?? '', /trained and saved in .*model, but loading it failed: the disk went away/);
  assert.equal(training.running, false, 'the engine does not think it is training');
  assert.equal(training.stop(), false, 'Stop says nothing runs');
  assert.equal(training.instant, undefined, 'completions no longer come from the run');
});

test('an out folder under /proc or /sys, a file, or under a file is refused before training starts', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'model.txt');
  fs.writeFileSync(file, 'not a folder');
  fs.symlinkSync('/proc/self', path.join(dir, 'proc'));
  const training = new Training();
  const refused: Array<[string, RegExp]> = [
    ['/proc/self/charlens-model', /under \/proc, which holds no files/],
    ['/sys/kernel/charlens-model', /under \/sys/],
    [path.join(dir, 'proc', 'model'), /under \/proc/],
    [file, /it is a file, not a folder/],
    [path.join(file, 'model'), /model\.txt is a file, not a folder/],
  ];
  for (const [out, message] of refused) {
    assert.throws(() => checkOutFolder(out), (err: Error) => err instanceof TrainingError && message.test(err.message), out);
    const { events: quiet } = events(() => assert.fail('nothing was trained'));
    assert.throws(() => training.start({ folder: dir, options: { ...tiny, out } }, 'wasm', quiet), message, out);
    assert.equal(training.running, false, `no run was started for ${out}`);
  }
  assert.equal(checkOutFolder(path.join(dir, 'new', 'model')), path.join(dir, 'new', 'model'), 'a folder still to be made is fine');
});
