import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BackendChoice, releaseGpu, selectBackend } from '../../src/core/backend';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { CELL_TYPES, cellLabel } from '../../src/core/model/modelConfig';
import { InferenceModel } from '../../src/core/model/inference';
import { resumeDir } from '../../src/core/train/loop';
import { createTfjsTrainer } from '../../src/core/train/tfjs/tfjsTrainer';
import { folderHandler, smallOptions, stepProbabilities, structuredText, tempDir, trainText, unigramEntropy } from './helpers';

// The WGSL trainer behind the training loop, on whatever adapter exists (llvmpipe on CPU-only machines).
let webgpu: BackendChoice;
before(async () => {
  webgpu = await selectBackend('webgpu');
});
after(releaseGpu);

const cpu = { createTrainer: createTfjsTrainer };
const gpu = () => ({ createTrainer: webgpu.createTrainer });

for (const cell of CELL_TYPES) {
  test(`${cellLabel({ cell })}: a model trained with --backend webgpu learns, and tf.loadLayersModel and CharLens inference agree on its checkpoint`, async (t) => {
    assert.match(webgpu.description, /^webgpu \(.+\)$/, 'the adapter is named');
    const text = structuredText(500);
    const out = tempDir(t);
    const result = await trainText(text, smallOptions(out, { cell, hidden: 32, maxSteps: 120, evalEvery: 40, lr: 1e-2 }), gpu());
    const entropy = unigramEntropy(text);
    assert.ok(result.bestValLoss! < 0.6 * entropy, `validation ${result.bestValLoss} well under the unigram entropy ${entropy}`);
    const saved = loadCheckpoint(out);
    assert.match(String(saved.metadata.backend), /^webgpu/);
    assert.equal(saved.config.cell ?? 'lstm', cell);
    const ids = saved.vocabulary.encode(text.slice(0, 60));
    const model = await tf.loadLayersModel(folderHandler(out));
    const keras = (await (model.predict(tf.tensor2d(Array.from(ids), [1, ids.length])) as tf.Tensor).array()) as number[][][];
    const ours = stepProbabilities(InferenceModel.of(saved), ids);
    let maxDiff = 0;
    ours.forEach((p, step) => p.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - keras[0][step][i])))));
    assert.ok(maxDiff < 1e-5, `probabilities differ by up to ${maxDiff}`);
  });
}

for (const [first, second, cell] of [
  ['GPU', 'CPU', 'lstm'],
  ['CPU', 'GPU', 'lstm'],
  ['CPU', 'GPU', 'gru'],
  ['GPU', 'CPU', 'rnn'],
] as const) {
  test(`${cell === 'gru' ? 'a' : 'an'} ${cellLabel({ cell })} run started on the ${first} resumes on the ${second} and goes on as an uninterrupted run (3 layers, dropout between them)`, async (t) => {
    const text = structuredText(200);
    const trainer = { GPU: gpu(), CPU: cpu };
    const options = { cell, layers: 3, dropout: 0.1, maxSteps: 12, evalEvery: 6 };
    const whole: number[] = [];
    const resumed: number[] = [];
    const losses = (into: number[]) => (p: { kind: string; trainLoss: number }) => p.kind === 'step' && into.push(p.trainLoss);
    await trainText(text, smallOptions(tempDir(t), options), { ...cpu, onProgress: losses(whole) });
    const parts = tempDir(t);
    await trainText(text, smallOptions(parts, { ...options, maxSteps: 6 }), trainer[first]);
    await trainText(text, smallOptions(parts, { ...options, resume: true }), { ...trainer[second], onProgress: losses(resumed) });
    const saved = loadCheckpoint(resumeDir(parts));
    assert.equal(saved.metadata.metrics?.step, 12);
    assert.equal(saved.config.cell ?? 'lstm', cell);
    assert.equal(resumed.length, 6, 'steps 7-12 ran after resuming');
    const worst = Math.max(...resumed.map((l, i) => Math.abs(l - whole[6 + i])));
    assert.ok(worst < 1e-3, `losses after resuming differ from the uninterrupted run's by up to ${worst}`);
  });
}
