import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../src/core/backend';
import { initialWeights } from '../../src/core/model/lstmInit';
import { ModelConfig } from '../../src/core/model/modelConfig';
import { Random } from '../../src/core/random';

const gru: ModelConfig = { vocabSize: 9, embeddingSize: 4, hiddenSize: 8, layers: 1, dropout: 0, cell: 'gru' };
const spec = (config: ModelConfig) => ({ config, batchSize: 2, seqLength: 3, optimizer: 'adam' as const, gradClip: 5, weights: initialWeights(config, new Random(1)) });

test('the WebAssembly trainer, asked for by name, refuses a GRU or RNN and names the backends that train one', async () => {
  const wasm = await selectBackend('wasm');
  await assert.rejects(wasm.createTrainer(spec(gru)), /^BackendError: GRU training on wasm is not available yet; the backends that train a GRU: tensorflow-gpu, tensorflow, cpu/);
  await assert.rejects(wasm.createTrainer(spec({ ...gru, cell: 'rnn' })), /RNN training on wasm is not available yet/);
  (await wasm.createTrainer(spec({ ...gru, cell: 'lstm' }))).dispose();
});

test('auto passes over the backends that train no GRU, saying why, and takes one that does', async () => {
  const choice = await selectBackend('auto', { cell: 'gru' });
  assert.ok(['tensorflow-gpu', 'tensorflow', 'cpu'].includes(choice.name), choice.name);
  assert.ok(choice.skipped.includes('webgpu: trains no GRU yet') && choice.skipped.includes('wasm: trains no GRU yet') === (choice.name === 'cpu'), choice.skipped.join('; '));
  (await choice.createTrainer(spec(gru))).dispose();
});
