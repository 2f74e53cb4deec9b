import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { resumeDir } from '../../src/core/train/loop';
import { UserError } from '../../src/core/userError';
import { ThreadJob, startTrainingThread } from '../../src/engine/trainingThread';
import { smallOptions, structuredText, tempDir } from './helpers';

function job(folder: string, out: string, overrides: Partial<ThreadJob['options']> = {}): ThreadJob {
  return {
    folder,
    corpus: { include: ['**/*.c'] },
    options: { ...smallOptions(out), maxSteps: 400, evalEvery: 1000, ...overrides },
    requested: {},
    ngramOrder: 3,
    owner: 'the unit test',
    backend: 'wasm',
  };
}

/** The step of the resume state on disk, or 0 (read while the worker may be writing it: a half-seen folder is 0 too). */
function savedStep(out: string): number {
  try {
    return loadCheckpoint(resumeDir(out)).metadata.metrics?.step ?? 0;
  } catch {
    return 0;
  }
}

/** Threads of this process with a positive nice value (Linux keeps one per thread). */
function threadsBelowNormalPriority(): number {
  if (process.platform !== 'linux') return 0;
  return fs.readdirSync('/proc/self/task').filter((t) => {
    const fields = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[16]) > 0; // field 19 of stat, the nice value
  }).length;
}

test('training runs on its own thread: it goes on while the engine thread is busy, and Stop keeps the work', async (t) => {
  const folder = tempDir(t);
  fs.writeFileSync(path.join(folder, 'a.c'), structuredText(400));
  const out = path.join(tempDir(t), 'model');
  const plans: string[] = [];
  let lastStep = 0;
  let stopped = false;
  let niceThreads = 0;
  // evalEvery 1: every step validates and saves, so the folder shows how far training is.
  const thread = startTrainingThread(job(folder, out, { evalEvery: 1 }), {
    plan: (p) => {
      niceThreads = threadsBelowNormalPriority();
      plans.push(`${p.options.hidden} ${p.ngram ? 'ngram' : ''} ${p.vocabulary.size > 10 ? 'vocabulary' : ''}`);
    },
    progress: (p) => {
      if (p.kind !== 'step') return;
      lastStep = p.step;
      if (stopped) return;
      stopped = true;
      // This thread never yields here, yet training moves on: it runs elsewhere.
      const deadline = Date.now() + 60_000;
      while (savedStep(out) < p.step + 3 && Date.now() < deadline);
      assert.ok(savedStep(out) >= p.step + 3, 'training went on while this thread was busy');
      thread.stop();
    },
  });
  const result = await thread.done;
  if (process.platform === 'linux') assert.ok(niceThreads > 0, 'the training threads run below normal priority');
  assert.deepEqual(plans, ['32 ngram vocabulary'], 'the plan, the n-gram and the vocabulary arrive before the steps');
  assert.equal(result.stopReason, 'cancelled');
  assert.equal(result.steps, lastStep);
  assert.equal(savedStep(out), result.steps, 'the resume state has every step');
  assert.ok(fs.existsSync(path.join(out, 'model.json')), 'the best model is saved');
});

test('a failing job reports a user error and ends the thread', async (t) => {
  const folder = tempDir(t);
  const thread = startTrainingThread(job(folder, path.join(tempDir(t), 'model')), { plan: () => {}, progress: () => {} });
  await assert.rejects(thread.done, (err: Error) => err instanceof UserError && /no files/i.test(err.message));
});
