import * as path from 'path';
import * as vscode from 'vscode';
import { bitsPerChar } from '../../core/predict/lossUnits';
import { modelName } from '../../core/model/modelConfig';
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
    charlens.output.appendLine(`[model] loaded ${dir}`);
    // Every window of the workspace, and this one after a reload, starts with it (until the workspace's model is saved again).
    remember(charlens, { loaded: { dir, at: Date.now() } });
    charlens.notify.info(`loaded ${describeLoaded(model, dir)}.`);
    return model;
  } catch (err) {
    charlens.notify.error(`cannot load ${dir}: ${(err as Error).message}`);
    return undefined;
  }
}

/** "the 2x128 LSTM of runs/kernel (step 4,537, validation 1.87 bits/char)": the folder by its last two names, the full path in the log. */
export function describeLoaded(model: ModelInfo, dir: string): string {
  const figures = [model.step !== undefined ? `step ${model.step.toLocaleString('en-US')}` : '', model.valLoss !== undefined ? `validation ${bitsPerChar(model.valLoss).toFixed(2)} bits/char` : ''].filter(Boolean);
  const folder = path.join(path.basename(path.dirname(dir)), path.basename(dir));
  return `the ${modelName(model)} of ${folder}${figures.length ? ` (${figures.join(', ')})` : ''}`;
}
