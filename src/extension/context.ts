import * as path from 'path';
import * as vscode from 'vscode';
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
