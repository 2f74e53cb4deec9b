import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../model/checkpoint';
import { Corpus, CorpusOptions, CorpusReport, readCorpus } from '../text/corpus';
import { SnapshotScorer } from '../model/weightHistory';
import { InferenceModel } from '../model/inference';
import { sizeForCorpus } from '../model/modelSize';
import { cellOf, modelName } from '../model/modelConfig';
import { CharNgram } from '../ngram/charNgram';
import { buildWorkspaceNgram } from '../ngram/workspaceNgram';
import { MixtureInfo, fitAndSaveMixture } from '../predict/workspaceMixture';
import { planForBudget, planMixtureFit, probeInference, probeTrainer } from './budget';
import { TrainHooks, TrainResult, TrainerFactory, configOf, prepareTraining, splitForTraining, train } from './loop';
import { Vocabulary } from '../text/vocabulary';
import { TrainOptions, adoptResumedOptions, validateTrainOptions } from './options';
import { checkOutFolder } from './outFolder';
import { TrainingLock, acquireTrainingLock } from './trainingLock';

/**
 * One training job, the same for the CLI's `train` and the editor's Train on
 * Workspace: corpus -> vocabulary and ids (once) -> model size (the
 * checkpoint's when resuming, the user's when set, else the largest that
 * fits the time budget, or the corpus size without one) -> the workspace
 * n-gram -> training -> the LSTM/n-gram mixture fitted on validation and
 * saved beside the model.
 */
export interface TrainingJob {
  folder: string;
  corpus: CorpusOptions;
  /** Every option; `hidden` 0 means "choose". */
  options: TrainOptions;
  /** What the user set explicitly: the rest is chosen, or with `resume` the checkpoint's. */
  requested: Partial<TrainOptions>;
  /** Order of the n-gram mixed with the LSTM (0 = none). */
  ngramOrder: number;
  /** Who trains, named to another trainer that finds the folder taken (trainingLock.ts). */
  owner: string;
  backend: JobBackend;
}

export interface JobBackend {
  /** Where it trains, for the user: "wasm (CPU)", "webgpu (NVIDIA H100)". */
  description: string;
  createTrainer: TrainerFactory;
  /** A real GPU: bigger models are worth probing. */
  gpu: boolean;
}

/** What will happen, known before the first step. */
export interface JobPlan {
  report: CorpusReport;
  options: TrainOptions;
  /** "2x160 LSTM on wasm (CPU), about 15 min, ~3 epochs ...", or what the checkpoint or the settings fixed. */
  line: string;
  vocabulary: Vocabulary;
  /** The workspace n-gram, ready to answer while the LSTM trains. */
  ngram?: CharNgram;
}

export interface JobEvents extends Pick<TrainHooks, 'onProgress' | 'signal' | 'resumeEveryMs'> {
  onPlan?: (plan: JobPlan) => void;
  /** Scores the snapshots of the weights' history on the corpus (core/explorer/labelHistory.ts's corpusScorer). */
  scorerFor?: (corpus: Corpus) => SnapshotScorer;
}

export interface JobResult extends TrainResult {
  plan: JobPlan;
  /** The mixture saved beside the model (when there is a model and an n-gram). */
  mixture?: MixtureInfo;
}

const MAX_HIDDEN = { cpu: 512, gpu: 2048 };

export async function runTrainingJob(job: TrainingJob, events: JobEvents = {}): Promise<JobResult> {
  // The budget covers the whole job: reading, probing and the final validation, not only the steps.
  const startedAt = Date.now();
  checkOutFolder(job.options.out);
  const corpus = readCorpus(job.folder, job.corpus);
  const options: TrainOptions = { ...job.options };
  const input = prepareTraining(corpus.text, corpus.report.files.map((f) => f.chars), options);
  const resumedWith = input.resumed && adoptResumedOptions(options, input.resumed.metadata.training, job.requested);
  const split = splitForTraining(input, options);
  const shape = await chooseShape(job, options, input, split.train.length);
  const line = resumedWith ? `${shape} ${resumedWith}` : shape;
  validateTrainOptions(options);
  const ngram = job.ngramOrder > 0 ? buildWorkspaceNgram(split.train, input.vocabulary.size, job.ngramOrder) : undefined;
  // Nothing is written before this: a job refused above leaves no trace, and the lock covers every save below.
  const lock = acquireTrainingLock(options.out, job.owner);
  const stop = watchForStop(lock, events.signal);
  try {
    const plan: JobPlan = { report: corpus.report, options, line, vocabulary: input.vocabulary, ngram };
    events.onPlan?.(plan);
    // Only the held-out ids are needed after training (to fit the mixture); copies let the rest go.
    const heldOut = { val: split.val.slice(), test: split.test.slice() };
    // Under a budget the fit after training is planned in it: fewer characters for a short budget, and time kept for it.
    const fit = ngram && options.minutes > 0 ? planMixtureFit(probeInference(input.resumed?.config ?? configOf(options, input.vocabulary.size)), options.minutes) : undefined;
    const result = await train(input, options, { ...events, scoreSnapshot: events.scorerFor?.(corpus), signal: stop.signal, startedAt, createTrainer: job.backend.createTrainer, reserveMs: fit?.reserveMs });
    let mixture: MixtureInfo | undefined;
    if (ngram && fs.existsSync(path.join(options.out, 'model.json'))) {
      const lstm = loadCheckpoint(options.out);
      mixture = fitAndSaveMixture(lstm, InferenceModel.of(lstm), lstm.vocabulary, ngram, heldOut, fit?.fitChars);
    }
    return { ...result, plan, mixture };
  } finally {
    stop.dispose();
    lock.release();
  }
}

/** How often a run looks for another trainer's request to stop. */
const STOP_POLL_MS = 1000;

/**
 * A signal that aborts on the caller's or when another trainer asks the
 * lock's owner to stop (trainingLock.ts): either ends the run as a Stop
 * does. `dispose` ends the watching.
 */
function watchForStop(lock: TrainingLock, signal?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const forward = () => stop.abort();
  if (signal?.aborted) stop.abort();
  signal?.addEventListener('abort', forward);
  const watch = setInterval(() => lock.stopRequested() && stop.abort(), STOP_POLL_MS);
  return {
    signal: stop.signal,
    dispose: () => {
      clearInterval(watch);
      signal?.removeEventListener('abort', forward);
    },
  };
}

/** Sets layers, hidden and dropout in `options`, and says what was chosen and why. */
async function chooseShape(job: TrainingJob, options: TrainOptions, input: ReturnType<typeof prepareTraining>, trainChars: number): Promise<string> {
  const { description } = job.backend;
  if (input.resumed) {
    const c = input.resumed.config;
    Object.assign(options, { cell: cellOf(c), layers: c.layers, hidden: c.hiddenSize, dropout: c.dropout, embedding: c.embeddingSize });
    const step = input.resumed.metadata.metrics?.step ?? 0;
    return `Resuming the ${describe(options)} of ${options.out} at step ${step.toLocaleString('en-US')} on ${description} (its size and dropout are the checkpoint's).`;
  }
  if (options.hidden > 0) {
    return `${describe(options)} on ${description}, as set${budgetNote(options)}.`;
  }
  if (options.minutes > 0) {
    const plan = await planForBudget({
      cell: options.cell,
      minutes: options.minutes,
      trainChars,
      vocabSize: input.vocabulary.size,
      embedding: options.embedding,
      batchSize: options.batchSize,
      seqLength: options.seqLength,
      backend: description,
      maxHidden: job.backend.gpu ? MAX_HIDDEN.gpu : MAX_HIDDEN.cpu,
      layers: job.requested.layers,
      dropout: job.requested.dropout,
      measure: (config) => probeTrainer(job.backend.createTrainer, config, options.batchSize, options.seqLength),
    });
    Object.assign(options, { layers: plan.layers, hidden: plan.hidden, dropout: plan.dropout });
    return `${plan.line}.`;
  }
  const size = sizeForCorpus(trainChars, input.vocabulary.size, options.embedding, job.backend.gpu, options.cell);
  Object.assign(options, { layers: job.requested.layers ?? size.layers, hidden: size.hidden, dropout: job.requested.dropout ?? size.dropout });
  return `Model size from the corpus: ${size.reason}, on ${description}${budgetNote(options)}. Set the hidden size to choose another.`;
}

const describe = (o: TrainOptions) => `${modelName({ layers: o.layers, hiddenSize: o.hidden, cell: o.cell })}${o.dropout > 0 ? ` (dropout ${o.dropout})` : ''}`;
const budgetNote = (o: TrainOptions) => (o.minutes > 0 ? `, for ${o.minutes} min` : `, for ${o.epochs} epochs`);
