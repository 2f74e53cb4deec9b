import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { Notifier } from '../notifier';
import { ACTIVATION_BUCKETS, Bucket, PREDICTION_BUCKETS, activationBucket, bucketRuns, predictionBucket } from './buckets';
import { ChosenNeuron, NeuronSelection } from './neuronSelection';
import { OverlayLegend } from './overlayLegend';

export type OverlayKind = 'prediction' | 'neuron';

/** Lines read beyond the visible ones, so that a small scroll shows colour at once. */
const MARGIN_LINES = 5;
/** Very long lines: the visible range is capped to this many characters. */
const MAX_RANGE_CHARS = 40_000;
const DEBOUNCE_MS = 15;

/** What the last update drew: for the status line, tests and the benchmark. */
export interface OverlayUpdate {
  documentId: string;
  version: number;
  from: number;
  to: number;
  /** Decorated ranges per bucket, for each overlay that is on. */
  prediction?: vscode.Range[][];
  neuron?: vscode.Range[][];
  engineMs: number;
  totalMs: number;
  /** What gave the probabilities: the LSTM, the n-gram, or their mixture. */
  answering: string;
  /** Where the model started reading; > 0 means a warm-up window, not the file's start. */
  readFrom: number;
  /** The cell the neuron overlay shows (the neuron view shows the same one). */
  cell: ChosenNeuron;
}

function bucketTypes(buckets: Bucket[], style: (color: vscode.ThemeColor) => vscode.DecorationRenderOptions) {
  return buckets.map((b) => vscode.window.createTextEditorDecorationType({ ...style(new vscode.ThemeColor(b.color)), rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed }));
}

/**
 * The prediction overlay (text coloured by the probability the model gave
 * each character) and the neuron overlay (background coloured by the chosen
 * cell's activation), over the visible range. As in Error Lens, the
 * decoration types are made once and each update sets one batch of ranges
 * per type.
 */
export class Overlays implements vscode.Disposable {
  private readonly on = new Set<OverlayKind>();
  private readonly predictionTypes = bucketTypes(PREDICTION_BUCKETS, (color) => ({ color, fontWeight: 'bold' }));
  private readonly neuronTypes = bucketTypes(ACTIVATION_BUCKETS, (backgroundColor) => ({ backgroundColor }));
  /** What the colours mean, for the overlays that are on. */
  readonly legend = new OverlayLegend();
  private readonly disposables: vscode.Disposable[] = [];
  private timer?: NodeJS.Timeout;
  /**
   * The text editor the overlays are on: the active one, kept while a
   * webview such as the neuron view has the focus (there is no active text
   * editor then, and the neuron view's buttons must still redraw it).
   */
  private editor = vscode.window.activeTextEditor;
  private generation = 0;
  /** The engine request of the update in progress, cancelled when a newer one (a scroll, a keystroke) replaces it. */
  private inFlight?: vscode.CancellationTokenSource;
  private readonly updatedEmitter = new vscode.EventEmitter<OverlayUpdate>();
  readonly onDidUpdate = this.updatedEmitter.event;
  last?: OverlayUpdate;

  constructor(
    private readonly engine: EngineClient,
    private readonly neuron: NeuronSelection,
    private readonly notify: Notifier,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (!e) return;
        this.editor = e;
        this.schedule(0);
      }),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => e.textEditor === this.editor && this.schedule()),
      vscode.workspace.onDidChangeTextDocument((e) => e.document === this.editor?.document && this.schedule()),
      neuron.onDidChange(() => this.schedule(0)),
    );
  }

  isOn(kind: OverlayKind): boolean {
    return this.on.has(kind);
  }

  async toggle(kind: OverlayKind, show = !this.on.has(kind)): Promise<void> {
    if (show && kind === 'neuron' && !this.on.has(kind)) this.neuron.preselectAgain();
    if (show) this.on.add(kind);
    else this.on.delete(kind);
    await this.refresh();
  }

  /** Redraws now (e.g. after another model was loaded). */
  refresh(): Promise<void> {
    clearTimeout(this.timer);
    const editor = this.shownEditor();
    return editor ? this.update(editor) : Promise.resolve();
  }

  private shownEditor(): vscode.TextEditor | undefined {
    this.editor = vscode.window.activeTextEditor ?? this.editor;
    return this.editor && vscode.window.visibleTextEditors.includes(this.editor) ? this.editor : undefined;
  }

  private schedule(delay = DEBOUNCE_MS): void {
    if (this.on.size === 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private clear(editor: vscode.TextEditor, kinds: OverlayKind[]): void {
    for (const kind of kinds) for (const type of kind === 'prediction' ? this.predictionTypes : this.neuronTypes) editor.setDecorations(type, []);
    if (kinds.includes('prediction')) this.legend.showPrediction(undefined);
    if (kinds.includes('neuron')) this.legend.showNeuron(undefined);
  }

  private async update(editor: vscode.TextEditor): Promise<void> {
    const generation = ++this.generation;
    this.clear(editor, (['prediction', 'neuron'] as const).filter((k) => !this.on.has(k)));
    if (this.on.size === 0 || editor.visibleRanges.length === 0) return;
    const t0 = performance.now();
    const doc = editor.document;
    const version = doc.version;
    const firstLine = Math.max(0, editor.visibleRanges[0].start.line - MARGIN_LINES);
    const lastLine = Math.min(doc.lineCount - 1, editor.visibleRanges[editor.visibleRanges.length - 1].end.line + MARGIN_LINES);
    const from = doc.offsetAt(new vscode.Position(firstLine, 0));
    const to = Math.min(doc.offsetAt(doc.lineAt(lastLine).rangeIncludingLineBreak.end), from + MAX_RANGE_CHARS);
    const base = contextStart(from);
    // Only the neuron overlay needs the cell, which may mean asking the explorer for its best one first.
    const neuron = this.on.has('neuron') ? await this.neuron.resolve() : this.neuron.current;
    let result: rpc.TraceResult;
    this.inFlight?.cancel();
    const request = (this.inFlight = new vscode.CancellationTokenSource());
    try {
      const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(to)));
      result = await this.engine.request(rpc.Trace, { documentId: doc.uri.toString(), text, from: from - base, to: to - base, neuron }, request.token);
    } catch (err) {
      if (generation === this.generation) this.failed(err as Error & { code?: number });
      return;
    } finally {
      request.dispose();
      if (this.inFlight === request) this.inFlight = undefined;
    }
    // A newer update (another keystroke or scroll) supersedes this one.
    if (generation !== this.generation || doc.version !== version || editor !== this.editor) return;
    const start = base + result.from;
    const toRanges = (runs: Array<Array<[number, number]>>) => runs.map((list) => list.map(([a, b]) => new vscode.Range(doc.positionAt(start + a), doc.positionAt(start + b))));
    const update: OverlayUpdate = { documentId: doc.uri.toString(), version, from, to, engineMs: result.ms, totalMs: 0, readFrom: base + result.start, answering: result.answering, cell: neuron };
    if (this.on.has('prediction')) {
      update.prediction = toRanges(bucketRuns(result.probability, predictionBucket, PREDICTION_BUCKETS.length));
      update.prediction.forEach((ranges, b) => editor.setDecorations(this.predictionTypes[b], ranges));
    }
    if (this.on.has('neuron')) {
      update.neuron = toRanges(bucketRuns(result.activation, activationBucket, ACTIVATION_BUCKETS.length));
      update.neuron.forEach((ranges, b) => editor.setDecorations(this.neuronTypes[b], ranges));
    }
    this.legend.showPrediction(this.on.has('prediction') ? result.answering : undefined);
    this.legend.showNeuron(this.on.has('neuron') ? neuron : undefined, this.neuron.describe(neuron));
    update.totalMs = performance.now() - t0;
    this.last = update;
    this.updatedEmitter.fire(update);
  }

  private failed(err: Error & { code?: number }): void {
    if (err.code === rpc.ErrorCodes.neuronOutOfRange) {
      // The chosen neuron is outside this model (another model was loaded): fall back to the model's best cell.
      void this.neuron.fallBack().then((n) => this.notify.warn(`${err.message} Showing ${this.neuron.describe(n)} instead; use "CharLens: Pick Neuron" to choose.`));
      return;
    }
    this.notify.warn(`the overlays could not be drawn: ${err.message}`);
    this.on.clear();
    const editor = this.shownEditor();
    if (editor) this.clear(editor, ['prediction', 'neuron']);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.inFlight?.cancel();
    for (const d of [...this.predictionTypes, ...this.neuronTypes, ...this.disposables, this.legend, this.updatedEmitter]) d.dispose();
  }
}
