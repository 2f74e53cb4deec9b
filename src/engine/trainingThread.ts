import * as path from 'path';
import { SHARE_ENV, Worker } from 'worker_threads';
import type { BackendRequest } from '../core/backendNames';
import type { CorpusReport } from '../core/text/corpus';
import { CharNgram, ngramFromBuffer } from '../core/ngram/charNgram';
import type { JobResult, TrainingJob } from '../core/train/job';
import type { TrainProgress } from '../core/train/progress';
import type { TrainOptions } from '../core/train/options';
import { UserError } from '../core/userError';
import { Vocabulary } from '../core/text/vocabulary';

/**
 * Training on its own thread, so the engine's thread answers completions,
 * overlays and hovers from the current model while a step or a validation
 * runs. The worker (trainingWorker.ts) selects its backend and runs the one
 * training job; this side relays its plan and progress and asks it to stop.
 */
export interface ThreadJob extends Omit<TrainingJob, 'backend'> {
  backend: BackendRequest;
  /** Threads of the wasm CPU trainer (default: backend.ts's choice). */
  threads?: number;
}

export interface ThreadPlan {
  report: CorpusReport;
  options: TrainOptions;
  line: string;
  vocabulary: Vocabulary;
  ngram?: CharNgram;
}

export type ThreadResult = Omit<JobResult, 'plan'>;

export interface ThreadEvents {
  plan(plan: ThreadPlan): void;
  progress(p: TrainProgress): void;
}

/** Worker -> engine messages. */
export type WorkerMessage =
  | { type: 'plan'; report: CorpusReport; options: TrainOptions; line: string; symbols: string[]; ngram?: Uint8Array }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; result: ThreadResult }
  | { type: 'error'; message: string; user: boolean; code?: string; stack?: string };

/** Engine -> worker messages. */
export type EngineMessage = { type: 'stop' };

export interface TrainingThread {
  /** Asks the run to stop after its current step (it then validates and saves). */
  stop(): void;
  /** Settles when the worker has finished, saved and exited. */
  readonly done: Promise<ThreadResult>;
}

/** The worker script sits beside this module: dist/ in the bundle, out/src/engine in tests. */
const WORKER_FILE = path.join(__dirname, 'trainingWorker.js');

export function startTrainingThread(job: ThreadJob, events: ThreadEvents): TrainingThread {
  // SHARE_ENV: Dawn's EGL reads the process environment from C, which a copied env would not reach.
  const worker = new Worker(WORKER_FILE, { workerData: job, env: SHARE_ENV });
  const done = new Promise<ThreadResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      // The job has saved everything; a GPU device or a kernel pool must not keep the thread alive.
      void worker.terminate();
    };
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'plan':
          events.plan({
            report: m.report,
            options: m.options,
            line: m.line,
            vocabulary: new Vocabulary(m.symbols),
            ngram: m.ngram && ngramFromBuffer(m.ngram),
          });
          break;
        case 'progress':
          events.progress(m.progress);
          break;
        case 'done':
          settle(() => resolve(m.result));
          break;
        case 'error':
          settle(() => reject(m.user ? new UserError(m.message, m.code) : Object.assign(new Error(m.message), { stack: m.stack })));
          break;
      }
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`The training thread stopped unexpectedly (exit code ${code})`))));
  });
  return { stop: () => worker.postMessage({ type: 'stop' } satisfies EngineMessage), done };
}
