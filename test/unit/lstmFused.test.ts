import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initialWeights } from '../../src/core/model/lstmInit';
import { ModelConfig } from '../../src/core/model/modelConfig';
import { LstmImplementation, Network } from '../../src/core/train/tfjs/network';
import { Random } from '../../src/core/random';
import { useWasm } from './helpers';

before(useWasm);

const config: ModelConfig = { vocabSize: 20, embeddingSize: 8, hiddenSize: 12, layers: 2, dropout: 0 };
const B = 3;
const T = 7;

/** Loss, gradients and final state of one batch from a non-zero carried state. */
function run(impl: LstmImplementation) {
  const rng = new Random(11);
  const weights = initialWeights(config, rng);
  for (const a of weights.values()) for (let i = 0; i < a.length; i++) a[i] *= 5; // well away from the linear regime
  const net = new Network(config, weights, impl);
  const ids = () => tf.tensor2d(Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * config.vocabSize)), [B, T], 'int32');
  const x = ids();
  const y = ids();
  const state = {
    h: [0, 1].map(() => tf.randomUniform([B, config.hiddenSize], -0.5, 0.5, 'float32', 3) as tf.Tensor2D),
    c: [0, 1].map(() => tf.randomUniform([B, config.hiddenSize], -1, 1, 'float32', 4) as tf.Tensor2D),
  };
  let finalH: Float32Array[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const r = net.loss(x, y, state);
    finalH = r.state.c.map((c) => c.dataSync() as Float32Array);
    return r.loss;
  }, [...net.variables.values()]);
  const out = {
    loss: value.dataSync()[0],
    grads: new Map([...net.variables].map(([name, v]) => [name, grads[v.name].dataSync() as Float32Array])),
    finalC: finalH,
  };
  net.dispose();
  return out;
}

test('the fused LSTM gives the loss, gradients and state of the op-by-op reference', () => {
  const fused = run('fused');
  const reference = run('reference');
  assert.ok(Math.abs(fused.loss - reference.loss) < 1e-5, `loss ${fused.loss} vs ${reference.loss}`);
  for (const [name, g] of reference.grads) {
    const f = fused.grads.get(name)!;
    let maxErr = 0;
    let maxRef = 0;
    g.forEach((v, i) => {
      maxErr = Math.max(maxErr, Math.abs(v - f[i]));
      maxRef = Math.max(maxRef, Math.abs(v));
    });
    assert.ok(maxRef > 0, `${name} has a non-zero gradient`);
    assert.ok(maxErr / maxRef < 1e-3, `${name}: max relative error ${maxErr / maxRef}`);
  }
  fused.finalC.forEach((c, l) => c.forEach((v, i) => assert.ok(Math.abs(v - reference.finalC[l][i]) < 1e-5)));
});
