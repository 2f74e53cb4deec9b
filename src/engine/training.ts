import * as fs from 'fs';
import * as path from 'path';
import { onGpu } from '../core/backendNames';
import { Split, splitIds } from '../core/batches';
import { CorpusInfo, loadCheckpoint } from '../core/checkpoint';
import { readCorpus } from '../core/corpus';
import { InferenceModel } from '../core/inference';
import { NgramModel } from '../core/ngram/kneserNey';
import { chooseModelSize } from '../core/modelSize';
import { buildWorkspaceNgram, fitAndSaveMixture } from '../core/ngram/workspaceNgram';
import { corpusInfo, prepareTraining, train, TrainProgress } from '../core/train/loop';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions, validateTrainOptions } from '../core/train/options';
import { UserError } from '../core/userError';
import { Vocabulary } from '../core/vocabulary';
import { InstantModel } from './instantModel';
import { ModelHost } from './modelHost';
import type { TrainFinished, TrainParams, TrainStarted } from './protocol';

/** What a run needs of its setup: the corpus, and the n-gram and held-out ids to fit the mixture with afterwards. */
interface RunData {
  text: string;
  info: CorpusInfo;
  ngram: NgramModel;
  heldOut: Pick<Split, 'val' | 'test'>;
}

export interface TrainingEvents {
  progress(p: TrainProgress): void;
  /** The trained model, to answer from now on (before `finished` is sent). */
  trained(host: ModelHost): void;
  finished(f: TrainFinished): void;
}

/**
 * The engine's one training run. It is marked running from the moment a
 * start is accepted and cleared however the run ends: a setup that throws
 * (a corrupt model to resume, fractions that leave no text) as much as a
 * run that finishes, fails or is stopped. Otherwise the engine would refuse
 * new training and backend changes forever, and Stop would do nothing.
 */
export class Training {
  private controller?: AbortController;
  /** The workspace n-gram, answering completions from the moment training starts until the LSTM is done. */
  instant?: InstantModel;

  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Asks the run to stop after its current step; false when none runs. */
  stop(): boolean {
    this.controller?.abort();
    return this.running;
  }

  /** Starts training in the background and answers at once with the corpus report. */
  start(p: TrainParams, backend: string, events: TrainingEvents): TrainStarted {
    if (this.controller) throw new UserError('Training is already running; stop it first.');
    const controller = new AbortController();
    this.controller = controller;
    let running: Promise<void> | undefined;
    try {
      const corpus = readCorpus(p.folder, { include: p.include, exclude: p.exclude, maxFileBytes: p.maxFileBytes });
      const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...p.options };
      const vocabulary = trainingVocabulary(corpus.text, options);
      const size = chooseModelSize(corpus.text, vocabulary.size, { ...options, hidden: p.options.hidden, layers: p.options.layers, dropout: p.options.dropout }, onGpu(backend));
      if (size) Object.assign(options, { hidden: size.hidden, layers: size.layers, dropout: size.dropout });
      // Here rather than only in train(): a bad combination is this request's error, not a failed run.
      validateTrainOptions(options);
      const split = splitIds(vocabulary.encode(corpus.text), options.valFrac, options.testFrac);
      const ngram = buildWorkspaceNgram(split.train, vocabulary.size);
      // Only the held-out ids are needed after training (to fit the mixture); copies free the rest.
      const heldOut = { val: split.val.slice(), test: split.test.slice() };
      this.instant = new InstantModel(ngram, vocabulary);
      running = this.run(controller, { text: corpus.text, info: corpusInfo(corpus.text, corpus.report.files.length), ngram, heldOut }, options, events);
      return {
        report: corpus.report,
        modelSize: `${options.layers}x${options.hidden} LSTM`,
        model: size?.reason ?? `${options.layers}x${options.hidden} LSTM as set${options.resume ? ' (resumed)' : ''}.`,
        instant: `Until the LSTM is trained, completions come from an order-${ngram.order} n-gram of the workspace (${ngram.entries.toLocaleString('en-US')} entries).`,
      };
    } finally {
      // A setup that threw started nothing that would clear the state later.
      if (!running) this.clear(controller);
    }
  }

  private async run(controller: AbortController, data: RunData, options: TrainOptions, events: TrainingEvents): Promise<void> {
    let finished: TrainFinished;
    try {
      const result = await train(prepareTraining(data.text, data.info.files, options), options, { signal: controller.signal, onProgress: events.progress });
      finished = { stopReason: result.stopReason, steps: result.steps, bestValLoss: result.bestValLoss };
      if (fs.existsSync(path.join(options.out, 'model.json'))) {
        const lstm = loadCheckpoint(options.out);
        const mixture = fitAndSaveMixture(options.out, new InferenceModel(lstm.config, lstm.weights), data.ngram, data.heldOut);
        const trained = new ModelHost(lstm, 'workspace', { ngram: data.ngram, info: mixture });
        events.trained(trained);
        finished.model = trained.info;
      }
    } catch (err) {
      finished = { error: (err as Error).message };
    } finally {
      this.clear(controller);
    }
    // After clearing: the client may start the next run as soon as it hears of this one's end.
    events.finished(finished);
  }

  private clear(controller: AbortController): void {
    if (this.controller !== controller) return;
    this.controller = undefined;
    this.instant = undefined;
  }
}

/** The LSTM's vocabulary for this run: the resumed model's, else the corpus's (as train() makes it). */
function trainingVocabulary(text: string, options: TrainOptions): Vocabulary {
  if (options.resume && fs.existsSync(path.join(options.out, 'model.json'))) return loadCheckpoint(options.out).vocabulary;
  return Vocabulary.fromText(text, options.minCharCount);
}
