import * as path from 'path';
import { BatchStreams, Split, splitIds, storedSplit } from '../text/batches';
import { Checkpoint, ResumeData, loadCheckpoint, saveCheckpoint } from '../model/checkpoint';
import { CheckpointMetrics } from '../model/modelJson';
import { bitsPerChar } from '../predict/lossUnits';
import { InferenceModel } from '../model/inference';
import { initialWeights } from '../model/lstmInit';
import { ModelConfig, WeightArrays, modelName, parameterCount } from '../model/modelConfig';
import { Random } from '../random';
import { sample } from '../predict/sampling';
import { UserError } from '../userError';
import { CorpusInfo, corpusInfo } from '../text/corpus';
import { Vocabulary } from '../text/vocabulary';
import { formatMinutes } from './budget';
import { TrainProgress } from './progress';
import { stepDropoutSeed } from './dropoutMask';
import { TrainOptions, validateTrainOptions } from './options';
import { createTfjsTrainer } from './tfjs/tfjsTrainer';
import { SnapshotSeries } from './snapshotSeries';
import { SnapshotScorer } from '../model/weightHistory';
import { CarriedState, Trainer, TrainerSpec } from './trainer';

export type StopReason = 'finished' | 'early-stop' | 'time-limit' | 'cancelled';

export interface TrainResult {
  stopReason: StopReason;
  steps: number;
  bestValLoss?: number;
  testLoss?: number;
  /** Characters of the validation split the losses are on. */
  valChars: number;
  modelDir: string;
  config: ModelConfig;
}

export class TrainingError extends UserError {}

export type TrainerFactory = (spec: TrainerSpec) => Promise<Trainer>;

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** Which trainer does the steps; by default the tfjs one on the current tfjs backend. */
  createTrainer?: TrainerFactory;
  /** Save the resume state at least this often between validations (default 2 minutes). */
  resumeEveryMs?: number;
  /** When the time budget (options.minutes) began, if before this call (the job's setup counts). */
  startedAt?: number;
  /** Time kept at the end of the budget for the work after training (the job's mixture fit), so the whole job ends on time. */
  reserveMs?: number;
  /** Scores each validation's snapshot for the labels cells have learned (snapshotSeries.ts); without it snapshots are kept unscored. */
  scoreSnapshot?: SnapshotScorer;
}

export const resumeDir = (out: string): string => path.join(out, 'resume');

interface LoopState {
  step: number;
  bestValLoss: number;
  validationsWithoutGain: number;
  firstLoss: number;
  trainLoss: number;
  /** The step of the last validation: a Stop that skipped validating leaves the steps after it to be validated when the run resumes. */
  validatedStep: number;
  /** The time budget this run was given (0 = none) and the seconds of it spent so far, across stops and resumes. */
  budgetMinutes: number;
  spentSeconds: number;
}

/** A Stop validates only when the last validation took less than this; else it saves and the next start validates, so a Stop stays quick. */
const STOP_VALIDATION_MS = 8_000;

/** A resume state read from the trainer, with the weights and counters it goes with. */
interface PendingResume {
  weights: WeightArrays;
  resume: ResumeData;
  metrics: CheckpointMetrics;
}

/** Bumped when the resume state's layout changes; older states are refused with a message. */
const RESUME_FORMAT = 2;
/** The resume state is also saved on a clock, so a crash between validations loses minutes, not an epoch. */
const RESUME_EVERY_MS = 2 * 60_000;

/** A corpus ready to train on: encoded once, with the vocabulary and (when resuming) the checkpoint it continues. */
export interface TrainInput {
  vocabulary: Vocabulary;
  ids: Int32Array;
  corpus: CorpusInfo;
  /** Characters of each file, in corpus order (held-out blocks end at file ends). */
  fileChars: readonly number[];
  resumed?: Checkpoint;
}

/** Loads the resume checkpoint if asked, and encodes `text` with its vocabulary or a new one. */
export function prepareTraining(text: string, fileChars: readonly number[], options: Pick<TrainOptions, 'out' | 'resume' | 'minCharCount'>): TrainInput {
  const resumed = options.resume ? loadCheckpoint(resumeDir(options.out)) : undefined;
  if (resumed && !resumed.resume) throw new TrainingError(`${resumeDir(options.out)} has no training state to resume from`);
  const vocabulary = resumed?.vocabulary ?? Vocabulary.fromText(text, options.minCharCount);
  return { vocabulary, ids: vocabulary.encode(text), corpus: corpusInfo(text, fileChars.length), fileChars, resumed };
}

/** The shape of a new model, from the options. */
export function configOf(options: Pick<TrainOptions, 'cell' | 'embedding' | 'hidden' | 'layers' | 'dropout'>, vocabSize: number): ModelConfig {
  return { vocabSize, embeddingSize: options.embedding, hiddenSize: options.hidden, layers: options.layers, dropout: options.dropout, cell: options.cell };
}

/** The run's train/validation/test split; a resumed run is cut as its checkpoint was, whatever the options say. */
export function splitForTraining(input: TrainInput, options: Pick<TrainOptions, 'valFrac' | 'testFrac' | 'split'>): Split {
  const { resumed, fileChars } = input;
  const how = resumed ? storedSplit(resumed.metadata.training, fileChars) : { valFrac: options.valFrac, testFrac: options.testFrac, scheme: options.split, fileChars };
  return splitIds(input.ids, how);
}

/**
 * The training loop, char-rnn style: B streams, T-step truncated BPTT with
 * state carried across batches, Adam or RMSProp with global-norm clipping,
 * learning-rate decay per epoch, validation and checkpointing every N steps.
 * The arithmetic of a step is the trainer's (trainer.ts); everything about
 * the schedule is here, once. The resume checkpoint holds weights,
 * per-weight optimizer moments, carried state and counters, so a resumed run
 * continues exactly where the first one stopped, on any trainer.
 */
export async function train(input: TrainInput, options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  validateTrainOptions(options);
  const { vocabulary, corpus, resumed } = input;
  // A resumed run has the checkpoint's shape, whatever the options say.
  const config = resumed?.config ?? configOf(options, vocabulary.size);
  const split = splitForTraining(input, options);
  const { batchSize: B, seqLength: T } = options;
  const trainStreams = new BatchStreams(split.train, B, T);
  if (trainStreams.batchesPerEpoch < 1) {
    throw new TrainingError(
      `The training text is too short: ${split.train.length} characters cannot fill one batch of ${B} streams x ${T} steps. Lower --batch-size or --seq-length, or add text.`,
    );
  }
  const valStreams = BatchStreams.fit(split.val, B, T);
  const testStreams = BatchStreams.fit(split.test, B, T);

  const rng = new Random(options.seed);
  const trainer = await (hooks.createTrainer ?? createTfjsTrainer)({
    config,
    batchSize: B,
    seqLength: T,
    optimizer: options.optimizer,
    gradClip: options.gradClip,
    weights: resumed?.weights ?? initialWeights(config, rng, split.train),
  });
  const backend = trainer.description;
  const report = (p: Partial<TrainProgress> & { kind: TrainProgress['kind'] }) =>
    hooks.onProgress?.({ step: 0, totalSteps: 0, expectedSteps: 0, fraction: 0, epoch: 0, trainLoss: NaN, trainBits: NaN, charsPerSec: 0, elapsedSeconds: 0, etaSeconds: 0, endsBy: 'steps', lr: options.lr, backend, ...p });
  if (resumed && resumed.metadata.corpus?.fingerprint !== corpus.fingerprint) {
    report({ kind: 'info', message: 'The corpus changed since the checkpoint was saved: training continues from its weights on the new text.' });
  }
  if (!valStreams) report({ kind: 'info', message: 'Validation split too small for one batch: checkpoints follow the training loss.' });

  const bpe = trainStreams.batchesPerEpoch;
  const totalSteps = options.maxSteps > 0 ? Math.min(options.maxSteps, options.epochs * bpe) : options.epochs * bpe;
  const evalEvery = options.evalEvery > 0 ? options.evalEvery : Math.min(bpe, 1000);
  report({
    kind: 'info',
    message: `Model ${modelName(config)}, embedding ${config.embeddingSize}, vocabulary ${config.vocabSize}: ${parameterCount(config).toLocaleString('en-US')} parameters; ${split.train.length.toLocaleString('en-US')} training characters, ${bpe} batches per epoch; training on ${backend}.`,
  });

  const loop: LoopState = { step: 0, bestValLoss: Infinity, validationsWithoutGain: 0, firstLoss: NaN, trainLoss: NaN, validatedStep: 0, budgetMinutes: options.minutes, spentSeconds: 0 };
  const metadataFor = (metrics: CheckpointMetrics) => ({
    training: { ...options } as unknown as Record<string, unknown>,
    metrics,
    corpus,
    backend,
  });
  /** The resume state as it is now; saved only once a loss computed with these weights has passed the guard. */
  const captureResume = async (weights: WeightArrays): Promise<PendingResume> => ({
    weights,
    resume: await captureResumeState(trainer, options.optimizer, loop),
    metrics: metricsOf(loop, bpe),
  });
  const saveResume = (pending: PendingResume) => {
    saveCheckpoint(resumeDir(options.out), config, vocabulary, pending.weights, { ...metadataFor(pending.metrics), resume: pending.resume });
    lastResumeSave = Date.now();
  };
  /** A non-finite or exploding loss never reaches a checkpoint: it stops the run here, before any save. */
  const guard = (loss: number, what: string) => {
    if (Number.isFinite(loss) && !(loss > 3 * loop.firstLoss)) return;
    throw new TrainingError(
      `Training diverged at step ${loop.step}: ${what} ${loss.toPrecision(4)} nats/char (first training loss ${loop.firstLoss.toFixed(3)}). ` +
        `Try a lower --lr (now ${options.lr}) or --grad-clip (now ${options.gradClip}); the last checkpoint in ${options.out} is intact.`,
    );
  };

  const started = hooks.startedAt ?? Date.now();
  const stepsStarted = Date.now();
  let lastResumeSave = stepsStarted;
  let lastValidationMs = 0;
  let startStep = 0;
  let stopReason: StopReason = 'finished';
  let lastEval = -1;
  let lastProgress: Partial<TrainProgress> = {};
  // Seconds of budget this session may use: a resumed run under the budget it was started with gets what is left of it; another budget is a new one.
  let budgetSeconds = options.minutes * 60;
  let msPerStep = 0;
  let spentBefore = 0;
  let snapshots: SnapshotSeries | undefined;
  try {
    if (resumed?.resume) {
      await restoreResumeState(resumed.resume, trainer, options.optimizer, loop, config, B);
      startStep = loop.step;
      snapshots = SnapshotSeries.start(options.out, config, vocabulary, loop.step, hooks.scoreSnapshot);
      if (options.minutes > 0 && loop.budgetMinutes === options.minutes) {
        spentBefore = loop.spentSeconds;
        budgetSeconds = Math.max(0, options.minutes * 60 - spentBefore);
        report({ kind: 'info', message: `${formatMinutes(budgetSeconds / 60)} left of the ${formatMinutes(options.minutes)} budget (${formatMinutes(spentBefore / 60)} spent before the stop); give another budget to train longer.` });
      } else {
        Object.assign(loop, { budgetMinutes: options.minutes, spentSeconds: 0 });
      }
      // Steps a quick Stop saved without validating are validated first, so the best checkpoint never misses them.
      if (loop.validatedStep < loop.step) await validate();
    }
    snapshots ??= SnapshotSeries.start(options.out, config, vocabulary, undefined, hooks.scoreSnapshot);
    const budgetLeftMs = () => budgetSeconds * 1000 - (Date.now() - started);
    // What a validation costs: the last one's time, or before any, its batches at a third of a training step's time each (forward only).
    const validationMs = () => lastValidationMs || ((valStreams?.batchesPerEpoch ?? 0) * msPerStep) / 3;
    while (loop.step < totalSteps) {
      if (hooks.signal?.aborted) {
        stopReason = 'cancelled';
        break;
      }
      // The validation that ends the run and the work after it are part of the budget, so the whole job ends on time.
      if (options.minutes > 0 && validationMs() + (hooks.reserveMs ?? 0) > budgetLeftMs()) {
        stopReason = 'time-limit';
        break;
      }
      const k = loop.step % bpe;
      const epoch = Math.floor(loop.step / bpe);
      if (k === 0 && loop.step > 0) trainer.resetState(); // each stream starts over at the top of its slice
      const lr = options.lr * Math.pow(options.lrDecay, Math.max(0, epoch - options.lrDecayAfter + 1));
      const dropoutSeed = config.dropout > 0 ? stepDropoutSeed(options.seed, loop.step) : undefined;
      // The clock's resume state is read before this step and saved after it: the step's loss is computed with those
      // weights, so it passes the guard that a validation gives (an update that exploded them is never saved).
      const due = loop.step > startStep && Date.now() - lastResumeSave >= (hooks.resumeEveryMs ?? RESUME_EVERY_MS);
      const pending = due ? await captureResume(await finiteWeights()) : undefined;
      const lossValue = await trainer.step(trainStreams.batch(k), { lr, t: loop.step + 1, dropoutSeed });
      if (Number.isNaN(loop.firstLoss)) loop.firstLoss = lossValue;
      loop.step++;
      guard(lossValue, 'training loss');
      loop.trainLoss = lossValue;
      if (pending) saveResume(pending);
      const elapsed = (Date.now() - started) / 1000;
      loop.spentSeconds = spentBefore + elapsed;
      const secsPerStep = (Date.now() - stepsStarted) / 1000 / (loop.step - startStep);
      msPerStep = secsPerStep * 1000;
      const bySteps = (totalSteps - loop.step) * secsPerStep;
      const byBudget = options.minutes > 0 ? Math.max(0, budgetLeftMs() / 1000) : Infinity;
      const endsBy = byBudget < bySteps ? ('budget' as const) : ('steps' as const);
      // Under the budget the steps end early enough for the last validation and the work after training.
      const stepSecondsLeft = Math.max(0, byBudget - (validationMs() + (hooks.reserveMs ?? 0)) / 1000);
      const progress = {
        elapsedSeconds: elapsed,
        etaSeconds: Math.min(bySteps, byBudget),
        endsBy,
        step: loop.step,
        totalSteps,
        expectedSteps: endsBy === 'budget' ? Math.min(totalSteps, loop.step + Math.floor(stepSecondsLeft / secsPerStep)) : totalSteps,
        fraction: endsBy === 'budget' ? Math.min(1, elapsed / (elapsed + byBudget)) : loop.step / totalSteps,
        epoch: loop.step / bpe,
        trainLoss: lossValue,
        trainBits: bitsPerChar(lossValue),
        charsPerSec: (B * T) / secsPerStep,
        lr,
      };
      report({ kind: 'step', ...progress });
      lastProgress = progress;
      if (loop.step % evalEvery === 0 || loop.step === totalSteps) {
        if (await validate()) {
          stopReason = 'early-stop';
          break;
        }
      }
      await new Promise((resolve) => setImmediate(resolve)); // let cancellation and queries in
    }
    // Whatever ended the run, the steps since the last validation are kept: validated now, or after a Stop
    // that would wait long for a validation, saved in the resume state and validated when the run resumes.
    if (lastEval !== loop.step && loop.step > startStep) {
      if (stopReason === 'cancelled' && validationMs() > STOP_VALIDATION_MS) saveResume(await captureResume(await finiteWeights()));
      else await validate();
    }
    const testLoss = testStreams && Number.isFinite(loop.bestValLoss) ? await evaluateBest(options.out, testStreams, trainer) : undefined;
    return { stopReason, steps: loop.step, bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : undefined, testLoss, valChars: split.val.length, modelDir: options.out, config };
  } finally {
    trainer.dispose();
  }

  /** The current weights, refused when any is not finite (a guard that the losses alone cannot give without validation). */
  async function finiteWeights(): Promise<WeightArrays> {
    const weights = await trainer.readWeights();
    for (const [name, values] of weights) {
      if (!values.every(Number.isFinite)) guard(NaN, `weight ${name} holds non-finite values; loss`);
    }
    return weights;
  }

  /** Evaluates, keeps the best model, saves the resume state, reports, and says whether to stop early. */
  async function validate(): Promise<boolean> {
    lastEval = loop.step;
    loop.validatedStep = loop.step;
    const t0 = Date.now();
    const valLoss = valStreams ? await trainer.evaluate(valStreams) : loop.trainLoss;
    guard(valLoss, 'validation loss');
    // One read of the weights serves both checkpoints written here.
    const weights = await finiteWeights();
    if (valLoss < loop.bestValLoss) {
      loop.bestValLoss = valLoss;
      loop.validationsWithoutGain = 0;
      const metrics = { ...metricsOf(loop, bpe), valLoss };
      saveCheckpoint(options.out, config, vocabulary, weights, metadataFor(metrics));
    } else {
      loop.validationsWithoutGain++;
    }
    // The snapshot before the resume state: a crash between the two leaves a snapshot past the resumed step, which resuming drops.
    const learned = await snapshots!.record(loop.step, weights, valLoss);
    saveResume(await captureResume(weights));
    const progressSample = sample(new InferenceModel(config, weights), vocabulary, { temperature: 0.8, length: 240, seed: loop.step }).text;
    lastValidationMs = Date.now() - t0;
    report({ kind: 'validation', ...lastProgress, step: loop.step, epoch: loop.step / bpe, valLoss, valBits: bitsPerChar(valLoss), sample: progressSample, learned });
    return options.patience > 0 && loop.validationsWithoutGain >= options.patience;
  }
}

function metricsOf(loop: LoopState, bpe: number): CheckpointMetrics {
  return {
    step: loop.step,
    epoch: loop.step / bpe,
    trainLoss: loop.trainLoss,
    bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : undefined,
  };
}

async function captureResumeState(trainer: Trainer, optimizer: string, loop: LoopState): Promise<ResumeData> {
  const tensors = new Map<string, Float32Array>();
  for (const [name, values] of await trainer.readMoments()) tensors.set(`optimizer/${name}`, values);
  const state = await trainer.readState();
  state.h.forEach((h, l) => tensors.set(`state/h/${l}`, h));
  state.c.forEach((c, l) => tensors.set(`state/c/${l}`, c));
  return { tensors, state: { format: RESUME_FORMAT, optimizer, loop: { ...loop, bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : null } } };
}

async function restoreResumeState(resume: ResumeData, trainer: Trainer, optimizer: string, loop: LoopState, config: ModelConfig, batch: number): Promise<void> {
  const saved = resume.state as { format?: number; optimizer?: string; loop: LoopState & { bestValLoss: number | null } };
  if (saved.format !== RESUME_FORMAT) {
    throw new TrainingError('The resume state was saved by an older CharLens and cannot be continued; start a new run (--force replaces the model).');
  }
  if (saved.optimizer !== optimizer) {
    throw new TrainingError(`The resume state was trained with --optimizer ${saved.optimizer}; resume with the same optimizer.`);
  }
  Object.assign(loop, saved.loop, { bestValLoss: saved.loop.bestValLoss ?? Infinity });
  const moments = new Map<string, Float32Array>();
  for (const [name, values] of resume.tensors) if (name.startsWith('optimizer/')) moments.set(name.slice('optimizer/'.length), values);
  await trainer.writeMoments(moments);
  const H = config.hiddenSize;
  const part = (kind: 'h' | 'c') =>
    Array.from({ length: config.layers }, (_, l) => {
      const values = resume.tensors.get(`state/${kind}/${l}`);
      if (!values || values.length !== batch * H) {
        throw new TrainingError(`The resume state was saved with a different --batch-size; resume with the batch size it was trained with.`);
      }
      return values;
    });
  const state: CarriedState = { h: part('h'), c: part('c') };
  await trainer.writeState(state);
}

/** The test loss of the best checkpoint, scored by the trainer that trained it (its weights are put back after). */
async function evaluateBest(out: string, streams: BatchStreams, trainer: Trainer): Promise<number> {
  const current = await trainer.readWeights();
  await trainer.writeWeights(loadCheckpoint(out).weights);
  try {
    return await trainer.evaluate(streams);
  } finally {
    await trainer.writeWeights(current);
  }
}
