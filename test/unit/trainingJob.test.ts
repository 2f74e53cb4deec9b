import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, test } from 'node:test';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { TrainingJob, runTrainingJob } from '../../src/core/train/job';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/core/train/options';
import { createTfjsTrainer } from '../../src/core/train/tfjs/tfjsTrainer';
import { LOCK_FILE, TrainingLockedError, requestStop, trainingLockOwner } from '../../src/core/train/trainingLock';
import { smallOptions, structuredText, tempDir, useWasm } from './helpers';

before(useWasm);

function job(folder: string, out: string, overrides: Partial<TrainingJob['options']> = {}): TrainingJob {
  return {
    folder,
    corpus: { include: ['**/*.c'] },
    options: { ...smallOptions(out), hidden: 0, maxSteps: 0, evalEvery: 5, ...overrides },
    requested: overrides,
    ngramOrder: 4,
    owner: 'the unit test',
    backend: { description: 'wasm (CPU)', createTrainer: createTfjsTrainer, gpu: false },
  };
}

test('a job states its plan before the first step, trains to its budget, and saves the mixture', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(300));
  const out = path.join(tempDir(t), 'model');
  const events: string[] = [];
  const result = await runTrainingJob(job(folder, out, { minutes: 0.05 }), {
    onPlan: (plan) => events.push(`plan: ${plan.line}`),
    onProgress: (p) => p.kind === 'step' && events.length === 1 && events.push('first step'),
  });
  assert.match(events[0], /^plan: 1x\d+ LSTM.* on wasm \(CPU\), about 3 s, ~[0-9.]+ epochs/);
  assert.equal(events[1], 'first step', 'the plan comes first');
  assert.equal(result.stopReason, 'time-limit');
  assert.ok(result.mixture && result.mixture.order === 4, 'the n-gram mixture is fitted and saved');
  assert.ok(fs.existsSync(path.join(out, 'ngram.bin')));
  assert.equal(loadCheckpoint(out).config.hiddenSize, result.plan.options.hidden);
});

test('resuming takes the size and dropout from the checkpoint and says so', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(300));
  const out = path.join(tempDir(t), 'model');
  await runTrainingJob(job(folder, out, { hidden: 24, dropout: 0.2, maxSteps: 5 }));
  const resumed = await runTrainingJob(job(folder, out, { hidden: 0, dropout: 0, maxSteps: 8, resume: true }));
  assert.match(resumed.plan.line, /^Resuming the 1x24 LSTM \(dropout 0\.2\) .* at step 5/);
  assert.equal(resumed.plan.options.hidden, 24);
  assert.equal(resumed.plan.options.dropout, 0.2);
  assert.equal(resumed.steps, 8);
  assert.equal(loadCheckpoint(out).config.hiddenSize, 24);
});

test('a GRU and a vanilla RNN train through the same loop, are saved as such, and a resumed run keeps its cell whatever the options say', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(300));
  for (const [cell, name] of [['gru', 'GRU'], ['rnn', 'RNN']] as const) {
    const out = path.join(tempDir(t), 'model');
    const first = await runTrainingJob(job(folder, out, { cell, hidden: 12, maxSteps: 5 }));
    assert.match(first.plan.line, new RegExp(`^1x12 ${name} on wasm`));
    assert.equal(loadCheckpoint(out).config.cell, cell);
    assert.ok(first.bestValLoss !== undefined && Number.isFinite(first.bestValLoss));
    const resumed = await runTrainingJob(job(folder, out, { hidden: 0, maxSteps: 8, resume: true }));
    assert.match(resumed.plan.line, new RegExp(`^Resuming the 1x12 ${name} `));
    assert.equal(resumed.steps, 8);
    assert.equal(loadCheckpoint(path.join(out, 'resume')).config.cell, cell);
  }
});

test('resuming takes the training options from the checkpoint, except those given again, and says which', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(300));
  const out = path.join(tempDir(t), 'model');
  await runTrainingJob(job(folder, out, { hidden: 16, lr: 0.004, maxSteps: 5 }));
  // As `charlens train --resume --max-steps 8` asks: every other option at its default.
  const resumed = await runTrainingJob({ ...job(folder, out), options: { ...DEFAULT_TRAIN_OPTIONS, out, hidden: 0, maxSteps: 8, resume: true }, requested: { maxSteps: 8 } });
  const o = resumed.plan.options;
  assert.deepEqual([o.batchSize, o.seqLength, o.lr, o.evalEvery, o.valFrac, o.maxSteps], [8, 32, 0.004, 5, 0.1, 8]);
  assert.equal(resumed.steps, 8);
  assert.match(resumed.plan.line, /Training options from the checkpoint: --seq-length 32, --batch-size 8, --lr 0\.004, --epochs 1000, --val-frac 0\.1, --eval-every 5, --patience 0; given again: --max-steps 8 \(was 5\)\.$/);
});

test('a second job into a folder in training is refused naming the first, which stops when asked and frees the folder', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(300));
  const out = path.join(tempDir(t), 'model');
  let asked = false;
  const first = runTrainingJob(job(folder, out, { hidden: 16, maxSteps: 100_000, evalEvery: 50 }), {
    onProgress: (p) => {
      if (p.kind !== 'step' || asked) return;
      asked = true;
      const owner = trainingLockOwner(out);
      assert.equal(owner?.label, 'the unit test');
      void assert.rejects(runTrainingJob({ ...job(folder, out), owner: 'a second window' }), (e: unknown) => e instanceof TrainingLockedError && /being trained by the unit test \(pid \d+/.test((e as Error).message));
      requestStop(out, owner!);
    },
  });
  const result = await first;
  assert.equal(result.stopReason, 'cancelled', 'the stop request ends the run as Stop would, validated and saved');
  assert.ok(loadCheckpoint(out).metadata.metrics!.step > 0);
  assert.ok(!fs.existsSync(path.join(out, LOCK_FILE)), 'the folder is free again');
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.startsWith('training.')), [], 'and the stop request is gone with the lock');
  const second = await runTrainingJob({ ...job(folder, out, { maxSteps: 3 }), owner: 'a second window' });
  assert.equal(second.steps, 3);
});
