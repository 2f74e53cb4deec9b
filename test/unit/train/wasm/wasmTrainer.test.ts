import assert from 'node:assert/strict';
import * as os from 'node:os';
import { before, describe, test } from 'node:test';
import { BatchStreams } from '../../../../src/core/text/batches';
import { initialWeights } from '../../../../src/core/model/lstmInit';
import { CELL_TYPES, ModelConfig, WeightArrays } from '../../../../src/core/model/modelConfig';
import { Random } from '../../../../src/core/random';
import { dropThreshold, dropoutMask, layerMaskSeed } from '../../../../src/core/train/dropoutMask';
import { adamUpdate, rmspropUpdate } from '../../../../src/core/train/stepMath';
import { createTfjsTrainer } from '../../../../src/core/train/tfjs/tfjsTrainer';
import { OptimizerName, Trainer, TrainerSpec } from '../../../../src/core/train/trainer';
import { EXP, INIT_ACCUMULATE, INIT_BIAS, INIT_ZERO, SIGMOID, TANH, compileKernels, instantiateKernels } from '../../../../src/core/train/wasm/kernelModules';
import { createWasmTrainer, defaultThreadCount, wasmTrainerSupport } from '../../../../src/core/train/wasm/wasmTrainer';
import { loadCheckpoint } from '../../../../src/core/model/checkpoint';
import { resumeDir } from '../../../../src/core/train/loop';
import { smallOptions, structuredText, tempDir, trainText, unigramEntropy, useWasm } from '../../helpers';
import { assertStepsFollowReference, relDiff } from '../../trainerContract';

before(useWasm);

/** Kernels on a fresh shared memory, with a bump allocator of 16-byte aligned f32/i32 arrays in it. */
function kernelBench() {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true });
  const k = instantiateKernels(compileKernels(), memory);
  let top = 256;
  const alloc = (n: number, values?: ArrayLike<number>) => {
    const at = top;
    top += Math.ceil(n / 4) * 16 + 64;
    const view = new Float32Array(memory.buffer, at, n);
    if (values) view.set(values);
    return { at, view };
  };
  const ints = (values: ArrayLike<number>) => {
    const at = top;
    top += Math.ceil(values.length / 4) * 16 + 64;
    new Int32Array(memory.buffer, at, values.length).set(values);
    return at;
  };
  return { k, alloc, ints };
}

const rng = new Random(42);
const randoms = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** max |a - b| over max |b|: the measure of agreement. */

/** C = A B with A [m, k] (rows lda floats apart) and B [k, n], in float64. */
function refMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, lda = k): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * lda + q] * b[q * n + j];
  return c;
}

describe('kernels against plain JavaScript', () => {
  test('activate: exp, sigmoid and tanh to float32 accuracy, saturating without overflow; exactly 0 at 0', () => {
    const { k, alloc } = kernelBench();
    const xs = Float32Array.from([0, -0, 1e-6, -1e-3, 0.5, -2, 3.7, 10, -20, 40, -90, 100, ...randoms(20, 8)]);
    const kinds: Array<[number, (x: number) => number]> = [[EXP, Math.exp], [SIGMOID, sigmoid], [TANH, Math.tanh]];
    kinds.forEach(([kind, fn]) => {
      const x = alloc(xs.length, xs);
      const out = alloc(xs.length);
      k.activate(out.at, x.at, xs.length, kind);
      xs.forEach((v, i) => {
        const want = fn(Math.max(Math.fround(-87.3), Math.min(Math.fround(88.3), v)));
        const tolerance = kind === EXP ? 3e-7 * want : 2e-7;
        assert.ok(Math.abs(out.view[i] - want) <= tolerance, `kind ${kind} at ${v}: ${out.view[i]} vs ${want}`);
      });
      if (kind === TANH) assert.equal(out.view[0], 0);
    });
    const x = alloc(4, [0, 0, 0, 0]);
    k.activate(x.at, x.at, 4, EXP);
    assert.deepEqual([...x.view], [1, 1, 1, 1], 'in place; exp(0) = 1 exactly');
  });

  test('matmul: zeros, bias and accumulate initial values; blocks of 4, 2 and 1 rows; column panels; strided A and C', () => {
    const { k, alloc } = kernelBench();
    const [m, kk, n, lda, ldc] = [7, 5, 136, 9, 140]; // 7 = 4 + 2 + 1 rows; n > 128: two column panels
    const a = alloc(m * lda, randoms(m * lda));
    const w = alloc(kk * n, randoms(kk * n));
    const b = alloc(kk * n);
    k.packPanels(b.at, w.at, kk, n, n * 4, 0, 0, n / 8);
    const bias = alloc(n, randoms(n));
    const ab = refMatmul(a.view, w.view, m, kk, n, lda);
    const c = alloc(m * ldc, randoms(m * ldc));
    const before = c.view.slice();
    const at = (i: number, j: number) => c.view[i * ldc + j];
    const check = (expected: (i: number, j: number) => number) => {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < ldc; j++) {
          if (j >= n) assert.equal(at(i, j), before[i * ldc + j], 'columns past n untouched');
          else assert.ok(Math.abs(at(i, j) - expected(i, j)) < 1e-5, `(${i}, ${j})`);
        }
      }
    };
    k.matmul(c.at, a.at, b.at, m, kk, n, lda * 4, ldc * 4, INIT_ACCUMULATE, 0);
    check((i, j) => before[i * ldc + j] + ab[i * n + j]);
    k.matmul(c.at, a.at, b.at, m, kk, n, lda * 4, ldc * 4, INIT_BIAS, bias.at);
    check((i, j) => bias.view[j] + ab[i * n + j]);
    k.matmul(c.at, a.at, b.at, m, kk, n, lda * 4, ldc * 4, INIT_ZERO, 0);
    check((i, j) => ab[i * n + j]);
  });

  test('matmulTransA: C[k0..k1] = A^T B over more rows than one tile, into some columns of a wider C; others untouched', () => {
    const { k, alloc } = kernelBench();
    const [rows, kk, n, lda, ldb, ldc] = [300, 12, 8, 13, 10, 24];
    const a = alloc(rows * lda, randoms(rows * lda));
    const b = alloc(rows * ldb, randoms(rows * ldb));
    const c = alloc(kk * ldc, new Float32Array(kk * ldc).fill(7));
    k.matmulTransA(c.at + 8 * 4, a.at, b.at, rows, 4, 12, n, lda * 4, ldb * 4, ldc * 4);
    for (let q = 0; q < kk; q++) {
      for (let j = 0; j < ldc; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += a.view[r * lda + q] * b.view[r * ldb + j - 8];
        if (q < 4 || j < 8 || j >= 8 + n) assert.equal(c.view[q * ldc + j], 7);
        else assert.ok(Math.abs(c.view[q * ldc + j] - s) < 1e-4, `(${q}, ${j}): ${c.view[q * ldc + j]} vs ${s}`);
      }
    }
  });

  // One step of a layer with Hp = 8, for 3 rows, in float64.
  const Hp = 8;
  const G = 4 * Hp;
  const rows = 3;

  test('lstmStepForward: recurrent product and gates', () => {
    const { k, alloc } = kernelBench();
    const xProj = randoms(rows * G);
    const hPrev = randoms(rows * Hp);
    const cPrev = randoms(rows * Hp);
    const wh = randoms(Hp * G, 0.5);
    const z = alloc(rows * G, xProj);
    const [hp, cp, w, packed] = [alloc(rows * Hp, hPrev), alloc(rows * Hp, cPrev), alloc(Hp * G, wh), alloc(Hp * G)];
    k.packPanels(packed.at, w.at, Hp, G, G * 4, 0, 0, G / 8);
    const [h, c, tc] = [alloc(rows * Hp), alloc(rows * Hp), alloc(rows * Hp)];
    k.lstmStepForward(z.at, G * 4, hp.at, cp.at, Hp * 4, h.at, c.at, tc.at, Hp * 4, packed.at, rows, Hp);
    const rec = refMatmul(hPrev, wh, rows, Hp, G);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < Hp; j++) {
        const pre = (q: number) => xProj[r * G + q * Hp + j] + rec[r * G + q * Hp + j];
        const [i, f, g, o] = [sigmoid(pre(0)), sigmoid(pre(1)), Math.tanh(pre(2)), sigmoid(pre(3))];
        const cv = f * cPrev[r * Hp + j] + i * g;
        const expected = [i, f, g, o].map((v, q) => [z.view[r * G + q * Hp + j], v]);
        expected.push([c.view[r * Hp + j], cv], [tc.view[r * Hp + j], Math.tanh(cv)], [h.view[r * Hp + j], o * Math.tanh(cv)]);
        for (const [got, want] of expected) assert.ok(Math.abs(got - want) < 2e-6, `${got} vs ${want}`);
      }
    }
  });

  test('lstmStepBackward: gate gradients, dc for the step before, and dhPrev += dz WhT', () => {
    const { k, alloc } = kernelBench();
    const gates = Float32Array.from({ length: rows * G }, (_, n) => (Math.floor(n / Hp) % 4 === 2 ? rng.uniform(-1, 1) : rng.uniform(0, 1)));
    const [tanhC, cPrev, dhIn, dcIn, dhPrevIn] = [randoms(rows * Hp), randoms(rows * Hp), randoms(rows * Hp), randoms(rows * Hp), randoms(rows * Hp)];
    const wh = randoms(Hp * G, 0.5);
    const whT = new Float32Array(G * Hp).map((_, n) => wh[(n % Hp) * G + Math.floor(n / Hp)]);
    const z = alloc(rows * G, gates);
    const [tc, cp, dh, dc, dhPrev, w] = [alloc(rows * Hp, tanhC), alloc(rows * Hp, cPrev), alloc(rows * Hp, dhIn), alloc(rows * Hp, dcIn), alloc(rows * Hp, dhPrevIn), alloc(Hp * G, wh)];
    const packedT = alloc(G * Hp);
    k.packPanels(packedT.at, w.at, Hp, G, G * 4, 1, 0, Hp / 8); // B = Wh^T [4Hp, Hp]
    k.lstmStepBackward(z.at, G * 4, dh.at, tc.at, Hp * 4, cp.at, Hp * 4, dc.at, packedT.at, dhPrev.at, rows, Hp);
    const dz = new Float32Array(rows * G);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < Hp; j++) {
        const s = r * Hp + j;
        const [i, f, g, o] = [0, 1, 2, 3].map((q) => gates[r * G + q * Hp + j]);
        const dcv = dcIn[s] + dhIn[s] * o * (1 - tanhC[s] ** 2);
        const want = [dcv * g * i * (1 - i), dcv * cPrev[s] * f * (1 - f), dcv * i * (1 - g * g), dhIn[s] * tanhC[s] * o * (1 - o)];
        want.forEach((v, q) => {
          dz[r * G + q * Hp + j] = v;
          assert.ok(Math.abs(z.view[r * G + q * Hp + j] - v) < 1e-6);
        });
        assert.ok(Math.abs(dc.view[s] - dcv * f) < 1e-6);
      }
    }
    const back = refMatmul(dz, whT, rows, G, Hp);
    dhPrevIn.forEach((v, s) => assert.ok(Math.abs(dhPrev.view[s] - (v + back[s])) < 1e-5));
  });

  /** Wh [Hp, width] and its packings: W for the forward step, W^T (or, for the GRU, Uzr^T then Uh^T) for the backward. */
  function recurrentWeights(bench: ReturnType<typeof kernelBench>, width: number, split: boolean) {
    const wh = randoms(Hp * width, 0.5);
    const w = bench.alloc(Hp * width, wh);
    const [packed, packedT] = [bench.alloc(Hp * width), bench.alloc(Hp * width)];
    bench.k.packPanels(packed.at, w.at, Hp, width, width * 4, 0, 0, width / 8);
    if (split) {
      bench.k.packPanels(packedT.at, w.at, Hp, 2 * Hp, width * 4, 1, 0, Hp / 8);
      bench.k.packPanels(packedT.at + 2 * Hp * Hp * 4, w.at + 2 * Hp * 4, Hp, Hp, width * 4, 1, 0, Hp / 8);
    } else {
      bench.k.packPanels(packedT.at, w.at, Hp, width, width * 4, 1, 0, Hp / 8);
    }
    return { wh, packed: packed.at, packedT: packedT.at };
  }

  test('gruStepForward: u and r from hPrev Uzr, the candidate from (r hPrev) Uh, h = u hPrev + (1 - u) hh', () => {
    const bench = kernelBench();
    const W = 3 * Hp;
    const [xProj, hPrev] = [randoms(rows * W), randoms(rows * Hp)];
    const { wh, packed } = recurrentWeights(bench, W, false);
    const z = bench.alloc(rows * W, xProj);
    const hp = bench.alloc(rows * Hp, hPrev);
    const [h, resetH] = [bench.alloc(rows * Hp), bench.alloc(rows * Hp)];
    bench.k.gruStepForward(z.at, W * 4, hp.at, Hp * 4, h.at, resetH.at, Hp * 4, packed, rows, Hp);
    const rec = refMatmul(hPrev, wh, rows, Hp, W);
    for (let r = 0; r < rows; r++) {
      const gate = (q: number, j: number) => sigmoid(xProj[r * W + q * Hp + j] + rec[r * W + q * Hp + j]);
      const rh = Array.from({ length: Hp }, (_, j) => gate(1, j) * hPrev[r * Hp + j]);
      for (let j = 0; j < Hp; j++) {
        let pre = xProj[r * W + 2 * Hp + j];
        for (let q = 0; q < Hp; q++) pre += rh[q] * wh[q * W + 2 * Hp + j];
        const [u, hh] = [gate(0, j), Math.tanh(pre)];
        const expected = [
          [z.view[r * W + j], u],
          [z.view[r * W + Hp + j], gate(1, j)],
          [z.view[r * W + 2 * Hp + j], hh],
          [resetH.view[r * Hp + j], rh[j]],
          [h.view[r * Hp + j], u * hPrev[r * Hp + j] + (1 - u) * hh],
        ];
        for (const [got, want] of expected) assert.ok(Math.abs(got - want) < 2e-6, `${got} vs ${want}`);
      }
    }
  });

  test('gruStepBackward: gate gradients through r hPrev, and dhPrev += dh u + d(r hPrev) r + dz_ur Uzr^T', () => {
    const bench = kernelBench();
    const W = 3 * Hp;
    const gates = Float32Array.from({ length: rows * W }, (_, n) => (Math.floor(n / Hp) % 3 === 2 ? rng.uniform(-1, 1) : rng.uniform(0, 1)));
    const [hPrev, dhIn, dhPrevIn] = [randoms(rows * Hp), randoms(rows * Hp), randoms(rows * Hp)];
    const { wh, packedT } = recurrentWeights(bench, W, true);
    const z = bench.alloc(rows * W, gates);
    const [hp, dh, dhPrev, dResetH] = [bench.alloc(rows * Hp, hPrev), bench.alloc(rows * Hp, dhIn), bench.alloc(rows * Hp, dhPrevIn), bench.alloc(rows * Hp)];
    bench.k.gruStepBackward(z.at, W * 4, dh.at, hp.at, Hp * 4, dResetH.at, packedT, dhPrev.at, rows, Hp);
    for (let r = 0; r < rows; r++) {
      const g = (q: number, j: number) => gates[r * W + q * Hp + j];
      const dzh = Array.from({ length: Hp }, (_, j) => dhIn[r * Hp + j] * (1 - g(0, j)) * (1 - g(2, j) ** 2));
      const dzu = Array.from({ length: Hp }, (_, j) => dhIn[r * Hp + j] * (hPrev[r * Hp + j] - g(2, j)) * g(0, j) * (1 - g(0, j)));
      const drh = Array.from({ length: Hp }, (_, i) => dzh.reduce((s, d, j) => s + d * wh[i * W + 2 * Hp + j], 0));
      const dzr = drh.map((d, j) => d * hPrev[r * Hp + j] * g(1, j) * (1 - g(1, j)));
      for (let j = 0; j < Hp; j++) {
        assert.ok(Math.abs(z.view[r * W + j] - dzu[j]) < 1e-6);
        assert.ok(Math.abs(z.view[r * W + Hp + j] - dzr[j]) < 1e-6);
        assert.ok(Math.abs(z.view[r * W + 2 * Hp + j] - dzh[j]) < 1e-6);
        assert.ok(Math.abs(dResetH.view[r * Hp + j] - drh[j]) < 1e-6);
      }
      for (let i = 0; i < Hp; i++) {
        let want = dhPrevIn[r * Hp + i] + dhIn[r * Hp + i] * g(0, i) + drh[i] * g(1, i);
        for (let j = 0; j < Hp; j++) want += dzu[j] * wh[i * W + j] + dzr[j] * wh[i * W + Hp + j];
        assert.ok(Math.abs(dhPrev.view[r * Hp + i] - want) < 1e-5, `${dhPrev.view[r * Hp + i]} vs ${want}`);
      }
    }
  });

  test('rnnStepForward and rnnStepBackward: h = tanh(z + hPrev U); dz = dh (1 - h^2), dhPrev += dz U^T', () => {
    const bench = kernelBench();
    const [xProj, hPrev, dhIn, dhPrevIn] = [randoms(rows * Hp), randoms(rows * Hp), randoms(rows * Hp), randoms(rows * Hp)];
    const { wh, packed, packedT } = recurrentWeights(bench, Hp, false);
    const z = bench.alloc(rows * Hp, xProj);
    const [hp, h] = [bench.alloc(rows * Hp, hPrev), bench.alloc(rows * Hp)];
    bench.k.rnnStepForward(z.at, Hp * 4, hp.at, Hp * 4, h.at, Hp * 4, packed, rows, Hp);
    const rec = refMatmul(hPrev, wh, rows, Hp, Hp);
    h.view.forEach((v, s) => assert.ok(Math.abs(v - Math.tanh(xProj[s] + rec[s])) < 2e-6, `${v} vs ${Math.tanh(xProj[s] + rec[s])}`));
    const [dh, dhPrev] = [bench.alloc(rows * Hp, dhIn), bench.alloc(rows * Hp, dhPrevIn)];
    bench.k.rnnStepBackward(z.at, Hp * 4, dh.at, h.at, Hp * 4, packedT, dhPrev.at, rows, Hp);
    const dz = Float32Array.from(h.view, (v, s) => dhIn[s] * (1 - v * v));
    z.view.forEach((v, s) => assert.ok(Math.abs(v - dz[s]) < 1e-6));
    const back = refMatmul(dz, Float32Array.from({ length: Hp * Hp }, (_, n) => wh[(n % Hp) * Hp + Math.floor(n / Hp)]), rows, Hp, Hp);
    dhPrevIn.forEach((v, s) => assert.ok(Math.abs(dhPrev.view[s] - (v + back[s])) < 1e-5));
  });

  test('softmaxCrossEntropy: sums, target logits and the gradient, padding columns masked', () => {
    const { k, alloc, ints } = kernelBench();
    const [n, v, vp] = [5, 11, 16];
    const logits = randoms(n * vp, 4);
    const targets = [0, 10, 3, 7, 10];
    const l = alloc(n * vp, logits);
    const stats = alloc(2 * n);
    k.softmaxCrossEntropy(l.at, ints(targets), stats.at, n, v, vp, 0.25, 1);
    for (let r = 0; r < n; r++) {
      const row = logits.subarray(r * vp, r * vp + v);
      const m = Math.max(...row);
      const s = row.reduce((a, x) => a + Math.exp(x - m), 0);
      assert.ok(Math.abs(stats.view[2 * r] - s) < 1e-5 * s);
      assert.ok(Math.abs(stats.view[2 * r + 1] - (row[targets[r]] - m)) < 1e-6);
      for (let j = 0; j < vp; j++) {
        const want = j < v ? (Math.exp(row[j] - m) / s - (j === targets[r] ? 1 : 0)) * 0.25 : 0;
        assert.ok(Math.abs(l.view[r * vp + j] - want) < 1e-6, `(${r}, ${j})`);
      }
    }
  });

  test('embedding lookup and gradient (repeated ids add up, unused rows 0)', () => {
    const { k, alloc, ints } = kernelBench();
    const [V, ep, n] = [5, 8, 6];
    const ids = [4, 0, 4, 2, 4, 1];
    const table = alloc(V * ep, randoms(V * ep));
    const out = alloc(n * ep);
    const idsAt = ints(ids);
    k.embeddingLookup(out.at, table.at, idsAt, n, ep);
    ids.forEach((id, r) => assert.deepEqual(out.view.subarray(r * ep, (r + 1) * ep), table.view.subarray(id * ep, (id + 1) * ep)));
    const dx = alloc(n * ep, randoms(n * ep));
    const dTable = alloc(V * ep, new Float32Array(V * ep).fill(9));
    k.embeddingGradient(dTable.at, dx.at, idsAt, n, V, ep);
    for (let id = 0; id < V; id++) {
      for (let j = 0; j < ep; j++) {
        const want = ids.reduce((s, x, r) => (x === id ? s + dx.view[r * ep + j] : s), 0);
        assert.ok(Math.abs(dTable.view[id * ep + j] - want) < 1e-6);
      }
    }
  });

  test('columnSum, sumSquares, packPanels, applyMask', () => {
    const { k, alloc } = kernelBench();
    const [n, ld] = [9, 12];
    const x = alloc(n * ld, randoms(n * ld));
    const out = alloc(ld, new Float32Array(ld).fill(5));
    k.columnSum(out.at, x.at, n, ld * 4, ld);
    for (let j = 0; j < ld; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += x.view[r * ld + j];
      assert.ok(Math.abs(out.view[j] - s) < 1e-6);
    }
    assert.ok(Math.abs(k.sumSquares(x.at, n * ld) - x.view.reduce((s, v) => s + v * v, 0)) < 1e-5);
    // packPanels: B = W and B = W^T in strips of 8 columns, strip s holding B[k][8s..8s+7] for every k
    const [rows, cols] = [16, 24];
    const wm = alloc(rows * cols, randoms(rows * cols));
    const p = alloc(rows * cols, new Float32Array(rows * cols).fill(-1));
    k.packPanels(p.at, wm.at, rows, cols, cols * 4, 0, 1, 3);
    for (let s = 0; s < 3; s++) {
      for (let kk = 0; kk < rows; kk++) for (let q = 0; q < 8; q++) assert.equal(p.view[(s * rows + kk) * 8 + q], s === 0 ? -1 : wm.view[kk * cols + 8 * s + q]);
    }
    k.packPanels(p.at, wm.at, rows, cols, cols * 4, 1, 0, 2);
    for (let s = 0; s < 2; s++) {
      for (let kk = 0; kk < cols; kk++) for (let q = 0; q < 8; q++) assert.equal(p.view[(s * cols + kk) * 8 + q], wm.view[(8 * s + q) * cols + kk]);
    }
    // the transpose of the block of columns 8..23 (rows ld = cols floats apart)
    k.packPanels(p.at, wm.at + 8 * 4, rows, 16, cols * 4, 1, 0, 2);
    for (let s = 0; s < 2; s++) {
      for (let kk = 0; kk < 16; kk++) for (let q = 0; q < 8; q++) assert.equal(p.view[(s * 16 + kk) * 8 + q], wm.view[(8 * s + q) * cols + 8 + kk]);
    }
    const mask = alloc(n * ld, randoms(n * ld));
    const y = alloc(n * ld);
    k.applyMask(y.at, x.at, mask.at, n * ld);
    y.view.forEach((v, i) => assert.equal(v, Math.fround(x.view[i] * mask.view[i])));
  });

  test("dropoutMask equals dropoutMask.ts's masks, rows anywhere in the batch, padding 0", () => {
    const { k, alloc } = kernelBench();
    const [B, T, H, hp, rate, seed, layer] = [3, 4, 6, 8, 0.25, 12345, 1];
    const want = dropoutMask(seed, layer, B * T * H, rate);
    const ld = hp + 4;
    const mask = alloc(B * T * ld, new Float32Array(B * T * ld).fill(3));
    // Rows 5.. only, as the worker owning them would.
    k.dropoutMask(mask.at + 5 * ld * 4, layerMaskSeed(seed, layer), dropThreshold(rate), 1 / (1 - rate), 5, B * T - 5, H, hp, ld);
    for (let r = 0; r < B * T; r++) {
      for (let j = 0; j < ld; j++) assert.equal(mask.view[r * ld + j], r < 5 || j >= hp ? 3 : j < H ? want[r * H + j] : 0, `(${r}, ${j})`);
    }
  });

  for (const optimizer of ['adam', 'rmsprop'] as OptimizerName[]) {
    test(`${optimizer}Update equals stepMath.ts's reference`, () => {
      const { k, alloc } = kernelBench();
      const n = 12;
      const [w, g, m, v] = [randoms(n), randoms(n), randoms(n, 0.1), Float32Array.from(randoms(n, 0.01), Math.abs)];
      const [wa, ga, ma, va] = [alloc(n, w), alloc(n, g), alloc(n, m), alloc(n, v)];
      if (optimizer === 'adam') {
        k.adamUpdate(wa.at, ga.at, ma.at, va.at, n, 0.01, 1 - 0.9 ** 3, 1 - 0.999 ** 3, 0.5);
        adamUpdate(w, g, m, v, 0.01, 3, 0.5);
      } else {
        k.rmspropUpdate(wa.at, ga.at, va.at, n, 0.01, 0.5);
        rmspropUpdate(w, g, v, 0.01, 0.5);
      }
      assert.ok(relDiff(wa.view, w) < 1e-6);
      assert.ok(relDiff(va.view, v) < 1e-6);
      if (optimizer === 'adam') assert.ok(relDiff(ma.view, m) < 1e-6);
    });
  }
});

// The tfjs trainer's test model: V, E and H all get padded (to 16, 8 and 8).
const config: ModelConfig = { vocabSize: 11, embeddingSize: 6, hiddenSize: 5, layers: 2, dropout: 0 };
const B = 11; // two row tasks (8 + 3 streams): threads share the batch, and 3 is a row-block tail
const T = 5;

function batch(seed: number, b = B) {
  const r = new Random(seed);
  const ids = () => Int32Array.from({ length: b * T }, () => Math.floor(r.next() * config.vocabSize));
  return { batchSize: b, seqLength: T, x: ids(), y: ids() };
}

const copy = (w: WeightArrays): WeightArrays => new Map([...w].map(([k, v]) => [k, v.slice()]));
const specOf = (overrides: Partial<TrainerSpec> = {}): TrainerSpec => ({
  config,
  batchSize: B,
  seqLength: T,
  optimizer: 'adam',
  gradClip: 5,
  weights: initialWeights(config, new Random(5)),
  ...overrides,
});

async function using<R>(trainers: Promise<Trainer>[], body: (...t: Trainer[]) => Promise<R>): Promise<R> {
  const made = await Promise.all(trainers);
  try {
    return await body(...made);
  } finally {
    for (const t of made) t.dispose();
  }
}

test('this runtime has what the wasm trainer needs; the default thread count leaves the extension host a core', () => {
  assert.deepEqual(wasmTrainerSupport(), { simd: true, threads: true });
  const cores = os.availableParallelism();
  assert.equal(defaultThreadCount(), cores > 2 ? cores - 1 : cores);
});

for (const cell of CELL_TYPES) {
  test(`${cell}: loss and gradients equal the op-by-op tfjs reference, from a carried state`, async () => {
    const cellConfig = { ...config, cell };
    const spec = specOf({ config: cellConfig, weights: initialWeights(cellConfig, new Random(5)) });
    await using([createWasmTrainer(spec, { threads: 2 }), createTfjsTrainer({ ...spec, weights: copy(spec.weights) }, 'reference')], async (wasm, tfjs) => {
      const state = { h: [randoms(B * 5, 0.5), randoms(B * 5, 0.5)], c: [randoms(B * 5), randoms(B * 5)] };
      await wasm.writeState(state);
      await tfjs.writeState(state);
      const got = await wasm.gradients(batch(1));
      const want = await tfjs.gradients(batch(1));
      assert.ok(Math.abs(got.loss - want.loss) < 1e-5, `${got.loss} vs ${want.loss}`);
      assert.deepEqual([...got.gradients.keys()].sort(), [...want.gradients.keys()].sort());
      for (const [name, g] of want.gradients) assert.ok(relDiff(got.gradients.get(name)!, g) <= 1e-4, `${name}: ${relDiff(got.gradients.get(name)!, g)}`);
      const read = await wasm.readState();
      read.h.forEach((h, l) => assert.deepEqual(h, state.h[l], 'gradients() leaves the state'));
      // a step carries the state on as tfjs does
      await wasm.step(batch(2), { lr: 0.01, t: 1 });
      await tfjs.step(batch(2), { lr: 0.01, t: 1 });
      const [carried, wanted] = [await wasm.readState(), await tfjs.readState()];
      wanted.h.forEach((h, l) => assert.ok(relDiff(carried.h[l], h) < 1e-5, `h[${l}]: ${relDiff(carried.h[l], h)}`));
    });
  });
}

for (const cell of CELL_TYPES) test(`${cell}: gradients match central finite differences of the loss on a tiny model`, async () => {
  const tiny: ModelConfig = { vocabSize: 5, embeddingSize: 3, hiddenSize: 3, layers: 2, dropout: 0, cell };
  const weights = initialWeights(tiny, new Random(3));
  for (const w of weights.values()) for (let i = 0; i < w.length; i++) w[i] *= 4; // larger weights, larger gradients
  const spec = { config: tiny, batchSize: 2, seqLength: 4, optimizer: 'adam' as const, gradClip: 0, weights };
  const r = new Random(9);
  const ids = () => Int32Array.from({ length: 8 }, () => Math.floor(r.next() * 5));
  const b = { batchSize: 2, seqLength: 4, x: ids(), y: ids() };
  await using([createWasmTrainer(spec, { threads: 1 })], async (trainer) => {
    const { gradients } = await trainer.gradients(b);
    const eps = 1e-2;
    for (const [name, w] of weights) {
      for (const i of [0, Math.floor(w.length / 2), w.length - 1]) {
        const loss = async (delta: number) => {
          const moved = copy(weights);
          moved.get(name)![i] += delta;
          await trainer.writeWeights(moved);
          return (await trainer.gradients(b)).loss;
        };
        const numeric = ((await loss(eps)) - (await loss(-eps))) / (2 * eps);
        const analytic = gradients.get(name)![i];
        assert.ok(Math.abs(numeric - analytic) < 2e-3 + 1e-2 * Math.abs(analytic), `${name}[${i}]: ${analytic} vs ${numeric}`);
      }
    }
  });
});

for (const optimizer of ['adam', 'rmsprop'] as OptimizerName[]) {
  test(`a ${optimizer} step is stepMath.ts's reference update of the gradients, clipping included`, async () => {
    const weights = initialWeights(config, new Random(5));
    await using([createWasmTrainer({ ...specOf({ optimizer, gradClip: 0.05 }), weights: copy(weights) }, { threads: 2 })], async (trainer) => {
      await assertStepsFollowReference(trainer, weights, optimizer, 0.05, [batch(1), batch(2)]);
    });
  });
}

for (const cell of CELL_TYPES) test(`${cell}: 20 steps with dropout follow the tfjs trainer within 1e-3; evaluation agrees and leaves the training state`, async () => {
  const withDropout = { ...config, dropout: 0.25, cell };
  const weights = initialWeights(withDropout, new Random(5));
  const spec = (w: WeightArrays) => specOf({ config: withDropout, weights: w });
  await using([createWasmTrainer(spec(copy(weights)), { threads: 2 }), createTfjsTrainer(spec(copy(weights)), 'fused')], async (wasm, tfjs) => {
    for (let t = 1; t <= 20; t++) {
      const step = { lr: 0.02, t, dropoutSeed: 1000 + t };
      const [got, want] = [await wasm.step(batch(t), step), await tfjs.step(batch(t), step)];
      assert.ok(Math.abs(got - want) < 1e-3, `step ${t}: ${got} vs ${want}`);
    }
    const state = await wasm.readState();
    const streams = new BatchStreams(batch(99, 40).x, 2, T);
    const [got, want] = [await wasm.evaluate(streams), await tfjs.evaluate(streams)];
    assert.ok(Math.abs(got - want) < 1e-3, `evaluate: ${got} vs ${want}`);
    assert.deepEqual(await wasm.readState(), state);
  });
});

for (const cell of CELL_TYPES) test(`${cell}: 1 and 2 threads give bitwise the same losses, weights and state (no sum depends on the split)`, async () => {
  const withDropout = { ...config, dropout: 0.25, cell };
  const weights = initialWeights(withDropout, new Random(8));
  const run = async (threads: number) =>
    using([createWasmTrainer(specOf({ config: withDropout, weights: copy(weights) }), { threads })], async (trainer) => {
      const losses: number[] = [];
      for (let t = 1; t <= 5; t++) losses.push(await trainer.step(batch(t), { lr: 0.02, t, dropoutSeed: t }));
      return { losses, weights: await trainer.readWeights(), state: await trainer.readState() };
    });
  const one = await run(1);
  const two = await run(2);
  assert.deepEqual(two.losses, one.losses);
  assert.deepEqual(two.weights, one.weights);
  assert.deepEqual(two.state, one.state);
});

test('through the training loop it learns structured text, and a run resumed on it continues bit for bit', async (t) => {
  const wasm = { createTrainer: (spec: TrainerSpec) => createWasmTrainer(spec, { threads: 2 }) };
  const text = structuredText(600);
  const result = await trainText(text, smallOptions(tempDir(t), { hidden: 64, maxSteps: 150, evalEvery: 50, lr: 5e-3 }), wasm);
  assert.ok(result.bestValLoss! < 0.5 * unigramEntropy(text), `val loss ${result.bestValLoss}`);
  const [whole, parts] = [tempDir(t), tempDir(t)];
  const options = { dropout: 0.1, layers: 2, maxSteps: 12, evalEvery: 6 };
  await trainText(text, smallOptions(whole, options), wasm);
  await trainText(text, smallOptions(parts, { ...options, maxSteps: 6 }), wasm);
  await trainText(text, smallOptions(parts, { ...options, resume: true }), wasm);
  const [a, b] = [loadCheckpoint(resumeDir(whole)), loadCheckpoint(resumeDir(parts))];
  for (const [name, values] of a.weights) assert.deepEqual(b.weights.get(name), values, `${name} differs`);
  for (const [name, values] of a.resume!.tensors) assert.deepEqual(b.resume!.tensors.get(name), values, `resume tensor ${name} differs`);
});

test("a step leaves the main thread's event loop running", async () => {
  const big: ModelConfig = { vocabSize: 65, embeddingSize: 32, hiddenSize: 128, layers: 2, dropout: 0 };
  const spec = { config: big, batchSize: 16, seqLength: 32, optimizer: 'adam' as const, gradClip: 5, weights: initialWeights(big, new Random(1)) };
  await using([createWasmTrainer(spec, { threads: 2 })], async (trainer) => {
    const r = new Random(2);
    const ids = () => Int32Array.from({ length: 16 * 32 }, () => Math.floor(r.next() * 65));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      for (let t = 1; t <= 3; t++) await trainer.step({ batchSize: 16, seqLength: 32, x: ids(), y: ids() }, { lr: 1e-3, t });
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 3, `${ticks} timer callbacks during 3 steps`);
  });
});

test('dispose terminates the worker threads', async () => {
  const trainer = await createWasmTrainer(specOf(), { threads: 2 });
  await trainer.step(batch(1), { lr: 0.01, t: 1 });
  trainer.dispose();
  await trainer.exited;
  await assert.rejects(trainer.step(batch(1), { lr: 0.01, t: 2 }), /disposed/);
});
