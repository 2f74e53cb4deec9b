/**
 * The JSON-RPC contract between the extension (client) and the engine
 * process (server). Both sides import these types and nothing else from each
 * other, as vscode-eslint's client and server share one protocol module.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { BACKENDS, type BackendAvailability, type BackendRequest } from '../core/backendNames';
import { bitsPerChar } from '../core/predict/lossUnits';
import { CELL_TYPES, type CellType } from '../core/model/modelConfig';
import type { CorpusReport } from '../core/text/corpus';
import type { DataFileWarning } from '../core/text/dataFiles';
import type { Neuron } from '../core/predict/documentTrace';
import type { Guess } from '../core/predict/modelLens';
import type { CellBest, FeatureRanking } from '../core/explorer/neuronRanking';
import type { CellSnippet } from '../core/explorer/cellSnippets';
import type { CellHistoryRow } from '../core/explorer/labelHistory';
import type { LearnedLabel } from '../core/model/weightHistory';
import type { ClampEffect as ClampMeasures, MeasuredText } from '../core/explorer/clampEffect';
import type { ModelReport as ReportFigures } from '../core/explorer/modelReport';
import type { SelectionCell } from '../core/explorer/selectionCells';
import { MAX_WINDOW, type Attribution } from '../core/explain/contributions';
import type { TrainOptions } from '../core/train/options';
import type { StopReason } from '../core/train/loop';
import type { TrainProgress } from '../core/train/progress';
import { Schema, array, boolean, integer, number, object, oneOf, optional, string } from './schema';

export interface ModelInfo {
  dir: string;
  /** 'workspace' for a model trained here, 'default' for the one shipped with the extension. */
  source: 'workspace' | 'default' | 'file';
  cell: CellType;
  /** What the views show of a cell: "tanh(c)" for an LSTM, "h" for a GRU or RNN (shownActivation). */
  activation: string;
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  valLoss?: number;
  step?: number;
  /** Which predictor answers completions: "LSTM", "n-gram" or their mixture. */
  answering: string;
  /** Its validation nats/char and the LSTM's and n-gram's alone, as measured when the mixture was fitted (absent for an LSTM alone: see valLoss). */
  validation?: ValidationFigures;
}

export interface ValidationFigures {
  answering: number;
  lstm: number;
  ngram: number;
  /** Online: the n-gram read each validation character after predicting it, as it reads a document in the editor. */
  online: boolean;
  /** The LSTM with dynamic evaluation (its output layer adapting to the text it reads), when the model has it fitted; `enabled` is the setting. */
  dynamic?: { lstm: number; enabled: boolean };
}

/** "validation 1.805 bits/char online (LSTM 2.494, dynamically evaluated 1.939, n-gram 1.984)", for the status bar and the log: the editor speaks bits/char only. */
export const describeValidation = (v: ValidationFigures): string => {
  const bits = (nats: number) => bitsPerChar(nats).toFixed(3);
  const dynamic = v.dynamic ? `, dynamically evaluated ${bits(v.dynamic.lstm)}${v.dynamic.enabled ? '' : ' (off in the settings)'}` : '';
  return `validation ${bits(v.answering)} bits/char${v.online ? ' online' : ''} (LSTM ${bits(v.lstm)}${dynamic}, n-gram ${bits(v.ngram)})`;
};

/**
 * The folders the engine may touch, handed over at initialization: every
 * path a request names must be absolute, without `..`, and lie in one of
 * them as the request's kind asks (see allowedFolders.ts).
 */
export interface EngineFolders {
  /** Where it may write (the workspace's model, explorer caches): the extension's storage folders. */
  storage: string[];
  /** Where the code it trains on and explores may lie: the workspace folders and the shipped model's corpus. */
  corpora: string[];
  /** Models shipped with the extension (a model the user picked comes as a LoadModel, or a candidate, of source 'file'). */
  models: string[];
  /** Where the explorer caches what it finds for a model outside storage (the shipped one, one the user picked); in storage. */
  caches: string;
}

export interface InitializeParams {
  backend: BackendRequest;
  folders: EngineFolders;
  /** Models tried in order; the first that loads answers queries. */
  models: Array<{ dir: string; source: ModelInfo['source'] }>;
  /** charlens.completion.dynamicEvaluation (absent: on). */
  dynamicEvaluation?: boolean;
}

export interface InitializeResult {
  backend: string;
  /** Where training runs, with the device: "wasm SIMD (CPU, 2 threads)", "webgpu (NVIDIA H100, vulkan)". */
  description: string;
  backendNotes: string[];
  model?: ModelInfo;
  /** Why a candidate model could not be loaded (corrupt, missing, ...). */
  modelProblems: string[];
}

export interface TrainParams {
  folder: string;
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  /** Threads of the wasm CPU trainer (default: the cores, less one for the editor when there are more than 2). */
  threads?: number;
  /** Who trains, named to another window that finds the model folder taken: "the VS Code window of "linux"". */
  owner?: string;
  options: Partial<TrainOptions> & { out: string };
}

/** The files a training of `folder` would read, before it starts. */
export type ScanParams = Pick<TrainParams, 'folder' | 'include' | 'exclude' | 'maxFileBytes'>;

export interface ScanResult {
  report: CorpusReport;
  /** Files that look like data and would dominate the corpus (see core/text/dataFiles.ts). */
  dataFiles: DataFileWarning[];
}

export interface TrainStarted {
  report: CorpusReport;
  /** The model's size, "2x128 LSTM". */
  modelSize: string;
  /** The model's size and why (chosen from the corpus size unless the user set it). */
  model: string;
  /** What answers completions until the LSTM is trained. */
  instant: string;
}

export interface TrainFinished {
  stopReason?: StopReason;
  error?: string;
  steps?: number;
  bestValLoss?: number;
  model?: ModelInfo;
}

export interface CompleteParams {
  documentId: string;
  prefix: string;
  maxChars: number;
  /** 0: the items are the beam's; above, a line sampled at this temperature joins them. */
  temperature: number;
  multiline: boolean;
  /** charlens.completion.precision: how often a shown suggestion should be right (absent: DEFAULT_PRECISION). */
  precision?: number;
  /** charlens.completion.beamWidth (absent: DEFAULT_BEAM_WIDTH). */
  beamWidth?: number;
  /** charlens.completion.candidates: items at most (absent: DEFAULT_CANDIDATES). */
  candidates?: number;
}

export interface CompleteResult {
  /** The suggestion (items[0]), or '' where the model is sure of nothing. */
  text: string;
  /** The suggestion, then the beam's most probable lines (and a sampled one at temperature > 0), distinct: what the editor cycles through. */
  items: string[];
  model: ModelInfo['source'];
  /** The predictor that wrote it (see ModelInfo.answering). */
  answering: string;
  ms: number;
}

/** A document's text up to what is asked about, and a range of UTF-16 offsets in it. */
export interface DocumentRange {
  documentId: string;
  text: string;
  from: number;
  to: number;
  neuron: Neuron;
}

export type TraceParams = DocumentRange;

/** What the overlays' legends and Surprising Lines add when the n-gram reads a file it was built from with that file left out (see TraceResult.fileLeftOut). */
export const FILE_LEFT_OUT = 'this file left out of the n-gram';

export interface TraceResult {
  from: number;
  /** Per UTF-16 offset from `from`: the probability the model gave that character. */
  probability: number[];
  /** Per UTF-16 offset from `from`: the neuron's activation after that character. */
  activation: number[];
  /** Where the model started reading (0 = the file's start; otherwise a warm-up before the range). */
  start: number;
  model: ModelInfo['source'];
  /** What gave the probabilities (see ModelInfo.answering); activations always come from the LSTM. */
  answering: string;
  /** The document is one of the files the n-gram was built from, and the n-gram read it with that file left out (answering says so too). */
  fileLeftOut: boolean;
  ms: number;
}

export interface InspectParams {
  documentId: string;
  text: string;
  offset: number;
  neuron: Neuron;
  topK: number;
}

export interface InspectResult {
  char: string;
  /** False when the character is outside the model's vocabulary (read as the unknown symbol). */
  known: boolean;
  /** The probability the model gave this character. */
  probability: number;
  activation: number;
  /** The neuron's rank among all cells of its kind by |activation| (1 = most active). */
  rank: number;
  cells: number;
  /** Guesses for the character after this one. */
  guesses: Guess[];
  next?: { char: string; probability: number };
  model: ModelInfo['source'];
}

export interface PredictParams {
  documentId: string;
  prefix: string;
  topK: number;
}

export interface DetailParams extends DocumentRange {
  topK: number;
}

/** Candidate cells over a document range: how each one's activation spreads over the range's characters. */
export interface HistogramParams {
  documentId: string;
  text: string;
  from: number;
  to: number;
  neurons: Neuron[];
}

export interface HistogramResult {
  /** Per neuron, characters per bin of ACTIVATION_BINS equal bins over [-1, 1] (core/predict/modelLens.ts). */
  histograms: number[][];
}

export interface DetailResult {
  chars: Array<{ offset: number; char: string; probability: number; activation: number; guesses: Guess[] }>;
  model: ModelInfo['source'];
}

/** Why This Prediction: a document's text and an offset in it (see core/explain/attribution.ts). */
export interface WhyParams {
  documentId: string;
  text: string;
  /** UTF-16 offset of the prediction. */
  offset: number;
  /** The model's top guess at `offset` is explained, else `char`, else the character at `offset`. */
  guess?: boolean;
  char?: string;
  /** Characters before `offset` attributed (absent: DEFAULT_WHY_WINDOW). */
  window?: number;
}

/** Offsets in the text sent; every character of the window, oldest first. */
export interface WhyResult extends Attribution {
  model: ModelInfo['source'];
  ms: number;
}

/** Characters before the cursor that Why This Prediction attributes by default. */
export const DEFAULT_WHY_WINDOW = 500;

/** The corpus the model learnt from, whose sample the explorer reads. */
export interface ExploreParams {
  folder: string;
  include?: string[];
  exclude?: string[];
}

export interface ExploreResult {
  /** The strongest cells, each with the feature it tracks best. */
  cells: CellBest[];
  features: FeatureRanking[];
  fromCache: boolean;
  chars: number;
  ms: number;
}

export interface CellFiringParams extends ExploreParams {
  /** The cell (its kind is ignored: the explorer reads tanh(c)). */
  neuron: Neuron;
}

export interface CellFiringResult {
  /** The folder the snippets' paths are relative to. */
  folder: string;
  /** What the explorer found the cell tracks, if it labelled it. */
  label?: CellBest;
  /** Mean of the shown activation (`activation`) over the sample. */
  mean: number;
  /** "tanh(c)" or "h": what the snippets' colours and the mean are of. */
  activation: string;
  snippets: CellSnippet[];
  /** Characters of the explorer's sample the places were found in. */
  chars: number;
  fromCache: boolean;
  ms: number;
}

/** Show Cell History: the chosen cell, and the explorer's labelled cells, over the snapshots of the model's training (see core/explorer/labelHistory.ts). */
export interface CellHistoryParams extends CellFiringParams {
  /** A line to draw the chosen cell on at each snapshot: the document's text up to the line's end and the line's UTF-16 offsets in it. */
  line?: { text: string; from: number; to: number };
}

export interface CellHistoryResult {
  folder: string;
  snapshots: Array<{ step: number; valLoss?: number }>;
  /** The chosen cell first, then the explorer's labelled cells. */
  cells: CellHistoryRow[];
  /** The line's characters and, per snapshot, the chosen cell's tanh(c) after each. */
  line?: { chars: string[]; activations: number[][] };
  /** The labels training saw learned, each with its first step (training-history.json's "learned:" line). */
  learned: LearnedLabel[];
  threshold: { r: number; precision: number };
  /** Characters of the explorer's sample the scores are on. */
  chars: number;
  /** Snapshots scored for this request (training scored the others on the same sample). */
  computed: number;
  ms: number;
}

/** Does the cell matter: the loss on a fixed sample and a completion with its c clamped to 0 and to its mean (see core/explorer/clampEffect.ts). */
export interface ClampEffectResult extends ClampMeasures {
  /** What the loss was measured on: the model's validation split of `folder`, or the explorer's sample of it. */
  measured: MeasuredText['kind'];
  folder: string;
  /** What the explorer found the cell tracks; its feature splits the loss. */
  label?: CellBest;
  /** Mean tanh(c) over the explorer's sample. */
  meanTanh: number;
  ms: number;
}

/** The paper's analyses of the model on its validation text (see core/explorer/modelReport.ts). */
export interface ModelReportResult extends ReportFigures {
  /** What it was measured on: the model's validation split of `folder`, or the explorer's sample of it. */
  measured: MeasuredText['kind'];
  folder: string;
  ms: number;
}

/** A selection in a document: the text up to a little past it, and the selection's UTF-16 offsets. */
export interface SelectionParams {
  documentId: string;
  text: string;
  from: number;
  to: number;
  topK: number;
}

export interface SelectionResult {
  /** The cells that best tell the selection from its surroundings (see SelectionCell.separation). */
  cells: SelectionCell[];
  /** "tanh(c)" or "h": what the cells' means are of. */
  activation: string;
  ms: number;
}

export interface FindSimilarParams extends ExploreParams {
  cells: SelectionCell[];
  /** The selection's length in characters: matches are half to twice as long. */
  length: number;
}

export interface SimilarMatch {
  /** Relative to `folder` of the result; 0-based line and UTF-16 column. */
  path: string;
  line: number;
  column: number;
  /** The matched characters. */
  text: string;
}

export interface FindSimilarResult {
  folder: string;
  matches: SimilarMatch[];
  chars: number;
  ms: number;
}

/** How far the explorer's pass over its sample has got (it runs once per model and corpus). */
export interface ExploreProgressParams {
  chars: number;
  of: number;
}

export interface SampleParams {
  temperature: number;
  length: number;
  prime: string;
  seed: number;
}

export interface BackendProbe {
  /** The backend in use and where it trains: "wasm", "wasm SIMD (CPU, 2 threads)". */
  inUse: string;
  description: string;
  backends: BackendAvailability[];
}

export interface EngineStatus {
  backend: string;
  model?: ModelInfo;
  training: boolean;
}

/** Error codes of failed requests, for the client to tell cases apart without reading messages. */
export const ErrorCodes = {
  userError: 1,
  neuronOutOfRange: 2,
  /** JSON-RPC's own code for parameters that do not match the method's schema. */
  invalidParams: -32602,
  /** LSP's RequestCancelled: the client cancelled it, or a newer request superseded it. */
  cancelled: -32800,
} as const;

// --- What each request's parameters may be, checked when they arrive. ---
// Bounds are what the extension can send with a margin, so that no request
// can keep the engine busy for long: the editor sends at most ~150k
// characters of context (documentWindow.ts) and 400-character completions.

/** Text sent with a request: a document's window or a sample's prime. */
const MAX_TEXT = 1_000_000;
/** Characters one Trace may colour (the overlays cap the visible range at 40k). */
const MAX_TRACE_RANGE = 100_000;
/** Characters one Detail may describe (the neuron view shows at most 1500). */
const MAX_DETAIL_RANGE = 5_000;
/** The `charlens.completion.maxChars` setting's maximum. */
const MAX_COMPLETION_CHARS = 400;
/** The `charlens.completion.beamWidth` and `charlens.completion.candidates` settings' maxima. */
const MAX_BEAM_WIDTH = 16;
const MAX_CANDIDATES = 8;
/** Tighter than the CLI's bound (core/predict/sampling.ts): the engine samples on the thread that answers the editor. */
const MAX_ENGINE_SAMPLE = 100_000;
const MAX_TOP_K = 100;
const MAX_PATH = 4096;
const MAX_GLOBS = 1000;

const text = string(MAX_TEXT);
const documentId = string(MAX_PATH);
const path = string(MAX_PATH);
const globs = array(string(MAX_PATH), MAX_GLOBS);
const topK = integer(1, MAX_TOP_K);
const source = oneOf(['workspace', 'default', 'file'] as const);
const backend = oneOf(['auto', ...BACKENDS] as const);
const neuron: Schema<Neuron> = object({ layer: integer(0, 63), index: integer(0, 1 << 16), kind: oneOf(['c', 'h'] as const) });
const withinText = (p: { text: string; from: number; to: number }, maxRange: number): string | undefined =>
  p.from <= p.to && p.to <= p.text.length && p.to - p.from <= maxRange ? undefined : `need from <= to <= text length and at most ${maxRange} characters between them (from ${p.from}, to ${p.to}, text length ${p.text.length})`;
const documentRange = { documentId, text, from: integer(0, MAX_TEXT), to: integer(0, MAX_TEXT), neuron };

const folderList = array(path, 64);
const engineFolders: Schema<EngineFolders> = object({ storage: folderList, corpora: folderList, models: folderList, caches: path });
const initializeParams: Schema<InitializeParams> = object({ backend, folders: engineFolders, models: array(object({ dir: path, source }), 10), dynamicEvaluation: optional(boolean) });
const loadModelParams = object({ dir: path, source });
/** Types and loose bounds; validateTrainOptions() says what combinations make sense. */
const trainOptions: Schema<TrainParams['options']> = object({
  out: path,
  cell: optional(oneOf(CELL_TYPES)),
  layers: optional(integer(1, 16)),
  hidden: optional(integer(1, 4096)),
  embedding: optional(integer(1, 4096)),
  dropout: optional(number(0, 1)),
  seqLength: optional(integer(1, 10_000)),
  batchSize: optional(integer(1, 4096)),
  optimizer: optional(oneOf(['adam', 'rmsprop'] as const)),
  lr: optional(number(0, 1)),
  lrDecay: optional(number(0, 1)),
  lrDecayAfter: optional(integer(0, 1_000_000)),
  gradClip: optional(number(0, 1e6)),
  epochs: optional(integer(1, 1_000_000)),
  maxSteps: optional(integer(0, 1e9)),
  minutes: optional(number(0, 1e6)),
  valFrac: optional(number(0, 1)),
  testFrac: optional(number(0, 1)),
  evalEvery: optional(integer(0, 1e9)),
  patience: optional(integer(0, 1e9)),
  minCharCount: optional(integer(1, 1e9)),
  seed: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  resume: optional(boolean),
});
const trainParams: Schema<TrainParams> = object({
  folder: path,
  include: optional(globs),
  exclude: optional(globs),
  maxFileBytes: optional(integer(1, 2 ** 31)),
  threads: optional(integer(1, 256)),
  owner: optional(string(200)),
  options: trainOptions,
});
const scanParams: Schema<ScanParams> = object({
  folder: path,
  include: optional(globs),
  exclude: optional(globs),
  maxFileBytes: optional(integer(1, 2 ** 31)),
});
const completeParams: Schema<CompleteParams> = object({
  documentId,
  prefix: text,
  maxChars: integer(1, MAX_COMPLETION_CHARS),
  temperature: number(0, 2),
  multiline: boolean,
  precision: optional(number(0, 1)),
  beamWidth: optional(integer(1, MAX_BEAM_WIDTH)),
  candidates: optional(integer(1, MAX_CANDIDATES)),
});
const traceParams: Schema<TraceParams> = object(documentRange, (p) => withinText(p, MAX_TRACE_RANGE));
/** Cells one ActivationHistograms may judge: the explorer's labelled cells (ExploreNeurons answers 24). */
const MAX_HISTOGRAM_NEURONS = 64;
const histogramParams: Schema<HistogramParams> = object({ documentId, text, from: integer(0, MAX_TEXT), to: integer(0, MAX_TEXT), neurons: array(neuron, MAX_HISTOGRAM_NEURONS) }, (p) => withinText(p, MAX_DETAIL_RANGE));
const inspectParams: Schema<InspectParams> = object({ documentId, text, offset: integer(0, MAX_TEXT), neuron, topK }, (p) =>
  p.offset < p.text.length ? undefined : `offset ${p.offset} is not inside the text (length ${p.text.length})`,
);
const predictParams: Schema<PredictParams> = object({ documentId, prefix: text, topK });
const detailParams: Schema<DetailParams> = object({ ...documentRange, topK }, (p) => withinText(p, MAX_DETAIL_RANGE));
const exploreFields = { folder: path, include: optional(globs), exclude: optional(globs) };
const exploreParams: Schema<ExploreParams> = object(exploreFields);
const cellFiringParams: Schema<CellFiringParams> = object({ ...exploreFields, neuron });
/** Characters of a line Show Cell History draws; longer lines are cut. */
const MAX_HISTORY_LINE = 400;
const cellHistoryParams: Schema<CellHistoryParams> = object({ ...exploreFields, neuron, line: optional(object({ text, from: integer(0, MAX_TEXT), to: integer(0, MAX_TEXT) }, (p) => withinText(p, MAX_HISTORY_LINE))) });
const selectionParams: Schema<SelectionParams> = object({ documentId, text, from: integer(0, MAX_TEXT), to: integer(0, MAX_TEXT), topK }, (p) => withinText(p, MAX_DETAIL_RANGE));
const selectionCell: Schema<SelectionCell> = object({ layer: integer(0, 63), cell: integer(0, 1 << 16), separation: number(-1e9, 1e9), inside: number(-1, 1), around: number(-1, 1), threshold: number(-1, 1) });
/** One on/off pattern of at most this many cells, as the extension sends the top few. */
const MAX_PATTERN_CELLS = 8;
const findSimilarParams: Schema<FindSimilarParams> = object({ ...exploreFields, cells: array(selectionCell, MAX_PATTERN_CELLS), length: integer(1, MAX_DETAIL_RANGE) });
const whyParams: Schema<WhyParams> = object(
  { documentId, text, offset: integer(0, MAX_TEXT), guess: optional(boolean), char: optional(string(2)), window: optional(integer(1, MAX_WINDOW)) },
  (p) => (p.offset <= p.text.length ? undefined : `offset ${p.offset} is past the text's end (length ${p.text.length})`),
);
const sampleParams: Schema<SampleParams> = object({
  // 0 would divide the logits by zero; argmax is what completions are for.
  temperature: number(0.01, 5),
  length: integer(1, MAX_ENGINE_SAMPLE),
  prime: string(10_000),
  seed: integer(0, Number.MAX_SAFE_INTEGER),
});
const setBackendParams = object({ backend });
export const forgetDocumentParams = object({ documentId });
const dynamicEvaluationParams = object({ enabled: boolean });

/**
 * A request type with the schema its parameters are checked against when
 * they arrive; the engine serves only these (see main.ts), so no request
 * reaches the model unchecked.
 */
export class CheckedRequest<P, R> extends RequestType<P, R, void> {
  constructor(
    method: string,
    readonly params: Schema<P>,
  ) {
    super(method);
  }
}

export const Initialize = new CheckedRequest<InitializeParams, InitializeResult>('charlens/initialize', initializeParams);
export const LoadModel = new CheckedRequest<{ dir: string; source: ModelInfo['source'] }, ModelInfo>('charlens/loadModel', loadModelParams);
export const ScanCorpus = new CheckedRequest<ScanParams, ScanResult>('charlens/scanCorpus', scanParams);
export const StartTraining = new CheckedRequest<TrainParams, TrainStarted>('charlens/startTraining', trainParams);
export const StopTraining = new RequestType0<boolean, void>('charlens/stopTraining');
export const Complete = new CheckedRequest<CompleteParams, CompleteResult>('charlens/complete', completeParams);
export const Trace = new CheckedRequest<TraceParams, TraceResult>('charlens/trace', traceParams);
export const Inspect = new CheckedRequest<InspectParams, InspectResult>('charlens/inspect', inspectParams);
export const Predict = new CheckedRequest<PredictParams, { guesses: Guess[]; model: ModelInfo['source']; answering: string }>('charlens/predict', predictParams);
export const Detail = new CheckedRequest<DetailParams, DetailResult>('charlens/detail', detailParams);
export const ActivationHistograms = new CheckedRequest<HistogramParams, HistogramResult>('charlens/activationHistograms', histogramParams);
export const ExploreNeurons = new CheckedRequest<ExploreParams, ExploreResult>('charlens/exploreNeurons', exploreParams);
export const CellFiring = new CheckedRequest<CellFiringParams, CellFiringResult>('charlens/cellFiring', cellFiringParams);
export const CellHistory = new CheckedRequest<CellHistoryParams, CellHistoryResult>('charlens/cellHistory', cellHistoryParams);
export const ClampEffect = new CheckedRequest<CellFiringParams, ClampEffectResult>('charlens/clampEffect', cellFiringParams);
export const ModelReport = new CheckedRequest<ExploreParams, ModelReportResult>('charlens/modelReport', exploreParams);
export const CellsForSelection = new CheckedRequest<SelectionParams, SelectionResult>('charlens/cellsForSelection', selectionParams);
export const FindSimilar = new CheckedRequest<FindSimilarParams, FindSimilarResult>('charlens/findSimilar', findSimilarParams);
export const Sample = new CheckedRequest<SampleParams, { text: string }>('charlens/sample', sampleParams);
export const Why = new CheckedRequest<WhyParams, WhyResult>('charlens/why', whyParams);
/** charlens.completion.dynamicEvaluation changed; the answer is the loaded model's info under the new setting. */
export const SetDynamicEvaluation = new CheckedRequest<{ enabled: boolean }, { model?: ModelInfo }>('charlens/setDynamicEvaluation', dynamicEvaluationParams);
export const SetBackend = new CheckedRequest<{ backend: BackendRequest }, { backend: string; description: string; notes: string[] }>('charlens/setBackend', setBackendParams);
export const Status = new RequestType0<EngineStatus, void>('charlens/status');
/** Which backends can load here and why the others cannot, with the one in use, for the Select Backend menu. */
export const ProbeBackends = new RequestType0<BackendProbe, void>('charlens/probeBackends');
export const ForgetDocument = new NotificationType<{ documentId: string }>('charlens/forgetDocument');

export type TrainingProgressParams = TrainProgress;
export const TrainingProgress = new NotificationType<TrainingProgressParams>('charlens/trainingProgress');
export const TrainingFinished = new NotificationType<TrainFinished>('charlens/trainingFinished');
export const ExploreProgress = new NotificationType<ExploreProgressParams>('charlens/exploreProgress');
/** How far "Does this cell matter?" has read its sample: characters per run, of all. */
export const ClampProgress = new NotificationType<ExploreProgressParams>('charlens/clampProgress');

/** An error nothing in the engine caught; the engine logged its stack and goes on. */
export interface EngineFaultParams {
  kind: 'uncaughtException' | 'unhandledRejection';
  message: string;
  stack?: string;
}
export const EngineFault = new NotificationType<EngineFaultParams>('charlens/engineFault');
