import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceModel, MAX_BATCH_ROWS } from '../../../src/core/model/inference';
import { config, vocabulary, weights } from '../tinyModel';

test('advanceRows and probabilitiesRows step and predict each row as advance and probabilities do, in the SIMD kernel and in JS, past one batch of rows', () => {
  for (const simd of [true, false]) {
    const model = new InferenceModel(config, weights, { simd });
    const rows = MAX_BATCH_ROWS + 3;
    const texts = Array.from({ length: rows }, (_, r) => 'int x = (y + z);'.slice(r % 7));
    const states = texts.map(() => model.zeroState());
    const single = texts.map(() => model.zeroState());
    for (let step = 0; step < 6; step++) {
      const ids = texts.map((t) => vocabulary.idOf(t[step]));
      model.advanceRows(states, ids);
      single.forEach((s, r) => model.advance(s, ids[r]));
      const batched = model.probabilitiesRows(states);
      single.forEach((s, r) => {
        const expected = model.probabilities(s);
        for (let v = 0; v < expected.length; v++) assert.ok(Math.abs(batched[r][v] - expected[v]) < 1e-5, `simd ${simd}, row ${r}, step ${step}`);
        for (let l = 0; l < config.layers; l++) for (let j = 0; j < config.hiddenSize; j++) assert.ok(Math.abs(states[r].c[l][j] - s.c[l][j]) < 1e-5);
      });
    }
  }
});
