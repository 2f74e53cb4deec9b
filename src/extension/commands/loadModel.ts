import * as path from 'path';
import * as vscode from 'vscode';
import { LoadModel, ModelInfo } from '../../engine/protocol';
import { CharLens, remember } from '../context';
import { trustedFor } from '../trust';

export async function loadModel(charlens: CharLens, dir?: string): Promise<ModelInfo | undefined> {
  if (!trustedFor('Load Model', charlens.notify)) return undefined;
  if (!dir) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Load CharLens model', title: 'Folder with model.json' });
    if (!picked?.[0]) return undefined;
    dir = picked[0].fsPath;
  }
  try {
    const model = await charlens.engine.request(LoadModel, { dir, source: 'file' });
    charlens.statusBar.setModel(model);
    // Every window of the workspace, and this one after a reload, starts with it (until the workspace's model is saved again).
    remember(charlens, { loaded: { dir, at: Date.now() } });
    charlens.notify.info(`loaded the ${model.layers}x${model.hiddenSize} model from ${path.basename(dir)}.`);
    return model;
  } catch (err) {
    charlens.notify.error(`cannot load ${dir}: ${(err as Error).message}`);
    return undefined;
  }
}
