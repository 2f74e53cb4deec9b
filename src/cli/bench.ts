import { CommandArgs, UsageError } from './args';
import { benchAccuracy } from './benchAccuracy';
import { benchCompletion, benchEventLoop } from './benchEngine';
import { benchLens } from './benchLens';
import { benchOverlay } from './benchOverlay';
import { shapeLabel } from './benchShapes';
import { DEFAULT_BENCH_STEPS, benchTrainCpu } from './benchTrainCpu';
import { benchTrainWebGpu } from './benchTrainWebGpu';

/**
 * `charlens bench [train|completion|overlay|event-loop|lens|accuracy]`: each
 * figure beside a baseline measured in the same run.
 */
export async function benchCommand(args: CommandArgs): Promise<number> {
  const which = args.positional[0] ?? 'all';
  if (which === 'accuracy') {
    await benchAccuracy(args);
    return 0;
  }
  if (!['all', 'train', 'completion', 'overlay', 'event-loop', 'lens'].includes(which)) throw new UsageError(`bench takes train, completion, overlay, event-loop, lens, accuracy <train> <test> or nothing (all), not '${which}'`);
  if (which === 'all' || which === 'train') await benchTraining(args);
  if (which === 'all' || which === 'completion') await benchCompletion(args.flag('while-training'));
  if (which === 'all' || which === 'overlay') await benchOverlay();
  if (which === 'all' || which === 'event-loop') await benchEventLoop();
  if (which === 'all' || which === 'lens') await benchLens();
  return 0;
}

/**
 * `charlens bench train`: the CPU trainers (ours on 1 and all threads, tfjs
 * fused and op by op, PyTorch when installed), then the WGSL trainer and
 * tfjs op by op on WebGPU, all in one run so the ratios hold on a noisy
 * shared machine.
 */
async function benchTraining(args: CommandArgs): Promise<void> {
  const steps = args.number('steps') ?? DEFAULT_BENCH_STEPS;
  const cpuRows = await benchTrainCpu({ steps });
  process.stdout.write('\nWebGPU (WGSL trainer, and tfjs ops on tfjs-backend-webgpu), same step:\n');
  const gpuRows = await benchTrainWebGpu(steps);
  for (const row of gpuRows.filter((r) => r.path === 'webgpu')) {
    const cpu = cpuRows.find((r) => r.label.startsWith('wasm SIMD') && !r.label.endsWith(' 1 thread') && shapeLabel(r.shape) === shapeLabel(row.shape));
    if (cpu) process.stdout.write(`  WGSL trainer at ${shapeLabel(row.shape)}: ${(cpu.msPerStep / row.msPerStep).toFixed(2)}x the ${cpu.label} trainer [${row.adapter}]\n`);
    const tfjs = gpuRows.find((r) => r.path === 'tfjs-webgpu' && r.shape === row.shape);
    if (tfjs) process.stdout.write(`  WGSL trainer at ${shapeLabel(row.shape)}: ${(tfjs.msPerStep / row.msPerStep).toFixed(1)}x tfjs op by op on the same adapter\n`);
  }
}
