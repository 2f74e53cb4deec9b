// A training under a time budget: its progress follows the budget, it keeps
// time for the work after it, a resumed run gets what is left of it, and
// steps saved without a validation are validated when the run resumes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrainProgress, stepCounter } from '../../../src/core/train/progress';
import { smallOptions, structuredText, tempDir, trainText, useWasm } from '../helpers';

const TEXT = structuredText(600);

test('under a budget the progress, the step counter and the ETA follow the time, and the time kept for after training is kept', async (t) => {
  await useWasm();
  const out = tempDir(t);
  const steps: TrainProgress[] = [];
  const started = Date.now();
  const result = await trainText(TEXT, smallOptions(out, { maxSteps: 0, epochs: 100_000, minutes: 0.04, evalEvery: 50 }), {
    onProgress: (p) => p.kind === 'step' && steps.push(p),
    reserveMs: 1_200,
  });
  const took = Date.now() - started;
  assert.equal(result.stopReason, 'time-limit');
  // 2.4 s of budget, 1.2 s of it kept for what follows training: the steps end well before the budget does.
  assert.ok(took < 2_400, `the run took ${took} ms of a 2,400 ms budget with 1,200 ms kept`);
  const last = steps.at(-1)!;
  assert.equal(last.endsBy, 'budget');
  assert.ok(last.expectedSteps < last.totalSteps, 'the counter is the budget\'s, not the epoch cap\'s');
  assert.match(stepCounter(last), /^step \d+\/~\d+$/);
  assert.ok(Math.abs(last.expectedSteps - last.step) <= Math.max(3, 0.25 * last.step), `expected ${last.expectedSteps} at step ${last.step}`);
  assert.ok(steps.every((p, i) => i === 0 || p.fraction >= steps[i - 1].fraction - 1e-9), 'progress never goes back');
  assert.ok(last.fraction > 0.3 && last.fraction <= 1, `fraction ${last.fraction}`);
});

test('a resumed run under the budget it started with gets what is left of it; another budget is a new one', async (t) => {
  await useWasm();
  const out = tempDir(t);
  const options = smallOptions(out, { maxSteps: 0, epochs: 100_000, minutes: 0.05, evalEvery: 20 });
  const controller = new AbortController();
  let firstSteps = 0;
  await trainText(TEXT, options, { signal: controller.signal, onProgress: (p) => p.kind === 'step' && ++firstSteps >= 30 && controller.abort() });
  const notices: string[] = [];
  const started = Date.now();
  const resumed = await trainText(TEXT, { ...options, resume: true }, { onProgress: (p) => p.kind === 'info' && notices.push(p.message ?? '') });
  assert.ok(notices.some((m) => /s left of the 3 s budget \(\d+ s spent before the stop\)/.test(m)), notices.join('\n'));
  assert.equal(resumed.stopReason, 'time-limit');
  assert.ok(Date.now() - started < 3_000, 'the resumed run ends within what was left');
  const longer = await trainText(TEXT, { ...options, resume: true, minutes: 0.02 }, { onProgress: (p) => p.kind === 'info' && notices.push(p.message ?? '') });
  assert.equal(longer.stopReason, 'time-limit');
  assert.equal(notices.filter((m) => /left of the/.test(m)).length, 1, 'another budget is not cut by what the first one spent');
});

test('steps saved in the resume state without a validation are validated first when the run resumes', async (t) => {
  await useWasm();
  const out = tempDir(t);
  const options = smallOptions(out, { maxSteps: 200, evalEvery: 100 });
  // A crash at step 31, after the periodic resume save of step 30: its steps were never validated.
  await assert.rejects(
    trainText(TEXT, options, {
      resumeEveryMs: 0,
      onProgress: (p) => {
        if (p.kind === 'step' && p.step === 31) throw new Error('crash');
      },
    }),
    /crash/,
  );
  const seen: TrainProgress[] = [];
  await trainText(TEXT, { ...options, resume: true }, { onProgress: (p) => p.kind !== 'info' && seen.push(p) });
  assert.equal(seen[0].kind, 'validation', 'the resumed run validates before its first step');
  assert.equal(seen[0].step, 30);
});
