import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { releaseGpu, selectBackend } from '../../src/core/backend';
import { initialWeights } from '../../src/core/model/lstmInit';
import { CELL_TYPES, ModelConfig } from '../../src/core/model/modelConfig';
import { Random } from '../../src/core/random';

after(releaseGpu);

const gru: ModelConfig = { vocabSize: 9, embeddingSize: 4, hiddenSize: 8, layers: 1, dropout: 0, cell: 'gru' };
const spec = (config: ModelConfig) => ({ config, batchSize: 2, seqLength: 3, optimizer: 'adam' as const, gradClip: 5, weights: initialWeights(config, new Random(1)) });

test('the WGSL trainer, asked for by name, trains all three cells (on whatever adapter there is, llvmpipe here)', async () => {
  const webgpu = await selectBackend('webgpu');
  for (const cell of CELL_TYPES) {
    const trainer = await webgpu.createTrainer(spec({ ...gru, cell }));
    assert.match(trainer.description, /^webgpu \(/, cell);
    trainer.dispose();
  }
});

test('the WebAssembly trainer, asked for by name, trains all three cells', async () => {
  const wasm = await selectBackend('wasm');
  for (const cell of CELL_TYPES) (await wasm.createTrainer(spec({ ...gru, cell }))).dispose();
});

test('the backend auto picks trains a GRU and an RNN as well as an LSTM', async () => {
  const choice = await selectBackend('auto');
  for (const cell of CELL_TYPES) (await choice.createTrainer(spec({ ...gru, cell }))).dispose();
});
