import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceModel } from '../../../src/core/model/inference';
import { VectorMemory } from '../../../src/core/kernels/vectorMemory';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { Random } from '../../../src/core/random';

test('the SIMD kernel computes out += x W like plain loops, for any row count', () => {
  const rng = new Random(3);
  for (const [m, n] of [[1, 4], [7, 12], [64, 256], [130, 1028]]) {
    const simd = new VectorMemory(m * n + n, m);
    const js = new VectorMemory(m * n + n, m, true);
    assert.ok(simd.simd, 'WebAssembly SIMD is available in Node');
    const x = Float32Array.from({ length: m }, () => rng.uniform(-1, 1));
    const w = Float32Array.from({ length: m * n }, () => rng.uniform(-1, 1));
    const run = (mem: VectorMemory) => {
      const wv = mem.alloc(m * n);
      wv.set(w);
      const out = mem.alloc(n);
      out.fill(0.5);
      mem.addVecMat(out, x, wv, n);
      return Array.from(out);
    };
    const a = run(simd);
    const b = run(js);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `m=${m} n=${n} j=${i}: ${v} vs ${b[i]}`));
  }
});

test('an inference model gives the same probabilities with and without the kernel', () => {
  const config = { vocabSize: 37, embeddingSize: 10, hiddenSize: 24, layers: 3, dropout: 0 };
  const weights = initialWeights(config, new Random(8));
  const fast = new InferenceModel(config, weights);
  const slow = new InferenceModel(config, weights, { simd: false });
  const a = fast.zeroState();
  const b = slow.zeroState();
  for (const id of [3, 9, 36, 1, 0, 14]) {
    const pa = fast.step(a, id).probs;
    const pb = slow.step(b, id).probs;
    pa.forEach((v, i) => assert.ok(Math.abs(v - pb[i]) < 1e-6));
  }
});
