import * as os from 'os';
import { parentPort, workerData } from 'worker_threads';
import { selectBackend } from '../core/backend';
import { runTrainingJob } from '../core/train/job';
import { corpusScorer } from '../core/explorer/labelHistory';
import { UserError } from '../core/userError';
import type { EngineMessage, ThreadJob, WorkerMessage } from './trainingThread';

/** The training thread's entry (see trainingThread.ts): one job, then exit. */
const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const controller = new AbortController();
// Linux's nice value is per thread (and threads this one starts inherit it): training yields the
// cores to the engine's query thread and to the editor, so a busy machine still answers at once.
try {
  os.setPriority(0, os.constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // Not permitted or not supported here: training just runs at normal priority.
}
port.on('message', (m: EngineMessage) => m.type === 'stop' && controller.abort());

async function run(job: ThreadJob): Promise<void> {
  const backend = await selectBackend(job.backend, { threads: job.threads });
  // The plan went out before the first step; the rest is the result.
  const { plan: _sent, ...result } = await runTrainingJob(
    { ...job, backend },
    {
      signal: controller.signal,
      onPlan: (p) => {
        const ngram = p.ngram && ownBuffer(p.ngram.toBuffer());
        post({ type: 'plan', report: p.report, options: p.options, line: p.line, symbols: [...p.vocabulary.symbols], ngram }, ngram ? [ngram.buffer as ArrayBuffer] : []);
      },
      onProgress: (progress) => post({ type: 'progress', progress }),
      scorerFor: corpusScorer,
    },
  );
  post({ type: 'done', result });
}

/** Bytes that own their whole ArrayBuffer, so transferring it cannot detach a pooled Buffer's neighbours. */
const ownBuffer = (b: Uint8Array): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));

run(workerData as ThreadJob).catch((err: Error) =>
  post({ type: 'error', message: err.message, user: err instanceof UserError, code: (err as UserError).code, stack: err.stack }),
);
