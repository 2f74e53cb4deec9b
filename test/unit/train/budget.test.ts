import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { GATES, ModelConfig, cellOf, stepMultiplyAdds } from '../../../src/core/model/modelConfig';
import { BudgetRequest, planForBudget, probeTrainer } from '../../../src/core/train/budget';
import { createTfjsTrainer } from '../../../src/core/train/tfjs/tfjsTrainer';
import { useWasm } from '../helpers';

before(useWasm);

/** A machine that does 1e9 multiply-adds a second plus 5 ms per step, measured without noise. */
function request(overrides: Partial<BudgetRequest> = {}): BudgetRequest {
  return {
    cell: 'lstm',
    minutes: 15,
    trainChars: 3_000_000,
    vocabSize: 100,
    embedding: 64,
    batchSize: 50,
    seqLength: 50,
    backend: 'wasm (CPU)',
    maxHidden: 512,
    measure: async (config) => {
      let macs = config.hiddenSize * config.vocabSize;
      for (let l = 0; l < config.layers; l++) macs += GATES[cellOf(config)] * config.hiddenSize * ((l ? config.hiddenSize : config.embeddingSize) + config.hiddenSize);
      return 5 + (3 * macs * 2500) / 1e6;
    },
    ...overrides,
  };
}

test('the budget picks the largest model that still reads its data enough, and says so before it starts', async () => {
  const plan = await planForBudget(request());
  assert.equal(plan.layers, 2);
  assert.equal(plan.hidden % 32, 0);
  const next = await planForBudget(request({ maxHidden: plan.hidden + 32 }));
  assert.equal(next.hidden, plan.hidden, 'one size bigger would not read the corpus often enough');
  assert.ok(plan.steps * 2500 >= Math.min(10 * 3_000_000, 20 * plan.parameters), 'enough characters for its size');
  assert.match(plan.line, new RegExp(`^2x${plan.hidden} LSTM.* on wasm \\(CPU\\), about 15 min, ~[0-9.]+ epochs`));
  assert.ok(Math.abs((plan.steps * plan.msPerStep) / 60_000 - 15) < 0.1, 'the steps fill the budget');
});

test('a longer budget buys a bigger model; a tiny corpus is capped at about its size in parameters', async () => {
  const short = await planForBudget(request({ minutes: 2 }));
  const long = await planForBudget(request({ minutes: 120 }));
  assert.ok(long.hidden > short.hidden, `${long.hidden} > ${short.hidden}`);
  const tiny = await planForBudget(request({ trainChars: 40_000, minutes: 600 }));
  assert.equal(tiny.layers, 1);
  assert.ok(tiny.parameters <= 40_000 || tiny.hidden === 32, `${tiny.parameters} parameters for 40k characters`);
  assert.ok(tiny.dropout > 0, 'a model as big as its data gets dropout');
});

test("a GRU does 3/4 of an LSTM's multiply-adds per unit and a vanilla RNN 1/4, so the same budget buys them more units, and the line names the cell", async () => {
  const shape: ModelConfig = { vocabSize: 100, embeddingSize: 64, hiddenSize: 256, layers: 2, dropout: 0 };
  const recurrent = (cell: 'lstm' | 'gru' | 'rnn') => stepMultiplyAdds({ ...shape, cell }, 1, 1) - stepMultiplyAdds({ ...shape, layers: 0 }, 1, 1);
  assert.equal(recurrent('gru') / recurrent('lstm'), 3 / 4);
  assert.equal(recurrent('rnn') / recurrent('lstm'), 1 / 4);
  const plans = await Promise.all((['lstm', 'gru', 'rnn'] as const).map((cell) => planForBudget(request({ cell }))));
  assert.ok(plans[0].hidden < plans[1].hidden && plans[1].hidden < plans[2].hidden, plans.map((p) => p.hidden).join(' < '));
  assert.match(plans[1].line, new RegExp(`^2x${plans[1].hidden} GRU`));
  assert.match(plans[2].line, new RegExp(`^2x${plans[2].hidden} RNN`));
});

test('the speed probe times real steps of the trainer that will run', async () => {
  const config: ModelConfig = { vocabSize: 30, embeddingSize: 8, hiddenSize: 16, layers: 1, dropout: 0 };
  const ms = await probeTrainer(createTfjsTrainer, config, 4, 8);
  assert.ok(ms > 0 && Number.isFinite(ms));
});
