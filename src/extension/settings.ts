import * as vscode from 'vscode';
import type { BackendRequest } from '../core/backendNames';
import type { TrainOptions } from '../core/train/options';
import type { CellType } from '../core/model/modelConfig';
import { DEFAULT_BEAM_WIDTH, DEFAULT_CANDIDATES, DEFAULT_PRECISION } from '../core/predict/suggestion';

/** Every CharLens setting is read here and nowhere else. */
export interface Settings {
  backend: BackendRequest;
  /** Threads of the wasm CPU trainer (undefined: the engine's default). */
  threads?: number;
  training: Partial<TrainOptions>;
  include: string[];
  exclude: string[];
  /** Open the training dashboard when training starts. */
  showDashboard: boolean;
  completion: { enabled: boolean; debounceMs: number; maxChars: number; temperature: number; multiline: boolean; dynamicEvaluation: boolean; precision: number; beamWidth: number; candidates: number };
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('charlens');
  const hidden = c.get<number>('model.hiddenSize', 0) || undefined;
  return {
    backend: c.get<BackendRequest>('backend', 'auto'),
    threads: c.get<number>('training.threads', 0) || undefined,
    training: {
      // 0 (the default) leaves the size to the engine, which scales it to the corpus.
      cell: c.get<CellType>('model.cell', 'lstm'),
      layers: c.get<number>('model.layers', 0) || undefined,
      hidden,
      embedding: c.get<number>('model.embeddingSize', 64),
      dropout: hidden ? c.get<number>('model.dropout', 0) : undefined,
      seqLength: c.get<number>('training.seqLength', 64),
      batchSize: c.get<number>('training.batchSize', 32),
      lr: c.get<number>('training.learningRate', 0.004),
      epochs: c.get<number>('training.epochs', 20),
      maxSteps: c.get<number>('training.maxSteps', 0),
      minutes: c.get<number>('training.minutes', 15),
      valFrac: c.get<number>('training.validationFraction', 0.05),
      evalEvery: c.get<number>('training.evalEvery', 0),
    },
    include: c.get<string[]>('training.include', []),
    exclude: c.get<string[]>('training.exclude', []),
    showDashboard: c.get<boolean>('training.showDashboard', true),
    completion: {
      enabled: c.get<boolean>('completion.enabled', true),
      debounceMs: c.get<number>('completion.debounceMs', 150),
      maxChars: c.get<number>('completion.maxChars', 40),
      temperature: c.get<number>('completion.temperature', 0),
      multiline: c.get<boolean>('completion.multiline', false),
      dynamicEvaluation: c.get<boolean>('completion.dynamicEvaluation', true),
      precision: c.get<number>('completion.precision', DEFAULT_PRECISION),
      beamWidth: c.get<number>('completion.beamWidth', DEFAULT_BEAM_WIDTH),
      candidates: c.get<number>('completion.candidates', DEFAULT_CANDIDATES),
    },
  };
}
