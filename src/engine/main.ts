/**
 * The engine process: owns the model and training, and answers the
 * extension over JSON-RPC on the IPC channel. Training yields between steps,
 * so completions and other queries are answered within one step's time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CancellationToken, createMessageConnection, RequestMessage, RequestType0, ResponseError } from 'vscode-jsonrpc/node';
import { BackendName, BackendRequest, probeBackends, releaseGpu, selectBackend } from '../core/backend';
import { NeuronRangeError } from '../core/predict/documentTrace';
import { completeFrom } from '../core/predict/completion';
import { stepperOf } from '../core/predict/predictor';
import { DEFAULT_BEAM_WIDTH, DEFAULT_CANDIDATES, DEFAULT_PRECISION, suggest } from '../core/predict/suggestion';
import { topGuesses } from '../core/predict/modelLens';
import { scanCorpus } from '../core/text/corpus';
import { dataFileWarnings } from '../core/text/dataFiles';
import { UserError } from '../core/userError';
import { AllowedFolders } from './allowedFolders';
import { Answerer } from './answerer';
import { reportFaults } from './faults';
import { InstantModel } from './instantModel';
import { HostOptions, ModelHost } from './modelHost';
import { documentFileText } from './documentFile';
import * as rpc from './protocol';
import { INVALID_PARAMS } from './schema';
import { LatestPerDocument, ObservingReader, ObservingWriter, readArrivals } from './supersede';
import { Training } from './training';

const cancelled = (why: string) => new ResponseError(rpc.ErrorCodes.cancelled, `Request ${why}.`);
const completions = new LatestPerDocument(rpc.Complete.method);
const traces = new LatestPerDocument(rpc.Trace.method);
const connection = createMessageConnection(
  new ObservingReader(process, (m) => (completions.observe(m), traces.observe(m))),
  new ObservingWriter(process, (m) => (completions.answered(m), traces.answered(m))),
  undefined,
  {
    // A request the extension cancelled while it still waited in the queue is answered without running it.
    cancelUndispatched: (message) => ({ jsonrpc: '2.0', id: (message as RequestMessage).id, error: cancelled('cancelled').toJson() }),
  },
);
reportFaults(connection);
let backend: BackendName = 'wasm';
let description = '';
let host: ModelHost | undefined;
/** The settings every loaded model answers under (see HostOptions). */
let hostOptions: HostOptions = { dynamicEvaluation: true };
const training = new Training();
/** Set by Initialize: until then no request that names a path is served. */
let allowed: AllowedFolders | undefined;

function folders(): AllowedFolders {
  if (!allowed) throw new UserError('The engine was not initialized: it knows no folder it may use.');
  return allowed;
}

/** An explore request whose corpus folder is in the workspace. */
const inWorkspace = <P extends rpc.ExploreParams>(p: P): P => ({ ...p, folder: folders().corpus(p.folder, 'folder') });

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

function serve0<R>(type: RequestType0<R, void>, handler: () => R | Promise<R>): void {
  connection.onRequest(type, async () => {
    try {
      return await handler();
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
  const given = AllowedFolders.of(p.folders);
  const candidates = p.models.map((m, i) => ({ ...m, dir: given.model(m.dir, m.source, `models[${i}].dir`) }));
  allowed = given;
  const backendNotes = await useBackend(p.backend);
  hostOptions = { dynamicEvaluation: p.dynamicEvaluation ?? true };
  const modelProblems: string[] = [];
  for (const candidate of candidates) {
    if (!fs.existsSync(path.join(candidate.dir, 'model.json'))) continue;
    try {
      host = loadHost(candidate.dir, candidate.source);
      break;
    } catch (err) {
      modelProblems.push((err as Error).message);
    }
  }
  return { backend, description, backendNotes, model: host?.info, modelProblems };
});

serve(rpc.LoadModel, (p) => {
  host = loadHost(folders().model(p.dir, p.source, 'dir'), p.source);
  return host.info;
});

/** Every model answers under the engine's settings and keeps its explorer caches where the engine may write. */
const loadHost = (dir: string, source: rpc.ModelInfo['source']): ModelHost => ModelHost.load(dir, source, hostOptions, folders().explorerCache(dir));

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

serve0(rpc.ProbeBackends, async () => ({ inUse: backend, description, backends: await probeBackends() }));

/**
 * A per-document request of which only the newest is worth an answer: every
 * keystroke asks for a completion and only the last one is shown, every
 * scroll asks for the overlay of its view. One that a newer request for the
 * same document replaced, or that the editor cancelled, is answered as
 * cancelled without running the model.
 */
function serveLatest<P extends { documentId: string }, R>(type: rpc.CheckedRequest<P, R>, latest: LatestPerDocument, what: string, handler: (params: P) => R | Promise<R>): void {
  serve(type, async (p, token, raw) => {
    await readArrivals();
    if (token.isCancellationRequested) throw cancelled('cancelled');
    if (latest.superseded(p.documentId, raw)) throw cancelled(`superseded by a newer ${what} for this document`);
    return handler(p);
  });
}

serveLatest(rpc.Complete, completions, 'completion', (p) => {
  const t0 = performance.now();
  const model = answerer();
  const cut = model.cutFor(p.precision ?? DEFAULT_PRECISION);
  const options = { beamWidth: p.beamWidth ?? DEFAULT_BEAM_WIDTH, candidates: p.candidates ?? DEFAULT_CANDIDATES, maxChars: p.maxChars, multiline: p.multiline, cut };
  const items = suggest(model.predictorAt(p.documentId, p.prefix), model.vocabulary, options);
  if (p.temperature > 0 && items.length > 0) {
    // Seeded by position so the same request gives the same text (cache-friendly, testable).
    const sampled = completeFrom(stepperOf(model.predictorAt(p.documentId, p.prefix)), model.vocabulary, { ...p, seed: p.prefix.length });
    if (sampled.length > 0 && !items.includes(sampled)) items.push(sampled);
  }
  return { text: items[0] ?? '', items, model: model.source, answering: model.answering, ms: performance.now() - t0 };
});

serve(rpc.Sample, (p) => ({ text: loaded().sample(p) }));

serve(rpc.Predict, (p) => {
  const model = answerer();
  return { guesses: topGuesses(model.predictorAt(p.documentId, p.prefix).distribution(0), model.vocabulary, p.topK), model: model.source, answering: model.answering };
});

// Scrolling fast sends one per view: only the view on screen now is traced.
/** The document's whole text, asked for once per document, to leave its file out of the n-gram for the overlays (see ModelHost.trace). */
const fileTextOf = (p: rpc.TraceParams) => () => documentFileText(p.documentId, p.text, allowed);

serveLatest(rpc.Trace, traces, 'overlay request', (p) => timed(() => (training.instant ? traceWhileTraining(p, training.instant) : loaded().trace(p, fileTextOf(p)))));

serve(rpc.Inspect, (p) => loaded().inspect(p));

serve(rpc.Detail, (p) => loaded().detail(p));

serve(rpc.Why, (p) => timed(() => loaded().why(p)));

serve(rpc.ActivationHistograms, (p) => loaded().activationHistograms(p));

const exploreProgress = (progress: rpc.ExploreProgressParams) => void connection.sendNotification(rpc.ExploreProgress, progress);

serve(rpc.ExploreNeurons, async (p) => {
  const t0 = performance.now();
  const { ranking, fromCache } = await loaded().explore(inWorkspace(p), exploreProgress);
  return { cells: ranking.cells.slice(0, 24), features: ranking.features, fromCache, chars: ranking.chars, ms: performance.now() - t0 };
});

serve(rpc.CellsForSelection, (p) => timed(() => loaded().cellsForSelection(p)));

serve(rpc.FindSimilar, (p) => timed(() => loaded().findSimilar(inWorkspace(p), exploreProgress)));

serve(rpc.CellFiring, (p) => timed(() => loaded().cellFiring(inWorkspace(p), exploreProgress)));

serve(rpc.CellHistory, (p) => timed(() => loaded().cellHistory(inWorkspace(p), exploreProgress)));

serve(rpc.ClampEffect, (p) => timed(() => loaded().clampEffect(inWorkspace(p), exploreProgress, (progress) => void connection.sendNotification(rpc.ClampProgress, progress))));

serve(rpc.ModelReport, (p) => timed(() => loaded().modelReport(inWorkspace(p))));

connection.onNotification(rpc.ForgetDocument, (raw: unknown) => {
  const { documentId } = rpc.forgetDocumentParams.check(raw, rpc.ForgetDocument.method);
  completions.forget(documentId);
  traces.forget(documentId);
  host?.forget(documentId);
  training.instant?.forget(documentId);
});

serve0(rpc.StopTraining, () => training.stop());

// Reads every file once without keeping its text: a pause of well under a second for most workspaces, before training starts.
serve(rpc.ScanCorpus, ({ folder, include, exclude, maxFileBytes }) => {
  const report = scanCorpus(folders().corpus(folder, 'folder'), { include, exclude, maxFileBytes });
  return { report, dataFiles: dataFileWarnings(report) };
});

serve(rpc.StartTraining, (p) =>
  training.start({ ...p, folder: folders().corpus(p.folder, 'folder'), options: { ...p.options, out: folders().storage(p.options.out, 'options.out') } }, backend, {
    progress: (progress) => void connection.sendNotification(rpc.TrainingProgress, progress),
    load: (dir) => loadHost(dir, 'workspace'),
    trained: (trained) => (host = trained),
    finished: (finished) => void connection.sendNotification(rpc.TrainingFinished, finished),
  }),
);

/** While the LSTM trains: probabilities from the workspace n-gram, activations from the loaded LSTM if any. */
function traceWhileTraining(p: rpc.TraceParams, model: InstantModel): Omit<rpc.TraceResult, 'ms'> {
  const to = Math.min(p.to, p.text.length);
  const from = Math.max(0, Math.min(p.from, to));
  const lstm = host?.trace(p);
  const { probability, answering, fileLeftOut } = model.probabilities(p.documentId, p.text, from, to, fileTextOf(p));
  return {
    from,
    start: lstm?.start ?? 0,
    activation: lstm?.activation ?? new Array(to - from).fill(0),
    probability: Array.from(probability),
    model: model.source,
    answering,
    fileLeftOut,
  };
}

// The extension host going away (or a kill) must neither leave an orphan process nor lose the steps
// since the last validation: the run stops, validates and saves, then the engine exits.
const shutDown = () => void training.stopAndWait().finally(() => process.exit(0));
process.on('disconnect', shutDown);
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
connection.listen();
