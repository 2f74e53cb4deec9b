import * as crypto from 'crypto';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Batch, BatchStreams, splitIds } from '../batches';
import { CheckpointMetrics, CorpusInfo, ResumeData, loadCheckpoint, saveCheckpoint } from '../checkpoint';
import { bitsPerChar, evaluateLoss } from '../evaluate';
import { InferenceModel } from '../inference';
import { initialWeights } from '../lstmInit';
import { ModelConfig, WeightArrays, parameterCount } from '../modelConfig';
import { Network, TensorState, disposeState } from './tfjs/network';
import { Random } from '../random';
import { sample } from '../sampling';
import { TrainOptions, validateTrainOptions } from './options';
import { Vocabulary } from '../vocabulary';

export interface TrainProgress {
  kind: 'step' | 'validation' | 'info';
  step: number;
  totalSteps: number;
  epoch: number;
  trainLoss: number;
  trainBits: number;
  valLoss?: number;
  valBits?: number;
  charsPerSec: number;
  etaSeconds: number;
  lr: number;
  backend: string;
  message?: string;
  /** At validations: a short sample from the current weights, to watch the model learn. */
  sample?: string;
}

export type StopReason = 'finished' | 'early-stop' | 'time-limit' | 'cancelled';

export interface TrainResult {
  stopReason: StopReason;
  steps: number;
  bestValLoss?: number;
  testLoss?: number;
  modelDir: string;
  config: ModelConfig;
}

export class TrainingError extends Error {}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export const resumeDir = (out: string): string => path.join(out, 'resume');

/** Fingerprint that tells whether a resumed run sees the same corpus. */
export function corpusInfo(text: string, files: number): CorpusInfo {
  return {
    fingerprint: crypto.createHash('sha256').update(text).digest('hex').slice(0, 16),
    files,
    bytes: Buffer.byteLength(text),
    chars: [...text].length,
  };
}

interface LoopState {
  step: number;
  bestValLoss: number;
  validationsWithoutGain: number;
  firstLoss: number;
  trainLoss: number;
}

/**
 * The training loop, char-rnn style: B streams, T-step truncated BPTT with
 * state carried across batches, Adam or RMSProp with global-norm clipping,
 * learning-rate decay per epoch, validation and checkpointing every N steps.
 * The resume checkpoint holds weights, optimizer moments, carried state and
 * counters, so a resumed run continues exactly where the first one stopped.
 */
export async function train(text: string, corpus: CorpusInfo, options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  validateTrainOptions(options);
  const backend = tf.getBackend();
  const report = (p: Partial<TrainProgress> & { kind: TrainProgress['kind'] }) =>
    hooks.onProgress?.({ step: 0, totalSteps: 0, epoch: 0, trainLoss: NaN, trainBits: NaN, charsPerSec: 0, etaSeconds: 0, lr: options.lr, backend, ...p });

  const resumed = options.resume ? loadCheckpoint(resumeDir(options.out)) : undefined;
  if (resumed && !resumed.resume) throw new TrainingError(`${resumeDir(options.out)} has no training state to resume from`);
  if (resumed && resumed.metadata.corpus?.fingerprint !== corpus.fingerprint) {
    report({ kind: 'info', message: 'The corpus changed since the checkpoint was saved: training continues from its weights on the new text.' });
  }
  const vocabulary = resumed?.vocabulary ?? Vocabulary.fromText(text, options.minCharCount);
  const config: ModelConfig = resumed?.config ?? {
    vocabSize: vocabulary.size,
    embeddingSize: options.embedding,
    hiddenSize: options.hidden,
    layers: options.layers,
    dropout: options.dropout,
  };
  const split = splitIds(vocabulary.encode(text), options.valFrac, options.testFrac);
  const { batchSize: B, seqLength: T } = options;
  const trainStreams = new BatchStreams(split.train, B, T);
  if (trainStreams.batchesPerEpoch < 1) {
    throw new TrainingError(
      `The training text is too short: ${split.train.length} characters cannot fill one batch of ${B} streams x ${T} steps. Lower --batch-size or --seq-length, or add text.`,
    );
  }
  const valStreams = BatchStreams.fit(split.val, B, T);
  const testStreams = BatchStreams.fit(split.test, B, T);
  if (!valStreams) report({ kind: 'info', message: 'Validation split too small for one batch: checkpoints follow the training loss.' });

  const bpe = trainStreams.batchesPerEpoch;
  const totalSteps = options.maxSteps > 0 ? Math.min(options.maxSteps, options.epochs * bpe) : options.epochs * bpe;
  const evalEvery = options.evalEvery > 0 ? options.evalEvery : Math.min(bpe, 1000);
  report({
    kind: 'info',
    message: `Model ${config.layers}x${config.hiddenSize} LSTM, embedding ${config.embeddingSize}, vocabulary ${config.vocabSize}: ${parameterCount(config).toLocaleString('en-US')} parameters; ${split.train.length.toLocaleString('en-US')} training characters, ${bpe} batches per epoch.`,
  });

  const rng = new Random(options.seed);
  const net = new Network(config, resumed?.weights ?? initialWeights(config, rng, split.train));
  const varList = [...net.variables.values()];
  const optimizer = options.optimizer === 'adam' ? tf.train.adam(options.lr) : tf.train.rmsprop(options.lr, 0.95);
  const loop: LoopState = { step: 0, bestValLoss: Infinity, validationsWithoutGain: 0, firstLoss: NaN, trainLoss: NaN };
  let state: TensorState = net.zeroState(B);
  if (resumed?.resume) state = await restoreResumeState(resumed.resume, optimizer, loop, config, B);

  const metadataFor = (metrics: CheckpointMetrics) => ({
    training: { ...options } as unknown as Record<string, unknown>,
    metrics,
    corpus,
    backend,
  });
  const saveResume = async (weights?: WeightArrays) => {
    const resume = await captureResumeState(optimizer, loop, state);
    saveCheckpoint(resumeDir(options.out), config, vocabulary, weights ?? (await net.toArrays()), { ...metadataFor(metricsOf(loop, bpe)), resume });
  };

  const started = Date.now();
  const startStep = loop.step;
  let stopReason: StopReason = 'finished';
  let lastEval = -1;
  try {
    while (loop.step < totalSteps) {
      if (hooks.signal?.aborted) {
        stopReason = 'cancelled';
        break;
      }
      if (options.minutes > 0 && Date.now() - started > options.minutes * 60_000) {
        stopReason = 'time-limit';
        break;
      }
      const k = loop.step % bpe;
      const epoch = Math.floor(loop.step / bpe);
      if (k === 0 && loop.step > 0) {
        disposeState(state);
        state = net.zeroState(B); // each stream starts over at the top of its slice
      }
      const lr = options.lr * Math.pow(options.lrDecay, Math.max(0, epoch - options.lrDecayAfter + 1));
      // tfjs reads learningRate on every update but declares it protected.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      // Dropout masks depend only on (seed, step), so a resumed run draws the same ones.
      const dropoutSeed = options.dropout > 0 ? options.seed * 1_000_003 + loop.step * 7919 : undefined;
      const lossValue = await trainStep(net, varList, optimizer, trainStreams.batch(k), state, options.gradClip, dropoutSeed, (next) => (state = next));
      if (Number.isNaN(loop.firstLoss)) loop.firstLoss = lossValue;
      if (!Number.isFinite(lossValue) || lossValue > 3 * loop.firstLoss) {
        throw new TrainingError(
          `Training diverged at step ${loop.step + 1}: loss ${lossValue.toFixed(3)} (first loss ${loop.firstLoss.toFixed(3)}). ` +
            `Try a lower --lr (now ${options.lr}) or --grad-clip (now ${options.gradClip}); the last checkpoint in ${options.out} is intact.`,
        );
      }
      loop.trainLoss = lossValue;
      loop.step++;
      const elapsed = (Date.now() - started) / 1000;
      const secsPerStep = elapsed / (loop.step - startStep);
      let remaining = (totalSteps - loop.step) * secsPerStep;
      if (options.minutes > 0) remaining = Math.min(remaining, Math.max(0, options.minutes * 60 - elapsed));
      const progress = {
        step: loop.step,
        totalSteps,
        epoch: loop.step / bpe,
        trainLoss: lossValue,
        trainBits: bitsPerChar(lossValue),
        charsPerSec: (B * T) / secsPerStep,
        etaSeconds: remaining,
        lr,
      };
      report({ kind: 'step', ...progress });
      if (loop.step % evalEvery === 0 || loop.step === totalSteps) {
        lastEval = loop.step;
        const { valLoss, stop, sample } = await validate();
        report({ kind: 'validation', ...progress, valLoss, valBits: bitsPerChar(valLoss), sample });
        if (stop) {
          stopReason = 'early-stop';
          break;
        }
      }
      await new Promise((resolve) => setImmediate(resolve)); // let cancellation and queries in
    }
    if (lastEval !== loop.step && loop.step > startStep && stopReason !== 'cancelled') await validate();
    if (stopReason === 'cancelled') await saveResume();
    const testLoss = testStreams && Number.isFinite(loop.bestValLoss) ? await evaluateBest(options.out, testStreams) : undefined;
    return { stopReason, steps: loop.step, bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : undefined, testLoss, modelDir: options.out, config };
  } finally {
    disposeState(state);
    net.dispose();
    optimizer.dispose();
  }

  /** Evaluates, keeps the best model, saves the resume state, and says whether to stop early. */
  async function validate(): Promise<{ valLoss: number; stop: boolean; sample: string }> {
    const valLoss = valStreams ? await evaluateLoss(net, valStreams) : loop.trainLoss;
    // One read of the weights serves both checkpoints written here.
    const weights = await net.toArrays();
    if (valLoss < loop.bestValLoss) {
      loop.bestValLoss = valLoss;
      loop.validationsWithoutGain = 0;
      const metrics = { ...metricsOf(loop, bpe), valLoss };
      saveCheckpoint(options.out, config, vocabulary, weights, metadataFor(metrics));
    } else {
      loop.validationsWithoutGain++;
    }
    await saveResume(weights);
    const progressSample = sample(new InferenceModel(config, weights), vocabulary, { temperature: 0.8, length: 240, seed: loop.step }).text;
    return { valLoss, stop: options.patience > 0 && loop.validationsWithoutGain >= options.patience, sample: progressSample };
  }
}

export async function trainStep(
  net: Network,
  varList: tf.Variable[],
  optimizer: tf.Optimizer,
  batch: Batch,
  state: TensorState,
  gradClip: number,
  dropoutSeed: number | undefined,
  setState: (s: TensorState) => void,
): Promise<number> {
  const { batchSize: B, seqLength: T, x, y } = batch;
  let next: TensorState | undefined;
  const loss = tf.tidy(() => {
    const xs = tf.tensor2d(x, [B, T], 'int32');
    const ys = tf.tensor2d(y, [B, T], 'int32');
    const { value, grads } = tf.variableGrads(() => {
      const r = net.loss(xs, ys, state, dropoutSeed);
      next = { h: r.state.h.map((t) => tf.keep(t)), c: r.state.c.map((t) => tf.keep(t)) };
      return r.loss;
    }, varList);
    const ordered = varList.map((v) => grads[v.name]);
    const clipped = clipByGlobalNorm(ordered, gradClip);
    optimizer.applyGradients(varList.map((v, i) => ({ name: v.name, tensor: clipped[i] })));
    return value;
  });
  disposeState(state);
  setState(next!);
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}

export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  if (!(maxNorm > 0)) return grads;
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
  return grads.map((g) => tf.mul(g, scale));
}

function metricsOf(loop: LoopState, bpe: number): CheckpointMetrics {
  return {
    step: loop.step,
    epoch: loop.step / bpe,
    trainLoss: loop.trainLoss,
    bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : undefined,
  };
}

async function captureResumeState(optimizer: tf.Optimizer, loop: LoopState, state: TensorState): Promise<ResumeData> {
  const tensors = new Map<string, Float32Array>();
  const optimizerWeights = await optimizer.getWeights();
  optimizerWeights.forEach((w, i) => tensors.set(`optimizer/${i}`, Float32Array.from(w.tensor.dataSync())));
  for (let l = 0; l < state.h.length; l++) {
    tensors.set(`state/h/${l}`, (await state.h[l].data()) as Float32Array);
    tensors.set(`state/c/${l}`, (await state.c[l].data()) as Float32Array);
  }
  const optimizerSpecs = optimizerWeights.map((w) => ({ name: w.name, shape: w.tensor.shape }));
  return { tensors, state: { loop: { ...loop, bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : null }, optimizer: optimizerSpecs } };
}

async function restoreResumeState(resume: ResumeData, optimizer: tf.Optimizer, loop: LoopState, config: ModelConfig, batch: number): Promise<TensorState> {
  const saved = resume.state as { loop: LoopState & { bestValLoss: number | null }; optimizer: Array<{ name: string; shape: number[] }> };
  Object.assign(loop, saved.loop, { bestValLoss: saved.loop.bestValLoss ?? Infinity });
  await optimizer.setWeights(
    saved.optimizer.map((spec, i) => ({ name: spec.name, tensor: tf.tensor(resume.tensors.get(`optimizer/${i}`)!, spec.shape) })),
  );
  const H = config.hiddenSize;
  const part = (kind: 'h' | 'c') =>
    Array.from({ length: config.layers }, (_, l) => {
      const values = resume.tensors.get(`state/${kind}/${l}`);
      if (!values || values.length !== batch * H) {
        throw new TrainingError(`The resume state was saved with a different --batch-size; resume with the batch size it was trained with.`);
      }
      return tf.tensor2d(values, [batch, H]);
    });
  return { h: part('h'), c: part('c') };
}

async function evaluateBest(out: string, streams: BatchStreams): Promise<number> {
  const best = loadCheckpoint(out);
  const net = new Network(best.config, best.weights);
  try {
    return await evaluateLoss(net, streams);
  } finally {
    net.dispose();
  }
}
