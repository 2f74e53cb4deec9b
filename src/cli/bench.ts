import { CommandArgs, UsageError, nearest } from './args';
import { benchAccuracy } from './benchAccuracy';
import { benchCells } from './benchCells';
import { benchCompletion, benchEventLoop } from './benchEngine';
import { benchLens } from './benchLens';
import { benchOverlay } from './benchOverlay';
import { shapeLabel } from './benchShapes';
import { DEFAULT_BENCH_STEPS, benchTrainCells, benchTrainCpu } from './benchTrainCpu';
import { benchTrainWebGpu } from './benchTrainWebGpu';
import { BENCH_MODES } from './commandSpecs';

type TimedMode = Exclude<(typeof BENCH_MODES)[number], 'accuracy' | 'cells'>;

/**
 * What a plain `bench` runs, in order, and about how long each takes: the
 * wall seconds of `charlens bench <mode>` on the shared 2-core machine at a
 * load average of about 12 (2026-12-07), so the wait is said before it
 * starts; an idle machine takes less (the whole run took 7 minutes there
 * on a quieter day).
 */
const TIMED_MODES: Record<TimedMode, { what: string; seconds: number; run: (args: CommandArgs) => Promise<void> }> = {
  train: { what: 'training speed per trainer', seconds: 360, run: benchTraining },
  completion: { what: 'completion latency through the engine', seconds: 95, run: (args) => benchCompletion(args.flag('while-training')) },
  overlay: { what: 'prediction overlay latency against exact reads', seconds: 650, run: () => benchOverlay() },
  'event-loop': { what: "the extension host's event loop while training", seconds: 50, run: () => benchEventLoop() },
  lens: { what: 'Where Cell Fires, Find Cells for Selection, surprise overlay', seconds: 25, run: () => benchLens() },
};

const minutesAndSeconds = (seconds: number) => {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
};

/**
 * `charlens bench [train|completion|overlay|event-loop|lens|accuracy|cells]`: each
 * figure beside a baseline measured in the same run. Without a mode, every
 * timed mode (all but accuracy and cells) in turn, after a line saying what runs and how long it should
 * take, with the overall progress before each.
 */
export async function benchCommand(args: CommandArgs): Promise<number> {
  const which = args.positional[0];
  if (which === 'accuracy') {
    await benchAccuracy(args);
    return 0;
  }
  if (which === 'cells') {
    await benchCells(args);
    return 0;
  }
  if (which !== undefined && !(which in TIMED_MODES)) {
    const guess = nearest(which, BENCH_MODES);
    throw new UsageError(`bench has no mode '${which}'${guess ? `; did you mean ${guess}?` : ''} (modes: ${BENCH_MODES.join(', ')}, or none for all but accuracy and cells)`);
  }
  if (which !== undefined) {
    await TIMED_MODES[which as TimedMode].run(args);
    return 0;
  }
  const modes = Object.entries(TIMED_MODES);
  const total = modes.reduce((sum, [, m]) => sum + m.seconds, 0);
  process.stdout.write(
    `bench runs ${modes.length} modes, about ${minutesAndSeconds(total)} in all as measured on a busy 2-core machine (less on an idle one): ` +
      `${modes.map(([name, m]) => `${name} (${m.what}, ~${minutesAndSeconds(m.seconds)})`).join(', ')}. charlens bench <mode> runs one.\n`,
  );
  const started = performance.now();
  let expected = 0;
  for (const [k, [name, mode]] of modes.entries()) {
    const elapsed = (performance.now() - started) / 1000;
    process.stdout.write(`\n[${k + 1}/${modes.length}] ${name}: ${minutesAndSeconds(elapsed)} so far, about ${minutesAndSeconds(Math.max(0, total - expected))} to go\n`);
    await mode.run(args);
    expected += mode.seconds;
  }
  process.stdout.write(`\nbench: ${modes.length} modes in ${minutesAndSeconds((performance.now() - started) / 1000)}.\n`);
  return 0;
}

/**
 * `charlens bench train`: the CPU trainers (ours on 1 and all threads, tfjs
 * fused and op by op, PyTorch when installed), ours per cell, then the WGSL trainer and
 * tfjs op by op on WebGPU, all in one run so the ratios hold on a noisy
 * shared machine.
 */
async function benchTraining(args: CommandArgs): Promise<void> {
  const steps = args.number('steps') ?? DEFAULT_BENCH_STEPS;
  const cpuRows = await benchTrainCpu({ steps });
  await benchTrainCells({ steps });
  process.stdout.write('\nWebGPU (WGSL trainer, and tfjs ops on tfjs-backend-webgpu), same step:\n');
  const gpuRows = await benchTrainWebGpu({ steps });
  for (const row of gpuRows.filter((r) => r.path === 'webgpu')) {
    const cpu = cpuRows.find((r) => r.label.startsWith('wasm SIMD') && !r.label.endsWith(' 1 thread') && shapeLabel(r.shape) === shapeLabel(row.shape));
    if (cpu) process.stdout.write(`  WGSL trainer at ${shapeLabel(row.shape)}: ${(cpu.msPerStep / row.msPerStep).toFixed(2)}x the ${cpu.label} trainer [${row.adapter}]\n`);
    const tfjs = gpuRows.find((r) => r.path === 'tfjs-webgpu' && r.shape === row.shape);
    if (tfjs) process.stdout.write(`  WGSL trainer at ${shapeLabel(row.shape)}: ${(tfjs.msPerStep / row.msPerStep).toFixed(1)}x tfjs op by op on the same adapter\n`);
  }
}
