import * as path from 'path';
import * as vscode from 'vscode';
import * as protocol from '../engine/protocol';
import { ForgetDocument, Initialize, SetDynamicEvaluation } from '../engine/protocol';
import { findCellsForSelection } from './commands/findCellsForSelection';
import { loadModel } from './commands/loadModel';
import { corpusOf, labelledCells, pickNeuron } from './commands/pickNeuron';
import { preselectCell } from './lens/preselectCell';
import { sampleToEditor } from './commands/sample';
import { selectBackend } from './commands/selectBackend';
import { showSurprisingLines } from './commands/showSurprisingLines';
import { stopTraining } from './commands/stopTraining';
import { trainOnWorkspace } from './commands/trainOnWorkspace';
import { ACCEPTED_COMMAND, CompletionProvider } from './completionProvider';
import { CharLens, engineFolders, modelCandidates, nameWorkspaceModel, workspaceTrainingHistory } from './context';
import { EngineClient } from './engineClient';
import { LensHoverProvider } from './lens/hoverProvider';
import { NeuronSelection } from './lens/neuronSelection';
import { NextCharReadout } from './lens/nextCharReadout';
import { Overlays } from './lens/overlays';
import { SurpriseOverlay } from './lens/surpriseOverlay';
import { WHY_COMMAND, WhyOverlay, WhyTarget } from './lens/whyOverlay';
import { Notifier } from './notifier';
import { CellFiringPanel } from './panels/cellFiringPanel';
import { CellHistoryPanel } from './panels/cellHistoryPanel';
import { DashboardPanel } from './panels/dashboardPanel';
import { ModelReportPanel } from './panels/modelReportPanel';
import { NeuronPanel } from './panels/neuronPanel';
import { readSettings } from './settings';
import { StatusBar } from './statusBar';

/** Languages the extension offers completions in (those the corpus reader knows). */
export const LANGUAGES = ['c', 'cpp', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust', 'java', 'kotlin', 'csharp', 'ruby', 'php', 'swift', 'shellscript', 'lua', 'scala', 'haskell', 'ocaml', 'zig'];

/** What activate() returns: used by the integration tests, and by other extensions if they wish. */
export interface CharLensApi {
  charlens: CharLens;
  completions: CompletionProvider;
  lens: { overlays: Overlays; readout: NextCharReadout; hover: LensHoverProvider; neuron: NeuronSelection; surprise: SurpriseOverlay; why: WhyOverlay };
  /** The engine protocol's message types as this bundle made them (requests need this copy's types). */
  protocol: typeof protocol;
}

export async function activate(extension: vscode.ExtensionContext): Promise<CharLensApi> {
  const output = vscode.window.createOutputChannel('CharLens');
  const statusBar = new StatusBar();
  const notify = new Notifier(output);
  const engine = new EngineClient(path.join(extension.extensionPath, 'dist', 'engine.js'), output, notify, async (client) => {
    const settings = readSettings();
    const init = await client.request(Initialize, {
      backend: settings.backend,
      dynamicEvaluation: settings.completion.dynamicEvaluation,
      folders: engineFolders(extension),
      // Also in Restricted Mode: the workspace model lives in CharLens's own storage, not in the workspace's files.
      // Found anew at each start, from `charlens`: the integration tests start it as another window would.
      models: modelCandidates(charlens),
    });
    output.appendLine(`[engine] backend ${init.description}${init.backendNotes.length ? ` (passed over ${init.backendNotes.join('; ')})` : ''}`);
    for (const problem of init.modelProblems) {
      output.appendLine(`[engine] ${problem}`);
      notify.warn(`a saved model could not be loaded: ${nameWorkspaceModel(charlens, problem)}`);
    }
    output.appendLine(init.model ? `[engine] answering with the ${init.model.source} model (${init.model.dir})` : '[engine] no model yet');
    statusBar.setEngine(init.description, init.model);
  });
  const history = workspaceTrainingHistory({ extension, output });
  const charlens: CharLens = { extension, engine, statusBar, output, notify, history };
  const completions = new CompletionProvider(engine);
  const neuron = new NeuronSelection(extension.workspaceState, async () => preselectCell(engine, vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0], await labelledCells(charlens, false)), () => statusBar.activation);
  const overlays = new Overlays(engine, neuron, notify);
  const surprise = new SurpriseOverlay(engine, neuron, notify);
  const readout = new NextCharReadout(engine);
  const why = new WhyOverlay(engine, notify);
  const hover = new LensHoverProvider(engine, neuron);
  const selectors = LANGUAGES.map((language) => ({ language }));

  extension.subscriptions.push(
    output,
    statusBar,
    engine,
    history,
    neuron,
    overlays,
    surprise,
    readout,
    why,
    vscode.languages.registerInlineCompletionItemProvider(selectors, completions),
    vscode.languages.registerHoverProvider(selectors, hover),
    engine.onTrainingProgress((p) => history.add(p)),
    // Another model answers from now on: redraw what it shows, starting from its own best cell.
    engine.onTrainingFinished(() => {
      neuron.modelChanged();
      void overlays.refresh();
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => engine.notify(ForgetDocument, { documentId: doc.uri.toString() })),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('charlens.completion.dynamicEvaluation')) return;
      const enabled = readSettings().completion.dynamicEvaluation;
      try {
        const { model } = await engine.request(SetDynamicEvaluation, { enabled });
        output.appendLine(`[engine] dynamic evaluation ${enabled ? 'on' : 'off'}${model ? `: completions from ${model.answering}` : ''}`);
        if (model) statusBar.setModel(model);
      } catch (err) {
        // An engine that is not running takes the setting with its Initialize when it starts.
        output.appendLine(`[engine] dynamic evaluation ${enabled ? 'on' : 'off'} from the next start: ${(err as Error).message}`);
      }
    }),
    vscode.commands.registerCommand(ACCEPTED_COMMAND, () => vscode.window.activeTextEditor && completions.prefetch(vscode.window.activeTextEditor)),
    vscode.commands.registerCommand('charlens.trainOnWorkspace', (args?) => trainOnWorkspace(charlens, args)),
    vscode.commands.registerCommand('charlens.resumeTraining', (args?) => trainOnWorkspace(charlens, args, true)),
    vscode.commands.registerCommand('charlens.stopTraining', () => stopTraining(charlens)),
    vscode.commands.registerCommand('charlens.loadModel', async (dir?: string) => {
      const model = await loadModel(charlens, dir);
      neuron.modelChanged();
      await overlays.refresh();
      return model;
    }),
    vscode.commands.registerCommand('charlens.sample', (args?) => sampleToEditor(charlens, args)),
    vscode.commands.registerCommand('charlens.selectBackend', (backend?) => selectBackend(charlens, backend)),
    vscode.commands.registerCommand('charlens.showOutput', () => output.show()),
    vscode.commands.registerCommand('charlens.togglePredictionOverlay', (show?: boolean) => overlays.toggle('prediction', show)),
    vscode.commands.registerCommand('charlens.toggleNeuronOverlay', (show?: boolean) => overlays.toggle('neuron', show)),
    vscode.commands.registerCommand('charlens.toggleSurpriseOverlay', (show?: boolean) => surprise.toggle(show)),
    vscode.commands.registerCommand('charlens.showSurprisingLines', (choose?: number) => showSurprisingLines(charlens, neuron, choose)),
    vscode.commands.registerCommand('charlens.toggleNextCharReadout', (show?: boolean) => readout.toggle(show)),
    vscode.commands.registerCommand('charlens.pickNeuron', (chosen?) => pickNeuron(charlens, neuron, chosen)),
    vscode.commands.registerCommand('charlens.showNeuronView', () => NeuronPanel.show(extension.extensionUri, engine, neuron, () => labelledCells(charlens, false), (model) => corpusOf(charlens, model), why)),
    vscode.commands.registerCommand(WHY_COMMAND, (target?: WhyTarget) => why.show(target)),
    vscode.commands.registerCommand('charlens.hideWhy', () => why.hide()),
    vscode.commands.registerCommand('charlens.findCellsForSelection', (choose?) => findCellsForSelection(charlens, neuron, choose)),
    vscode.commands.registerCommand('charlens.showWhereCellFires', () => CellFiringPanel.show(charlens, neuron)),
    vscode.commands.registerCommand('charlens.showCellHistory', () => CellHistoryPanel.show(charlens, neuron)),
    vscode.commands.registerCommand('charlens.showModelReport', () => ModelReportPanel.show(charlens)),
    vscode.commands.registerCommand('charlens.showDashboard', () => DashboardPanel.show(extension.extensionUri, history)),
  );
  try {
    await engine.start();
  } catch (err) {
    notify.error(`the engine failed to start: ${(err as Error).message}`);
  }
  return { charlens, completions, lens: { overlays, readout, hover, neuron, surprise, why }, protocol };
}

export function deactivate(): void {
  // Everything is in extension.subscriptions.
}
