import * as vscode from 'vscode';
import { stepCounter } from '../core/train/progress';
import type { TrainingProgressParams } from '../engine/protocol';

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

/** At most this many loss points are kept: older ones are thinned to every other one. */
const MAX_POINTS = 2000;

/**
 * The current training run's loss curve and samples, kept by the extension
 * so that a dashboard opened mid-run shows the whole story so far.
 */
export class TrainingHistory implements vscode.Disposable {
  points: LossPoint[] = [];
  samples: TrainingSample[] = [];
  backend = '';
  /** Time so far, time left and what ends the run, from the latest step. */
  timing?: { elapsedSeconds: number; etaSeconds: number; endsBy: 'budget' | 'steps'; counter: string; fraction: number };
  private readonly emitter = new vscode.EventEmitter<TrainingProgressParams>();
  readonly onDidAdd = this.emitter.event;

  reset(): void {
    this.points = [];
    this.samples = [];
    this.timing = undefined;
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
    }
    this.emitter.fire(p);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
