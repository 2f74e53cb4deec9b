import * as os from 'os';
import { selectBackend } from '../core/backend';
import { CELL_TYPES, cellLabel, stepMultiplyAdds } from '../core/model/modelConfig';
import { createTfjsTrainer } from '../core/train/tfjs/tfjsTrainer';
import { Trainer, TrainerSpec } from '../core/train/trainer';
import { INIT_ZERO, compileKernels, instantiateKernels } from '../core/train/wasm/kernelModules';
import { createWasmTrainer } from '../core/train/wasm/wasmTrainer';
import { BENCH_EMBEDDING, TrainShape, benchConfig, benchSpec, benchStepper, shapeLabel } from './benchShapes';
import { findTorch, torchMsPerStep } from './torchStep';

export const CPU_SHAPES: TrainShape[] = [
  { B: 50, T: 50, H: 128, L: 2, V: 65 },
  { B: 32, T: 64, H: 256, L: 2, V: 100 },
];

/** One trainer's median timing at one shape. */
export interface CpuBenchRow {
  label: string;
  shape: TrainShape;
  msPerStep: number;
}

/**
 * `charlens bench train` (CPU part): one training step (forward, backward,
 * clip 5, Adam; embedding 64) at each shape on the wasm SIMD trainer with 1
 * thread and with every core, tfjs's fused and op-by-op LSTMs on the tfjs
 * wasm backend, and Debian's PyTorch (1 thread and every core) where it is installed. All trainers are
 * timed in alternating rounds of `steps` steps in one run, and the median
 * round is reported, so the ratios hold on a noisy shared machine.
 */
/** Timed steps per trainer and round (`bench train --steps`). */
export const DEFAULT_BENCH_STEPS = 3;

export async function benchTrainCpu({ steps = DEFAULT_BENCH_STEPS, rounds = 3 }: { steps?: number; rounds?: number } = {}): Promise<CpuBenchRow[]> {
  const rows: CpuBenchRow[] = [];
  const out = (line: string) => process.stdout.write(`${line}\n`);
  await selectBackend('wasm');
  const cores = os.availableParallelism();
  const peak = matmulPeak();
  out(`CPU training step (forward, backward, clip 5, Adam; embedding ${BENCH_EMBEDDING}): median of ${rounds} rounds of ${steps} steps, after a warm-up step`);
  out(`${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores, load average ${os.loadavg()[0].toFixed(1)} at the start; single-thread SIMD matmul peak ${peak.toFixed(1)} GFLOP per CPU second`);
  const torch = findTorch();
  if (!torch.python) out(`PyTorch skipped: ${torch.reason}`);
  for (const d of CPU_SHAPES) {
    const gflop = (2 * stepMultiplyAdds(benchConfig(d), d.B, d.T)) / 1e9;
    out(`\n(B,T,H,L,V) = ${shapeLabel(d)}: ${gflop.toFixed(2)} GFLOP per step`);
    const runs: Array<[string, (spec: TrainerSpec) => Promise<Trainer>]> = [
      ['wasm SIMD, 1 thread', (spec) => createWasmTrainer(spec, { threads: 1 })],
      [`wasm SIMD, ${cores} threads`, (spec) => createWasmTrainer(spec, { threads: cores })],
      ['tfjs wasm, fused LSTM', (spec) => createTfjsTrainer(spec, 'fused')],
      ['tfjs wasm, op-by-op LSTM', (spec) => createTfjsTrainer(spec, 'reference')],
    ];
    const timed = await timeInRounds(d, runs, steps, rounds);
    // PyTorch on 1 thread and on every core: OpenMP's spinning threads can make the second the slower one on a busy machine.
    for (const threads of torch.python ? [...new Set([1, cores])] : []) {
      const t = torchMsPerStep(torch.python!, d, steps, rounds, threads);
      timed.set(`PyTorch ${t.version} CPU, ${t.threads} thread${t.threads === 1 ? '' : 's'}`, { ms: t.msPerStep });
    }
    const all = timed.get(runs[1][0])!.ms;
    out(`  ${''.padEnd(30)} ${'ms/step'.padStart(8)} ${'chars/s'.padStart(9)} ${'GFLOP/s'.padStart(7)} ${'CPU ms'.padStart(7)} ${'GFLOP/CPU s'.padStart(11)} ${`wasm ${cores}T faster`.padStart(16)}`);
    for (const [label, { ms, cpuMs }] of timed) {
      rows.push({ label, shape: d, msPerStep: ms });
      const cells = [
        ms.toFixed(1).padStart(8),
        Math.round((d.B * d.T * 1000) / ms).toLocaleString('en-US').padStart(9),
        ((gflop * 1000) / ms).toFixed(1).padStart(7),
        (cpuMs === undefined ? '' : cpuMs.toFixed(1)).padStart(7),
        (cpuMs === undefined ? '' : ((gflop * 1000) / cpuMs).toFixed(1)).padStart(11),
        (label === runs[1][0] ? '' : `${(ms / all).toFixed(1)}x`).padStart(16),
      ];
      out(`  ${label.padEnd(30)} ${cells.join(' ')}`);
    }
  }
  out('\nCPU ms: CPU time of this process per step, all its threads (not PyTorch\'s); GFLOP/CPU s: the step\'s GFLOP per second of');
  out('it, to hold against the matmul peak. On a busy machine the scheduler may cap the process at a share of the cores');
  out('whatever its thread count; then wall times cannot show thread scaling, and CPU ms shows what a second thread costs.');
  return rows;
}

/**
 * `charlens bench train` (cells): the wasm SIMD trainer on every core at
 * each CPU shape with an LSTM, a GRU and a vanilla RNN of the same size,
 * timed in alternating rounds like the trainers above.
 */
export async function benchTrainCells({ steps = DEFAULT_BENCH_STEPS, rounds = 3 }: { steps?: number; rounds?: number } = {}): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const cores = os.availableParallelism();
  out(`\nwasm SIMD trainer, ${cores} threads, by cell (same step; load average ${os.loadavg()[0].toFixed(1)} at the start):`);
  for (const d of CPU_SHAPES) {
    const runs: Array<[string, () => Promise<Trainer>]> = CELL_TYPES.map((cell) => [cell, () => createWasmTrainer(benchSpec(d, cell), { threads: cores })]);
    const timed = await timeInRounds(d, runs, steps, rounds);
    const lstm = timed.get('lstm')!.ms;
    out(`  ${shapeLabel(d).padEnd(20)} ${'GFLOP/step'.padStart(10)} ${'ms/step'.padStart(8)} ${'chars/s'.padStart(9)} ${'GFLOP/s'.padStart(7)} ${'time/LSTM'.padStart(9)}`);
    for (const cell of CELL_TYPES) {
      const gflop = (2 * stepMultiplyAdds(benchConfig(d, cell), d.B, d.T)) / 1e9;
      const { ms } = timed.get(cell)!;
      const cells = [gflop.toFixed(2).padStart(10), ms.toFixed(1).padStart(8), Math.round((d.B * d.T * 1000) / ms).toLocaleString('en-US').padStart(9), ((gflop * 1000) / ms).toFixed(1).padStart(7), (ms / lstm).toFixed(2).padStart(9)];
      out(`  ${cellLabel({ cell }).padEnd(20)} ${cells.join(' ')}`);
    }
  }
}

/** Median ms per step (wall) and CPU ms per step of each trainer, timed in alternating rounds. */
async function timeInRounds(
  d: TrainShape,
  runs: Array<[string, (spec: TrainerSpec) => Promise<Trainer>]>,
  steps: number,
  rounds: number,
): Promise<Map<string, { ms: number; cpuMs?: number }>> {
  const trainers = await Promise.all(runs.map(([, make]) => make(benchSpec(d))));
  try {
    const counters = trainers.map(() => 0);
    const next = benchStepper(d);
    const step = (i: number) => next(trainers[i], ++counters[i]);
    for (let i = 0; i < trainers.length; i++) await step(i);
    const wall: number[][] = trainers.map(() => []);
    const cpu: number[][] = trainers.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < trainers.length; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let s = 0; s < steps; s++) await step(i);
        wall[i].push((performance.now() - t0) / steps);
        const c = process.cpuUsage(c0);
        cpu[i].push((c.user + c.system) / 1000 / steps);
      }
    }
    return new Map(runs.map(([label], i) => [label, { ms: median(wall[i]), cpuMs: median(cpu[i]) }]));
  } finally {
    for (const t of trainers) t.dispose();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * GFLOP per CPU second of our matmul kernel on this thread, [1024, 256] x
 * [256, 512], best of 5: CPU time, not wall time, so that a busy machine
 * does not lower the peak the trainers are held against.
 */
function matmulPeak(): number {
  const [m, k, n] = [1024, 256, 512];
  const bytes = 4 * (m * k + k * n + m * n) + 4096;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536), maximum: Math.ceil(bytes / 65536), shared: true });
  const kernels = instantiateKernels(compileKernels(), memory);
  const a = 1024;
  const b = a + m * k * 4;
  const c = b + k * n * 4;
  new Float32Array(memory.buffer).fill(0.5, a / 4, c / 4);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    kernels.matmul(c, a, b, m, k, n, k * 4, n * 4, INIT_ZERO, 0);
    const used = process.cpuUsage(c0);
    best = Math.min(best, used.user + used.system);
  }
  return (2 * m * k * n) / best / 1e3;
}
