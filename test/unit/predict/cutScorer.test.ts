import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CUT_FEATURES, checkCutScorer, fitCutScorer, scoreCut } from '../../../src/core/predict/cutScorer';
import { Random } from '../../../src/core/random';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

test('the scorer learns the chance that a cut is right: on cuts drawn from a known logistic law it gives their chances back', () => {
  const rng = new Random(3);
  const truth = [0.4, 1.5, -0.8, 0, 0.6, 2, -0.3];
  const chance = (x: number[]) => sigmoid(truth[0] + x.reduce((s, v, j) => s + truth[j + 1] * v, 0));
  const examples = Array.from({ length: 6000 }, () => {
    const features = Array.from({ length: CUT_FEATURES }, () => rng.next() * 4 - 2);
    return { features, right: rng.next() < chance(features) };
  });
  const scorer = fitCutScorer(examples);
  let worst = 0;
  for (let i = 0; i < 200; i++) {
    const x = Array.from({ length: CUT_FEATURES }, () => rng.next() * 4 - 2);
    worst = Math.max(worst, Math.abs(scoreCut(scorer, x) - chance(x)));
  }
  assert.ok(worst < 0.08, `the fitted chance is off by up to ${worst.toFixed(3)}`);
  // Calibrated where it was fitted: on average it says how often cuts were right.
  const said = examples.reduce((s, e) => s + scoreCut(scorer, e.features), 0) / examples.length;
  const right = examples.filter((e) => e.right).length / examples.length;
  assert.ok(Math.abs(said - right) < 1e-3, `mean chance ${said} against ${right} right`);
  assert.deepEqual(checkCutScorer(JSON.parse(JSON.stringify(scorer))), scorer);
});

test('where every cut was wrong, or there was none, the scorer is finite and sure of nothing', () => {
  const wrong = fitCutScorer(Array.from({ length: 50 }, (_, i) => ({ features: Array.from({ length: CUT_FEATURES }, (_, j) => i * j), right: false })));
  assert.ok(checkCutScorer(wrong), JSON.stringify(wrong));
  assert.ok(scoreCut(wrong, new Array<number>(CUT_FEATURES).fill(3)) < 0.01);
  const empty = fitCutScorer([]);
  assert.ok(checkCutScorer(empty), JSON.stringify(empty));
});

test('a scorer that is not whole is not read', () => {
  const whole = { mean: new Array(CUT_FEATURES).fill(0), scale: new Array(CUT_FEATURES).fill(1), weights: new Array(CUT_FEATURES + 1).fill(0) };
  assert.ok(checkCutScorer(whole));
  assert.equal(checkCutScorer({ ...whole, weights: whole.weights.slice(1) }), undefined);
  assert.equal(checkCutScorer({ ...whole, scale: whole.scale.map(() => 0) }), undefined);
  assert.equal(checkCutScorer({ ...whole, mean: whole.mean.map(() => NaN) }), undefined);
  assert.equal(checkCutScorer(undefined), undefined);
});
