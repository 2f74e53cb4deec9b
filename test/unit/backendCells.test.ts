import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { releaseGpu, selectBackend } from '../../src/core/backend';
import { initialWeights } from '../../src/core/model/lstmInit';
import { ModelConfig } from '../../src/core/model/modelConfig';
import { Random } from '../../src/core/random';

after(releaseGpu);

const gru: ModelConfig = { vocabSize: 9, embeddingSize: 4, hiddenSize: 8, layers: 1, dropout: 0, cell: 'gru' };
const spec = (config: ModelConfig) => ({ config, batchSize: 2, seqLength: 3, optimizer: 'adam' as const, gradClip: 5, weights: initialWeights(config, new Random(1)) });

test('the WGSL trainer, asked for by name, refuses a GRU or RNN and names the backends that train one', async () => {
  const webgpu = await selectBackend('webgpu');
  await assert.rejects(webgpu.createTrainer(spec(gru)), /^BackendError: GRU training on webgpu is not available yet; the backends that train a GRU: tensorflow-gpu, tensorflow, wasm, cpu/);
  await assert.rejects(webgpu.createTrainer(spec({ ...gru, cell: 'rnn' })), /RNN training on webgpu is not available yet/);
});

test('the WebAssembly trainer, asked for by name, trains all three cells', async () => {
  const wasm = await selectBackend('wasm');
  for (const cell of ['lstm', 'gru', 'rnn'] as const) (await wasm.createTrainer(spec({ ...gru, cell }))).dispose();
});

test('auto passes over the backends that train no GRU, saying why, and takes the one it takes for an LSTM otherwise', async () => {
  const lstm = await selectBackend('auto');
  const choice = await selectBackend('auto', { cell: 'gru' });
  if (lstm.name !== 'webgpu') assert.equal(choice.name, lstm.name);
  assert.ok(choice.name === 'tensorflow-gpu' || choice.skipped.includes('webgpu: trains no GRU yet'), choice.skipped.join('; '));
  assert.ok(!choice.skipped.some((s) => s.startsWith('wasm:')), choice.skipped.join('; '));
  (await choice.createTrainer(spec(gru))).dispose();
});
