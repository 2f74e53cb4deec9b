import * as path from 'path';
import * as vscode from 'vscode';
import type { EngineFolders } from '../engine/protocol';
import { EngineClient } from './engineClient';
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

/** The workspace's own model lives in the extension's per-workspace storage. */
export function workspaceModelDir(ext: vscode.ExtensionContext): string {
  return path.join((ext.storageUri ?? ext.globalStorageUri).fsPath, 'model');
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
