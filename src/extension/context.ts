import * as path from 'path';
import * as vscode from 'vscode';
import type { EngineFolders, InitializeParams } from '../engine/protocol';
import { EngineClient } from './engineClient';
import { currentModelDir, HomeState, modelSavedAt, nameModelHome, readHomeState, resolveModelHome, updateHomeState, WorkspaceIdentity } from './modelHome';
import { Notifier } from './notifier';
import { StatusBar } from './statusBar';
import { TrainingHistory } from './trainingHistory';

/** What every command needs, built once in activate(). */
export interface CharLens {
  extension: vscode.ExtensionContext;
  engine: EngineClient;
  statusBar: StatusBar;
  output: vscode.OutputChannel;
  notify: Notifier;
  history: TrainingHistory;
}

/** Where models trained before the model home existed remember their training (this window's storage only). */
const LEGACY_LAST_TRAINING_KEY = 'charlens.lastTraining';

/** The workspace as VS Code names it: the saved workspace file, else its folders. */
export function workspaceIdentity(): WorkspaceIdentity {
  const file = vscode.workspace.workspaceFile;
  return {
    workspaceFile: file && file.scheme !== 'untitled' ? file.toString() : undefined,
    folders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString()),
  };
}

/** The workspace's model home (see modelHome.ts), the same folder from every window of the workspace. */
export function workspaceModelHome(charlens: Pick<CharLens, 'extension' | 'output'>): string {
  const ext = charlens.extension;
  return resolveModelHome(ext.globalStorageUri.fsPath, ext.storageUri?.fsPath, workspaceIdentity(), (line) => charlens.output.appendLine(`[models] ${line}`));
}

/**
 * `message` for a notification: paths in the workspace's model home name the
 * workspace instead (see nameModelHome); the caller logs it whole. Where the
 * home cannot be found (which its caller reports) the message is shown whole.
 */
export function nameWorkspaceModel(charlens: Pick<CharLens, 'extension' | 'output'>, message: string): string {
  let home: string;
  try {
    home = workspaceModelHome(charlens);
  } catch {
    return message;
  }
  return nameModelHome(message, home, vscode.workspace.name ?? 'this workspace');
}

/** Writes `change` into the home's state; a failure (a full disk) is logged, never the end of what the user asked for. */
export function remember(charlens: Pick<CharLens, 'extension' | 'output'>, change: Partial<HomeState>): void {
  try {
    updateHomeState(workspaceModelHome(charlens), change);
  } catch (err) {
    charlens.output.appendLine(`[models] could not remember ${Object.keys(change).join(', ')} for this workspace: ${(err as Error).message}`);
  }
}

/** The last training's globs and options, for Resume Training and the explorer's corpus. */
export function lastTraining(charlens: Pick<CharLens, 'extension'>, home: string): HomeState['lastTraining'] {
  return readHomeState(home).lastTraining ?? charlens.extension.workspaceState.get<HomeState['lastTraining']>(LEGACY_LAST_TRAINING_KEY);
}

/**
 * The models an engine start tries, in order: of the workspace's trained
 * model and the one last picked with Load Model, whichever was chosen last
 * (saved by training, or picked), then the other, then the shipped model.
 */
export function modelCandidates(charlens: Pick<CharLens, 'extension' | 'output'>): InitializeParams['models'] {
  const shipped = { dir: defaultModelDir(charlens.extension), source: 'default' as const };
  let home: string;
  try {
    home = workspaceModelHome(charlens);
  } catch (err) {
    charlens.output.appendLine(`[models] the workspace's model folder cannot be used (${(err as Error).message}); the shipped model answers`);
    return [shipped];
  }
  const trained = currentModelDir(home);
  // A picked folder may hold anything: like Load Model itself, it waits for a trusted workspace.
  const loaded = vscode.workspace.isTrusted ? readHomeState(home).loaded : undefined;
  const workspace = trained ? [{ dir: trained, source: 'workspace' as const }] : [];
  const picked = loaded ? [{ dir: loaded.dir, source: 'file' as const }] : [];
  const pickedLast = loaded !== undefined && loaded.at > (trained ? modelSavedAt(trained) ?? 0 : 0);
  return [...(pickedLast ? [...picked, ...workspace] : [...workspace, ...picked]), shipped];
}

/** The training history kept with the workspace's model (see trainingHistory.ts): what the dashboard shows until the next run. */
export function workspaceTrainingHistory(charlens: Pick<CharLens, 'extension' | 'output'>): TrainingHistory {
  const history = new TrainingHistory((line) => charlens.output.appendLine(line));
  try {
    const dir = currentModelDir(workspaceModelHome(charlens));
    if (dir) history.load(dir);
  } catch (err) {
    charlens.output.appendLine(`[models] the workspace's model folder cannot be used (${(err as Error).message}); the dashboard starts empty`);
  }
  return history;
}

/** The model shipped with the extension, used until the workspace has its own. */
export function defaultModelDir(ext: vscode.ExtensionContext): string {
  return path.join(ext.extensionPath, 'models', 'default');
}

/**
 * The folders the engine may use, handed over when it starts: it writes only
 * in this extension's storage, reads code only from the workspace folders
 * and the shipped model's corpus, and loads models from storage, the shipped
 * ones, or a folder the user picks with Load Model.
 */
export function engineFolders(ext: vscode.ExtensionContext): EngineFolders {
  const shipped = path.join(ext.extensionPath, 'models');
  return {
    storage: [ext.storageUri?.fsPath, ext.globalStorageUri.fsPath].filter((f): f is string => f !== undefined),
    corpora: [...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), shipped],
    models: [shipped],
    caches: path.join(ext.globalStorageUri.fsPath, 'explorer'),
  };
}
