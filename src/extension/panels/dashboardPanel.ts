import * as vscode from 'vscode';
import { describeOutcome, TrainingHistory } from '../trainingHistory';
import { describeLearned } from '../../core/explorer/labelHistory';
import { postToPage, showPage, createPanel } from './webviewHtml';

/**
 * The training dashboard: train and validation loss in bits/char over the
 * steps, and the samples taken at each validation, so the user watches the
 * model learn to space, then spell, then indent; the labels its cells have
 * learned so far, each at the step it was; and, once the run has
 * ended (in this window or before a reload), how it ended.
 */
export class DashboardPanel implements vscode.Disposable {
  private static current?: DashboardPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the page last acknowledged (for tests): the points and samples it drew, and its status line. */
  drawn?: { points: number; samples: number; status: string; learned: string };

  static show(extensionUri: vscode.Uri, history: TrainingHistory, preserveFocus = false): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal(undefined, preserveFocus);
      return DashboardPanel.current;
    }
    const panel = createPanel('charlens.dashboard', 'CharLens: Training', extensionUri, preserveFocus);
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
<p id="learned"></p>
<svg id="chart" role="img" aria-label="Loss in bits per character over training steps"></svg>
<div id="legend"><span class="train">train</span><span class="val">validation</span> (bits/char)</div>
<h2>Samples at each validation</h2>
<ol id="samples" reversed></ol>`,
    );
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: { type: string; points: number; samples: number; status: string; learned: string }) => {
        if (m.type === 'ready') this.sendAll();
        if (m.type === 'drawn') this.drawn = { points: m.points, samples: m.samples, status: m.status, learned: m.learned };
      }),
      history.onDidChange(() => this.sendAll()),
    );
  }

  private sendAll(): void {
    const { points, samples, backend, timing, outcome, learned } = this.history;
    void postToPage(this.panel, { type: 'history', points, samples, backend, timing, ended: outcome && describeOutcome(outcome), learned: describeLearned(learned) });
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
