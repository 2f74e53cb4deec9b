import * as path from 'path';
import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { describeFeature } from '../../core/explorer/neuronRanking';
import { CharLens, defaultModelDir, lastTraining, workspaceModelHome } from '../context';
import { ChosenNeuron, NeuronSelection } from '../lens/neuronSelection';
import { readSettings } from '../settings';

/** The corpus a model came from: the shipped corpus for the default model, else the workspace with its training globs. */
export function corpusOf(charlens: CharLens, model: rpc.ModelInfo): rpc.ExploreParams | undefined {
  const shipped = defaultModelDir(charlens.extension);
  if (model.source === 'default' || path.resolve(model.dir) === path.resolve(shipped)) return { folder: path.join(path.dirname(shipped), 'corpus') };
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  const settings = readSettings();
  const last = lastTraining(charlens, workspaceModelHome(charlens));
  return { folder: folder.uri.fsPath, include: last?.include ?? (settings.include.length ? settings.include : undefined), exclude: settings.exclude };
}

/**
 * The cells the neuron explorer labelled for the loaded model, strongest
 * first; computed once per model and sample, then read from the model's
 * cache. Empty (with a message) when there is nothing to explore.
 */
export async function labelledCells(charlens: CharLens, withProgress = true): Promise<ChosenNeuron[]> {
  const status = await charlens.engine.request0(rpc.Status);
  if (!status.model) return [];
  const params = corpusOf(charlens, status.model);
  if (!params) return [];
  const run = () => charlens.engine.request(rpc.ExploreNeurons, params);
  let result: rpc.ExploreResult;
  try {
    result = withProgress
      ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'CharLens: exploring neurons…' }, run)
      : await run();
  } catch (err) {
    charlens.notify.warn(`the neuron explorer could not run: ${(err as Error).message}`);
    return [];
  }
  // Once per exploration run, not for each answer from the cache (asked at every overlay and view).
  if (!result.fromCache) charlens.output.appendLine(`[explorer] ${result.chars} characters explored in ${(result.ms / 1000).toFixed(1)} s`);
  return result.cells.map((c) => ({ layer: c.layer, index: c.cell, kind: 'c', label: describeFeature(c) }));
}

/** Lists the labelled cells first, then every cell of the model. */
export async function pickNeuron(charlens: CharLens, selection: NeuronSelection, chosen?: ChosenNeuron): Promise<ChosenNeuron | undefined> {
  if (chosen) {
    await selection.set(chosen);
    return chosen;
  }
  const status = await charlens.engine.request0(rpc.Status);
  if (!status.model) {
    charlens.notify.info('no model is loaded yet: train one or load one first.');
    return undefined;
  }
  type Item = vscode.QuickPickItem & { neuron?: ChosenNeuron };
  const labelled = await labelledCells(charlens);
  const items: Item[] = [];
  if (labelled.length) items.push({ label: 'Cells the explorer labelled', kind: vscode.QuickPickItemKind.Separator });
  for (const n of labelled) items.push({ label: `Layer ${n.layer + 1} cell ${n.index}`, description: n.label, neuron: n });
  items.push({ label: 'All cells', kind: vscode.QuickPickItemKind.Separator });
  for (let layer = 0; layer < status.model.layers; layer++) {
    for (let index = 0; index < status.model.hiddenSize; index++) items.push({ label: `Layer ${layer + 1} cell ${index}`, neuron: { layer, index, kind: 'c' } });
  }
  const current = selection.current;
  const pick = await vscode.window.showQuickPick(items, {
    title: 'CharLens: Pick Neuron',
    placeHolder: `Now: layer ${current.layer + 1} cell ${current.index}. The overlays, hover and neuron view show the cell's ${status.model.activation}.`,
    matchOnDescription: true,
  });
  if (!pick?.neuron) return undefined;
  await selection.set(pick.neuron);
  return pick.neuron;
}
