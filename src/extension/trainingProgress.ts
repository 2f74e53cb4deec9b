import * as vscode from 'vscode';
import { StopTraining, TrainFinished, TrainingProgressParams } from '../engine/protocol';
import { CharLens } from './context';

const duration = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

export function describeProgress(p: TrainingProgressParams): string {
  const val = p.valBits !== undefined ? `, val ${p.valBits.toFixed(2)}` : '';
  return `step ${p.step}/${p.totalSteps} · ${p.trainBits.toFixed(2)} bits/char${val} · ${(p.charsPerSec / 1000).toFixed(1)}k chars/s · ETA ${duration(p.etaSeconds)}`;
}

/**
 * Shows a running training job: a cancellable notification with step, loss,
 * speed and ETA, the live loss in the status bar, and a log line per
 * validation. Cancelling asks the engine to stop after the current step.
 */
export function showTrainingProgress(charlens: CharLens, title: string): Promise<TrainFinished> {
  const { engine, statusBar, output } = charlens;
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
      new Promise<TrainFinished>((resolve) => {
        let lastFraction = 0;
        let lastVal: number | undefined;
        const subscriptions = [
          token.onCancellationRequested(() => {
            progress.report({ message: 'stopping after this step…' });
            void engine.request0(StopTraining).catch(() => undefined);
          }),
          engine.onTrainingProgress((p) => {
            if (p.kind === 'info') {
              output.appendLine(p.message ?? '');
              return;
            }
            if (p.kind === 'validation') {
              lastVal = p.valBits;
              output.appendLine(`[train] ${describeProgress(p)}`);
            }
            const fraction = p.totalSteps > 0 ? p.step / p.totalSteps : 0;
            progress.report({ message: describeProgress({ ...p, valBits: p.valBits ?? lastVal }), increment: (fraction - lastFraction) * 100 });
            lastFraction = fraction;
            statusBar.showTraining(p.step, p.totalSteps, p.trainBits, lastVal);
          }),
          engine.onTrainingFinished((f) => done(f)),
          engine.onUnexpectedExit(() => done({ error: 'The engine stopped during training. Use "CharLens: Resume Training" to continue from the last checkpoint.' })),
        ];
        const done = (f: TrainFinished) => {
          subscriptions.forEach((s) => s.dispose());
          resolve(f);
        };
      }),
    ),
  );
}
