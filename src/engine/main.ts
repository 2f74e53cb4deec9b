/**
 * The engine process: owns the model and training, and answers the
 * extension over JSON-RPC on the IPC channel. Training yields between steps,
 * so completions and other queries are answered within one step's time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, ResponseError } from 'vscode-jsonrpc/node';
import { BackendRequest, selectBackend } from '../core/backend';
import { loadCheckpoint } from '../core/checkpoint';
import { readCorpus } from '../core/corpus';
import { explore } from '../core/explorer/explore';
import { corpusFiles, explorerSample } from '../core/explorer/explorerSample';
import { onGpu } from '../core/backendNames';
import { chooseModelSize } from '../core/modelSize';
import { DEFAULT_TRAIN_OPTIONS } from '../core/trainOptions';
import { corpusInfo, train } from '../core/training';
import { InferenceModel } from '../core/inference';
import { buildWorkspaceNgram, fitAndSaveMixture } from '../core/ngram/workspaceNgram';
import { Vocabulary } from '../core/vocabulary';
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
  return new ResponseError(1, (err as Error).message ?? String(err));
}

function loaded(): ModelHost {
  if (!host) throw userError(new Error('No model is loaded: train one or load one first.'));
  return host;
}

/** Runs a query whose failures (a neuron out of range, say) are the user's to fix. */
function answer<T>(query: () => T): T {
  try {
    return query();
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
  try {
    const notes = await useBackend(p.backend);
    return { backend, notes };
  } catch (err) {
    throw userError(err);
  }
});

connection.onRequest(rpc.Status, () => ({ backend, model: host?.info, training: training !== undefined }));

connection.onRequest(rpc.Complete, (p) => {
  const t0 = performance.now();
  if (instant) return { text: instant.complete(p), model: 'workspace' as const, answering: InstantModel.label, ms: performance.now() - t0 };
  const model = loaded();
  const text = model.complete(p);
  return { text, model: model.info.source, answering: model.info.answering, ms: performance.now() - t0 };
});

connection.onRequest(rpc.Sample, (p) => ({ text: loaded().sample(p) }));

connection.onRequest(rpc.Predict, (p) => {
  if (instant) return { guesses: instant.predict(p), model: 'workspace' as const, answering: InstantModel.label };
  const model = loaded();
  return { guesses: model.predict(p), model: model.info.source, answering: model.info.answering };
});

connection.onRequest(rpc.Trace, (p) => {
  const t0 = performance.now();
  const result = !host && instant ? instantTrace(p) : answer(() => loaded().trace(p));
  if (instant) {
    // While the LSTM trains, probabilities come from the workspace n-gram (activations from the loaded LSTM).
    result.probability = Array.from(instant.probabilities(p.text, result.from, result.from + result.activation.length));
    result.answering = InstantModel.label;
  }
  return { ...result, ms: performance.now() - t0 };
});

connection.onRequest(rpc.Inspect, (p) => answer(() => loaded().inspect(p)));

connection.onRequest(rpc.Detail, (p) => answer(() => loaded().detail(p)));

connection.onRequest(rpc.ExploreNeurons, async (p) => {
  const model = loaded();
  const t0 = performance.now();
  const sample = answer(() => explorerSample(corpusFiles(readCorpus(p.folder, { include: p.include, exclude: p.exclude }))));
  const result = await explore(model.checkpoint, sample);
  const ranking = result.ranking;
  return { cells: ranking.cells.slice(0, 24), features: ranking.features, fromCache: result.fromCache, chars: ranking.chars, ms: performance.now() - t0 };
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
  const size = chooseModelSize(corpus.text, { ...options, hidden: p.options.hidden, layers: p.options.layers, dropout: p.options.dropout }, onGpu(backend));
  if (size) Object.assign(options, { hidden: size.hidden, layers: size.layers, dropout: size.dropout });
  const info = corpusInfo(corpus.text, corpus.report.files.length);
  const vocabulary = trainingVocabulary(corpus.text, options);
  const ngram = buildWorkspaceNgram(corpus.text, vocabulary, options.valFrac, options.testFrac);
  instant = new InstantModel(ngram, vocabulary);
  // Runs in the background; the request answers at once with the corpus report.
  train(corpus.text, info, options, { signal: controller.signal, onProgress: (progress) => connection.sendNotification(rpc.TrainingProgress, progress) })
    .then((result) => {
      let model: rpc.ModelInfo | undefined;
      if (fs.existsSync(path.join(options.out, 'model.json'))) {
        const lstm = loadCheckpoint(options.out);
        fitAndSaveMixture(options.out, new InferenceModel(lstm.config, lstm.weights), ngram, corpus.text, vocabulary, options.valFrac, options.testFrac);
        host = ModelHost.load(options.out, 'workspace');
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
    model: size?.reason ?? `${options.layers}x${options.hidden} LSTM as set${options.resume ? ' (resumed)' : ''}.`,
    instant: `Until the LSTM is trained, completions come from an order-${ngram.order} n-gram of the workspace (${ngram.entries.toLocaleString('en-US')} entries).`,
  };
});

/** The first training in a workspace without any LSTM: no activations (the n-gram fills in the probabilities). */
function instantTrace(p: rpc.TraceParams): Omit<rpc.TraceResult, 'ms'> {
  const to = Math.min(p.to, p.text.length);
  const from = Math.max(0, Math.min(p.from, to));
  return { from, start: 0, probability: [], activation: new Array(to - from).fill(0), model: 'workspace', answering: InstantModel.label };
}

/** The LSTM's vocabulary for this run: the resumed model's, else the corpus's (as train() makes it). */
function trainingVocabulary(text: string, options: { out: string; resume: boolean; minCharCount: number }): Vocabulary {
  if (options.resume && fs.existsSync(path.join(options.out, 'model.json'))) return loadCheckpoint(options.out).vocabulary;
  return Vocabulary.fromText(text, options.minCharCount);
}

// The extension host going away must not leave an orphan training process.
process.on('disconnect', () => process.exit(0));
connection.listen();
