import assert from 'node:assert/strict';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CharLensApi } from '../../../src/extension/extension';

export async function api(): Promise<CharLensApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON.name === 'charlens');
  assert.ok(ext, 'the CharLens extension is installed in the host');
  return (await ext.activate()) as CharLensApi;
}

export async function openFixture(name: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders![0];
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, name));
  return vscode.window.showTextDocument(doc);
}

/** Polls until `condition` holds: the editor's events arrive in no fixed order, so tests wait on what they check. */
export async function until(condition: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The shipped model loaded, with `neuron` picked for the overlays and views, as the suites on what cells do start. */
export async function useShippedModel(neuron: { layer: number; index: number; kind: 'c' | 'h' }): Promise<void> {
  const charlens = await api();
  await charlens.charlens.engine.whenReady();
  const shipped = path.join(charlens.charlens.extension.extensionPath, 'models', 'default');
  assert.ok(await vscode.commands.executeCommand('charlens.loadModel', shipped));
  await vscode.commands.executeCommand('charlens.pickNeuron', neuron);
}
