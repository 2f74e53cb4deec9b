import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BatchStreams } from '../../../../src/core/text/batches';
import { initialWeights } from '../../../../src/core/model/lstmInit';
import { CELL_TYPES, ModelConfig, WeightArrays, weightSpecs } from '../../../../src/core/model/modelConfig';
import { Random } from '../../../../src/core/random';
import { stepDropoutSeed } from '../../../../src/core/train/dropoutMask';
import { adamUpdate, clipScale } from '../../../../src/core/train/stepMath';
import { createTfjsTrainer } from '../../../../src/core/train/tfjs/tfjsTrainer';
import { createWasmTrainer } from '../../../../src/core/train/wasm/wasmTrainer';
import { CarriedState, Trainer, TrainerSpec, momentName } from '../../../../src/core/train/trainer';
import { GpuContext, missingGpuDriver, openGpu } from '../../../../src/core/train/webgpu/device';
import { WebGpuError } from '../../../../src/core/train/webgpu/webGpuError';
import { createWebGpuTrainer, dispatchBudget, stepDispatches } from '../../../../src/core/train/webgpu/webgpuTrainer';
import { structuredText, useWasm } from '../../helpers';
import { openTestGpu, randomArray, relativeError } from '../../webgpuHelpers';

// The WebGPU trainer against the tfjs trainer (wasm, the CPU reference) on the same weights and
// batches, on the software adapter where there is no GPU.
let gpu: GpuContext;
before(async () => {
  await useWasm();
  gpu = await openTestGpu();
});
after(() => gpu.device.destroy());

const text = structuredText(120);
const chars = [...new Set(text)].sort();
const ids = Int32Array.from(text, (ch) => chars.indexOf(ch));
const B = 4;
const T = 8;
const config: ModelConfig = { vocabSize: chars.length, embeddingSize: 16, hiddenSize: 32, layers: 2, dropout: 0 };

function spec(overrides: Partial<TrainerSpec> = {}, seed = 3): TrainerSpec {
  const c = overrides.config ?? config;
  return { config: c, batchSize: B, seqLength: T, optimizer: 'adam', gradClip: 5, weights: initialWeights(c, new Random(seed), ids), ...overrides };
}

/** A non-zero carried state, so the first step's h_{-1}, c_{-1} terms are exercised. */
function randomState(c: ModelConfig): CarriedState {
  const rng = new Random(5);
  const make = () => Array.from({ length: c.layers }, () => randomArray(rng, B * c.hiddenSize, 0.5));
  return { h: make(), c: make() };
}

function assertClose(got: WeightArrays, want: WeightArrays, tolerance: number, what: string): number {
  let worst = 0;
  for (const [name, w] of want) {
    const g = got.get(name);
    assert.ok(g, `${what}: ${name} missing`);
    const err = relativeError(g, w);
    worst = Math.max(worst, err);
    assert.ok(err <= tolerance, `${what} ${name}: max difference ${err.toExponential(2)} of the largest magnitude`);
  }
  return worst;
}

type CreateTrainer = (s: TrainerSpec) => Promise<Trainer>;

/** The WebGPU trainer and the CPU reference: tfjs on its wasm backend, or the WebAssembly SIMD trainer. */
async function pair(s: TrainerSpec, reference: CreateTrainer = createTfjsTrainer): Promise<[Trainer, Trainer]> {
  return [await createWebGpuTrainer(s, gpu), await reference(s)];
}

/** Both trainers on `s` with its weights scaled by `gain` (gates well away from their linear range) and the same random carried state. */
async function pairWithState(s: TrainerSpec, gain: number, reference?: CreateTrainer): Promise<{ trainers: [Trainer, Trainer]; state: CarriedState }> {
  for (const w of s.weights.values()) for (let i = 0; i < w.length; i++) w[i] *= gain;
  const trainers = await pair(s, reference);
  const state = randomState(s.config);
  for (const trainer of trainers) await trainer.writeState(state);
  return { trainers, state };
}

const streams = new BatchStreams(ids, B, T);

test('Dawn loads here and finds an adapter (the software one on a CPU-only machine)', async () => {
  assert.ok(gpu.device, 'no device');
  assert.ok(gpu.adapterName.length > 0);
  if (gpu.isSoftware) assert.equal(gpu.backendName, 'opengles');
});

test('loss and every gradient equal the CPU trainer on the same weights, batch and carried state', async () => {
  const { trainers: [gpuTrainer, cpu], state } = await pairWithState(spec(), 4);
  const batch = streams.batch(1);
  const got = await gpuTrainer.gradients(batch);
  const want = await cpu.gradients(batch);
  assert.ok(Math.abs(got.loss - want.loss) <= 1e-5, `loss ${got.loss} vs ${want.loss}`);
  const worst = assertClose(got.gradients, want.gradients, 1e-4, 'gradient');
  assert.deepEqual([...got.gradients.keys()], weightSpecs(config).map((w) => w.name));
  // gradients() changes nothing: the carried state is the one written.
  assert.deepEqual(await gpuTrainer.readState(), state);
  console.log(`  gradients: loss ${got.loss.toFixed(6)} vs ${want.loss.toFixed(6)}, worst tensor ${worst.toExponential(2)}`);
  gpuTrainer.dispose();
  cpu.dispose();
});

test('three layers with dropout between them: the gradients (Adam\'s first moments) equal the CPU trainer\'s', async () => {
  // Without clipping, Adam's first step leaves m = (1 - beta1) g: the gradient with this step's dropout masks on every layer's output.
  const c: ModelConfig = { ...config, layers: 3, dropout: 0.3 };
  const [gpuTrainer, cpu] = (await pairWithState(spec({ config: c, gradClip: 0, weights: initialWeights(c, new Random(4), ids) }), 3)).trainers;
  const batch = streams.batch(3);
  const params = { lr: 0.01, t: 1, dropoutSeed: stepDropoutSeed(5, 1) };
  const [gotLoss, wantLoss] = [await gpuTrainer.step(batch, params), await cpu.step(batch, params)];
  assert.ok(Math.abs(gotLoss - wantLoss) <= 1e-5, `loss ${gotLoss} vs ${wantLoss}`);
  const firstMoments = (all: WeightArrays): WeightArrays => new Map(weightSpecs(c).map((w) => [w.name, all.get(momentName(w.name, 'm'))!]));
  const [got, want] = [firstMoments(await gpuTrainer.readMoments()), firstMoments(await cpu.readMoments())];
  const worst = assertClose(got, want, 1e-4, 'gradient (first moment)');
  // The carried state after the step: every layer's last h and c.
  const [gs, cs] = [await gpuTrainer.readState(), await cpu.readState()];
  for (let l = 0; l < c.layers; l++) assert.ok(relativeError(gs.h[l], cs.h[l]) < 1e-4 && relativeError(gs.c[l], cs.c[l]) < 1e-4, `carried state of layer ${l + 1}`);
  console.log(`  3 layers, dropout 0.3: loss ${gotLoss.toFixed(6)} vs ${wantLoss.toFixed(6)}, worst tensor ${worst.toExponential(2)}`);
  gpuTrainer.dispose();
  cpu.dispose();
});

test('sequences of one step (T=1, every wave a single step of each layer): gradients equal the WebAssembly trainer\'s, for each cell', async () => {
  for (const cell of CELL_TYPES) {
    const c: ModelConfig = { ...config, layers: 3, cell };
    const wasm = (s: TrainerSpec) => createWasmTrainer(s, { threads: 1 });
    const [gpuTrainer, cpu] = (await pairWithState(spec({ config: c, seqLength: 1, weights: initialWeights(c, new Random(6), ids) }), 3, wasm)).trainers;
    const batch = new BatchStreams(ids, B, 1).batch(5);
    const [got, want] = [await gpuTrainer.gradients(batch), await cpu.gradients(batch)];
    assert.ok(Math.abs(got.loss - want.loss) <= 1e-5, `${cell} loss ${got.loss} vs ${want.loss}`);
    assertClose(got.gradients, want.gradients, 1e-4, `${cell} gradient`);
    gpuTrainer.dispose();
    cpu.dispose();
  }
});

for (const cell of ['gru', 'rnn'] as const) {
  test(`${cell.toUpperCase()}: loss and every gradient equal the CPU trainer's (3 layers, H=70: two units per invocation, unaligned rows), and after a step with dropout the moments and state`, async () => {
    const c: ModelConfig = { ...config, layers: 3, hiddenSize: 70, cell };
    const { trainers: [gpuTrainer, cpu] } = await pairWithState(spec({ config: c, weights: initialWeights(c, new Random(7), ids) }), 3);
    const batch = streams.batch(2);
    const [got, want] = [await gpuTrainer.gradients(batch), await cpu.gradients(batch)];
    assert.ok(Math.abs(got.loss - want.loss) <= 1e-5, `loss ${got.loss} vs ${want.loss}`);
    const worst = assertClose(got.gradients, want.gradients, 1e-4, `${cell} gradient`);
    assert.deepEqual([...got.gradients.keys()], weightSpecs(c).map((w) => w.name));
    gpuTrainer.dispose();
    cpu.dispose();
    // With dropout on every layer's output and no clipping, Adam's first moments are (1 - beta1) g under this step's masks.
    const d: ModelConfig = { ...c, dropout: 0.3 };
    const [gpuStep, cpuStep] = (await pairWithState(spec({ config: d, gradClip: 0, weights: initialWeights(d, new Random(8), ids) }), 3)).trainers;
    const params = { lr: 0.01, t: 1, dropoutSeed: stepDropoutSeed(5, 1) };
    const [gotLoss, wantLoss] = [await gpuStep.step(batch, params), await cpuStep.step(batch, params)];
    assert.ok(Math.abs(gotLoss - wantLoss) <= 1e-5, `loss after dropout ${gotLoss} vs ${wantLoss}`);
    const firstMoments = (all: WeightArrays): WeightArrays => new Map(weightSpecs(d).map((w) => [w.name, all.get(momentName(w.name, 'm'))!]));
    assertClose(firstMoments(await gpuStep.readMoments()), firstMoments(await cpuStep.readMoments()), 1e-4, `${cell} first moment`);
    const [gs, cs] = [await gpuStep.readState(), await cpuStep.readState()];
    for (let l = 0; l < d.layers; l++) assert.ok(relativeError(gs.h[l], cs.h[l]) < 1e-4 && relativeError(gs.c[l], cs.c[l]) < 1e-4, `carried state of layer ${l + 1}`);
    console.log(`  ${cell}: loss ${got.loss.toFixed(6)} vs ${want.loss.toFixed(6)}, worst tensor ${worst.toExponential(2)}`);
    gpuStep.dispose();
    cpuStep.dispose();
  });
}

test('one Adam step with clipping equals stepMath.adamUpdate on the same gradients', async () => {
  const s = spec({ gradClip: 0.05 });
  const trainer = await createWebGpuTrainer(s, gpu);
  const batch = streams.batch(0);
  const { gradients } = await trainer.gradients(batch);
  const norm = Math.sqrt([...gradients.values()].reduce((sum, g) => sum + g.reduce((a, v) => a + v * v, 0), 0));
  const scale = clipScale(norm, s.gradClip);
  assert.ok(scale < 1, `the test should clip (norm ${norm})`);
  const want = new Map([...s.weights].map(([n, w]) => [n, Float32Array.from(w)]));
  const moments: WeightArrays = new Map();
  for (const [name, w] of want) {
    const m = new Float32Array(w.length);
    const v = new Float32Array(w.length);
    adamUpdate(w, gradients.get(name)!, m, v, 0.01, 1, scale);
    moments.set(momentName(name, 'm'), m).set(momentName(name, 'v'), v);
  }
  await trainer.step(batch, { lr: 0.01, t: 1 });
  assertClose(await trainer.readWeights(), want, 1e-5, 'weight');
  assertClose(await trainer.readMoments(), moments, 1e-5, 'moment');
  trainer.dispose();
});

test('30 steps with dropout follow the CPU trainer: losses, carried state, validation', async () => {
  const s = spec({ config: { ...config, dropout: 0.25 } });
  const [gpuTrainer, cpu] = await pair(s);
  let worst = 0;
  for (let t = 1; t <= 30; t++) {
    const batch = streams.batch((t - 1) % streams.batchesPerEpoch);
    const params = { lr: 0.01, t, dropoutSeed: stepDropoutSeed(11, t) };
    const got = await gpuTrainer.step(batch, params);
    const want = await cpu.step(batch, params);
    worst = Math.max(worst, Math.abs(got - want));
    assert.ok(Math.abs(got - want) <= 1e-3, `step ${t}: loss ${got} vs ${want}`);
  }
  const [gs, cs] = [await gpuTrainer.readState(), await cpu.readState()];
  for (let l = 0; l < config.layers; l++) {
    assert.ok(relativeError(gs.h[l], cs.h[l]) < 1e-2 && relativeError(gs.c[l], cs.c[l]) < 1e-2, `carried state of layer ${l + 1}`);
  }
  const val = BatchStreams.fit(ids.subarray(0, 200), B, T)!;
  const [gv, cv] = [await gpuTrainer.evaluate(val), await cpu.evaluate(val)];
  assert.ok(Math.abs(gv - cv) <= 1e-3, `validation ${gv} vs ${cv}`);
  // Evaluation has its own state: the training state is untouched.
  assert.deepEqual(await gpuTrainer.readState(), gs);
  console.log(`  30 steps: worst loss difference ${worst.toExponential(2)}; validation ${gv.toFixed(5)} vs ${cv.toFixed(5)}`);
  gpuTrainer.dispose();
  cpu.dispose();
});

test('the state after a step is the carried state; resetState zeroes it; evaluation with fewer streams', async () => {
  const [gpuTrainer, cpu] = await pair(spec());
  const batch = streams.batch(2);
  await gpuTrainer.step(batch, { lr: 0.002, t: 1 });
  await cpu.step(batch, { lr: 0.002, t: 1 });
  const [gs, cs] = [await gpuTrainer.readState(), await cpu.readState()];
  for (let l = 0; l < config.layers; l++) assert.ok(relativeError(gs.h[l], cs.h[l]) < 1e-4 && relativeError(gs.c[l], cs.c[l]) < 1e-4, `layer ${l + 1}`);
  gpuTrainer.resetState();
  assert.ok((await gpuTrainer.readState()).c.every((c) => c.every((v) => v === 0)));
  const narrow = new BatchStreams(ids, 3, T);
  const [gv, cv] = [await gpuTrainer.evaluate(narrow), await cpu.evaluate(narrow)];
  assert.ok(Math.abs(gv - cv) <= 1e-4, `evaluation with B=3: ${gv} vs ${cv}`);
  gpuTrainer.dispose();
  cpu.dispose();
});

test('a training step is one submit and 2(L+T) + 4L + 14 dispatches (a GRU L more), within the budget of 2(L+T) + 8L + 16', async () => {
  for (const [layers, seqLength, dropout, gradClip, cell] of [
    [2, T, 0.5, 5, 'lstm'],
    [3, T, 0, 5, 'lstm'],
    [1, 1, 0.2, 0, 'lstm'],
    [3, 1, 0, 5, 'lstm'],
    [2, T, 0.5, 5, 'gru'],
    [3, 1, 0, 0, 'gru'],
    [2, T, 0.5, 5, 'rnn'],
    [3, 1, 0, 0, 'rnn'],
  ] as const) {
    const c: ModelConfig = { ...config, layers, dropout, cell };
    const trainer = await createWebGpuTrainer(spec({ config: c, seqLength, gradClip, weights: initialWeights(c, new Random(3), ids) }), gpu);
    await trainer.step(new BatchStreams(ids, B, seqLength).batch(0), { lr: 0.001, t: 1, dropoutSeed: 9 });
    const shape = `${cell}, L=${layers}, T=${seqLength}, dropout ${dropout}, clip ${gradClip}`;
    assert.equal(trainer.lastStep.submits, 1, shape);
    assert.equal(trainer.lastStep.dispatches, stepDispatches(layers, seqLength, cell) - (gradClip > 0 ? 0 : 2), shape);
    assert.ok(trainer.lastStep.dispatches <= dispatchBudget(layers, seqLength), `${shape}: ${trainer.lastStep.dispatches} dispatches`);
    trainer.dispose();
  }
  assert.deepEqual(CELL_TYPES.map((cell) => stepDispatches(2, 100, cell)), [226, 228, 226]);
});

test('moments and weights round-trip by name', async () => {
  const trainer = await createWebGpuTrainer(spec({ optimizer: 'rmsprop' }), gpu);
  const rng = new Random(9);
  const moments: WeightArrays = new Map(weightSpecs(config).map((w) => [momentName(w.name, 'ms'), randomArray(rng, w.shape.reduce((a, b) => a * b, 1))]));
  await trainer.writeMoments(moments);
  assert.deepEqual(await trainer.readMoments(), moments);
  const weights = spec({}, 8).weights;
  await trainer.writeWeights(weights);
  assert.deepEqual(await trainer.readWeights(), weights);
  trainer.dispose();
});

test('a device lost mid-run makes step() reject with a WebGpuError naming the loss', async () => {
  const own = await openTestGpu();
  const trainer = await createWebGpuTrainer(spec(), own);
  await trainer.step(streams.batch(0), { lr: 0.001, t: 1 });
  own.device.destroy();
  await assert.rejects(trainer.step(streams.batch(1), { lr: 0.001, t: 2 }), (err: Error) => {
    assert.ok(err instanceof WebGpuError, String(err));
    assert.equal(err.code, 'device-lost');
    assert.match(err.message, /GPU device was lost/);
    console.log(`  ${err.message}`);
    return true;
  });
  await assert.rejects(trainer.readWeights(), WebGpuError);
  trainer.dispose();
});

test('a model over the device limits is refused before allocation, naming the limit and the size', async () => {
  // Wh alone ([H, 4H] floats) over the smaller of the two limits.
  const limit = Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize);
  const big: ModelConfig = { vocabSize: 50, embeddingSize: 16, hiddenSize: Math.ceil(Math.sqrt(limit / 16)) + 64, layers: 1, dropout: 0 };
  const weights: WeightArrays = new Map(weightSpecs(big).map((w) => [w.name, new Float32Array(0)]));
  await assert.rejects(createWebGpuTrainer({ ...spec(), config: big, weights }, gpu), (err: Error) => {
    assert.ok(err instanceof WebGpuError, String(err));
    assert.equal(err.code, 'too-big');
    console.log(`  ${err.message}`);
    assert.match(err.message, /parameter buffer needs [\d.]+ MiB, over the device's (maxStorageBufferBindingSize|maxBufferSize) of [\d.]+ MiB/);
    return true;
  });
});

test('a GRU whose step would not fit the device\'s workgroup memory is refused, naming the limit and the largest hidden size', async () => {
  const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
  const wide: ModelConfig = { ...config, hiddenSize: limit / 4 + 1, layers: 1, cell: 'gru' };
  const weights: WeightArrays = new Map(weightSpecs(wide).map((w) => [w.name, new Float32Array(0)]));
  // As a hardware adapter, where llvmpipe's loop cap (refused first on the software one) does not apply.
  await assert.rejects(createWebGpuTrainer({ ...spec(), config: wide, weights }, { ...gpu, isSoftware: false }), (err: Error) => {
    assert.ok(err instanceof WebGpuError && err.code === 'too-big', String(err));
    assert.match(err.message, new RegExp(`over the device's maxComputeWorkgroupStorageSize of ${limit}\\. Choose a hidden size of at most ${limit / 4}\\.`));
    return true;
  });
});

test('batches whose shader loops would pass llvmpipe\'s iteration cap are refused there, and taken on a hardware adapter', async () => {
  const large = createWebGpuTrainer({ ...spec(), batchSize: 512, seqLength: 128 }, gpu);
  if (gpu.isSoftware) {
    await assert.rejects(large, (err: Error) => err instanceof WebGpuError && /65,535 iterations/.test(err.message));
  } else {
    (await large).dispose();
  }
});

test('without the software adapter, a machine with no GPU gets a clear no-adapter error', async (t) => {
  let hardware: GpuContext | undefined;
  try {
    hardware = await openGpu({ allowSoftware: false });
  } catch (err) {
    assert.ok(err instanceof WebGpuError && err.code === 'no-adapter', String(err));
    // Without the Vulkan loader Dawn is not started at all (it would print a C++ warning); with it, Dawn is asked and finds nothing.
    assert.match(err.message, missingGpuDriver() ? /^no Vulkan driver \(libvulkan\.so\.1 not found\); WebGPU unavailable$/ : /No WebGPU adapter found: tried hardware/);
    return;
  }
  t.diagnostic(`hardware adapter present: ${hardware.adapterName}`);
  hardware.device.destroy();
});
