import * as tf from '@tensorflow/tfjs';

/**
 * a x b with a gradient that never asks the backend for a transposed
 * matmul. tfjs's own gradient of matMul uses the transposeA/transposeB
 * flags, which tfjs-backend-wasm runs on a slow path (measured here: a
 * [128, 2500] x [2500, 512] product takes 235 ms with transposeA and 9 ms on
 * a pre-transposed copy). An explicit transpose costs a few ms.
 */
export const matMul = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
