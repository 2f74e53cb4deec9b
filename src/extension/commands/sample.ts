import * as vscode from 'vscode';
import { Sample } from '../../engine/protocol';
import { CharLens } from '../context';

export interface SampleArgs {
  temperature?: number;
  length?: number;
  prime?: string;
}

const TEMPERATURES = [
  { label: '0.5', description: 'conservative' },
  { label: '0.8', description: 'balanced' },
  { label: '1.0', description: 'as trained' },
  { label: '1.2', description: 'adventurous' },
];

/** Opens an untitled editor with text sampled from the model at a chosen temperature. */
export async function sampleToEditor(charlens: CharLens, args: SampleArgs = {}): Promise<vscode.TextDocument | undefined> {
  let temperature = args.temperature;
  if (temperature === undefined) {
    const picked = await vscode.window.showQuickPick(TEMPERATURES, { title: 'CharLens: sampling temperature' });
    if (!picked) return undefined;
    temperature = Number(picked.label);
  }
  try {
    const prime = args.prime ?? '';
    const { text } = await charlens.engine.request(Sample, { temperature, length: args.length ?? 2000, prime, seed: Date.now() % 1_000_000 });
    const language = vscode.window.activeTextEditor?.document.languageId ?? 'c';
    const doc = await vscode.workspace.openTextDocument({ content: prime + text, language });
    await vscode.window.showTextDocument(doc);
    return doc;
  } catch (err) {
    charlens.notify.error((err as Error).message);
    return undefined;
  }
}
