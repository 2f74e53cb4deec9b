import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { FEATURE_LABELS } from '../../core/explorer/codeFeatures';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { ChosenNeuron, NeuronSelection } from '../lens/neuronSelection';
import { NEURON_VIEW_BODY } from './neuronViewBody';
import { WhyOverlay, WhyShown } from '../lens/whyOverlay';
import { postToPage, showPage, createPanel } from './webviewHtml';

/** Characters shown at most: the visible range, capped (each one carries five guesses). */
const MAX_CHARS = 1500;

type PageMessage =
  | { type: 'ready' }
  | { type: 'step'; delta: number }
  | { type: 'choose'; neuron: ChosenNeuron }
  | { type: 'reveal'; offset: number }
  | { type: 'clamp' }
  | { type: 'clampDrawn'; rows: number; note: string };

/**
 * The neuron view: the editor's visible text coloured by the chosen cell,
 * with the model's top-5 guesses under every character shaded by
 * probability (the char-rnn paper's figures, live). Buttons step through the
 * cells; clicking a character reveals it in the editor.
 */
export class NeuronPanel implements vscode.Disposable {
  private static current?: NeuronPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private editor?: vscode.TextEditor;
  private shownBase = 0;
  /** The last data posted to the page (for tests). */
  lastShown?: { neuron: ChosenNeuron; chars: number; from: number };
  /** The labelled cells last offered in the page's dropdown (for tests). */
  lastCells: ChosenNeuron[] = [];
  /** Whether the page received the last data (postMessage resolves true once delivered). */
  delivered = false;
  /** The last clamp comparison, the table rows the page says it drew of it and the text of its note on the completions (for tests). */
  lastClamp?: { neuron: ChosenNeuron; result: rpc.ClampEffectResult };
  clampRows = 0;
  /** The last Why This Prediction run from a click (for tests). */
  lastWhy?: WhyShown;
  /** What the page was told of it, told again after the page redraws while the editor still shows it. */
  private whyMessage?: object;
  clampNote = '';
  /** Progress messages posted to the page during the last clamp comparison (for tests). */
  clampProgress = 0;

  /** `corpus` names what the model learnt from, which the clamp comparison is measured on. */
  static show(extensionUri: vscode.Uri, engine: EngineClient, neuron: NeuronSelection, labelled: () => Promise<ChosenNeuron[]>, corpus: (model: rpc.ModelInfo) => rpc.ExploreParams | undefined, why: WhyOverlay): NeuronPanel {
    if (NeuronPanel.current) {
      NeuronPanel.current.panel.reveal();
      void NeuronPanel.current.refresh();
      return NeuronPanel.current;
    }
    const panel = createPanel('charlens.neuronView', 'CharLens: Neuron View', extensionUri);
    NeuronPanel.current = new NeuronPanel(panel, extensionUri, engine, neuron, labelled, corpus, why);
    return NeuronPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly engine: EngineClient,
    private readonly neuron: NeuronSelection,
    private readonly labelled: () => Promise<ChosenNeuron[]>,
    private readonly corpus: (model: rpc.ModelInfo) => rpc.ExploreParams | undefined,
    private readonly why: WhyOverlay,
  ) {
    this.editor = vscode.window.activeTextEditor;
    showPage(
      panel,
      extensionUri,
      'neuronView',
      NEURON_VIEW_BODY,
    );
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: PageMessage) => void this.onMessage(m)),
      neuron.onDidChange(() => void this.refresh()),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e) {
          this.editor = e;
          void this.refresh();
        }
      }),
    );
  }

  private async onMessage(m: PageMessage): Promise<void> {
    if (m.type === 'ready') await this.refresh();
    else if (m.type === 'choose') await this.neuron.set(m.neuron);
    else if (m.type === 'step') await this.step(m.delta);
    else if (m.type === 'clamp') await this.measureClamp();
    else if (m.type === 'clampDrawn') [this.clampRows, this.clampNote] = [m.rows, m.note];
    else if (m.type === 'reveal' && this.editor) {
      const pos = this.editor.document.positionAt(this.shownBase + m.offset);
      await vscode.window.showTextDocument(this.editor.document, { viewColumn: this.editor.viewColumn, selection: new vscode.Range(pos, pos) });
      await this.explain(this.shownBase + m.offset);
    }
  }

  /** Why This Prediction for the clicked character, in the editor and on the page: its strongest contributors marked, the summary under the header. */
  async explain(offset: number): Promise<WhyShown | undefined> {
    if (!this.editor) return undefined;
    const shown = await this.why.show({ uri: this.editor.document.uri.toString(), offset });
    this.lastWhy = shown;
    if (shown) {
      // The page's offsets are from the text it was shown, which starts at shownBase.
      const marks = shown.result.window.map((c) => ({ offset: shown.base + c.offset - this.shownBase, nats: c.nats }));
      this.whyMessage = { type: 'why', offset: offset - this.shownBase, summary: shown.summary, marks };
      await postToPage(this.panel, this.whyMessage);
    }
    return shown;
  }

  /** Moves to the next or previous cell, across layers (the page's ◀ and ▶). */
  async step(delta: number): Promise<void> {
    const status = await this.engine.request0(rpc.Status);
    if (!status.model) return;
    const { layers, hiddenSize } = status.model;
    const n = await this.neuron.resolve();
    const flat = (((n.layer * hiddenSize + n.index + delta) % (layers * hiddenSize)) + layers * hiddenSize) % (layers * hiddenSize);
    await this.neuron.set({ layer: Math.floor(flat / hiddenSize), index: flat % hiddenSize, kind: n.kind });
  }

  /** The page's "Clamp the cell": asks the engine to compare the loss and a completion with the cell clamped, and shows them. */
  async measureClamp(): Promise<rpc.ClampEffectResult | undefined> {
    const status = await this.engine.request0(rpc.Status);
    const corpus = status.model && this.corpus(status.model);
    if (!corpus) {
      await postToPage(this.panel, { type: 'clampError', message: status.model ? 'Open a folder: the clamp is measured on the text the model learnt from.' : 'No model is loaded yet.' });
      return undefined;
    }
    const neuron = await this.neuron.resolve();
    // The explorer's pass (when no view has run it yet for this model), then the sample's reading.
    this.clampProgress = 0;
    const progress = (stage: 'explore' | 'clamp') => (p: rpc.ExploreProgressParams) => {
      this.clampProgress++;
      void postToPage(this.panel, { type: 'clampProgress', stage, chars: p.chars, of: p.of });
    };
    const subscriptions = [this.engine.onExploreProgress(progress('explore')), this.engine.onClampProgress(progress('clamp'))];
    try {
      const result = await this.engine.request(rpc.ClampEffect, { ...corpus, neuron }).finally(() => subscriptions.forEach((d) => d.dispose()));
      this.lastClamp = { neuron, result };
      await postToPage(this.panel, { type: 'clamp', neuron, result, feature: result.label && FEATURE_LABELS[result.label.feature] });
      return result;
    } catch (err) {
      await postToPage(this.panel, { type: 'clampError', message: (err as Error).message });
      return undefined;
    }
  }

  async refresh(): Promise<void> {
    const editor = this.editor;
    if (!editor) return;
    const doc = editor.document;
    const visible = editor.visibleRanges[0] ?? new vscode.Range(0, 0, 40, 0);
    const from = doc.offsetAt(new vscode.Position(visible.start.line, 0));
    const to = Math.min(doc.offsetAt(doc.lineAt(Math.min(doc.lineCount - 1, visible.end.line)).rangeIncludingLineBreak.end), from + MAX_CHARS);
    const base = contextStart(from);
    const neuron = await this.neuron.resolve();
    try {
      const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(to)));
      const detail = await this.engine.request(rpc.Detail, { documentId: doc.uri.toString(), text, from: from - base, to: to - base, neuron, topK: 5 });
      this.shownBase = base;
      this.lastShown = { neuron, chars: detail.chars.length, from };
      const cells = await this.labelled();
      this.lastCells = cells;
      this.delivered = await postToPage(this.panel, { type: 'show', title: `${this.neuron.describe(neuron)} · ${doc.fileName.split(/[\\/]/).pop()} · ${detail.model} model`, neuron, cells, chars: detail.chars });
      if (this.whyMessage && this.lastWhy && this.why.shown === this.lastWhy) await postToPage(this.panel, this.whyMessage);
    } catch (err) {
      await postToPage(this.panel, { type: 'error', message: (err as Error).message });
    }
  }

  dispose(): void {
    if (NeuronPanel.current === this) NeuronPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
