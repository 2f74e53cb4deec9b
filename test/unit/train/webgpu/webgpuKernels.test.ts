import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Random } from '../../../../src/core/random';
import { dropoutMask, dropThreshold, layerMaskSeed } from '../../../../src/core/train/dropoutMask';
import { adamCorrection, adamUpdate, clipScale, rmspropUpdate } from '../../../../src/core/train/stepMath';
import { CellType, ModelConfig, WeightArrays, specSize, weightSpecs } from '../../../../src/core/model/modelConfig';
import { biasGradient, biasPartialsSize } from '../../../../src/core/train/webgpu/biasGradientKernel';
import { carryState } from '../../../../src/core/train/webgpu/carryStateKernel';
import { GpuContext } from '../../../../src/core/train/webgpu/device';
import { embeddingGradient, embeddingPartialsSize } from '../../../../src/core/train/webgpu/embeddingGradientKernel';
import { embeddingLookup } from '../../../../src/core/train/webgpu/embeddingLookupKernel';
import { PARTIALS, gradNorm } from '../../../../src/core/train/webgpu/gradNormKernel';
import { Kernels } from '../../../../src/core/train/webgpu/kernels';
import { LayerMask, NO_MASK, layerTableData } from '../../../../src/core/train/webgpu/layerTable';
import { gruBackwardWaves } from '../../../../src/core/train/webgpu/gruBackwardWaveKernel';
import { gruForwardWaves } from '../../../../src/core/train/webgpu/gruForwardWaveKernel';
import { lstmBackwardWaves } from '../../../../src/core/train/webgpu/lstmBackwardWaveKernel';
import { lstmForwardWaves } from '../../../../src/core/train/webgpu/lstmForwardWaveKernel';
import { matmul } from '../../../../src/core/train/webgpu/matmulKernel';
import { optimizerStep, optimizerUniform } from '../../../../src/core/train/webgpu/optimizerKernel';
import { packFlat, parameterLayout } from '../../../../src/core/train/webgpu/parameterLayout';
import { rnnBackwardWaves } from '../../../../src/core/train/webgpu/rnnBackwardWaveKernel';
import { rnnForwardWaves } from '../../../../src/core/train/webgpu/rnnForwardWaveKernel';
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

test('matmul with row strides: a column block of a wider B into a column block of a wider C (a GRU\'s dUh = resetH^T dz_h), leaving the rest of C', async () => {
  for (const [M, N, K, ldB, colB, ldC, colC] of [
    [20, 24, 12, 72, 48, 72, 48], // vec4 rows
    [21, 14, 9, 42, 28, 45, 29], // scalar rows
  ]) {
    const a = randomArray(rng, K * M); // stored [K, M], used transposed
    const wideB = randomArray(rng, K * ldB);
    const wideC = randomArray(rng, M * ldC);
    const out = upload(wideC);
    const d = await matmul(k, { M, N, K, a: { buffer: upload(a), offset: 0, transposed: true }, b: { buffer: upload(wideB), offset: colB, ld: ldB }, c: { buffer: out, offset: colC, ld: ldC } });
    const [got] = await runAndRead(k, [d], [out]);
    const block = Float32Array.from({ length: K * N }, (_, i) => wideB[Math.floor(i / N) * ldB + colB + (i % N)]);
    const product = matmulReference(M, N, K, a, true, block, false);
    const want = Float32Array.from(wideC);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) want[m * ldC + colC + n] = product[m * N + n];
    assert.ok(relativeError(got.subarray(0, M * ldC), want) < 1e-5, `strided matmul ${[M, N, K, ldB, colB, ldC, colC]}: ${relativeError(got.subarray(0, M * ldC), want)}`);
  }
});

/**
 * A stacked network of L layers of H units (an LSTM unless `cell` says otherwise): random weights at `scale` in the trainer's flat layout and the layer
 * table over them with the dropout masks of `stepSeed` (none when undefined), uploaded, and both for the JS
 * reference (mask(l): layer l's multipliers over [N, H]).
 */
function recurrentLayers(L: number, H: number, N: number, scale: number, stepSeed: number | undefined, rate: number, cell: CellType = 'lstm') {
  const config: ModelConfig = { vocabSize: 3, embeddingSize: 6, hiddenSize: H, layers: L, dropout: 0, cell };
  const layout = parameterLayout(config);
  const weights: WeightArrays = new Map(weightSpecs(config).map((w) => [w.name, randomArray(rng, specSize(w), scale)]));
  const layer = (l: number, name: string) => weights.get(`${layout.layerNames[l]}/${name}`)!;
  const masks = Array.from({ length: L }, (_, l): LayerMask => (stepSeed === undefined ? NO_MASK : { seed: layerMaskSeed(stepSeed, l), threshold: dropThreshold(rate), scale: 1 / (1 - rate) }));
  return {
    buffers: { layerTable: k.uniform('layers', layerTableData(layout, masks)), params: upload(packFlat(layout, weights)) },
    wx: (l: number) => layer(l, 'kernel'),
    wh: (l: number) => layer(l, 'recurrent_kernel'),
    bias: (l: number) => layer(l, 'bias'),
    mask: (l: number) => (stepSeed === undefined ? new Float32Array(N * H).fill(1) : dropoutMask(stepSeed, l, N * H, rate)),
  };
}

const WAVE = { B: 5, T: 3, H: 20 };

/** What every forward wave takes: the first layer's x Wx + b (pre0) in gates [L, B*T, G], a random carried h, and the h, h_{t-1} and (with dropout) output buffers. */
function forwardWaveInputs(B: number, T: number, H: number, L: number, G: number, dropout: boolean) {
  const N = B * T;
  const pre0 = randomArray(rng, N * G);
  const h0 = randomArray(rng, L * B * H);
  const gates = new Float32Array(L * N * G);
  gates.set(pre0);
  const buffers = {
    hState: upload(h0),
    gates: upload(gates),
    hs: k.storage('hs', L * N * H),
    hprev: k.storage('hprev', L * N * H),
    dropped: dropout ? k.storage('dropped', L * N * H) : undefined,
  };
  return { pre0, h0, gates, buffers };
}

for (const [L, stepSeed] of [
  [3, 424242],
  [2, undefined],
] as const) {
  test(`lstm forward waves, ${L} layers${stepSeed ? ' with dropout between them' : ''}: gates, c, h, h_{t-1} and outputs of every layer and step`, async () => {
    const { B, T, H } = WAVE;
    const G = 4 * H;
    const N = B * T;
    const rate = 0.3;
    const w = recurrentLayers(L, H, N, 0.4, stepSeed, rate);
    const { pre0, h0, buffers } = forwardWaveInputs(B, T, H, L, G, stepSeed !== undefined);
    const c0 = randomArray(rng, L * B * H);
    const bufs = { ...w.buffers, ...buffers, cState: upload(c0), cs: k.storage('cs', L * N * H) };
    const waves = await lstmForwardWaves(k, { B, T, H, L, ...bufs });
    assert.equal(waves.length, L + T - 1);
    const reads = [bufs.gates, bufs.hs, bufs.cs, bufs.hprev, ...(bufs.dropped ? [bufs.dropped] : [])];
    const [gGates, gHs, gCs, gHprev, gDropped] = await runAndRead(k, waves, reads);
    // Layer by layer, step by step, as the CPU trainer orders it.
    const want = { gates: new Float32Array(L * N * G), hs: new Float32Array(L * N * H), cs: new Float32Array(L * N * H), hprev: new Float32Array(L * N * H), out: new Float32Array(L * N * H) };
    for (let l = 0; l < L; l++) {
      const mask = w.mask(l);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const row = b * T + t;
          const base = l * N * H;
          const hPrev = (j: number) => (t === 0 ? h0[(l * B + b) * H + j] : want.hs[base + (row - 1) * H + j]);
          const cPrev = (j: number) => (t === 0 ? c0[(l * B + b) * H + j] : want.cs[base + (row - 1) * H + j]);
          for (let q = 0; q < G; q++) {
            let z = l === 0 ? pre0[row * G + q] : w.bias(l)[q];
            if (l > 0) for (let j = 0; j < H; j++) z += want.out[(l - 1) * N * H + row * H + j] * w.wx(l)[j * G + q];
            for (let j = 0; j < H; j++) z += hPrev(j) * w.wh(l)[j * G + q];
            want.gates[l * N * G + row * G + q] = q >= 2 * H && q < 3 * H ? Math.tanh(z) : sigmoid(z);
          }
          for (let j = 0; j < H; j++) {
            const [i, f, g, o] = [0, 1, 2, 3].map((gate) => want.gates[l * N * G + row * G + gate * H + j]);
            const c = f * cPrev(j) + i * g;
            want.hprev[base + row * H + j] = hPrev(j);
            want.cs[base + row * H + j] = c;
            want.hs[base + row * H + j] = o * Math.tanh(c);
            want.out[base + row * H + j] = want.hs[base + row * H + j] * mask[row * H + j];
          }
        }
      }
    }
    for (const [what, got, expected] of [
      ['gates', gGates, want.gates],
      ['c', gCs, want.cs],
      ['h', gHs, want.hs],
      ['h_{t-1}', gHprev, want.hprev],
      ...(gDropped ? [['output after dropout', gDropped, want.out] as const] : []),
    ] as const) {
      assert.ok(relativeError(got, expected) < 1e-5, `${what}: ${relativeError(got, expected).toExponential(2)}`);
    }
    if (gDropped) assert.ok(gDropped.some((v, i) => v === 0 && gHs[i] !== 0), 'some outputs dropped');
  });
}

/** The backward references' order, as the CPU trainer's: top layer first, each from t = T-1 down. */
function backwardOrder(L: number, T: number, B: number, visit: (l: number, t: number, b: number, row: number) => void): void {
  for (let l = L - 1; l >= 0; l--) for (let t = T - 1; t >= 0; t--) for (let b = 0; b < B; b++) visit(l, t, b, b * T + t);
}

/** The backward references' gradient of layer l's output at (row, j), before dropout's mask: dTop on the top layer, below it dz_{l+1} Wx_{l+1}^T (dz: [L, N, G]). */
function outputGradient(n: { dz: Float32Array; dTop: Float32Array; wx: (l: number) => Float32Array; L: number; N: number; G: number; H: number }, l: number, row: number, j: number): number {
  if (l === n.L - 1) return n.dTop[row * n.H + j];
  let dy = 0;
  for (let q = 0; q < n.G; q++) dy += n.dz[(l + 1) * n.N * n.G + row * n.G + q] * n.wx(l + 1)[j * n.G + q];
  return dy;
}

for (const [L, T, stepSeed] of [
  [3, 3, 99],
  [2, 1, undefined],
] as const) {
  test(`lstm backward waves, ${L} layers, T=${T}${stepSeed ? ', dropout between them' : ''}: dz of every layer and step, and the carried dc`, async () => {
    const { B, H } = WAVE;
    const G = 4 * H;
    const N = B * T;
    const rate = 0.4;
    const w = recurrentLayers(L, H, N, 0.5, stepSeed, rate);
    // Activated gates in their ranges, c states, the carried c and the top layer's output gradient.
    const gates = Float32Array.from({ length: L * N * G }, (_, i) => ((i % G) >= 2 * H && (i % G) < 3 * H ? rng.uniform(-0.9, 0.9) : rng.uniform(0.05, 0.95)));
    const cs = randomArray(rng, L * N * H);
    const cState = randomArray(rng, L * B * H);
    const dTop = randomArray(rng, N * H);
    const bufs = {
      ...w.buffers,
      dTop: upload(dTop),
      cs: upload(cs),
      cState: upload(cState),
      gates: upload(gates),
      dc: k.storage('dc', L * B * H),
    };
    const waves = await lstmBackwardWaves(k, { B, T, H, L, ...bufs, dropout: stepSeed !== undefined });
    assert.equal(waves.length, L + T - 1);
    const [dz, dc] = await runAndRead(k, waves, [bufs.gates, bufs.dc]);
    const want = Float32Array.from(gates);
    const carry = new Float32Array(L * B * H);
    const masks = Array.from({ length: L }, (_, l) => w.mask(l));
    backwardOrder(L, T, B, (l, t, b, row) => {
      for (let j = 0; j < H; j++) {
        let dh = outputGradient({ dz: want, dTop, wx: w.wx, L, N, G, H }, l, row, j) * masks[l][row * H + j];
        if (t < T - 1) for (let q = 0; q < G; q++) dh += want[l * N * G + (row + 1) * G + q] * w.wh(l)[j * G + q];
        const z = l * N * G + row * G + j;
        const [i, f, g, o] = [0, 1, 2, 3].map((gate) => gates[z + gate * H]);
        const at = l * N * H + row * H + j;
        const tc = Math.tanh(cs[at]);
        const cPrev = t === 0 ? cState[(l * B + b) * H + j] : cs[at - H];
        const dcv = dh * o * (1 - tc * tc) + (t < T - 1 ? carry[(l * B + b) * H + j] : 0);
        carry[(l * B + b) * H + j] = dcv * f;
        want[z] = dcv * g * i * (1 - i);
        want[z + H] = dcv * cPrev * f * (1 - f);
        want[z + 2 * H] = dcv * i * (1 - g * g);
        want[z + 3 * H] = dh * tc * o * (1 - o);
      }
    });
    assert.ok(relativeError(dz, want) < 1e-5, `dz ${relativeError(dz, want).toExponential(2)}`);
    assert.ok(relativeError(dc, carry) < 1e-5, `dc ${relativeError(dc, carry).toExponential(2)}`);
  });
}

// The GRU and RNN waves hold a stream's H units in one workgroup of 64 invocations: H = 70 gives some two units.
const STREAM_WAVE = { B: 3, T: 3, H: 70 };

for (const [cell, L, stepSeed] of [
  ['gru', 3, 515151],
  ['gru', 2, undefined],
  ['rnn', 3, 626262],
  ['rnn', 2, undefined],
] as const) {
  test(`${cell} forward waves, ${L} layers${stepSeed ? ' with dropout between them' : ''}: gates, h, h_{t-1}${cell === 'gru' ? ', r h_{t-1}' : ''} and outputs of every layer and step`, async () => {
    const { B, T, H } = STREAM_WAVE;
    const G = (cell === 'gru' ? 3 : 1) * H;
    const N = B * T;
    const rate = 0.3;
    const w = recurrentLayers(L, H, N, 0.3, stepSeed, rate, cell);
    const { pre0, h0, gates, buffers } = forwardWaveInputs(B, T, H, L, G, stepSeed !== undefined);
    const bufs = { ...w.buffers, ...buffers, resetH: k.storage('resetH', L * N * H) };
    const waves = cell === 'gru' ? await gruForwardWaves(k, { B, T, H, L, ...bufs }) : await rnnForwardWaves(k, { B, T, H, L, ...bufs });
    assert.equal(waves.length, L + T - 1);
    const reads = [bufs.gates, bufs.hs, bufs.hprev, bufs.resetH, ...(bufs.dropped ? [bufs.dropped] : [])];
    const [gGates, gHs, gHprev, gResetH, gDropped] = await runAndRead(k, waves, reads);
    // Layer by layer, step by step, as the CPU trainer orders it.
    const want = { gates: Float32Array.from(gates), hs: new Float32Array(L * N * H), hprev: new Float32Array(L * N * H), resetH: new Float32Array(L * N * H), out: new Float32Array(L * N * H) };
    for (let l = 0; l < L; l++) {
      const mask = w.mask(l);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const row = b * T + t;
          const base = l * N * H;
          const hPrev = (j: number) => (t === 0 ? h0[(l * B + b) * H + j] : want.hs[base + (row - 1) * H + j]);
          // pre[q] = x W + b of gate column q
          const pre = Float64Array.from({ length: G }, (_, q) => {
            if (l === 0) return pre0[row * G + q];
            let z = w.bias(l)[q];
            for (let j = 0; j < H; j++) z += want.out[(l - 1) * N * H + row * H + j] * w.wx(l)[j * G + q];
            return z;
          });
          const recurrent = (operand: (j: number) => number, q: number) => {
            let z = 0;
            for (let j = 0; j < H; j++) z += operand(j) * w.wh(l)[j * G + q];
            return z;
          };
          const z = l * N * G + row * G;
          const at = base + row * H;
          if (cell === 'gru') {
            for (let j = 0; j < 2 * H; j++) want.gates[z + j] = sigmoid(pre[j] + recurrent(hPrev, j));
            for (let j = 0; j < H; j++) want.resetH[at + j] = want.gates[z + H + j] * hPrev(j);
            for (let j = 0; j < H; j++) {
              const hh = Math.tanh(pre[2 * H + j] + recurrent((i) => want.resetH[at + i], 2 * H + j));
              const u = want.gates[z + j];
              want.gates[z + 2 * H + j] = hh;
              want.hs[at + j] = u * hPrev(j) + (1 - u) * hh;
            }
          } else {
            for (let j = 0; j < H; j++) want.hs[at + j] = Math.tanh(pre[j] + recurrent(hPrev, j));
          }
          for (let j = 0; j < H; j++) {
            want.hprev[at + j] = hPrev(j);
            want.out[at + j] = want.hs[at + j] * mask[row * H + j];
          }
        }
      }
    }
    for (const [what, got, expected] of [
      ['gates', gGates, want.gates],
      ['h', gHs, want.hs],
      ['h_{t-1}', gHprev, want.hprev],
      ...(cell === 'gru' ? [['r h_{t-1}', gResetH, want.resetH] as const] : []),
      ...(gDropped ? [['output after dropout', gDropped, want.out] as const] : []),
    ] as const) {
      assert.ok(relativeError(got, expected) < 1e-5, `${what}: ${relativeError(got, expected).toExponential(2)}`);
    }
    if (gDropped) assert.ok(gDropped.some((v, i) => v === 0 && gHs[i] !== 0), 'some outputs dropped');
  });
}

for (const [cell, L, T, stepSeed] of [
  ['gru', 3, 3, 99],
  ['gru', 2, 1, undefined],
  ['rnn', 3, 3, 77],
  ['rnn', 2, 1, undefined],
] as const) {
  test(`${cell} backward waves, ${L} layers, T=${T}${stepSeed ? ', dropout between them' : ''}: dz of every layer and step${cell === 'gru' ? ', and the carried dh u + dResetH r' : ''}`, async () => {
    const { B, H } = STREAM_WAVE;
    const G = (cell === 'gru' ? 3 : 1) * H;
    const N = B * T;
    const rate = 0.4;
    const w = recurrentLayers(L, H, N, 0.4, stepSeed, rate, cell);
    // Activated gates in their ranges (GRU u, r in (0, 1), hh in (-1, 1)), h, h_{t-1} and the top layer's output gradient.
    const gates = Float32Array.from({ length: L * N * G }, (_, i) => (cell === 'gru' && i % G < 2 * H ? rng.uniform(0.05, 0.95) : rng.uniform(-0.9, 0.9)));
    const hs = Float32Array.from({ length: L * N * H }, () => rng.uniform(-0.9, 0.9));
    const hprev = randomArray(rng, L * N * H);
    const dTop = randomArray(rng, N * H);
    const bufs = { ...w.buffers, dTop: upload(dTop), hs: upload(hs), hprev: upload(hprev), gates: upload(gates), carry: k.storage('carry', L * B * H) };
    const dropout = stepSeed !== undefined;
    const waves = cell === 'gru' ? await gruBackwardWaves(k, { B, T, H, L, ...bufs, dropout }) : await rnnBackwardWaves(k, { B, T, H, L, ...bufs, dropout });
    assert.equal(waves.length, L + T - 1);
    const [dz, gCarry] = await runAndRead(k, waves, [bufs.gates, bufs.carry]);
    const want = Float32Array.from(gates);
    const carry = new Float32Array(L * B * H);
    const masks = Array.from({ length: L }, (_, l) => w.mask(l));
    backwardOrder(L, T, B, (l, t, b, row) => {
      const z = l * N * G + row * G;
      const at = l * N * H + row * H;
      const dh = Float64Array.from({ length: H }, (_, j) => {
        let d = outputGradient({ dz: want, dTop, wx: w.wx, L, N, G, H }, l, row, j) * masks[l][row * H + j];
        if (t < T - 1) {
          // the next step's dz against U (a GRU's u and r columns) and, for a GRU, what it carried back
          for (let q = 0; q < (cell === 'gru' ? 2 * H : G); q++) d += want[z + G + q] * w.wh(l)[j * G + q];
          if (cell === 'gru') d += carry[(l * B + b) * H + j];
        }
        return d;
      });
      if (cell === 'rnn') {
        for (let j = 0; j < H; j++) want[z + j] = dh[j] * (1 - hs[at + j] ** 2);
        return;
      }
      for (let j = 0; j < H; j++) {
        const [u, hh] = [gates[z + j], gates[z + 2 * H + j]];
        want[z + j] = dh[j] * (hprev[at + j] - hh) * u * (1 - u);
        want[z + 2 * H + j] = dh[j] * (1 - u) * (1 - hh * hh);
      }
      for (let j = 0; j < H; j++) {
        let dResetH = 0;
        for (let q = 0; q < H; q++) dResetH += want[z + 2 * H + q] * w.wh(l)[j * G + 2 * H + q];
        const r = gates[z + H + j];
        want[z + H + j] = dResetH * hprev[at + j] * r * (1 - r);
        carry[(l * B + b) * H + j] = dh[j] * gates[z + j] + dResetH * r;
      }
    });
    assert.ok(relativeError(dz, want) < 1e-5, `dz ${relativeError(dz, want).toExponential(2)}`);
    if (cell === 'gru') assert.ok(relativeError(gCarry, carry) < 1e-5, `carry ${relativeError(gCarry, carry).toExponential(2)}`);
  });
}

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

test('embedding lookup: each position its id\'s row', async () => {
  const [N, V, E] = [30, 11, 70];
  const table = randomArray(rng, V * E);
  const x = Int32Array.from({ length: N }, () => Math.floor(rng.next() * V));
  const params = new Float32Array(64 + V * E);
  params.set(table, 64);
  const out = k.storage('emb', N * E);
  const [got] = await runAndRead(k, [await embeddingLookup(k, { N, V, E, x: upload(x), params: upload(params), offTable: 64, out })], [out]);
  for (let r = 0; r < N; r++) assert.deepEqual(got.subarray(r * E, (r + 1) * E), table.subarray(x[r] * E, (x[r] + 1) * E));
});

// Shapes with several row chunks, id groups and column groups, partial ones, and a single row.
for (const [N, V, E] of [
  [300, 70, 70],
  [1, 5, 3],
  [97, 33, 16],
]) {
  test(`embedding gradient (two-level tree) N=${N}, V=${V}, E=${E}: each id's sum of its positions' gradients`, async () => {
    // Skewed ids, as characters are; the last id is never used, so its gradient must be 0.
    const x = Int32Array.from({ length: N }, () => Math.min(V - 2, Math.floor(rng.next() ** 2 * V)));
    if (V === 5) x[0] = 0;
    const dEmb = randomArray(rng, N * E);
    const grads = k.storage('grads', 64 + V * E + 1);
    k.write(grads, new Float32Array(64 + V * E + 1).fill(7));
    const list = await embeddingGradient(k, { N, V, E, x: upload(x), dEmb: upload(dEmb), partials: k.storage('partials', embeddingPartialsSize(N, V, E)), grads, offTable: 64 });
    const [got] = await runAndRead(k, list, [grads]);
    const want = new Float32Array(V * E);
    for (let r = 0; r < N; r++) for (let e = 0; e < E; e++) want[x[r] * E + e] += dEmb[r * E + e];
    assert.ok(relativeError(got.subarray(64, 64 + V * E), want) < 1e-6, `${relativeError(got.subarray(64, 64 + V * E), want)}`);
    assert.ok(got.subarray(0, 64).every((v) => v === 7), 'nothing written before the table');
    assert.equal(got[64 + V * E], 7, 'nothing written after the table');
  });
}

for (const [R, C] of [
  [300, 70],
  [1, 5],
  [2500, 200],
]) {
  test(`bias gradient (two-level tree) R=${R}, C=${C}: column sums over all positions`, async () => {
    const offD = 12;
    const d = randomArray(rng, R * C);
    const stored = new Float32Array(offD + d.length);
    stored.set(d, offD);
    const grads = k.storage('grads', 8 + C + 1);
    k.write(grads, new Float32Array(8 + C + 1).fill(7));
    const list = await biasGradient(k, R, C, { buffer: upload(stored), offset: offD }, k.storage('partials', biasPartialsSize(R, C)), grads, 8);
    const [got] = await runAndRead(k, list, [grads]);
    const want = new Float32Array(C);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) want[c] += d[r * C + c];
    assert.ok(relativeError(got.subarray(8, 8 + C), want) < 1e-5, `${relativeError(got.subarray(8, 8 + C), want)}`);
    assert.equal(got[7], 7);
    assert.equal(got[8 + C], 7);
  });
}

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

test('carry state: the last step of every stream of every layer', async () => {
  const [L, B, T, H] = [2, 3, 4, 10];
  const hs = randomArray(rng, L * B * T * H);
  const cs = randomArray(rng, L * B * T * H);
  const h = k.storage('h', L * B * H);
  const c = k.storage('c', L * B * H);
  const [gh, gc] = await runAndRead(k, [await carryState(k, L, B, T, H, upload(hs), upload(cs), h, c)], [h, c]);
  for (let l = 0; l < L; l++) {
    for (let b = 0; b < B; b++) {
      const src = (l * B * T + b * T + T - 1) * H;
      const dst = (l * B + b) * H;
      assert.deepEqual(gh.subarray(dst, dst + H), hs.subarray(src, src + H));
      assert.deepEqual(gc.subarray(dst, dst + H), cs.subarray(src, src + H));
    }
  }
});

test('a WGSL kernel that does not compile is a WgslCompileError naming the kernel and the line', async () => {
  await assert.rejects(k.pipeline('broken kernel', '@compute @workgroup_size(1) fn main() { let x: f32 = undefinedThing; }'), (err: Error) => {
    assert.ok(err instanceof WgslCompileError, String(err));
    assert.match(err.message, /broken kernel.*line 1/);
    return true;
  });
});
