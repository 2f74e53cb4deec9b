import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { bitsPerChar } from '../core/predict/lossUnits';
import { writeFileAtomic } from '../core/atomicFile';
import { stepCounter } from '../core/train/progress';
import type { TrainFinished, TrainingProgressParams } from '../engine/protocol';
import type { LearnedLabel } from '../core/model/weightHistory';
import { array, number, object, oneOf, optional, string } from '../engine/schema';

export interface LossPoint {
  step: number;
  trainBits: number;
  valBits?: number;
}

export interface TrainingSample {
  step: number;
  valBits?: number;
  text: string;
}

/** How a run ended, as the engine reported it; `interrupted` when the window closed before it did. */
export interface TrainingOutcome {
  stopReason?: 'finished' | 'early-stop' | 'time-limit' | 'cancelled' | 'interrupted';
  error?: string;
  steps?: number;
  valBits?: number;
}

/** At most this many loss points are kept: older ones are thinned to every other one. */
const MAX_POINTS = 2000;
/** Beside the model in its run folder: the run's curve, samples and outcome, for a dashboard opened after a reload. */
export const HISTORY_FILE = 'training-history.json';
const MAX_TEXT = 100_000;
const MAX_SAMPLES = 100_000;

const HISTORY_SCHEMA = object({
  points: array(object({ step: number(0, Number.MAX_SAFE_INTEGER), trainBits: number(0, 1000), valBits: optional(number(0, 1000)) }), MAX_POINTS * 2),
  samples: array(object({ step: number(0, Number.MAX_SAFE_INTEGER), valBits: optional(number(0, 1000)), text: string(MAX_TEXT) }), MAX_SAMPLES),
  backend: string(200),
  learned: optional(array(object({ feature: string(64), step: number(0, Number.MAX_SAFE_INTEGER), layer: number(0, 64), cell: number(0, 1 << 16), r: number(-1, 1), precision: number(0, 1) }), 64)),
  outcome: optional(
    object({
      stopReason: optional(oneOf(['finished', 'early-stop', 'time-limit', 'cancelled', 'interrupted'] as const)),
      error: optional(string(MAX_TEXT)),
      steps: optional(number(0, Number.MAX_SAFE_INTEGER)),
      valBits: optional(number(0, 1000)),
    }),
  ),
});

/**
 * A training run's loss curve and samples, kept by the extension so that a
 * dashboard opened mid-run shows the whole story so far, and written beside
 * the model (at each validation and at the end) so that one opened after a
 * reload shows it too, with how the run ended.
 */
export class TrainingHistory implements vscode.Disposable {
  points: LossPoint[] = [];
  samples: TrainingSample[] = [];
  backend = '';
  /** The labels cells learned so far, each with the step it first passed the explorer's threshold (the dashboard's "learned:" line). */
  learned: LearnedLabel[] = [];
  /** Time so far, time left and what ends the run, from the latest step (the dashboard shows the outcome instead once there is one). */
  timing?: { elapsedSeconds: number; etaSeconds: number; endsBy: 'budget' | 'steps'; counter: string; fraction: number };
  outcome?: TrainingOutcome;
  /** The run folder the history is kept in. */
  private dir?: string;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  /** `log` hears of a history that could not be read or written: the dashboard goes on without it. */
  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /**
   * Training into `dir` starts: a new run starts an empty history; a resumed
   * one goes on from the history saved there (this window may not have seen
   * the run's earlier sessions).
   */
  start(dir: string, resume: boolean): void {
    if (!resume) this.clear();
    else if (dir !== this.dir) this.load(dir);
    this.dir = dir;
    this.outcome = undefined;
    this.emitter.fire();
  }

  /** The history saved in the run folder `dir`: what the dashboard shows after a reload. Nothing there (or a damaged file): an empty one. */
  load(dir: string): void {
    this.clear();
    this.dir = dir;
    const file = path.join(dir, HISTORY_FILE);
    let saved;
    try {
      saved = HISTORY_SCHEMA.check(JSON.parse(fs.readFileSync(file, 'utf8')), HISTORY_FILE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`[train] the training history in ${file} cannot be read (${(err as Error).message}); the dashboard starts empty`);
      return;
    }
    this.points = saved.points;
    this.samples = saved.samples;
    this.backend = saved.backend;
    this.learned = saved.learned ?? [];
    // Saved without an outcome: the window closed (or reloaded) while the run was training.
    this.outcome = saved.outcome ?? { stopReason: 'interrupted', steps: this.points.at(-1)?.step };
    this.emitter.fire();
  }

  add(p: TrainingProgressParams): void {
    if (p.kind === 'info') return;
    this.backend = p.backend;
    this.timing = { elapsedSeconds: p.elapsedSeconds, etaSeconds: p.etaSeconds, endsBy: p.endsBy, counter: stepCounter(p), fraction: p.fraction };
    if (p.kind === 'step') {
      this.points.push({ step: p.step, trainBits: p.trainBits });
      if (this.points.length > MAX_POINTS) this.points = this.points.filter((q, i) => i % 2 === 0 || q.valBits !== undefined);
    } else {
      const last = this.points[this.points.length - 1];
      if (last && last.step === p.step) last.valBits = p.valBits;
      else this.points.push({ step: p.step, trainBits: p.trainBits, valBits: p.valBits });
      if (p.sample) this.samples.push({ step: p.step, valBits: p.valBits, text: p.sample });
      if (p.learned) this.learned = p.learned;
      this.save();
    }
    this.emitter.fire();
  }

  /** The run ended: how, kept with its history. */
  finish(f: TrainFinished): void {
    this.outcome = {
      stopReason: f.stopReason,
      error: f.error,
      steps: f.steps ?? this.points.at(-1)?.step,
      valBits: f.bestValLoss !== undefined ? bitsPerChar(f.bestValLoss) : undefined,
    };
    this.save();
    this.emitter.fire();
  }

  private clear(): void {
    this.points = [];
    this.samples = [];
    this.learned = [];
    this.timing = undefined;
    this.outcome = undefined;
  }

  private save(): void {
    // A run that could not start has no folder left to keep a history in.
    if (!this.dir || !fs.existsSync(this.dir)) return;
    const file = path.join(this.dir, HISTORY_FILE);
    try {
      // JSON has no NaN: a diverged step's loss would make the whole file unreadable.
      const points = this.points.filter((p) => Number.isFinite(p.trainBits) && (p.valBits === undefined || Number.isFinite(p.valBits)));
      const samples = this.samples.map((q) => (q.valBits === undefined || Number.isFinite(q.valBits) ? q : { ...q, valBits: undefined }));
      writeFileAtomic(file, JSON.stringify({ points, samples, backend: this.backend, learned: this.learned, outcome: this.outcome }));
    } catch (err) {
      this.log(`[train] could not keep the training history in ${file}: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** The dashboard's line for how a run ended: "finished: time budget reached after 120 steps, validation 2.314 bits/char". */
export function describeOutcome(o: TrainingOutcome): string {
  if (o.error) return `ended with an error: ${o.error}`;
  const steps = o.steps !== undefined ? ` after ${o.steps} steps` : '';
  const val = o.valBits !== undefined ? `, validation ${o.valBits.toFixed(3)} bits/char` : '';
  switch (o.stopReason) {
    case 'time-limit':
      return `finished: time budget reached${steps}${val}`;
    case 'early-stop':
      return `finished: validation stopped improving${steps}${val}`;
    case 'cancelled':
      return `stopped${steps}${val}; "Resume Training" continues it`;
    case 'interrupted':
      return `not finished: the window closed during training${steps}; "Resume Training" continues it`;
    default:
      return `finished${steps}${val}`;
  }
}
