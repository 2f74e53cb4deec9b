import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, test } from 'node:test';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { resumeDir, TrainingError } from '../../src/core/train/loop';
import { corpusInfo } from '../../src/core/text/corpus';
import { smallOptions, structuredText, tempDir, trainText, unigramEntropy, useWasm } from './helpers';

before(useWasm);

test('training on structured text learns far more than character frequencies', async (t) => {
  const text = structuredText(600);
  const out = tempDir(t);
  const result = await trainText(text, smallOptions(out, { hidden: 64, maxSteps: 150, evalEvery: 50, lr: 5e-3, testFrac: 0.1 }));
  const entropy = unigramEntropy(text);
  assert.ok(result.bestValLoss !== undefined);
  assert.ok(result.bestValLoss < 0.5 * entropy, `val loss ${result.bestValLoss} should be well below the unigram entropy ${entropy}`);
  assert.ok(result.testLoss !== undefined && result.testLoss < 0.5 * entropy, `the held-out test split is scored too: ${result.testLoss}`);
  const saved = loadCheckpoint(out);
  assert.equal(saved.metadata.metrics?.valLoss, result.bestValLoss);
  assert.equal(saved.metadata.corpus?.fingerprint, corpusInfo(text, 1).fingerprint);
});

test('resuming gives bit-identical weights to training without a break', async (t) => {
  const text = structuredText(200);
  const whole = tempDir(t);
  const parts = tempDir(t);
  const options = { dropout: 0.1, layers: 2, maxSteps: 12, evalEvery: 6 };
  const losses = (into: number[]) => ({ onProgress: (p: { kind: string; trainLoss: number }) => p.kind === 'step' && into.push(p.trainLoss) });
  const uninterrupted: number[] = [];
  const afterResume: number[] = [];
  await trainText(text, smallOptions(whole, options), losses(uninterrupted));
  await trainText(text, smallOptions(parts, { ...options, maxSteps: 6 }));
  await trainText(text, smallOptions(parts, { ...options, resume: true }), losses(afterResume));
  assert.deepEqual(afterResume, uninterrupted.slice(6), 'the loss curve goes on as if never stopped');
  const a = loadCheckpoint(resumeDir(whole));
  const b = loadCheckpoint(resumeDir(parts));
  assert.equal(b.metadata.metrics?.step, 12);
  for (const [name, values] of a.weights) assert.deepEqual(b.weights.get(name), values, `${name} differs`);
  for (const [name, values] of a.resume!.tensors) assert.deepEqual(b.resume!.tensors.get(name), values, `resume tensor ${name} differs`);
});

test('an exploding step never reaches a checkpoint, best or resume', async (t) => {
  const text = structuredText(200);
  const out = tempDir(t);
  await trainText(text, smallOptions(out, { maxSteps: 4, evalEvery: 2 }));
  const model = fs.readFileSync(path.join(out, 'model.json'), 'utf8');
  const resume = fs.readFileSync(path.join(resumeDir(out), 'model.json'), 'utf8');
  // The first step's loss is sane; the update it makes is not, so the validation right after must catch it.
  for (const options of [{}, { resume: true }]) {
    await assert.rejects(
      trainText(text, smallOptions(out, { lr: 1e9, gradClip: 0, maxSteps: 8, evalEvery: 1, ...options })),
      (err: Error) => err instanceof TrainingError && /diverged/.test(err.message) && /intact/.test(err.message),
    );
    assert.equal(fs.readFileSync(path.join(out, 'model.json'), 'utf8'), model, 'the best model is untouched');
    assert.equal(fs.readFileSync(path.join(resumeDir(out), 'model.json'), 'utf8'), resume, 'the resume state is untouched');
  }
  const resumed = await trainText(text, smallOptions(out, { maxSteps: 6, evalEvery: 2, resume: true }));
  assert.equal(resumed.steps, 6, 'the intact resume state still continues');
});

test('cancelling validates and keeps the work of every finished step', async (t) => {
  const text = structuredText(200);
  const out = tempDir(t);
  const controller = new AbortController();
  const validations: Array<{ step: number; valLoss: number }> = [];
  const result = await trainText(text, smallOptions(out, { maxSteps: 50 }), {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.kind === 'step' && p.step === 13) controller.abort();
      if (p.kind === 'validation') validations.push({ step: p.step, valLoss: p.valLoss! });
    },
  });
  assert.equal(result.stopReason, 'cancelled');
  assert.equal(result.steps, 13);
  assert.equal(loadCheckpoint(resumeDir(out)).metadata.metrics?.step, 13);
  const best = Math.min(...validations.map((v) => v.valLoss));
  assert.equal(result.bestValLoss, best, 'the stop itself was validated (steps 11-13 are not lost)');
  assert.equal(loadCheckpoint(out).metadata.metrics?.valLoss, best, 'and the best model is the one saved');
});

test('the resume state is saved on a clock between validations', async (t) => {
  const text = structuredText(200);
  const out = tempDir(t);
  const saved: number[] = [];
  await trainText(text, smallOptions(out, { maxSteps: 7, evalEvery: 100 }), {
    resumeEveryMs: 0,
    onProgress: (p) => p.kind === 'step' && p.step > 1 && saved.push(loadCheckpoint(resumeDir(out)).metadata.metrics!.step),
  });
  // Each step's report sees the state saved after the step before it.
  assert.deepEqual(saved, [1, 2, 3, 4, 5, 6]);
});

test('the resume state saved on the clock never holds weights that an exploding step made', async (t) => {
  const text = structuredText(200);
  const out = tempDir(t);
  await trainText(text, smallOptions(out, { maxSteps: 4, evalEvery: 2 }));
  const resume = fs.readFileSync(path.join(resumeDir(out), 'model.json'), 'utf8');
  // No validation comes before the explosion is seen: only the clock's save (due every step) could store the exploded weights.
  await assert.rejects(
    trainText(text, smallOptions(out, { lr: 1e9, gradClip: 0, maxSteps: 8, evalEvery: 100, resume: true }), { resumeEveryMs: 0 }),
    (err: Error) => err instanceof TrainingError && /diverged/.test(err.message),
  );
  assert.equal(fs.readFileSync(path.join(resumeDir(out), 'model.json'), 'utf8'), resume, 'the resume state is the last good one');
  const resumed = await trainText(text, smallOptions(out, { maxSteps: 6, evalEvery: 2, resume: true }));
  assert.equal(resumed.steps, 6, 'and it continues without diverging');
});

test('a diverging run stops with a clear message and leaves the last checkpoint intact', async (t) => {
  const text = structuredText(200);
  const out = tempDir(t);
  await trainText(text, smallOptions(out, { maxSteps: 10 }));
  const before = fs.readFileSync(path.join(out, 'model.json'), 'utf8');
  await assert.rejects(
    trainText(text, smallOptions(out, { lr: 1e4, gradClip: 0, maxSteps: 30 })),
    (err: Error) => err instanceof TrainingError && /diverged/.test(err.message) && /--lr/.test(err.message),
  );
  assert.equal(fs.readFileSync(path.join(out, 'model.json'), 'utf8'), before);
  assert.doesNotThrow(() => loadCheckpoint(out));
});

test('text too short for one batch is refused with the numbers that matter', async (t) => {
  await assert.rejects(
    trainText('int x;\n', smallOptions(tempDir(t))),
    /too short.*--batch-size or --seq-length/,
  );
});

test('training stops early when validation stops improving', async (t) => {
  const text = structuredText(200);
  // A learning rate so small that the validation loss cannot move.
  const result = await trainText(text, smallOptions(tempDir(t), { lr: 1e-9, maxSteps: 60, evalEvery: 2, patience: 3 }));
  assert.equal(result.stopReason, 'early-stop');
  assert.equal(result.steps, 8, 'the first validation sets the best; three more without gain stop it');
});
