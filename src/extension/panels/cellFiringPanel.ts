import * as path from 'path';
import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { describeFeature } from '../../core/explorer/neuronRanking';
import { CharLens } from '../context';
import { corpusOf } from '../commands/pickNeuron';
import { ChosenNeuron, NeuronSelection } from '../lens/neuronSelection';
import { postToPage, showPage, createPanel } from './webviewHtml';

type PageMessage = { type: 'ready' } | { type: 'open'; file: string; line: number; column: number } | { type: 'drawn'; snippets: number };

/**
 * Show Where Cell Fires: the chosen cell's strongest places both ways and a
 * place at each quantile of its activation, in the explorer's sample of the
 * corpus the model learnt from (OpenAI's neuron viewer, on the user's own
 * model), each a window coloured by the cell with its file and line; a click
 * opens the file there. It follows the cell the overlays and the neuron view
 * show.
 */
export class CellFiringPanel implements vscode.Disposable {
  private static current?: CellFiringPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** The last result posted to the page (for tests). */
  lastShown?: { neuron: ChosenNeuron; result: rpc.CellFiringResult };
  /** Snippets the page says it has drawn (for tests). */
  drawnSnippets = 0;

  static async show(charlens: CharLens, neuron: NeuronSelection): Promise<CellFiringPanel> {
    if (!CellFiringPanel.current) {
      const panel = createPanel('charlens.cellFiring', 'CharLens: Where Cell Fires', charlens.extension.extensionUri);
      CellFiringPanel.current = new CellFiringPanel(panel, charlens, neuron);
    }
    CellFiringPanel.current.panel.reveal(undefined, true);
    await CellFiringPanel.current.refresh();
    return CellFiringPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly charlens: CharLens,
    private readonly neuron: NeuronSelection,
  ) {
    showPage(
      panel,
      charlens.extension.extensionUri,
      'cellFiring',
      `<header><h1 id="title">Where the cell fires</h1></header>
<p id="summary"></p>
<p class="hint">Each snippet is coloured by the cell's tanh(c) after each character (blue negative, red positive); the outlined character is the place. Click a snippet to open its file there.</p>
<div id="sections"></div>`,
    );
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: PageMessage) => void this.onMessage(m)),
      neuron.onDidChange(() => void this.refresh()),
    );
  }

  private async onMessage(m: PageMessage): Promise<void> {
    if (m.type === 'ready' && this.lastShown) await this.post(this.lastShown.result);
    else if (m.type === 'drawn') this.drawnSnippets = m.snippets;
    else if (m.type === 'open') await this.open(m.file, m.line, m.column);
  }

  /** What a click on a snippet does: opens its file with the cursor at the place. */
  async open(file: string, line: number, column: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const at = new vscode.Position(line, column);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(at, at) });
  }

  /** Asks the engine for the cell's snippets, with the explorer's progress in a notification the first time per model. */
  async refresh(): Promise<void> {
    const status = await this.charlens.engine.request0(rpc.Status);
    const corpus = status.model && corpusOf(this.charlens, status.model);
    if (!corpus) {
      await postToPage(this.panel, { type: 'error', message: status.model ? 'Open a folder: the places are looked for in the corpus the model learnt from.' : 'No model is loaded yet: train one or load one first.' });
      return;
    }
    const neuron = await this.neuron.resolve();
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CharLens: where ${this.neuron.describe(neuron)} fires` }, (progress) => {
        let done = 0;
        const sub = this.charlens.engine.onExploreProgress((p) => {
          const now = (100 * p.chars) / p.of;
          progress.report({ increment: now - done, message: `reading ${p.of.toLocaleString('en-US')} characters of the corpus` });
          done = now;
        });
        return this.charlens.engine.request(rpc.CellFiring, { ...corpus, neuron }).finally(() => sub.dispose());
      });
      this.lastShown = { neuron, result };
      this.charlens.output.appendLine(`[explorer] where ${this.neuron.describe(neuron)} fires: ${result.snippets.length} snippets in ${result.ms.toFixed(0)} ms${result.fromCache ? ' (the pass from the model cache)' : ''}`);
      await this.post(result);
    } catch (err) {
      await postToPage(this.panel, { type: 'error', message: (err as Error).message });
    }
  }

  private post(result: rpc.CellFiringResult): Thenable<boolean> {
    const neuron = this.lastShown!.neuron;
    const label = result.label ? `: ${describeFeature(result.label)}` : ': no feature labelled';
    return postToPage(this.panel, {
      type: 'show',
      title: `Layer ${neuron.layer + 1} cell ${neuron.index}${label}`,
      summary: `${result.activation}, mean ${result.mean.toFixed(2)}, in the explorer's sample of ${result.chars.toLocaleString('en-US')} characters of ${result.folder}`,
      snippets: result.snippets.map((s) => ({ ...s, file: path.join(result.folder, s.path) })),
    });
  }

  dispose(): void {
    if (CellFiringPanel.current === this) CellFiringPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
