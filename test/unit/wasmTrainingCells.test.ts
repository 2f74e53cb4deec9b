import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { InferenceModel } from '../../src/core/model/inference';
import { CellType } from '../../src/core/model/modelConfig';
import { resumeDir } from '../../src/core/train/loop';
import { createTfjsTrainer } from '../../src/core/train/tfjs/tfjsTrainer';
import { TrainerSpec } from '../../src/core/train/trainer';
import { createWasmTrainer } from '../../src/core/train/wasm/wasmTrainer';
import { folderHandler, smallOptions, stepProbabilities, structuredText, tempDir, trainText } from './helpers';

// GRU and RNN models on the WebAssembly trainer beside tfjs's CPU backend: the checkpoints are the same files.
before(async () => {
  await tf.setBackend('cpu');
});

const trainers = {
  wasm: { createTrainer: (spec: TrainerSpec) => createWasmTrainer(spec, { threads: 2 }) },
  cpu: { createTrainer: createTfjsTrainer },
};

for (const cell of ['gru', 'rnn'] as CellType[]) {
  const a = cell === 'gru' ? 'a GRU' : 'an RNN';
  test(`${a} trained on wasm saves a checkpoint tf.loadLayersModel and CharLens inference read alike`, async (t) => {
    const text = structuredText(300);
    const out = tempDir(t);
    await trainText(text, smallOptions(out, { cell, layers: 2, maxSteps: 10, evalEvery: 5 }), trainers.wasm);
    const saved = loadCheckpoint(out);
    assert.equal(saved.config.cell, cell);
    const ids = saved.vocabulary.encode(text.slice(0, 40));
    const model = await tf.loadLayersModel(folderHandler(out));
    const keras = (await (model.predict(tf.tensor2d(Array.from(ids), [1, ids.length])) as tf.Tensor).array()) as number[][][];
    let maxDiff = 0;
    stepProbabilities(InferenceModel.of(saved), ids).forEach((p, step) => p.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - keras[0][step][i])))));
    assert.ok(maxDiff < 1e-5, `probabilities differ by up to ${maxDiff}`);
  });

  for (const [first, second] of [
    ['wasm', 'cpu'],
    ['cpu', 'wasm'],
  ] as const) {
    test(`${a} run started on ${first} resumes on ${second} and goes on as an uninterrupted run (2 layers, dropout between them)`, async (t) => {
      const text = structuredText(200);
      const options = { cell, layers: 2, dropout: 0.1, maxSteps: 12, evalEvery: 6 };
      const whole: number[] = [];
      const resumed: number[] = [];
      const losses = (into: number[]) => (p: { kind: string; trainLoss: number }) => p.kind === 'step' && into.push(p.trainLoss);
      await trainText(text, smallOptions(tempDir(t), options), { ...trainers[second], onProgress: losses(whole) });
      const parts = tempDir(t);
      await trainText(text, smallOptions(parts, { ...options, maxSteps: 6 }), trainers[first]);
      await trainText(text, smallOptions(parts, { ...options, resume: true }), { ...trainers[second], onProgress: losses(resumed) });
      assert.equal(loadCheckpoint(resumeDir(parts)).config.cell, cell);
      assert.equal(resumed.length, 6, 'steps 7-12 ran after resuming');
      const worst = Math.max(...resumed.map((l, i) => Math.abs(l - whole[6 + i])));
      assert.ok(worst < 1e-3, `losses after resuming differ from the uninterrupted run's by up to ${worst}`);
    });
  }
}
