import * as vscode from 'vscode';
import { stepCounter } from '../core/train/progress';
import { StopTraining, TrainFinished, TrainingProgressParams } from '../engine/protocol';
import { CharLens } from './context';
import { EngineClient } from './engineClient';

const duration = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

export function describeProgress(p: TrainingProgressParams): string {
  const val = p.valBits !== undefined ? `, val ${p.valBits.toFixed(2)}` : '';
  const ends = p.endsBy === 'budget' ? `${duration(p.etaSeconds)} left of the budget` : `ETA ${duration(p.etaSeconds)}`;
  return `${stepCounter(p)} · ${p.trainBits.toFixed(2)} bits/char${val} · ${(p.charsPerSec / 1000).toFixed(1)}k chars/s · ${ends}`;
}

/**
 * A notification from the moment the user asks to train until the engine
 * has planned the run (reading the workspace, probing the backend's speed
 * take seconds); the returned function ends it.
 */
export function showPreparing(resume: boolean): () => void {
  let done!: () => void;
  const ended = new Promise<void>((resolve) => (done = resolve));
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CharLens: preparing to ${resume ? 'resume' : 'train'}: reading the workspace and sizing the model…` }, () => ended);
  return done;
}

const stopping = new vscode.EventEmitter<void>();

/**
 * Asks the engine to stop after the current step; the notification and the
 * status bar say so at once, since the stop itself validates and saves
 * before training ends. Resolves to whether training was running.
 */
export function requestStop(charlens: CharLens): Promise<boolean> {
  stopping.fire();
  return charlens.engine.request0(StopTraining).catch(() => false);
}

/**
 * Resolves when the engine reports the end of training, or dies. Subscribe
 * before starting: the engine may finish (or fail) before its reply to the
 * start request arrives.
 */
export function trainingEnd(engine: EngineClient): { finished: Promise<TrainFinished>; cancel: () => void } {
  let subscriptions: vscode.Disposable[] = [];
  const cancel = () => subscriptions.forEach((s) => s.dispose());
  const finished = new Promise<TrainFinished>((resolve) => {
    const done = (f: TrainFinished) => {
      cancel();
      resolve(f);
    };
    subscriptions = [
      engine.onTrainingFinished(done),
      engine.onUnexpectedExit(() => done({ error: 'The engine stopped during training. Use "CharLens: Resume Training" to continue from the last checkpoint.' })),
    ];
  });
  return { finished, cancel };
}

/**
 * Shows a running training job until `finished` settles: a cancellable
 * notification with step, loss, speed and ETA, the live loss in the status
 * bar, and a log line per validation. Cancelling asks the engine to stop
 * after the current step.
 */
export function showTrainingProgress(charlens: CharLens, title: string, finished: Promise<TrainFinished>): void {
  const { engine, statusBar, output } = charlens;
  let lastVal: number | undefined;
  let stopRequested = false;
  const status = [
    engine.onTrainingProgress((p) => {
      if (p.kind === 'info') output.appendLine(p.message ?? '');
      if (p.kind === 'validation') {
        lastVal = p.valBits;
        output.appendLine(`[train] ${describeProgress(p)}`);
      }
      if (p.kind !== 'info' && !stopRequested) statusBar.showTraining(stepCounter(p), p.trainBits, lastVal);
    }),
    stopping.event(() => {
      stopRequested = true;
      statusBar.showStopping();
    }),
  ];
  void finished.then(() => status.forEach((s) => s.dispose()));
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    let lastFraction = 0;
    const subscriptions = [
      token.onCancellationRequested(() => void requestStop(charlens)),
      stopping.event(() => progress.report({ message: 'Stopping: finishing this step and saving…' })),
      engine.onTrainingProgress((p) => {
        if (p.kind === 'info' || stopRequested) return;
        progress.report({ message: describeProgress({ ...p, valBits: p.valBits ?? lastVal }), increment: (p.fraction - lastFraction) * 100 });
        lastFraction = p.fraction;
      }),
    ];
    return finished.then(() => subscriptions.forEach((s) => s.dispose()));
  });
}
