import type { LearnedLabel } from '../model/weightHistory';

/** What the training loop reports at each step, validation and notice; light enough for the extension and the CLI's progress bar to import. */
export interface TrainProgress {
  kind: 'step' | 'validation' | 'info';
  step: number;
  /** The step cap (epochs or --max-steps). */
  totalSteps: number;
  /** The step the run is expected to end at: the cap, or under a time budget what the budget leaves room for at the current speed. */
  expectedSteps: number;
  /** How far the run is, 0..1: by time under a budget that ends it first, else by steps. */
  fraction: number;
  epoch: number;
  trainLoss: number;
  trainBits: number;
  valLoss?: number;
  valBits?: number;
  charsPerSec: number;
  /** Since the run (or the job that started it) began. */
  elapsedSeconds: number;
  /** Until the run ends, by whichever comes first: the time budget or the step count. */
  etaSeconds: number;
  /** Which of the two ends the run at the current speed. */
  endsBy: 'budget' | 'steps';
  lr: number;
  backend: string;
  message?: string;
  /** At validations: a short sample from the current weights, to watch the model learn. */
  sample?: string;
  /** At validations: the labels cells have learned so far, each with the step it first passed the explorer's threshold. */
  learned?: LearnedLabel[];
}

/** "step 1812/~3233" under a budget that ends the run first (the steps it leaves room for, an estimate), else "step 1812/8650". */
export function stepCounter(p: Pick<TrainProgress, 'step' | 'totalSteps' | 'expectedSteps' | 'endsBy'>): string {
  return p.endsBy === 'budget' ? `step ${p.step}/~${p.expectedSteps}` : `step ${p.step}/${p.totalSteps}`;
}
