import * as tf from '@tensorflow/tfjs';
import { BatchStreams } from '../../text/batches';
import { Network, disposeState } from './network';

/**
 * Mean cross-entropy in nats/char over all batches of `streams`, carrying
 * state from batch to batch as in training, without dropout.
 */
export async function evaluateLoss(net: Network, streams: BatchStreams, yieldEvery = 8): Promise<number> {
  let state = net.zeroState(streams.batchSize);
  let total = 0;
  for (let k = 0; k < streams.batchesPerEpoch; k++) {
    const { batchSize: B, seqLength: T, x, y } = streams.batch(k);
    const result = tf.tidy(() => {
      const r = net.loss(tf.tensor2d(x, [B, T], 'int32'), tf.tensor2d(y, [B, T], 'int32'), state);
      return { loss: r.loss, state: { h: r.state.h.map((t) => tf.keep(t)), c: r.state.c.map((t) => tf.keep(t)) } };
    });
    disposeState(state);
    state = result.state;
    total += (await result.loss.data())[0];
    result.loss.dispose();
    if (k % yieldEvery === yieldEvery - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  disposeState(state);
  return total / streams.batchesPerEpoch;
}
