import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { releaseGpu, selectBackend } from '../core/backend';
import { writeFileAtomic } from '../core/atomicFile';
import { loadCheckpoint } from '../core/model/checkpoint';
import { BatchStreams } from '../core/text/batches';
import { runTrainingJob } from '../core/train/job';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from '../core/train/options';
import { TrainProgress, stepCounter } from '../core/train/progress';
import { openGpu } from '../core/train/webgpu/device';
import { UserError } from '../core/userError';
import { TrainShape, shapeLabel } from './benchShapes';
import { GPU_SHAPES, SMALL_SHAPE, benchTrainWebGpu } from './benchTrainWebGpu';
import { GRADIENT_TOLERANCE, checkGradients } from './gradientCheck';
import { GpuCheckReport, ShapeResult, TrainingResult, formatReport, judgeTargets } from './gpuCheckReport';
import { findTorch, torchMsPerStep } from './torchStep';

/**
 * `npm run gpu-check` (scripts/gpu-check.sh runs it from the bundle
 * dist/gpuCheck.js): on one GPU, in one process and one run, the WGSL
 * trainer's step against tfjs op by op on WebGPU and PyTorch's cuDNN LSTM at
 * the bench shapes, its gradients against the CPU trainer's, and a
 * budgeted training run on the kernel/ corpus scored on its test split.
 * --quick rehearses the same on the software adapter with tiny shapes.
 */
export interface GpuCheckOptions {
  quick: boolean;
  /** A folder with train.c and test.c (scripts/linux-corpus.sh). */
  corpus: string;
  /** Where the report goes as JSON. */
  json: string;
  /** The commit the code was built from, as the pack recorded it. */
  builtFrom: string;
  print: (line: string) => void;
}

export const QUICK_SHAPES: TrainShape[] = [
  { B: 4, T: 8, H: 16, L: 2, V: 20 },
  { B: 8, T: 16, H: 32, L: 2, V: 50 },
  { B: 8, T: 16, H: 64, L: 2, V: 65 },
];

interface Settings {
  shapes: TrainShape[];
  /** Timed steps: the WGSL trainer's, tfjs's (seconds a step on a GPU too), PyTorch's per round. */
  steps: number;
  tfjsSteps: number;
  torchRounds: number;
  trainMinutes: number;
  batchSize: number;
  seqLength: number;
  /** The corpus is cut to these lengths (a rehearsal reads a little of it). */
  trainChars: number;
  testChars: number;
}

/** B=128, T=128: PyTorch's 4-minute kernel/ runs on the H100 (../shared/notes/anchors.md) used them. */
const FULL: Settings = { shapes: [SMALL_SHAPE, ...GPU_SHAPES], steps: 10, tfjsSteps: 2, torchRounds: 3, trainMinutes: 5, batchSize: 128, seqLength: 128, trainChars: Infinity, testChars: Infinity };
const QUICK: Settings = { shapes: QUICK_SHAPES, steps: 2, tfjsSteps: 1, torchRounds: 1, trainMinutes: 20 / 60, batchSize: 8, seqLength: 32, trainChars: 300_000, testChars: 20_000 };

/** The full check ends within this: the training run is shortened when the parts before it ran long. */
const DEADLINE_SECONDS = 8.5 * 60;
/** Kept after training for scoring the test text and writing the report. */
const AFTER_TRAINING_SECONDS = 30;
/** A progress line during training at most this often, besides one per validation. */
const PROGRESS_EVERY_MS = 30_000;

/** Runs the check, prints its table and writes its JSON; `ok` is false when a part of ours failed or the gradients disagree. */
export async function runGpuCheck(o: GpuCheckOptions): Promise<{ report: GpuCheckReport; ok: boolean }> {
  const started = performance.now();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const seconds = () => (performance.now() - started) / 1000;
  const stage = (what: string) => o.print(`\n[${formatSeconds(seconds())}] ${what}`);
  const s = o.quick ? QUICK : FULL;
  const corpus = readKernelCorpus(o.corpus, s);
  const cores = os.availableParallelism();
  const results: ShapeResult[] = s.shapes.map((shape) => ({ shape, missing: {} }));

  stage(`gradient check: the WGSL trainer against the CPU trainer (wasm SIMD, ${cores} threads)`);
  // Without --quick only a hardware adapter will do: the bench shapes would take hours on the software one.
  const gpu = await openGpu({ allowSoftware: o.quick });
  const adapter = `${gpu.adapterName}, ${gpu.backendName}${gpu.isSoftware ? ', software' : ''}`;
  try {
    for (const r of results) {
      try {
        r.gradient = await checkGradients(r.shape, gpu, cores);
        o.print(`  ${shapeLabel(r.shape)}: ${r.gradient.worstRelative.toExponential(2)} (${r.gradient.worstTensor}), loss ${r.gradient.gpuLoss.toFixed(6)} vs ${r.gradient.cpuLoss.toFixed(6)}`);
      } catch (err) {
        r.missing.gradient = `gradient check failed: ${firstLine(err)}`;
      }
    }
  } finally {
    gpu.device.destroy();
  }

  stage('bench train on WebGPU: the WGSL trainer, then tfjs op by op');
  try {
    const rows = await benchTrainWebGpu({ steps: s.steps, tfjsSteps: s.tfjsSteps, shapes: s.shapes, print: o.print, onSkip: (which, reason) => skipAll(results, which === 'webgpu' ? 'wgsl' : 'tfjs', reason) });
    for (const r of results) {
      const wgsl = rows.find((row) => row.path === 'webgpu' && row.shape === r.shape);
      const tfjs = rows.find((row) => row.path === 'tfjs-webgpu' && row.shape === r.shape);
      if (wgsl) r.wgsl = { msPerStep: wgsl.msPerStep, dispatches: wgsl.dispatches!, submits: wgsl.submits! };
      if (tfjs) r.tfjsMsPerStep = tfjs.msPerStep;
    }
  } catch (err) {
    const reason = `bench failed: ${firstLine(err)}`;
    for (const r of results) if (!r.wgsl) r.missing.wgsl = reason;
    for (const r of results) if (r.tfjsMsPerStep === undefined) r.missing.tfjs ??= reason;
  }

  const device = o.quick ? 'cpu' : 'cuda';
  stage(`PyTorch's LSTM step on ${device}`);
  const torch = findTorch();
  let torchLine = torch.reason ?? '';
  if (!torch.python) skipAll(results, 'torch', `PyTorch: ${torch.reason}`);
  const python = torch.python;
  for (const r of python ? results : []) {
    try {
      const t = torchMsPerStep(python!, r.shape, s.steps, s.torchRounds, cores, device);
      r.torchMsPerStep = t.msPerStep;
      const tf32 = t.tf32 ? `, TF32 cuDNN ${t.tf32.cudnn ? 'on' : 'off'} / matmul ${t.tf32.matmul ? 'on' : 'off'}` : '';
      torchLine = `${t.version} on ${t.device}${t.deviceName ? ` (${t.deviceName}, cuDNN ${t.cudnn}${tf32})` : ` (${t.threads} threads${o.quick ? '; the rehearsal times the CPU' : ''})`}`;
      o.print(`  ${shapeLabel(r.shape)}: ${t.msPerStep.toFixed(2)} ms/step`);
    } catch (err) {
      r.missing.torch = firstLine(err);
      torchLine ||= firstLine(err);
    }
  }

  const minutes = o.quick ? s.trainMinutes : Math.min(s.trainMinutes, (DEADLINE_SECONDS - seconds() - AFTER_TRAINING_SECONDS) / 60);
  stage(`kernel/ training, ${minutes >= 1 ? `${minutes.toFixed(1)} min` : `${Math.round(minutes * 60)} s`} on WebGPU${minutes < s.trainMinutes ? ` (shortened from ${s.trainMinutes} min to end in time)` : ''}`);
  let training: TrainingResult | undefined;
  let trainingMissing: string | undefined;
  try {
    training = await trainOnKernel(corpus, minutes, s, o.quick, o.print);
  } catch (err) {
    trainingMissing = `training failed: ${firstLine(err)}`;
    o.print(`  ${trainingMissing}`);
  }

  const partial = { quick: o.quick, startedAt, builtFrom: o.builtFrom, adapter, node: process.version, cpu: `${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores`, torch: torchLine, shapes: results, training, trainingMissing, seconds: seconds() };
  const report: GpuCheckReport = { ...partial, targets: judgeTargets(partial) };
  o.print(`\n${formatReport(report)}`);
  fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
  writeFileAtomic(o.json, `${JSON.stringify(report, null, 2)}\n`);
  o.print(`Written to ${o.json}`);
  const ok = results.every((r) => r.wgsl && r.gradient && r.gradient.worstRelative <= GRADIENT_TOLERANCE) && training?.testLoss !== undefined;
  return { report, ok };
}

function skipAll(results: ShapeResult[], column: keyof ShapeResult['missing'], reason: string): void {
  for (const r of results) r.missing[column] = reason;
}

interface KernelCorpus {
  train: string;
  test: string;
}

/** train.c and test.c of `dir`, cut to the settings' lengths. */
function readKernelCorpus(dir: string, s: Settings): KernelCorpus {
  const read = (name: string, chars: number) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      throw new UserError(
        `No ${file}: --corpus needs a folder with train.c and test.c. scripts/linux-corpus.sh builds them (runs/linux), and scripts/gpu-pack.sh packs them into .gpu/corpus for a GPU machine.`,
      );
    }
    const text = fs.readFileSync(file, 'utf8');
    return chars < text.length ? text.slice(0, chars) : text;
  };
  return { train: read('train.c', s.trainChars), test: read('test.c', s.testChars) };
}

/**
 * The training job a user's `charlens train --minutes m` runs (the model size
 * chosen for the budget by probing the trainer), on WebGPU, without the
 * n-gram; then the best checkpoint's loss on the test text, scored by a
 * trainer of the same backend as the loop scores its test split.
 */
async function trainOnKernel(corpus: KernelCorpus, minutes: number, s: Settings, quick: boolean, print: (line: string) => void): Promise<TrainingResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-gpu-check-'));
  try {
    const folder = path.join(work, 'trainset');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'train.c'), corpus.train);
    const backend = await selectBackend('webgpu');
    if (!quick && !backend.gpu) throw new Error(`training found only ${backend.description}`);
    const requested: Partial<TrainOptions> = { minutes, batchSize: s.batchSize, seqLength: s.seqLength };
    const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...requested, out: path.join(work, 'model'), hidden: 0 };
    let plan = '';
    let lastPrint = performance.now();
    const onProgress = (p: TrainProgress) => {
      if (p.kind === 'info' || (p.kind === 'step' && performance.now() - lastPrint < PROGRESS_EVERY_MS)) return;
      lastPrint = performance.now();
      const val = p.kind === 'validation' ? `, validation ${p.valLoss?.toFixed(3)}` : '';
      print(`  ${formatSeconds(p.elapsedSeconds)} ${stepCounter(p)}: train ${p.trainLoss.toFixed(3)}${val} nats/char, ${Math.round(p.charsPerSec).toLocaleString('en-US')} chars/s`);
    };
    const t0 = performance.now();
    const result = await runTrainingJob(
      { folder, corpus: { maxFileBytes: Buffer.byteLength(corpus.train) + 1 }, options, requested, ngramOrder: 0, owner: 'the GPU check', backend },
      { onPlan: (p) => print(`  ${(plan = p.line)}`), onProgress },
    );
    const ran = (performance.now() - t0) / 60_000;
    const training: TrainingResult = { plan, minutes: ran, steps: result.steps, stopReason: result.stopReason, bestValLoss: result.bestValLoss, testChars: 0 };
    if (!fs.existsSync(path.join(options.out, 'model.json'))) return training;
    const model = loadCheckpoint(options.out);
    const streams = BatchStreams.fit(model.vocabulary.encode(corpus.test), s.batchSize, s.seqLength);
    if (!streams) return training;
    const trainer = await backend.createTrainer({ config: model.config, batchSize: s.batchSize, seqLength: s.seqLength, optimizer: 'adam', gradClip: 0, weights: model.weights });
    try {
      return { ...training, testLoss: await trainer.evaluate(streams), testChars: [...corpus.test].length };
    } finally {
      trainer.dispose();
    }
  } finally {
    await releaseGpu();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0];

const formatSeconds = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
