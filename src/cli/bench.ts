import { BackendName, selectBackend } from '../core/backend';
import { initialWeights } from '../core/lstmInit';
import { ModelConfig } from '../core/modelConfig';
import { LstmImplementation } from '../core/train/tfjs/network';
import { createTfjsTrainer } from '../core/train/tfjs/tfjsTrainer';
import { Random } from '../core/random';
import { ParsedArgs, UsageError, flag, numberOption } from './args';
import { benchAccuracy } from './benchAccuracy';
import { benchCompletion, benchEventLoop } from './benchEngine';
import { benchLens } from './benchLens';
import { benchOverlay } from './benchOverlay';
import { benchTrainWebGpu } from './benchTrainWebGpu';

interface Dims {
  B: number;
  T: number;
  H: number;
  L: number;
  V: number;
}

/** ms per training step (forward, backward, clip, Adam) on one backend, after one warm-up step. */
async function msPerStep(backend: BackendName, impl: LstmImplementation, d: Dims, steps: number): Promise<number> {
  await selectBackend(backend);
  const config: ModelConfig = { vocabSize: d.V, embeddingSize: 64, hiddenSize: d.H, layers: d.L, dropout: 0 };
  const rng = new Random(1);
  const trainer = await createTfjsTrainer(
    { config, batchSize: d.B, seqLength: d.T, optimizer: 'adam', gradClip: 5, weights: initialWeights(config, rng) },
    impl,
  );
  const ids = () => Int32Array.from({ length: d.B * d.T }, () => Math.floor(rng.next() * d.V));
  let t = 0;
  const step = () => trainer.step({ batchSize: d.B, seqLength: d.T, x: ids(), y: ids() }, { lr: 2e-3, t: ++t });
  await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const ms = (performance.now() - t0) / steps;
  trainer.dispose();
  return ms;
}

/**
 * `charlens bench`: the same training step on the wasm and cpu backends, and
 * the fused LSTM against the op-by-op reference, all measured in one run so
 * the ratios hold on a noisy shared machine.
 */
export async function benchCommand(args: ParsedArgs): Promise<number> {
  const which = args.positional[0] ?? 'all';
  if (which === 'accuracy') {
    await benchAccuracy(args);
    return 0;
  }
  if (!['all', 'train', 'completion', 'overlay', 'event-loop', 'lens'].includes(which)) throw new UsageError(`bench takes train, completion, overlay, event-loop, lens, accuracy <train> <test> or nothing (all), not '${which}'`);
  if (which === 'all' || which === 'train') await benchTraining(args);
  if (which === 'all' || which === 'completion') await benchCompletion(flag(args, 'while-training'));
  if (which === 'all' || which === 'overlay') await benchOverlay();
  if (which === 'all' || which === 'event-loop') await benchEventLoop();
  if (which === 'all' || which === 'lens') await benchLens();
  return 0;
}

async function benchTraining(args: ParsedArgs): Promise<void> {
  const d: Dims = { B: 50, T: 50, H: 128, L: 2, V: 65 };
  const steps = numberOption(args, 'steps') ?? 3;
  process.stdout.write(`Training step (forward, backward, clip, Adam) at (B,T,H,L,V) = (${d.B},${d.T},${d.H},${d.L},${d.V}); ${steps} timed steps after 1 warm-up\n`);
  const runs: Array<[BackendName, LstmImplementation]> = [
    ['wasm', 'fused'],
    ['wasm', 'reference'],
    ['cpu', 'fused'],
  ];
  const ms = new Map<string, number>();
  for (const [backend, impl] of runs) {
    const m = await msPerStep(backend, impl, d, steps);
    ms.set(`${backend}/${impl}`, m);
    process.stdout.write(`  ${`${backend}, ${impl} LSTM`.padEnd(22)} ${m.toFixed(0).padStart(7)} ms/step ${((d.B * d.T * 1000) / m).toFixed(0).padStart(8)} chars/s\n`);
  }
  const ratio = (a: string, b: string) => (ms.get(b)! / ms.get(a)!).toFixed(1);
  process.stdout.write(`  wasm is ${ratio('wasm/fused', 'cpu/fused')}x faster than cpu (fused LSTM on both)\n`);
  process.stdout.write(`  fused LSTM is ${ratio('wasm/fused', 'wasm/reference')}x faster than the op-by-op reference (wasm)\n`);

  process.stdout.write('WebGPU (WGSL trainer, and tfjs ops on tfjs-backend-webgpu), same step:\n');
  const gpuRows = await benchTrainWebGpu(steps);
  const small = (path: string) => gpuRows.find((r) => r.path === path && r.shape.H === d.H && r.shape.B === d.B);
  const wgsl = small('webgpu');
  if (wgsl) process.stdout.write(`  WGSL trainer: ${(ms.get('wasm/fused')! / wgsl.msPerStep).toFixed(2)}x the wasm fused path at (${d.B},${d.T},${d.H},${d.L},${d.V}) [${wgsl.adapter}]\n`);
  for (const row of gpuRows.filter((r) => r.path === 'webgpu')) {
    const tfjs = gpuRows.find((r) => r.path === 'tfjs-webgpu' && r.shape === row.shape);
    if (tfjs) process.stdout.write(`  WGSL trainer: ${(tfjs.msPerStep / row.msPerStep).toFixed(1)}x tfjs op by op on the same adapter at H=${row.shape.H}, B=${row.shape.B}\n`);
  }
}
