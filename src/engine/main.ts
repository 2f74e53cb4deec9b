/**
 * The engine process: owns the model and training, and answers the
 * extension over JSON-RPC on the IPC channel. Training yields between steps,
 * so completions and other queries are answered within one step's time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CancellationToken, createMessageConnection, IPCMessageWriter, RequestMessage, RequestType0, ResponseError } from 'vscode-jsonrpc/node';
import { BackendName, BackendRequest, releaseGpu, selectBackend } from '../core/backend';
import { NeuronRangeError } from '../core/predict/documentTrace';
import { completeFrom } from '../core/predict/completion';
import { stepperOf } from '../core/predict/predictor';
import { DEFAULT_BEAM_WIDTH, DEFAULT_CANDIDATES, DEFAULT_PRECISION, suggest } from '../core/predict/suggestion';
import { topGuesses } from '../core/predict/modelLens';
import { UserError } from '../core/userError';
import { Answerer } from './answerer';
import { reportFaults } from './faults';
import { InstantModel } from './instantModel';
import { HostOptions, ModelHost } from './modelHost';
import * as rpc from './protocol';
import { INVALID_PARAMS } from './schema';
import { LatestPerDocument, ObservingReader, readArrivals } from './supersede';
import { Training } from './training';

const cancelled = (why: string) => new ResponseError(rpc.ErrorCodes.cancelled, `Request ${why}.`);
const completions = new LatestPerDocument(rpc.Complete.method);
const connection = createMessageConnection(new ObservingReader(process, (m) => completions.observe(m)), new IPCMessageWriter(process), undefined, {
  // A request the extension cancelled while it still waited in the queue is answered without running it.
  cancelUndispatched: (message) => ({ jsonrpc: '2.0', id: (message as RequestMessage).id, error: cancelled('cancelled').toJson() }),
});
reportFaults(connection);
let backend: BackendName = 'wasm';
let description = '';
let host: ModelHost | undefined;
/** The settings every loaded model answers under (see HostOptions). */
let hostOptions: HostOptions = { dynamicEvaluation: true };
const training = new Training();

/**
 * Errors travel as plain messages with a code the client can branch on;
 * only bugs (not a UserError) leave their stack in the engine's log.
 */
function toResponseError(err: unknown): ResponseError<void> {
  if (err instanceof ResponseError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof NeuronRangeError) return new ResponseError(rpc.ErrorCodes.neuronOutOfRange, message);
  if (err instanceof UserError && err.code === INVALID_PARAMS) return new ResponseError(rpc.ErrorCodes.invalidParams, message);
  if (!(err instanceof UserError)) console.error(`[engine] ${(err as Error)?.stack ?? message}`);
  return new ResponseError(rpc.ErrorCodes.userError, message);
}

/** Serves a request whose parameters are checked against its schema first: nothing unchecked reaches the model. */
function serve<P, R>(type: rpc.CheckedRequest<P, R>, handler: (params: P, token: CancellationToken, raw: unknown) => R | Promise<R>): void {
  connection.onRequest(type, async (raw: unknown, token: CancellationToken) => {
    try {
      return await handler(type.params.check(raw, type.method), token, raw);
    } catch (err) {
      throw toResponseError(err);
    }
  });
}

function serve0<R>(type: RequestType0<R, void>, handler: () => R): void {
  connection.onRequest(type, () => {
    try {
      return handler();
    } catch (err) {
      throw toResponseError(err);
    }
  });
}

/** The result with how long the work took, for the UI's timings. */
async function timed<R extends object>(work: () => R | Promise<R>): Promise<R & { ms: number }> {
  const t0 = performance.now();
  const result = await work();
  return { ...result, ms: performance.now() - t0 };
}

function loaded(): ModelHost {
  if (!host) throw new UserError('No model is loaded: train one or load one first.');
  return host;
}

/** Completions and the read-out come from the workspace n-gram while the LSTM trains. */
const answerer = (): Answerer => training.instant ?? loaded();

async function useBackend(request: BackendRequest): Promise<string[]> {
  const choice = await selectBackend(request);
  // Training opens its own device on its thread; this thread only needed to know the GPU works.
  await releaseGpu();
  backend = choice.name;
  description = choice.description;
  return choice.skipped;
}

serve(rpc.Initialize, async (p) => {
  const backendNotes = await useBackend(p.backend);
  hostOptions = { dynamicEvaluation: p.dynamicEvaluation ?? true };
  const modelProblems: string[] = [];
  for (const candidate of p.models) {
    if (!fs.existsSync(path.join(candidate.dir, 'model.json'))) continue;
    try {
      host = ModelHost.load(candidate.dir, candidate.source, hostOptions);
      break;
    } catch (err) {
      modelProblems.push((err as Error).message);
    }
  }
  return { backend, description, backendNotes, model: host?.info, modelProblems };
});

serve(rpc.LoadModel, (p) => {
  host = ModelHost.load(p.dir, p.source, hostOptions);
  return host.info;
});

serve(rpc.SetDynamicEvaluation, (p) => {
  hostOptions = { dynamicEvaluation: p.enabled };
  host?.setOptions(hostOptions);
  return { model: host?.info };
});

serve(rpc.SetBackend, async (p) => {
  if (training.running) throw new UserError('Stop training before changing the backend.');
  const notes = await useBackend(p.backend);
  return { backend, description, notes };
});

serve0(rpc.Status, () => ({ backend, model: host?.info, training: training.running }));

/**
 * Every keystroke asks for a completion and only the last one is shown: one
 * that a newer request for the same document replaced, or that the editor
 * cancelled, is answered as cancelled without running the model.
 */
serve(rpc.Complete, async (p, token, raw) => {
  try {
    await readArrivals();
    if (token.isCancellationRequested) throw cancelled('cancelled');
    if (completions.superseded(p.documentId, raw)) throw cancelled('superseded by a newer completion for this document');
    const t0 = performance.now();
    const model = answerer();
    const threshold = model.thresholdFor(p.precision ?? DEFAULT_PRECISION);
    const options = { beamWidth: p.beamWidth ?? DEFAULT_BEAM_WIDTH, candidates: p.candidates ?? DEFAULT_CANDIDATES, maxChars: p.maxChars, multiline: p.multiline, threshold };
    const items = suggest(model.predictorAt(p.documentId, p.prefix), model.vocabulary, options);
    if (p.temperature > 0 && items.length > 0) {
      // Seeded by position so the same request gives the same text (cache-friendly, testable).
      const sampled = completeFrom(stepperOf(model.predictorAt(p.documentId, p.prefix)), model.vocabulary, { ...p, seed: p.prefix.length });
      if (sampled.length > 0 && !items.includes(sampled)) items.push(sampled);
    }
    return { text: items[0] ?? '', items, model: model.source, answering: model.answering, ms: performance.now() - t0 };
  } finally {
    completions.done(p.documentId, raw);
  }
});

serve(rpc.Sample, (p) => ({ text: loaded().sample(p) }));

serve(rpc.Predict, (p) => {
  const model = answerer();
  return { guesses: topGuesses(model.predictorAt(p.documentId, p.prefix).distribution(0), model.vocabulary, p.topK), model: model.source, answering: model.answering };
});

serve(rpc.Trace, (p) => timed(() => (training.instant ? traceWhileTraining(p, training.instant) : loaded().trace(p))));

serve(rpc.Inspect, (p) => loaded().inspect(p));

serve(rpc.Detail, (p) => loaded().detail(p));

const exploreProgress = (progress: rpc.ExploreProgressParams) => void connection.sendNotification(rpc.ExploreProgress, progress);

serve(rpc.ExploreNeurons, async (p) => {
  const t0 = performance.now();
  const { ranking, fromCache } = await loaded().explore(p, exploreProgress);
  return { cells: ranking.cells.slice(0, 24), features: ranking.features, fromCache, chars: ranking.chars, ms: performance.now() - t0 };
});

serve(rpc.CellsForSelection, (p) => timed(() => loaded().cellsForSelection(p)));

serve(rpc.FindSimilar, (p) => timed(() => loaded().findSimilar(p, exploreProgress)));

serve(rpc.CellFiring, (p) => timed(() => loaded().cellFiring(p, exploreProgress)));

serve(rpc.ClampEffect, (p) => timed(() => loaded().clampEffect(p, exploreProgress)));

serve(rpc.ModelReport, (p) => timed(() => loaded().modelReport(p)));

connection.onNotification(rpc.ForgetDocument, (raw: unknown) => {
  const { documentId } = rpc.forgetDocumentParams.check(raw, rpc.ForgetDocument.method);
  host?.forget(documentId);
});

serve0(rpc.StopTraining, () => training.stop());

serve(rpc.StartTraining, (p) =>
  training.start(p, backend, {
    progress: (progress) => void connection.sendNotification(rpc.TrainingProgress, progress),
    load: (dir) => ModelHost.load(dir, 'workspace', hostOptions),
    trained: (trained) => (host = trained),
    finished: (finished) => void connection.sendNotification(rpc.TrainingFinished, finished),
  }),
);

/** While the LSTM trains: probabilities from the workspace n-gram, activations from the loaded LSTM if any. */
function traceWhileTraining(p: rpc.TraceParams, model: InstantModel): Omit<rpc.TraceResult, 'ms'> {
  const to = Math.min(p.to, p.text.length);
  const from = Math.max(0, Math.min(p.from, to));
  const lstm = host?.trace(p);
  return {
    from,
    start: lstm?.start ?? 0,
    activation: lstm?.activation ?? new Array(to - from).fill(0),
    probability: Array.from(model.probabilities(p.documentId, p.text, from, to)),
    model: model.source,
    answering: model.answering,
  };
}

// The extension host going away (or a kill) must neither leave an orphan process nor lose the steps
// since the last validation: the run stops, validates and saves, then the engine exits.
const shutDown = () => void training.stopAndWait().finally(() => process.exit(0));
process.on('disconnect', shutDown);
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
connection.listen();
