import * as fs from 'fs';
import * as path from 'path';
import type { BackendRequest } from '../core/backendNames';
import { MODEL_FILE } from '../core/model/checkpoint';
import { modelName } from '../core/model/modelConfig';
import { WORKSPACE_NGRAM_ORDER } from '../core/ngram/workspaceNgram';
import type { TrainProgress } from '../core/train/progress';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from '../core/train/options';
import { checkOutFolder } from '../core/train/outFolder';
import { releaseLocksOfThisProcess } from '../core/train/trainingLock';
import { UserError } from '../core/userError';
import { InstantModel } from './instantModel';
import type { ModelHost } from './modelHost';
import type { TrainFinished, TrainParams, TrainStarted } from './protocol';
import { TrainingThread, startTrainingThread } from './trainingThread';

export interface TrainingEvents {
  progress(p: TrainProgress): void;
  /** Loads the saved model as the engine loads any (under its settings). */
  load(dir: string): ModelHost;
  /** The trained model, to answer from now on (before `finished` is sent). */
  trained(host: ModelHost): void;
  finished(f: TrainFinished): void;
}

/**
 * The engine's one training run, on its own thread (trainingThread.ts), so
 * this thread keeps answering the editor. It is marked running from the
 * moment a start is accepted and cleared however the run ends: a setup that
 * fails (a corrupt model to resume, fractions that leave no text) as much as
 * a run that finishes, fails or is stopped. Otherwise the engine would
 * refuse new training and backend changes forever, and Stop would do nothing.
 */
export class Training {
  private thread?: TrainingThread;
  /** The workspace n-gram, answering completions from the moment training starts until the LSTM is done. */
  instant?: InstantModel;

  get running(): boolean {
    return this.thread !== undefined;
  }

  /** Asks the run to stop after its current step (it validates and saves first); false when none runs. */
  stop(): boolean {
    this.thread?.stop();
    return this.running;
  }

  /** Stops the run and waits until its work is saved (the engine is going away). */
  async stopAndWait(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    thread.stop();
    await thread.done.catch(() => undefined);
  }

  /**
   * Starts training and answers with the plan (corpus report, model, budget)
   * once the training thread has read the corpus and chosen the model, before
   * its first step; a setup that fails is this request's error.
   */
  start(p: TrainParams, backend: BackendRequest, events: TrainingEvents): Promise<TrainStarted> {
    if (this.thread) throw new UserError('Training is already running; stop it first.');
    // Here, not on the thread: a folder where mkdir never returns would hold the thread and with it this run forever.
    checkOutFolder(p.options.out);
    // hidden 0: the job chooses the size (from the time budget, or the corpus size without one).
    const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...p.options, hidden: p.options.hidden ?? 0 };
    let planned: ((s: TrainStarted) => void) | undefined;
    const started = new Promise<TrainStarted>((resolve) => (planned = resolve));
    const thread = startTrainingThread(
      {
        folder: p.folder,
        corpus: { include: p.include, exclude: p.exclude, maxFileBytes: p.maxFileBytes },
        options,
        requested: p.options,
        ngramOrder: WORKSPACE_NGRAM_ORDER,
        owner: p.owner ?? 'a CharLens window',
        backend,
        threads: p.threads,
      },
      {
        plan: (plan) => {
          if (plan.ngram) this.instant = new InstantModel(plan.ngram, plan.vocabulary);
          planned?.({
            report: plan.report,
            modelSize: modelName({ layers: plan.options.layers, hiddenSize: plan.options.hidden, cell: plan.options.cell }),
            model: plan.line,
            instant: plan.ngram
              ? `Until the LSTM is trained, completions come from an ${plan.ngram.label} of the workspace (${plan.ngram.entries.toLocaleString('en-US')} entries).`
              : 'Until the LSTM is trained, completions come from the model loaded before.',
          });
          planned = undefined;
        },
        progress: events.progress,
      },
    );
    this.thread = thread;
    void this.finish(thread, events, options.out).then((finished) => {
      // Once cleared (finish's finally): the client may start the next run as soon as it hears of this one's end.
      if (!planned) events.finished(finished);
    });
    // A setup that fails before the plan answers the request with its error instead.
    return Promise.race([started, thread.done.then(() => started, (err) => Promise.reject(err instanceof Error ? err : new Error(String(err))))]);
  }

  /** How the run ended, with the engine's training state cleared whatever way it ended. */
  private async finish(thread: TrainingThread, events: TrainingEvents, out: string): Promise<TrainFinished> {
    try {
      const result = await thread.done;
      const finished: TrainFinished = { stopReason: result.stopReason, steps: result.steps, bestValLoss: result.bestValLoss };
      if (fs.existsSync(path.join(result.modelDir, MODEL_FILE))) {
        // The thread saved the model and its mixture; this thread answers from them now.
        try {
          const trained = events.load(result.modelDir);
          events.trained(trained);
          finished.model = trained.info;
        } catch (err) {
          finished.error = `The model was trained and saved in ${result.modelDir}, but loading it failed: ${(err as Error).message}`;
        }
      }
      return finished;
    } catch (err) {
      return { error: (err as Error).message };
    } finally {
      // The thread releases its lock as it ends; one that died could not.
      releaseLocksOfThisProcess(out);
      this.thread = undefined;
      this.instant = undefined;
    }
  }
}
