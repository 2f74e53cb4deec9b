import * as tf from '@tensorflow/tfjs';

/**
 * A fused LSTM over a whole sequence for the CPU backends (wasm, cpu,
 * tfjs-node), with its own gradient, written out gate by gate as in
 * torch-rnn. Per step it costs one tfjs matmul (h_{t-1} x W_h) and one pass
 * over typed arrays for all the gate math; backward likewise (dz_t x W_h^T),
 * and dW_h for all T is one matmul at the end. The op-by-op version in
 * network.ts records ~13 ops per step on the autograd tape and ~30 more on
 * the way back; that overhead, not the arithmetic, is what this removes.
 *
 * Shapes: xProj [B, T, 4H] = x W_x + b for all steps (gate blocks i, f, g, o
 * in Keras order), recurrent W_h [H, 4H], h0 and c0 [B*H] (not
 * differentiated: truncated BPTT treats the carried state as constant).
 */
export interface FusedResult {
  /** [B, T, H] hidden states, differentiable w.r.t. xProj and W_h. */
  hs: tf.Tensor3D;
  hT: Float32Array;
  cT: Float32Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function lstmSequenceFused(xProj: tf.Tensor3D, recurrent: tf.Tensor2D, h0: Float32Array, c0: Float32Array): FusedResult {
  const [B, T, G] = xProj.shape;
  const H = G / 4;
  const BH = B * H;
  const BG = B * G;
  let hT: Float32Array = new Float32Array(0);
  let cT: Float32Array = new Float32Array(0);

  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, wIn] = args as tf.Tensor[];
    const xp = xIn.dataSync() as Float32Array;
    // Step-major buffers: index [t][b][k]. h and c keep t = 0..T (0 = initial state).
    const gates = new Float32Array(T * BG); // activated i, f, g, o
    const hs = new Float32Array((T + 1) * BH);
    const cs = new Float32Array((T + 1) * BH);
    const tanhC = new Float32Array(T * BH);
    hs.set(h0);
    cs.set(c0);
    for (let t = 0; t < T; t++) {
      const rec = tf.tidy(() => tf.matMul(tf.tensor2d(hs.subarray(t * BH, (t + 1) * BH), [B, H]), wIn as tf.Tensor2D));
      const r = rec.dataSync();
      rec.dispose();
      for (let b = 0; b < B; b++) {
        const zx = (b * T + t) * G; // xProj is batch-major
        const zr = b * G;
        const gt = t * BG + b * G;
        const prev = t * BH + b * H;
        const next = prev + BH;
        for (let j = 0; j < H; j++) {
          const i = sigmoid(xp[zx + j] + r[zr + j]);
          const f = sigmoid(xp[zx + H + j] + r[zr + H + j]);
          const g = Math.tanh(xp[zx + 2 * H + j] + r[zr + 2 * H + j]);
          const o = sigmoid(xp[zx + 3 * H + j] + r[zr + 3 * H + j]);
          gates[gt + j] = i;
          gates[gt + H + j] = f;
          gates[gt + 2 * H + j] = g;
          gates[gt + 3 * H + j] = o;
          const c = f * cs[prev + j] + i * g;
          const tc = Math.tanh(c);
          cs[next + j] = c;
          tanhC[t * BH + b * H + j] = tc;
          hs[next + j] = o * tc;
        }
      }
    }
    hT = hs.slice(T * BH);
    cT = cs.slice(T * BH);
    const out = new Float32Array(B * T * H); // back to batch-major [B, T, H]
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) out.set(hs.subarray((t + 1) * BH + b * H, (t + 1) * BH + (b + 1) * H), (b * T + t) * H);
    }

    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      const dY = dy.dataSync() as Float32Array; // [B, T, H]
      // Transposes made explicitly: the wasm backend's transposed matmul is slow (see matMul.ts).
      const wT = tf.transpose(wIn as tf.Tensor2D);
      const dz = new Float32Array(T * BG); // step-major gate pre-activation grads
      let dhNext: Float32Array = new Float32Array(BH);
      const dcNext = new Float32Array(BH);
      for (let t = T - 1; t >= 0; t--) {
        for (let b = 0; b < B; b++) {
          const gt = t * BG + b * G;
          for (let j = 0; j < H; j++) {
            const s = b * H + j;
            const i = gates[gt + j];
            const f = gates[gt + H + j];
            const g = gates[gt + 2 * H + j];
            const o = gates[gt + 3 * H + j];
            const tc = tanhC[t * BH + s];
            const dh = dY[(b * T + t) * H + j] + dhNext[s];
            const dc = dcNext[s] + dh * o * (1 - tc * tc);
            dz[gt + j] = dc * g * i * (1 - i);
            dz[gt + H + j] = dc * cs[t * BH + s] * f * (1 - f);
            dz[gt + 2 * H + j] = dc * i * (1 - g * g);
            dz[gt + 3 * H + j] = dh * tc * o * (1 - o);
            dcNext[s] = dc * f;
          }
        }
        if (t > 0) {
          const back = tf.tidy(() => tf.matMul(tf.tensor2d(dz.subarray(t * BG, (t + 1) * BG), [B, G]), wT));
          dhNext = back.dataSync() as Float32Array;
          back.dispose();
        }
      }
      const dx = new Float32Array(B * T * G);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) dx.set(dz.subarray(t * BG + b * G, t * BG + (b + 1) * G), (b * T + t) * G);
      }
      wT.dispose();
      // dW_h = sum_t h_{t-1}^T dz_t, all steps in one [H, T*B] x [T*B, 4H] matmul.
      const hPrevT = new Float32Array(H * T * B);
      for (let r = 0; r < T * B; r++) for (let j = 0; j < H; j++) hPrevT[j * T * B + r] = hs[r * H + j];
      const dW = tf.tidy(() => tf.matMul(tf.tensor2d(hPrevT, [H, T * B]), tf.tensor2d(dz, [T * B, G])));
      return [tf.tensor3d(dx, [B, T, G]), dW];
    };
    return { value: tf.tensor3d(out, [B, T, H]), gradFunc };
  });

  const hs = op(xProj, recurrent) as tf.Tensor3D;
  return { hs, hT, cT };
}
