import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { CharLens } from '../context';
import { corpusOf } from '../commands/pickNeuron';
import { postToPage, showPage, createPanel } from './webviewHtml';

type PageMessage = { type: 'ready' } | { type: 'drawn'; figures: number; rows: number };

/**
 * Show Model Report: the analyses of Karpathy, Johnson and Fei-Fei on the
 * loaded model and its validation text, each figure drawn as SVG in the
 * theme's colours with its numbers in a table beside it: how often each
 * layer's gates saturate, the loss by kind of character, and which of the
 * LSTM's errors an n-gram of order k also makes.
 */
export class ModelReportPanel implements vscode.Disposable {
  private static current?: ModelReportPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** The last report posted to the page, and what the page says it drew of it (for tests). */
  lastShown?: rpc.ModelReportResult;
  drawn = { figures: 0, rows: 0 };

  static async show(charlens: CharLens): Promise<ModelReportPanel> {
    if (!ModelReportPanel.current) {
      const panel = createPanel('charlens.modelReport', 'CharLens: Model Report', charlens.extension.extensionUri);
      ModelReportPanel.current = new ModelReportPanel(panel, charlens);
    }
    ModelReportPanel.current.panel.reveal(undefined, true);
    await ModelReportPanel.current.refresh();
    return ModelReportPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly charlens: CharLens,
  ) {
    showPage(
      panel,
      charlens.extension.extensionUri,
      'modelReport',
      `<header><h1>Model report</h1></header>
<p id="summary">Measuring…</p>
<section><h2>Gate saturation</h2>
<p class="hint">Each dot is one cell's gate: the fraction of characters after which it was left-saturated (below 0.1) against right-saturated (above 0.9), as in Karpathy, Johnson and Fei-Fei's figure; one colour per layer.</p>
<div class="figure" id="saturation"></div></section>
<section><h2>Loss by kind of character</h2>
<p class="hint">Bits per character where the next character is of each kind (inside a comment or string counts as that, whatever the character).</p>
<div class="figure" id="classes"></div></section>
<section><h2>Errors against n-grams</h2>
<p class="hint">Of the characters the LSTM gets wrong (its top guess is another one), the share an order-k n-gram counted on the training text also gets wrong; and of the n-gram's errors, the share the LSTM's longer context fixes.</p>
<div class="figure" id="ngram"></div></section>`,
    );
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: PageMessage) => void this.onMessage(m)),
    );
  }

  private async onMessage(m: PageMessage): Promise<void> {
    if (m.type === 'ready' && this.lastShown) await postToPage(this.panel, { type: 'show', report: this.lastShown });
    else if (m.type === 'drawn') this.drawn = { figures: m.figures, rows: m.rows };
  }

  /** Asks the engine for the report on the loaded model's corpus, with a notification while it runs. */
  async refresh(): Promise<void> {
    const status = await this.charlens.engine.request0(rpc.Status);
    const corpus = status.model && corpusOf(this.charlens, status.model);
    if (!corpus) {
      await postToPage(this.panel, { type: 'error', message: status.model ? 'Open a folder: the report is measured on the text the model learnt from.' : 'No model is loaded yet: train one or load one first.' });
      return;
    }
    try {
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'CharLens: measuring the model report' }, () => this.charlens.engine.request(rpc.ModelReport, corpus));
      this.lastShown = report;
      this.charlens.output.appendLine(`[report] ${report.chars} characters of the ${report.measured === 'validation' ? 'validation split' : "explorer's sample"} of ${report.folder} in ${report.ms.toFixed(0)} ms`);
      await postToPage(this.panel, { type: 'show', report });
    } catch (err) {
      await postToPage(this.panel, { type: 'error', message: (err as Error).message });
    }
  }

  dispose(): void {
    if (ModelReportPanel.current === this) ModelReportPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
