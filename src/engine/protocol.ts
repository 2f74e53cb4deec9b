/**
 * The JSON-RPC contract between the extension (client) and the engine
 * process (server). Both sides import these types and nothing else from each
 * other, as vscode-eslint's client and server share one protocol module.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { BackendRequest } from '../core/backendNames';
import type { CorpusReport } from '../core/corpus';
import type { Neuron } from '../core/documentTrace';
import type { Guess } from '../core/modelLens';
import type { CellBest, FeatureRanking } from '../core/explorer/neuronRanking';
import type { TrainOptions } from '../core/train/options';
import type { StopReason, TrainProgress } from '../core/train/loop';

export interface ModelInfo {
  dir: string;
  /** 'workspace' for a model trained here, 'default' for the one shipped with the extension. */
  source: 'workspace' | 'default' | 'file';
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  valLoss?: number;
  step?: number;
  /** Which predictor answers completions: "LSTM", "n-gram" or their mixture. */
  answering: string;
}

export interface InitializeParams {
  backend: BackendRequest;
  /** Models tried in order; the first that loads answers queries. */
  models: Array<{ dir: string; source: ModelInfo['source'] }>;
}

export interface InitializeResult {
  backend: string;
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
  options: Partial<TrainOptions> & { out: string };
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
  temperature: number;
  multiline: boolean;
}

export interface CompleteResult {
  text: string;
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

export interface DetailResult {
  chars: Array<{ offset: number; char: string; probability: number; activation: number; guesses: Guess[] }>;
  model: ModelInfo['source'];
}

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

export interface SampleParams {
  temperature: number;
  length: number;
  prime: string;
  seed: number;
}

export interface EngineStatus {
  backend: string;
  model?: ModelInfo;
  training: boolean;
}

/** Error codes of failed requests, for the client to tell cases apart without reading messages. */
export const ErrorCodes = { userError: 1, neuronOutOfRange: 2 } as const;

export const Initialize = new RequestType<InitializeParams, InitializeResult, void>('charlens/initialize');
export const LoadModel = new RequestType<{ dir: string; source: ModelInfo['source'] }, ModelInfo, void>('charlens/loadModel');
export const StartTraining = new RequestType<TrainParams, TrainStarted, void>('charlens/startTraining');
export const StopTraining = new RequestType0<boolean, void>('charlens/stopTraining');
export const Complete = new RequestType<CompleteParams, CompleteResult, void>('charlens/complete');
export const Trace = new RequestType<TraceParams, TraceResult, void>('charlens/trace');
export const Inspect = new RequestType<InspectParams, InspectResult, void>('charlens/inspect');
export const Predict = new RequestType<PredictParams, { guesses: Guess[]; model: ModelInfo['source']; answering: string }, void>('charlens/predict');
export const Detail = new RequestType<DetailParams, DetailResult, void>('charlens/detail');
export const ExploreNeurons = new RequestType<ExploreParams, ExploreResult, void>('charlens/exploreNeurons');
export const Sample = new RequestType<SampleParams, { text: string }, void>('charlens/sample');
export const SetBackend = new RequestType<{ backend: BackendRequest }, { backend: string; notes: string[] }, void>('charlens/setBackend');
export const Status = new RequestType0<EngineStatus, void>('charlens/status');
export const ForgetDocument = new NotificationType<{ documentId: string }>('charlens/forgetDocument');

export type TrainingProgressParams = TrainProgress;
export const TrainingProgress = new NotificationType<TrainingProgressParams>('charlens/trainingProgress');
export const TrainingFinished = new NotificationType<TrainFinished>('charlens/trainingFinished');
