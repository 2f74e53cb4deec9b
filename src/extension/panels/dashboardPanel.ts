import * as vscode from 'vscode';
import { TrainingHistory } from '../trainingHistory';
import { postToPage, showPage, webviewOptions } from './webviewHtml';

/**
 * The training dashboard: train and validation loss in bits/char over the
 * steps, and the samples taken at each validation, so the user watches the
 * model learn to space, then spell, then indent.
 */
export class DashboardPanel implements vscode.Disposable {
  private static current?: DashboardPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages the page acknowledged (for tests): how many points it has drawn. */
  drawnPoints = 0;

  static show(extensionUri: vscode.Uri, history: TrainingHistory, preserveFocus = false): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal(undefined, preserveFocus);
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel('charlens.dashboard', 'CharLens: Training', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, webviewOptions(extensionUri));
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, history);
    return DashboardPanel.current;
  }

  static get open(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly history: TrainingHistory,
  ) {
    showPage(
      panel,
      extensionUri,
      'dashboard',
      `<header><h1>Training</h1><span id="summary">Waiting for training to start…</span><span id="timing"></span></header>
<svg id="chart" role="img" aria-label="Loss in bits per character over training steps"></svg>
<div id="legend"><span class="train">train</span><span class="val">validation</span> (bits/char)</div>
<h2>Samples at each validation</h2>
<ol id="samples" reversed></ol>`,
    );
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: { type: string; points?: number }) => {
        if (m.type === 'ready') this.sendAll();
        if (m.type === 'drawn') this.drawnPoints = m.points ?? 0;
      }),
      history.onDidAdd(() => this.sendAll()),
    );
  }

  private sendAll(): void {
    const { points, samples, backend, timing } = this.history;
    void postToPage(this.panel, { type: 'history', points, samples, backend, timing });
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
