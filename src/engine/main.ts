/**
 * The engine process: owns the model and training, and answers the
 * extension over JSON-RPC on the IPC channel. Training yields between steps,
 * so completions and other queries are answered within one step's time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, ResponseError } from 'vscode-jsonrpc/node';
import { BackendRequest, selectBackend } from '../core/backend';
import { splitIds } from '../core/batches';
import { NeuronRangeError } from '../core/documentTrace';
import { loadCheckpoint } from '../core/checkpoint';
import { readCorpus } from '../core/corpus';
import { onGpu } from '../core/backendNames';
import { chooseModelSize } from '../core/modelSize';
import { completeFrom } from '../core/completion';
import { topGuesses } from '../core/modelLens';
import { DEFAULT_TRAIN_OPTIONS } from '../core/train/options';
import { corpusInfo, train } from '../core/train/loop';
import { InferenceModel } from '../core/inference';
import { buildWorkspaceNgram, fitAndSaveMixture } from '../core/ngram/workspaceNgram';
import { Vocabulary } from '../core/vocabulary';
import { Answerer } from './answerer';
import { InstantModel } from './instantModel';
import { ModelHost } from './modelHost';
import * as rpc from './protocol';

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
let backend = '';
let host: ModelHost | undefined;
let training: AbortController | undefined;
/** The workspace n-gram, answering completions from the moment training starts until the LSTM is done. */
let instant: InstantModel | undefined;

/** Errors the user can act on travel as plain messages, not stacks. */
function userError(err: unknown): ResponseError<void> {
  const code = err instanceof NeuronRangeError ? rpc.ErrorCodes.neuronOutOfRange : rpc.ErrorCodes.userError;
  return new ResponseError(code, (err as Error).message ?? String(err));
}

function loaded(): ModelHost {
  if (!host) throw userError(new Error('No model is loaded: train one or load one first.'));
  return host;
}

/** Completions and the read-out come from the workspace n-gram while the LSTM trains. */
const answerer = (): Answerer => instant ?? loaded();

/** Runs a query whose failures (a neuron out of range, say) are the user's to fix. */
function answer<T>(query: () => T): T {
  try {
    return query();
  } catch (err) {
    throw userError(err);
  }
}

async function answerAsync<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    throw userError(err);
  }
}

async function useBackend(request: BackendRequest): Promise<string[]> {
  const choice = await selectBackend(request);
  backend = choice.name;
  return choice.skipped;
}

connection.onRequest(rpc.Initialize, async (p) => {
  const backendNotes = await useBackend(p.backend);
  const modelProblems: string[] = [];
  for (const candidate of p.models) {
    if (!fs.existsSync(path.join(candidate.dir, 'model.json'))) continue;
    try {
      host = ModelHost.load(candidate.dir, candidate.source);
      break;
    } catch (err) {
      modelProblems.push((err as Error).message);
    }
  }
  return { backend, backendNotes, model: host?.info, modelProblems };
});

connection.onRequest(rpc.LoadModel, (p) =>
  answer(() => {
    host = ModelHost.load(p.dir, p.source);
    return host.info;
  }),
);

connection.onRequest(rpc.SetBackend, async (p) => {
  if (training) throw userError(new Error('Stop training before changing the backend.'));
  const notes = await answerAsync(() => useBackend(p.backend));
  return { backend, notes };
});

connection.onRequest(rpc.Status, () => ({ backend, model: host?.info, training: training !== undefined }));

connection.onRequest(rpc.Complete, (p) => {
  const t0 = performance.now();
  const model = answerer();
  // Seeded by position so the same request gives the same text (cache-friendly, testable).
  const text = completeFrom(model.predictorAt(p.documentId, p.prefix), model.vocabulary, { ...p, seed: p.prefix.length });
  return { text, model: model.source, answering: model.answering, ms: performance.now() - t0 };
});

connection.onRequest(rpc.Sample, (p) => ({ text: loaded().sample(p) }));

connection.onRequest(rpc.Predict, (p) => {
  const model = answerer();
  return { guesses: topGuesses(model.predictorAt(p.documentId, p.prefix).probabilities(), model.vocabulary, p.topK), model: model.source, answering: model.answering };
});

connection.onRequest(rpc.Trace, (p) => {
  const t0 = performance.now();
  const result = instant ? traceWhileTraining(p, instant) : answer(() => loaded().trace(p));
  return { ...result, ms: performance.now() - t0 };
});

connection.onRequest(rpc.Inspect, (p) => answer(() => loaded().inspect(p)));

connection.onRequest(rpc.Detail, (p) => answer(() => loaded().detail(p)));

connection.onRequest(rpc.ExploreNeurons, async (p) => {
  const t0 = performance.now();
  const { ranking, fromCache } = await answerAsync(() => loaded().explore(p));
  return { cells: ranking.cells.slice(0, 24), features: ranking.features, fromCache, chars: ranking.chars, ms: performance.now() - t0 };
});

connection.onNotification(rpc.ForgetDocument, (p) => host?.forget(p.documentId));

connection.onRequest(rpc.StopTraining, () => {
  training?.abort();
  return training !== undefined;
});

connection.onRequest(rpc.StartTraining, (p) => {
  if (training) throw userError(new Error('Training is already running; stop it first.'));
  let corpus;
  try {
    corpus = readCorpus(p.folder, { include: p.include, exclude: p.exclude, maxFileBytes: p.maxFileBytes });
  } catch (err) {
    throw userError(err);
  }
  const controller = new AbortController();
  training = controller;
  const options = { ...DEFAULT_TRAIN_OPTIONS, ...p.options };
  const vocabulary = trainingVocabulary(corpus.text, options);
  const size = chooseModelSize(corpus.text, vocabulary.size, { ...options, hidden: p.options.hidden, layers: p.options.layers, dropout: p.options.dropout }, onGpu(backend));
  if (size) Object.assign(options, { hidden: size.hidden, layers: size.layers, dropout: size.dropout });
  const info = corpusInfo(corpus.text, corpus.report.files.length);
  const split = splitIds(vocabulary.encode(corpus.text), options.valFrac, options.testFrac);
  const ngram = buildWorkspaceNgram(split.train, vocabulary.size);
  // Only the held-out ids are needed after training (to fit the mixture); copies free the rest.
  const heldOut = { val: split.val.slice(), test: split.test.slice() };
  instant = new InstantModel(ngram, vocabulary);
  // Runs in the background; the request answers at once with the corpus report.
  train(corpus.text, info, options, { signal: controller.signal, onProgress: (progress) => connection.sendNotification(rpc.TrainingProgress, progress) })
    .then((result) => {
      let model: rpc.ModelInfo | undefined;
      if (fs.existsSync(path.join(options.out, 'model.json'))) {
        const lstm = loadCheckpoint(options.out);
        const mixture = fitAndSaveMixture(options.out, new InferenceModel(lstm.config, lstm.weights), ngram, heldOut);
        host = new ModelHost(lstm, 'workspace', { ngram, info: mixture });
        model = host.info;
      }
      connection.sendNotification(rpc.TrainingFinished, { stopReason: result.stopReason, steps: result.steps, bestValLoss: result.bestValLoss, model });
    })
    .catch((err) => connection.sendNotification(rpc.TrainingFinished, { error: (err as Error).message }))
    .finally(() => {
      training = undefined;
      instant = undefined;
    });
  return {
    report: corpus.report,
    modelSize: `${options.layers}x${options.hidden} LSTM`,
    model: size?.reason ?? `${options.layers}x${options.hidden} LSTM as set${options.resume ? ' (resumed)' : ''}.`,
    instant: `Until the LSTM is trained, completions come from an order-${ngram.order} n-gram of the workspace (${ngram.entries.toLocaleString('en-US')} entries).`,
  };
});

/** While the LSTM trains: probabilities from the workspace n-gram, activations from the loaded LSTM if any. */
function traceWhileTraining(p: rpc.TraceParams, model: InstantModel): Omit<rpc.TraceResult, 'ms'> {
  const to = Math.min(p.to, p.text.length);
  const from = Math.max(0, Math.min(p.from, to));
  const lstm = host && answer(() => host!.trace(p));
  return {
    from,
    start: lstm?.start ?? 0,
    activation: lstm?.activation ?? new Array(to - from).fill(0),
    probability: Array.from(model.probabilities(p.text, from, to)),
    model: model.source,
    answering: model.answering,
  };
}

/** The LSTM's vocabulary for this run: the resumed model's, else the corpus's (as train() makes it). */
function trainingVocabulary(text: string, options: { out: string; resume: boolean; minCharCount: number }): Vocabulary {
  if (options.resume && fs.existsSync(path.join(options.out, 'model.json'))) return loadCheckpoint(options.out).vocabulary;
  return Vocabulary.fromText(text, options.minCharCount);
}

// The extension host going away must not leave an orphan training process.
process.on('disconnect', () => process.exit(0));
connection.listen();
