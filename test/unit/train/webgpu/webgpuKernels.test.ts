import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Random } from '../../../../src/core/random';
import { dropoutMask, dropThreshold, layerMaskSeed } from '../../../../src/core/train/dropoutMask';
import { adamCorrection, adamUpdate, clipScale, rmspropUpdate } from '../../../../src/core/train/stepMath';
import { biasGradient } from '../../../../src/core/train/webgpu/biasGradientKernel';
import { carryState } from '../../../../src/core/train/webgpu/carryStateKernel';
import { GpuContext } from '../../../../src/core/train/webgpu/device';
import { dropout, dropoutUniform } from '../../../../src/core/train/webgpu/dropoutKernel';
import { embeddingGradient, embeddingLookup } from '../../../../src/core/train/webgpu/embeddingKernel';
import { PARTIALS, gradNorm } from '../../../../src/core/train/webgpu/gradNormKernel';
import { Kernels } from '../../../../src/core/train/webgpu/kernels';
import { lstmBackwardStep } from '../../../../src/core/train/webgpu/lstmBackwardStepKernel';
import { lstmStep } from '../../../../src/core/train/webgpu/lstmStepKernel';
import { matmul } from '../../../../src/core/train/webgpu/matmulKernel';
import { optimizerStep, optimizerUniform } from '../../../../src/core/train/webgpu/optimizerKernel';
import { lossMean, softmaxCrossEntropy } from '../../../../src/core/train/webgpu/softmaxCrossEntropyKernel';
import { WgslCompileError } from '../../../../src/core/train/webgpu/webGpuError';
import { openTestGpu, randomArray, relativeError, runAndRead } from '../../webgpuHelpers';

// Each kernel against a plain JS reference on the software adapter (or a GPU), at sizes that
// keep every invocation's loops far below llvmpipe's 65,535-iteration cap.
let gpu: GpuContext;
let k: Kernels;
before(async () => {
  gpu = await openTestGpu();
  k = new Kernels(gpu.device);
});
after(() => {
  k.destroy();
  gpu.device.destroy();
});

const rng = new Random(7);
const upload = (data: Float32Array | Int32Array) => {
  const b = k.storage('test', data.length);
  k.write(b, data);
  return b;
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** C = op(A) op(B) (+ bias) in float64. */
function matmulReference(M: number, N: number, K: number, a: Float32Array, transA: boolean, b: Float32Array, transB: boolean, bias?: Float32Array): Float32Array {
  const c = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0;
      for (let q = 0; q < K; q++) s += (transA ? a[q * M + m] : a[m * K + q]) * (transB ? b[n * K + q] : b[q * N + n]);
      c[m * N + n] = s;
    }
  }
  return c;
}

test('matmul: every transpose variant, vec4 and scalar paths, offsets and bias', async () => {
  const cases = [
    { M: 70, N: 68, K: 36, transA: false, transB: false, bias: true },
    { M: 33, N: 129, K: 40, transA: true, transB: false, bias: false },
    { M: 40, N: 33, K: 65, transA: false, transB: true, bias: false },
    { M: 37, N: 65, K: 13, transA: false, transB: false, bias: true }, // no dimension a multiple of 4: scalar loads
    { M: 17, N: 20, K: 29, transA: true, transB: true, bias: false },
  ];
  for (const c of cases) {
    const offA = 8;
    const offB = c.N % 4 ? 5 : 12;
    const a = randomArray(rng, c.M * c.K);
    const b = randomArray(rng, c.K * c.N);
    const bias = randomArray(rng, c.N);
    const withOffset = (x: Float32Array, off: number) => {
      const y = new Float32Array(off + x.length);
      y.set(x, off);
      return y;
    };
    const out = k.storage('c', c.M * c.N + 4);
    const biasBuffer = upload(bias);
    const d = await matmul(k, {
      M: c.M,
      N: c.N,
      K: c.K,
      a: { buffer: upload(withOffset(a, offA)), offset: offA, transposed: c.transA },
      b: { buffer: upload(withOffset(b, offB)), offset: offB, transposed: c.transB },
      c: { buffer: out, offset: 4 },
      bias: c.bias ? { buffer: biasBuffer, offset: 0 } : undefined,
    });
    const [got] = await runAndRead(k, [d], [out]);
    const want = matmulReference(c.M, c.N, c.K, a, c.transA, b, c.transB, c.bias ? bias : undefined);
    assert.ok(relativeError(got.subarray(4), want) < 1e-5, `matmul ${JSON.stringify(c)}: ${relativeError(got.subarray(4), want)}`);
  }
});

/** One forward LSTM step at t in plain JS: returns activated gates, c, h at row b*T+t. */
function lstmStepReference(B: number, T: number, H: number, t: number, xproj: Float32Array, wh: Float32Array, hPrev: Float32Array, cPrev: Float32Array) {
  const G = 4 * H;
  const gates = new Float32Array(B * G);
  const c = new Float32Array(B * H);
  const h = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < G; q++) {
      let z = xproj[(b * T + t) * G + q];
      for (let j = 0; j < H; j++) z += hPrev[b * H + j] * wh[j * G + q];
      gates[b * G + q] = q >= 2 * H && q < 3 * H ? Math.tanh(z) : sigmoid(z);
    }
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = [0, 1, 2, 3].map((gate) => gates[b * G + gate * H + j]);
      c[b * H + j] = f * cPrev[b * H + j] + i * g;
      h[b * H + j] = o * Math.tanh(c[b * H + j]);
    }
  }
  return { gates, c, h };
}

const LSTM = { B: 5, T: 3, H: 20 };

test('lstm step: recurrent matmul and gate math for t = 0 (carried state) and t = 1', async () => {
  const { B, T, H } = LSTM;
  const G = 4 * H;
  const xproj = randomArray(rng, B * T * G);
  const wh = randomArray(rng, H * G, 0.5);
  const h0 = randomArray(rng, B * H);
  const c0 = randomArray(rng, B * H);
  const offW = 64;
  const params = new Float32Array(offW + wh.length);
  params.set(wh, offW);
  const bufs = { params: upload(params), hState: upload(h0), cState: upload(c0), gates: upload(xproj), hs: k.storage('hs', B * T * H), cs: k.storage('cs', B * T * H), hprev: k.storage('hprev', B * T * H) };
  const steps = [await lstmStep(k, { B, T, H, t: 0, offW, ...bufs }), await lstmStep(k, { B, T, H, t: 1, offW, ...bufs })];
  const [gates, hs, cs, hprev] = await runAndRead(k, steps, [bufs.gates, bufs.hs, bufs.cs, bufs.hprev]);
  let h = h0;
  let c = c0;
  for (let t = 0; t < 2; t++) {
    const want = lstmStepReference(B, T, H, t, xproj, wh, h, c);
    for (let b = 0; b < B; b++) {
      const row = b * T + t;
      assert.ok(relativeError(gates.subarray(row * G, (row + 1) * G), want.gates.subarray(b * G, (b + 1) * G)) < 1e-5, `gates t=${t} b=${b}`);
      assert.ok(relativeError(cs.subarray(row * H, (row + 1) * H), want.c.subarray(b * H, (b + 1) * H)) < 1e-5, `c t=${t} b=${b}`);
      assert.ok(relativeError(hs.subarray(row * H, (row + 1) * H), want.h.subarray(b * H, (b + 1) * H)) < 1e-5, `h t=${t} b=${b}`);
      assert.ok(relativeError(hprev.subarray(row * H, (row + 1) * H), h.subarray(b * H, (b + 1) * H)) < 1e-5, `hprev t=${t} b=${b}`);
    }
    h = want.h;
    c = want.c;
  }
});

test('lstm backward step: dz for the last two steps, the recurrent dh and the carried dc', async () => {
  const { B, T, H } = LSTM;
  const G = 4 * H;
  // Activated gates in their ranges, c states, dHs; steps t = T-1 then T-2.
  const gates = Float32Array.from({ length: B * T * G }, (_, i) => ((i % G) >= 2 * H && (i % G) < 3 * H ? rng.uniform(-0.9, 0.9) : rng.uniform(0.05, 0.95)));
  const cs = randomArray(rng, B * T * H);
  const cState = randomArray(rng, B * H);
  const dHs = randomArray(rng, B * T * H);
  const wh = randomArray(rng, H * G, 0.5);
  const bufs = { params: upload(wh), dHs: upload(dHs), cs: upload(cs), cState: upload(cState), gates: upload(gates), dc: k.storage('dc', B * H) };
  const steps = [await lstmBackwardStep(k, { B, T, H, t: T - 1, offW: 0, ...bufs }), await lstmBackwardStep(k, { B, T, H, t: T - 2, offW: 0, ...bufs })];
  const [dz, dc] = await runAndRead(k, steps, [bufs.gates, bufs.dc]);
  const want = Float32Array.from(gates);
  const carry = new Float32Array(B * H);
  for (const t of [T - 1, T - 2]) {
    for (let b = 0; b < B; b++) {
      const row = b * T + t;
      for (let j = 0; j < H; j++) {
        let dh = dHs[row * H + j];
        if (t < T - 1) for (let q = 0; q < G; q++) dh += want[(row + 1) * G + q] * wh[j * G + q];
        const [i, f, g, o] = [0, 1, 2, 3].map((gate) => gates[row * G + gate * H + j]);
        const tc = Math.tanh(cs[row * H + j]);
        const cPrev = t === 0 ? cState[b * H + j] : cs[(row - 1) * H + j];
        const dcv = dh * o * (1 - tc * tc) + (t < T - 1 ? carry[b * H + j] : 0);
        carry[b * H + j] = dcv * f;
        want[row * G + j] = dcv * g * i * (1 - i);
        want[row * G + H + j] = dcv * cPrev * f * (1 - f);
        want[row * G + 2 * H + j] = dcv * i * (1 - g * g);
        want[row * G + 3 * H + j] = dh * tc * o * (1 - o);
      }
    }
  }
  assert.ok(relativeError(dz, want) < 1e-5, `dz ${relativeError(dz, want)}`);
  assert.ok(relativeError(dc, carry) < 1e-5, `dc ${relativeError(dc, carry)}`);
});

test('softmax cross-entropy: per-position loss, dlogits and the mean', async () => {
  const N = 9;
  const V = 70;
  const logits = randomArray(rng, N * V, 4);
  const y = Int32Array.from({ length: N }, () => Math.floor(rng.next() * V));
  const bufs = { logits: upload(logits), y: upload(y), loss: k.storage('loss', N) };
  const mean = k.storage('mean', 1);
  const list = [await softmaxCrossEntropy(k, { N, V, ...bufs }), await lossMean(k, N, bufs.loss, mean)];
  const [dlogits, loss, m] = await runAndRead(k, list, [bufs.logits, bufs.loss, mean]);
  let total = 0;
  for (let r = 0; r < N; r++) {
    const row = logits.subarray(r * V, (r + 1) * V);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    const l = Math.log(sum) + max - row[y[r]];
    total += l;
    assert.ok(Math.abs(loss[r] - l) < 1e-5, `loss row ${r}`);
    const want = Float32Array.from(row, (v, i) => (Math.exp(v - max) / sum - (i === y[r] ? 1 : 0)) / N);
    assert.ok(relativeError(dlogits.subarray(r * V, (r + 1) * V), want) < 1e-5, `dlogits row ${r}`);
  }
  assert.ok(Math.abs(m[0] - total / N) < 1e-5);
});

test('embedding: lookup and gradient (gathered per vocabulary row)', async () => {
  const N = 30;
  const V = 11;
  const E = 70;
  const table = randomArray(rng, V * E);
  const x = Int32Array.from({ length: N }, () => Math.floor(rng.next() * (V - 1))); // the last row is never used: its gradient is 0
  const xb = upload(x);
  const out = k.storage('emb', N * E);
  const dOut = randomArray(rng, N * E);
  const dTable = k.storage('dTable', 64 + V * E);
  const list = [await embeddingLookup(k, { N, V, E, x: xb, table: upload(table), offTable: 0, rows: out }), await embeddingGradient(k, { N, V, E, x: xb, table: dTable, offTable: 64, rows: upload(dOut) })];
  const [got, grad] = await runAndRead(k, list, [out, dTable]);
  for (let r = 0; r < N; r++) assert.deepEqual(got.subarray(r * E, (r + 1) * E), table.subarray(x[r] * E, (x[r] + 1) * E));
  const want = new Float32Array(V * E);
  for (let r = 0; r < N; r++) for (let e = 0; e < E; e++) want[x[r] * E + e] += dOut[r * E + e];
  assert.ok(relativeError(grad.subarray(64), want) < 1e-6);
});

test('dropout: the mask of dropoutMask.ts, scaled, forward and backward alike', async () => {
  const n = 1000;
  const rate = 0.3;
  const stepSeed = 123456789;
  const input = randomArray(rng, n);
  const out = k.storage('out', n);
  const uniform = k.uniform('dropout', dropoutUniform(n, layerMaskSeed(stepSeed, 1), dropThreshold(rate), 1 / (1 - rate)));
  const [got] = await runAndRead(k, [await dropout(k, n, uniform, upload(input), out)], [out]);
  const mask = dropoutMask(stepSeed, 1, n, rate);
  assert.deepEqual(got.subarray(0, n), Float32Array.from(input, (v, i) => v * mask[i]));
});

test('bias gradient: column sums over all positions', async () => {
  const R = 37;
  const C = 45;
  const d = randomArray(rng, R * C);
  const grads = k.storage('grads', 8 + C);
  const [got] = await runAndRead(k, [await biasGradient(k, R, C, upload(d), grads, 8)], [grads]);
  const want = new Float32Array(C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) want[c] += d[r * C + c];
  assert.ok(relativeError(got.subarray(8, 8 + C), want) < 1e-5);
});

test('grad norm: the clip scale of stepMath.ts, clipping and not', async () => {
  const n = 4096 * 3;
  const g = randomArray(rng, n);
  const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
  for (const clip of [5, 1000]) {
    const scale = k.storage('scale', 1);
    const [got] = await runAndRead(k, await gradNorm(k, n, clip, upload(g), k.storage('partials', PARTIALS), scale), [scale]);
    assert.ok(Math.abs(got[0] - clipScale(norm, clip)) < 1e-6, `clip ${clip}: ${got[0]} vs ${clipScale(norm, clip)}`);
  }
});

test('optimizer: Adam and RMSProp equal stepMath.ts on one flat buffer', async () => {
  const n = 256;
  const lr = 0.01;
  const t = 3;
  const scale = 0.5;
  const w = randomArray(rng, n);
  const g = randomArray(rng, n);
  const m = randomArray(rng, n, 0.1);
  const v = Float32Array.from({ length: n }, () => rng.uniform(0, 0.01));
  const { c1, c2 } = adamCorrection(t);
  const bufs = { params: upload(w), grads: upload(g), m: upload(m), v: upload(v), scale: upload(new Float32Array([scale])) };
  const adam = await optimizerStep(k, 'adam', n, k.uniform('opt', optimizerUniform(n, lr, c1, c2)), bufs.scale, bufs.params, bufs.grads, [bufs.m, bufs.v]);
  const [gw, gm, gv] = await runAndRead(k, [adam], [bufs.params, bufs.m, bufs.v]);
  const [rw, rm, rv] = [w, m, v].map((a) => Float32Array.from(a));
  adamUpdate(rw, g, rm, rv, lr, t, scale);
  assert.ok(relativeError(gw, rw) < 1e-6 && relativeError(gm, rm) < 1e-6 && relativeError(gv, rv) < 1e-6, 'adam');

  const ms = upload(v);
  const params = upload(w);
  const rms = await optimizerStep(k, 'rmsprop', n, k.uniform('opt', optimizerUniform(n, lr, 1, 1)), bufs.scale, params, bufs.grads, [ms]);
  const [qw, qms] = await runAndRead(k, [rms], [params, ms]);
  const [sw, sms] = [w, v].map((a) => Float32Array.from(a));
  rmspropUpdate(sw, g, sms, lr, scale);
  assert.ok(relativeError(qw, sw) < 1e-6 && relativeError(qms, sms) < 1e-6, 'rmsprop');
});

test('carry state: the last step of every stream', async () => {
  const B = 3;
  const T = 4;
  const H = 10;
  const hs = randomArray(rng, B * T * H);
  const cs = randomArray(rng, B * T * H);
  const h = k.storage('h', B * H);
  const c = k.storage('c', B * H);
  const [gh, gc] = await runAndRead(k, [await carryState(k, B, T, H, upload(hs), upload(cs), h, c)], [h, c]);
  for (let b = 0; b < B; b++) {
    const src = (b * T + T - 1) * H;
    assert.deepEqual(gh.subarray(b * H, (b + 1) * H), hs.subarray(src, src + H));
    assert.deepEqual(gc.subarray(b * H, (b + 1) * H), cs.subarray(src, src + H));
  }
});

test('a WGSL kernel that does not compile is a WgslCompileError naming the kernel and the line', async () => {
  await assert.rejects(k.pipeline('broken kernel', '@compute @workgroup_size(1) fn main() { let x: f32 = undefinedThing; }'), (err: Error) => {
    assert.ok(err instanceof WgslCompileError, String(err));
    assert.match(err.message, /broken kernel.*line 1/);
    return true;
  });
});
