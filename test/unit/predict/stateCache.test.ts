import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeFrom } from '../../../src/core/predict/completion';
import { InferenceModel } from '../../../src/core/model/inference';
import { lstmBranching, stepperOf } from '../../../src/core/predict/predictor';
import { DocumentStates } from '../../../src/core/predict/stateCache';
import { config, countingModel, exactState as exact, vocabulary, weights } from '../tinyModel';

test('states match a full re-read, and a keystroke costs only the characters since the last checkpoint', () => {
  const { model, steps } = countingModel();
  const states = new DocumentStates(model, vocabulary, { interval: 16, window: 10_000 });
  let text = 'int main() {\n  for (i = 0; i < n; i++) { x += y; }\n';
  assert.deepEqual(states.stateAfter(text), exact(text));
  const before = steps();
  text += 'r';
  assert.deepEqual(states.stateAfter(text), exact(text));
  assert.ok(steps() - before <= 17, `a keystroke re-read ${steps() - before} characters`);
});

test('an edit in the middle recomputes from the checkpoint before it', () => {
  const { model, steps } = countingModel();
  const states = new DocumentStates(model, vocabulary, { interval: 8, window: 10_000 });
  const text = 'abcdefghij'.repeat(10);
  states.stateAfter(text);
  const edited = text.slice(0, 50) + 'Z' + text.slice(51);
  const before = steps();
  assert.deepEqual(states.stateAfter(edited), exact(edited));
  assert.ok(steps() - before <= 58);
});

test('a long document starts from a window before the cursor, with surrogate pairs kept whole', () => {
  const { model, steps } = countingModel();
  const states = new DocumentStates(model, vocabulary, { interval: 32, window: 100 });
  const text = 'x😀'.repeat(500);
  const state = states.stateAfter(text);
  assert.ok(steps() <= 100, `read ${steps()} characters of a 1000-character document`);
  assert.equal(state.h.length, 2);
});

test('completions stop at the end of the line unless multi-line is allowed', () => {
  const model = new InferenceModel(config, weights);
  for (let seed = 0; seed < 20; seed++) {
    const line = completeFrom(stepperOf(lstmBranching(model, model.zeroState())), vocabulary, { maxChars: 60, temperature: 1, multiline: false, seed });
    assert.ok(!line.includes('\n'));
    assert.ok([...line].length <= 60);
  }
  const argmax = completeFrom(stepperOf(lstmBranching(model, model.zeroState())), vocabulary, { maxChars: 30, temperature: 0, multiline: true, seed: 1 });
  assert.equal(argmax, completeFrom(stepperOf(lstmBranching(model, model.zeroState())), vocabulary, { maxChars: 30, temperature: 0, multiline: true, seed: 2 }));
  assert.ok(!argmax.includes('\n\n'));
});
