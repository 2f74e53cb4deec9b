import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { FEATURE_LABELS } from '../../core/explorer/codeFeatures';
import { LINE_CONTEXT, describeLearned } from '../../core/explorer/labelHistory';
import { CharLens } from '../context';
import { corpusOf } from '../commands/pickNeuron';
import { ChosenNeuron, NeuronSelection, describeNeuron } from '../lens/neuronSelection';
import { createPanel, postToPage, showPage } from './webviewHtml';

/** Characters of the cursor's line drawn per snapshot (the engine takes at most 400). */
const LINE_CHARS = 160;

/** The line a strip is drawn for: where the editor's cursor is, its text and the document up to its end. */
interface ChosenLine {
  label: string;
  params: NonNullable<rpc.CellHistoryParams['line']>;
}

/**
 * Show Cell History: how the chosen cell, and the cells the explorer
 * labelled, learned during training: each one's label score (r and top-1%
 * precision on the explorer's sample) at every snapshot of the weights'
 * history, the step it first passed the explorer's threshold, and the
 * chosen cell on the cursor's line as each snapshot read it, a strip per
 * snapshot. It follows the cell the overlays and the neuron view show.
 */
export class CellHistoryPanel implements vscode.Disposable {
  private static current?: CellHistoryPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private line?: ChosenLine;
  /** The last result posted to the page (for tests). */
  lastShown?: { neuron: ChosenNeuron; result: rpc.CellHistoryResult };
  /** What the page says it drew (for tests): score rows and strips. */
  drawn?: { rows: number; strips: number };
  /** The message the page shows instead, when there is nothing to show (for tests). */
  lastError?: string;

  static async show(charlens: CharLens, neuron: NeuronSelection): Promise<CellHistoryPanel> {
    const line = cursorLine();
    if (!CellHistoryPanel.current) {
      const panel = createPanel('charlens.cellHistory', 'CharLens: Cell History', charlens.extension.extensionUri);
      CellHistoryPanel.current = new CellHistoryPanel(panel, charlens, neuron);
    }
    const current = CellHistoryPanel.current;
    current.line = line ?? current.line;
    current.panel.reveal(undefined, true);
    await current.refresh();
    return current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly charlens: CharLens,
    private readonly neuron: NeuronSelection,
  ) {
    showPage(
      panel,
      charlens.extension.extensionUri,
      'cellHistory',
      `<header><h1 id="title">Cell history</h1></header>
<p id="summary"></p>
<p id="learned"></p>
<table id="scores"></table>
<h2 id="lineTitle"></h2>
<div id="strips"></div>`,
    );
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: { type: string; rows: number; strips: number }) => {
        if (m.type === 'ready' && this.lastShown) void this.post();
        if (m.type === 'drawn') this.drawn = { rows: m.rows, strips: m.strips };
      }),
      neuron.onDidChange(() => void this.refresh()),
    );
  }

  async refresh(): Promise<void> {
    const status = await this.charlens.engine.request0(rpc.Status);
    const corpus = status.model && corpusOf(this.charlens, status.model);
    if (!corpus) {
      await this.showError(status.model ? 'Open a folder: the scores are measured on the corpus the model learnt from.' : 'No model is loaded yet: train one or load one first.');
      return;
    }
    const neuron = await this.neuron.resolve();
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `CharLens: history of ${describeNeuron(neuron)}` }, () =>
        this.charlens.engine.request(rpc.CellHistory, { ...corpus, neuron, line: this.line?.params }),
      );
      this.lastShown = { neuron, result };
      this.lastError = undefined;
      this.charlens.output.appendLine(`[explorer] history of ${describeNeuron(neuron)}: ${result.snapshots.length} snapshots in ${result.ms.toFixed(0)} ms (${result.computed} scored now)`);
      await this.post();
    } catch (err) {
      await this.showError((err as Error).message);
    }
  }

  private showError(message: string): Thenable<boolean> {
    this.lastError = message;
    return postToPage(this.panel, { type: 'error', message });
  }

  private post(): Thenable<boolean> {
    const { neuron, result } = this.lastShown!;
    const { snapshots, cells, threshold } = result;
    const chosen = cells[0];
    const first = snapshots[0]?.step ?? 0;
    const last = snapshots.at(-1)?.step ?? 0;
    const rowLabel = (c: rpc.CellHistoryResult['cells'][number], i: number) => `${i === 0 ? 'chosen: ' : ''}layer ${c.layer + 1} cell ${c.cell} · ${FEATURE_LABELS[c.feature]}`;
    return postToPage(this.panel, {
      type: 'show',
      title: `Layer ${neuron.layer + 1} cell ${neuron.index}: ${FEATURE_LABELS[chosen.feature]}, ${chosen.learnedAt === undefined ? 'not learned in this run' : `learned at step ${chosen.learnedAt.toLocaleString('en-US')}`}`,
      summary:
        `${snapshots.length} snapshots, steps ${first.toLocaleString('en-US')} to ${last.toLocaleString('en-US')}; r and top-1% precision on the explorer's sample of ${result.chars.toLocaleString('en-US')} characters of ${result.folder}. ` +
        `A label counts as learned where |r| >= ${threshold.r} and precision >= ${threshold.precision} (outlined).`,
      learned: describeLearned(result.learned) || 'learned: no label passed the threshold during training',
      steps: snapshots.map((s) => s.step),
      rows: cells.map((c, i) => ({ label: rowLabel(c, i), points: c.points, learnedAt: c.learnedAt ?? null, threshold })),
      lineTitle: this.line ? `Layer ${neuron.layer + 1} cell ${neuron.index} on ${this.line.label}, as each snapshot read it (tanh(c), blue negative, red positive)` : 'Run Show Cell History from an editor to draw the cell on its cursor line at each snapshot.',
      strips: result.line ? result.line.activations.map((activations, i) => ({ step: snapshots[i].step, chars: result.line!.chars, activations })) : [],
    });
  }

  dispose(): void {
    if (CellHistoryPanel.current === this) CellHistoryPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

/**
 * The cursor line of the active editor, or of the first visible one when a
 * panel has the focus (its first LINE_CHARS characters, without the line
 * break), with the document before it for the state it is read in.
 */
function cursorLine(): ChosenLine | undefined {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) return undefined;
  const { document } = editor;
  const line = document.lineAt(editor.selection.active.line);
  // The engine reads the line from the zero state LINE_CONTEXT characters before it: only those are sent.
  const start = Math.max(0, document.offsetAt(line.range.start) - LINE_CONTEXT);
  const text = document.getText(new vscode.Range(document.positionAt(start), line.range.end));
  const from = document.offsetAt(line.range.start) - start;
  const to = Math.min(text.length, from + LINE_CHARS);
  return { label: `${vscode.workspace.asRelativePath(document.uri)}:${line.lineNumber + 1}`, params: { text: text.slice(0, to), from, to } };
}
