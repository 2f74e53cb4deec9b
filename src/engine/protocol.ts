/**
 * The JSON-RPC contract between the extension (client) and the engine
 * process (server). Both sides import these types and nothing else from each
 * other, as vscode-eslint's client and server share one protocol module.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { BackendRequest } from '../core/backendNames';
import type { CorpusReport } from '../core/corpus';
import type { TrainOptions } from '../core/trainOptions';
import type { StopReason, TrainProgress } from '../core/training';

export interface ModelInfo {
  dir: string;
  /** 'workspace' for a model trained here, 'default' for the one shipped with the extension. */
  source: 'workspace' | 'default' | 'file';
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  valLoss?: number;
  step?: number;
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

export const Initialize = new RequestType<InitializeParams, InitializeResult, void>('charlens/initialize');
export const LoadModel = new RequestType<{ dir: string; source: ModelInfo['source'] }, ModelInfo, void>('charlens/loadModel');
export const StartTraining = new RequestType<TrainParams, TrainStarted, void>('charlens/startTraining');
export const StopTraining = new RequestType0<boolean, void>('charlens/stopTraining');
export const Complete = new RequestType<CompleteParams, CompleteResult, void>('charlens/complete');
export const Sample = new RequestType<SampleParams, { text: string }, void>('charlens/sample');
export const SetBackend = new RequestType<{ backend: BackendRequest }, { backend: string; notes: string[] }, void>('charlens/setBackend');
export const Status = new RequestType0<EngineStatus, void>('charlens/status');
export const ForgetDocument = new NotificationType<{ documentId: string }>('charlens/forgetDocument');

export type TrainingProgressParams = TrainProgress;
export const TrainingProgress = new NotificationType<TrainingProgressParams>('charlens/trainingProgress');
export const TrainingFinished = new NotificationType<TrainFinished>('charlens/trainingFinished');
