import * as path from 'path';
import * as vscode from 'vscode';
import { BACKENDS, BackendRequest } from '../../core/backendNames';
import { LoadModel, Sample, SetBackend, Status, StopTraining } from '../../engine/protocol';
import { CharLens } from '../context';

export async function stopTraining(charlens: CharLens): Promise<void> {
  const wasRunning = await charlens.engine.request0(StopTraining);
  if (!wasRunning) void vscode.window.showInformationMessage('CharLens is not training.');
}

export async function loadModel(charlens: CharLens, dir?: string): Promise<void> {
  if (!dir) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Load CharLens model', title: 'Folder with model.json' });
    if (!picked?.[0]) return;
    dir = picked[0].fsPath;
  }
  try {
    const model = await charlens.engine.request(LoadModel, { dir, source: 'file' });
    charlens.statusBar.setEngine((await charlens.engine.request0(Status)).backend, model);
    void vscode.window.showInformationMessage(`CharLens: loaded ${model.layers}x${model.hiddenSize} model from ${path.basename(dir)}.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`CharLens: cannot load ${dir}: ${(err as Error).message}`);
  }
}

export interface SampleArgs {
  temperature?: number;
  length?: number;
  prime?: string;
}

export async function sampleToEditor(charlens: CharLens, args: SampleArgs = {}): Promise<vscode.TextDocument | undefined> {
  let temperature = args.temperature;
  if (temperature === undefined) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: '0.5', description: 'conservative' },
        { label: '0.8', description: 'balanced' },
        { label: '1.0', description: 'as trained' },
        { label: '1.2', description: 'adventurous' },
      ],
      { title: 'CharLens: sampling temperature' },
    );
    if (!picked) return undefined;
    temperature = Number(picked.label);
  }
  try {
    const { text } = await charlens.engine.request(Sample, { temperature, length: args.length ?? 2000, prime: args.prime ?? '', seed: Date.now() % 1_000_000 });
    const language = vscode.window.activeTextEditor?.document.languageId ?? 'c';
    const doc = await vscode.workspace.openTextDocument({ content: (args.prime ?? '') + text, language });
    await vscode.window.showTextDocument(doc);
    return doc;
  } catch (err) {
    void vscode.window.showErrorMessage(`CharLens: ${(err as Error).message}`);
    return undefined;
  }
}

export async function selectBackend(charlens: CharLens, backend?: BackendRequest): Promise<void> {
  if (!backend) {
    const picked = await vscode.window.showQuickPick(['auto', ...BACKENDS], { title: 'CharLens: compute backend' });
    if (!picked) return;
    backend = picked as BackendRequest;
  }
  try {
    const result = await charlens.engine.request(SetBackend, { backend });
    await vscode.workspace.getConfiguration('charlens').update('backend', backend, vscode.ConfigurationTarget.Global);
    charlens.output.appendLine(`[engine] backend ${result.backend}${result.notes.length ? ` (passed over ${result.notes.join('; ')})` : ''}`);
    void vscode.window.showInformationMessage(`CharLens: using the ${result.backend} backend.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`CharLens: backend ${backend} is not available: ${(err as Error).message}`);
  }
}
