import { TrainShape, shapeLabel } from './benchShapes';
import { GRADIENT_TOLERANCE, GradientCheck } from './gradientCheck';

/** What the GPU check measured at one bench shape; a column left empty says why in `missing`. */
export interface ShapeResult {
  shape: TrainShape;
  wgsl?: { msPerStep: number; dispatches: number; submits: number };
  tfjsMsPerStep?: number;
  torchMsPerStep?: number;
  gradient?: GradientCheck;
  missing: Partial<Record<ShapeColumn, string>>;
}

export type ShapeColumn = 'wgsl' | 'tfjs' | 'torch' | 'gradient';

/** The kernel/ training run: the job's plan line, how it ended, and its losses in nats/char. */
export interface TrainingResult {
  plan: string;
  minutes: number;
  steps: number;
  stopReason: string;
  bestValLoss?: number;
  testLoss?: number;
  testChars: number;
}

export interface GpuCheckReport {
  quick: boolean;
  startedAt: string;
  builtFrom: string;
  adapter: string;
  node: string;
  cpu: string;
  /** "PyTorch 2.11.0 on cuda (NVIDIA H100 80GB HBM3, cuDNN 91000, TF32 cudnn on / matmul off)", or why there is none. */
  torch: string;
  shapes: ShapeResult[];
  training?: TrainingResult;
  /** Why the training run gave no figure. */
  trainingMissing?: string;
  targets: Target[];
  seconds: number;
}

export interface Target {
  what: string;
  figure: string;
  /** undefined: not judged (a rehearsal, or the figure is missing). */
  met?: boolean;
}

/** Issue 25's targets on a GPU (H100/H200). */
export const TARGET_SHAPE: TrainShape = { B: 100, T: 100, H: 512, L: 2, V: 100 };
export const TARGETS = { ofCudnn: 1.5, overTfjs: 100, testNats: 1.095, minutes: 9 } as const;

/** The dispatches per step issue 25 item 2 aims at: a wavefront of L+T-1 steps each way, plus what does not recur. */
export const dispatchAim = (s: TrainShape): number => 2 * (s.L + s.T) + 8 * s.L + 16;

const fixed = (x: number | undefined, digits: number) => (x === undefined ? undefined : x.toFixed(digits));
const times = (x: number | undefined) => (x === undefined ? undefined : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}x`);

/**
 * The targets with their figures; judged only outside a rehearsal (a
 * software adapter's speeds and a 20-second run say nothing about them).
 */
export function judgeTargets(r: Omit<GpuCheckReport, 'targets'>): Target[] {
  const at = r.shapes.find((s) => shapeLabel(s.shape) === shapeLabel(TARGET_SHAPE));
  const label = shapeLabel(TARGET_SHAPE);
  const ofCudnn = at?.wgsl && at.torchMsPerStep !== undefined ? at.wgsl.msPerStep / at.torchMsPerStep : undefined;
  const overTfjs = at?.wgsl && at.tfjsMsPerStep !== undefined ? at.tfjsMsPerStep / at.wgsl.msPerStep : undefined;
  const worst = r.shapes.every((s) => s.gradient) ? Math.max(...r.shapes.map((s) => s.gradient!.worstRelative)) : undefined;
  const test = r.training?.testLoss;
  const judge = (figure: number | undefined, ok: (x: number) => boolean) => (r.quick || figure === undefined ? undefined : ok(figure));
  return [
    { what: `WGSL trainer at ${label}, x PyTorch cuDNN's ms/step (at most ${TARGETS.ofCudnn}x)`, figure: times(ofCudnn) ?? 'not measured', met: judge(ofCudnn, (x) => x <= TARGETS.ofCudnn) },
    { what: `WGSL trainer at ${label}, times faster than tfjs op by op on WebGPU (at least ${TARGETS.overTfjs}x)`, figure: times(overTfjs) ?? 'not measured', met: judge(overTfjs, (x) => x >= TARGETS.overTfjs) },
    // The gradient check is judged in a rehearsal too: it is about correctness, which the software adapter shows.
    {
      what: `gradients of the WGSL trainer against the CPU trainer, every shape (at most ${GRADIENT_TOLERANCE.toExponential(0)} of the largest)`,
      figure: worst === undefined ? 'not measured' : worst.toExponential(2),
      met: worst === undefined ? undefined : worst <= GRADIENT_TOLERANCE,
    },
    { what: `kernel/ training run, test nats/char (at most ${TARGETS.testNats})`, figure: fixed(test, 3) ?? 'not measured', met: judge(test, (x) => x <= TARGETS.testNats) },
    { what: `the whole check, minutes (under ${TARGETS.minutes})`, figure: (r.seconds / 60).toFixed(1), met: judge(r.seconds / 60, (x) => x < TARGETS.minutes) },
  ];
}

/** The check's one table (a row per shape, with the ratios) and the lines under it, as printed. */
export function formatReport(r: GpuCheckReport): string {
  const notes: string[] = [];
  const note = (reason: string) => {
    const at = notes.indexOf(reason);
    return `[${(at < 0 ? notes.push(reason) : at + 1).toString()}]`;
  };
  const cell = (value: string | undefined, s: ShapeResult, column: ShapeColumn) => value ?? (s.missing[column] ? note(s.missing[column]!) : '-');
  const header = ['shape (B,T,H,L,V)', 'WGSL ms/step', 'dispatches (aim)', 'submits', 'tfjs WebGPU ms', 'PyTorch ms', 'WGSL/PyTorch', 'tfjs/WGSL', 'grad rel. err', 'loss diff'];
  const rows = r.shapes.map((s) => {
    const w = s.wgsl;
    return [
      shapeLabel(s.shape),
      cell(fixed(w?.msPerStep, 2), s, 'wgsl'),
      cell(w && `${w.dispatches} (${dispatchAim(s.shape)})`, s, 'wgsl'),
      cell(w && String(w.submits), s, 'wgsl'),
      cell(fixed(s.tfjsMsPerStep, 1), s, 'tfjs'),
      cell(fixed(s.torchMsPerStep, 2), s, 'torch'),
      cell(w && s.torchMsPerStep !== undefined ? times(w.msPerStep / s.torchMsPerStep) : undefined, s, s.torchMsPerStep === undefined ? 'torch' : 'wgsl'),
      cell(w && s.tfjsMsPerStep !== undefined ? times(s.tfjsMsPerStep / w.msPerStep) : undefined, s, s.tfjsMsPerStep === undefined ? 'tfjs' : 'wgsl'),
      cell(s.gradient?.worstRelative.toExponential(2), s, 'gradient'),
      cell(s.gradient && Math.abs(s.gradient.gpuLoss - s.gradient.cpuLoss).toExponential(1), s, 'gradient'),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const t = r.training;
  const out = [
    `GPU check${r.quick ? ' (--quick rehearsal: tiny shapes, 20-second training; speeds say nothing here)' : ''}, ${r.startedAt}, built from ${r.builtFrom}`,
    `adapter: ${r.adapter}; Node ${r.node}; CPU: ${r.cpu}`,
    `PyTorch: ${r.torch}`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    '',
    ...notes.map((n, i) => `[${i + 1}] ${n}`),
    'WGSL/PyTorch: the WGSL trainer\'s ms/step over PyTorch\'s (lower is better); tfjs/WGSL: how many times faster the WGSL trainer is than tfjs op by op on WebGPU;',
    `grad rel. err: the largest max |WGSL - CPU| / max |CPU| over the weight tensors, one batch, same weights and carried state; aim: issue 25 item 2's 2(L+T) + 8L + 16 dispatches.`,
    '',
    t
      ? `kernel/ training: ${t.plan} Ran ${t.minutes.toFixed(1)} min, ${t.steps.toLocaleString('en-US')} steps (${t.stopReason}); best validation ${fixed(t.bestValLoss, 3) ?? '-'} nats/char; ` +
        `test ${fixed(t.testLoss, 3) ?? '-'} nats/char on ${t.testChars.toLocaleString('en-US')} characters of test.c.`
      : `kernel/ training: no figure (${r.trainingMissing}).`,
    '',
    `Targets${r.quick ? ' (a rehearsal judges only the gradients)' : ''}:`,
    ...r.targets.map((g) => `  ${g.met === undefined ? '  -   ' : g.met ? '  met ' : 'MISSED'}  ${g.what}: ${g.figure}`),
    '',
    `${(r.seconds / 60).toFixed(1)} min in all.`,
  ];
  return out.join('\n');
}
