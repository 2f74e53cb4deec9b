import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { LN2 } from '../../core/predict/lossUnits';
import { LineSurprisal, lineSurprisal } from '../../core/predict/lineSurprisal';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { Notifier } from '../notifier';
import { NeuronSelection } from './neuronSelection';

/** Lines read beyond the visible ones, as the other overlays do. */
const MARGIN_LINES = 5;
const DEBOUNCE_MS = 15;
/** Characters one Trace may cover (protocol.ts's MAX_TRACE_RANGE), less a margin for a last long line. */
export const MAX_CHUNK_CHARS = 90_000;

/** Lines at least this many times the model's mean validation bits/char are marked, in the prediction overlay's colours for unlikely and surprising. */
const BANDS = [
  { times: 1.5, color: 'charlens.prediction.unlikely' },
  { times: 2, color: 'charlens.prediction.surprising' },
];

/**
 * Surprise per line of lines [first, last] of `doc`, each character given
 * everything before it as the overlays read it: one Trace (the engine's
 * checkpoints are shared with the other overlays, so visible lines cost
 * little more than they do), with the cell those overlays show so that the
 * trace's cached values stay theirs.
 */
export async function surpriseOfLines(
  engine: EngineClient,
  neuron: NeuronSelection,
  doc: vscode.TextDocument,
  first: number,
  last: number,
): Promise<{ lines: LineSurprisal[]; answering: string; fileLeftOut: boolean; ms: number }> {
  const from = doc.offsetAt(new vscode.Position(first, 0));
  const to = doc.offsetAt(doc.lineAt(last).rangeIncludingLineBreak.end);
  const base = contextStart(from);
  const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(to)));
  const result = await engine.request(rpc.Trace, { documentId: doc.uri.toString(), text, from: from - base, to: to - base, neuron: neuron.current });
  return { lines: lineSurprisal(text, result.from, result.probability, first), answering: result.answering, fileLeftOut: result.fileLeftOut, ms: result.ms };
}

/** What the last update marked: for tests. */
export interface SurpriseUpdate {
  documentId: string;
  lines: LineSurprisal[];
  /** Mean validation bits/char the bands are multiples of. */
  reference: number;
  /** Lines marked per band. */
  marked: number[][];
  /** The n-gram read the document with its own file left out (see TraceResult.fileLeftOut). */
  fileLeftOut: boolean;
}

/**
 * The surprise overlay, off by default: every visible line whose mean
 * bits/char is well above the model's average is marked with a bar at its
 * left and in the overview ruler, with its figure on hover.
 */
export class SurpriseOverlay implements vscode.Disposable {
  private on = false;
  private readonly types = BANDS.map((b) =>
    vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      borderColor: new vscode.ThemeColor(b.color),
      borderStyle: 'solid',
      borderWidth: '0 0 0 3px',
      overviewRulerColor: new vscode.ThemeColor(b.color),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    }),
  );
  private readonly disposables: vscode.Disposable[] = [];
  private timer?: NodeJS.Timeout;
  private generation = 0;
  last?: SurpriseUpdate;

  constructor(
    private readonly engine: EngineClient,
    private readonly neuron: NeuronSelection,
    private readonly notify: Notifier,
  ) {
    const schedule = (delay = DEBOUNCE_MS) => {
      if (!this.on) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), delay);
    };
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => schedule(0)),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => e.textEditor === vscode.window.activeTextEditor && schedule()),
      vscode.workspace.onDidChangeTextDocument((e) => e.document === vscode.window.activeTextEditor?.document && schedule()),
    );
  }

  async toggle(show = !this.on): Promise<void> {
    this.on = show;
    this.announceEmpty = show;
    await this.refresh();
  }

  /** Set when the user turns the overlay on: if nothing in view is marked, say so once rather than show nothing. */
  private announceEmpty = false;

  /** Redraws the active editor's marks now (or clears them when the overlay is off). */
  async refresh(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    if (!this.on || editor.visibleRanges.length === 0) {
      for (const type of this.types) editor.setDecorations(type, []);
      return;
    }
    const generation = ++this.generation;
    const doc = editor.document;
    const version = doc.version;
    const first = Math.max(0, editor.visibleRanges[0].start.line - MARGIN_LINES);
    let last = Math.min(doc.lineCount - 1, editor.visibleRanges[editor.visibleRanges.length - 1].end.line + MARGIN_LINES);
    while (last > first && doc.offsetAt(doc.lineAt(last).range.end) - doc.offsetAt(new vscode.Position(first, 0)) > MAX_CHUNK_CHARS) last--;
    try {
      const [{ lines, fileLeftOut }, status] = await Promise.all([surpriseOfLines(this.engine, this.neuron, doc, first, last), this.engine.request0(rpc.Status)]);
      if (generation !== this.generation || doc.version !== version || editor !== vscode.window.activeTextEditor) return;
      const reference = status.model?.valLoss !== undefined ? status.model.valLoss / LN2 : median(lines.map((l) => l.bitsPerChar));
      const marked = BANDS.map((b, k) => lines.filter((l) => l.bitsPerChar >= b.times * reference && (k + 1 === BANDS.length || l.bitsPerChar < BANDS[k + 1].times * reference)));
      marked.forEach((band, k) =>
        editor.setDecorations(
          this.types[k],
          band.map((l) => ({
            range: doc.lineAt(l.line).range,
            hoverMessage: `CharLens: ${l.bitsPerChar.toFixed(2)} bits/char on this line, ${(l.bitsPerChar / reference).toFixed(1)} times the model's mean of ${reference.toFixed(2)}${fileLeftOut ? ` (${rpc.FILE_LEFT_OUT})` : ''}`,
          })),
        ),
      );
      this.last = { documentId: doc.uri.toString(), lines, reference, marked: marked.map((band) => band.map((l) => l.line)), fileLeftOut };
      if (this.announceEmpty && marked.every((band) => band.length === 0)) {
        this.notify.info(`no line in view is surprising: none reaches ${BANDS[0].times} times the model's mean of ${reference.toFixed(2)} bits/char. Lines that do get a mark in the gutter and the scroll bar as you scroll.`);
      }
      this.announceEmpty = false;
    } catch (err) {
      this.notify.warn(`the surprise overlay could not be drawn: ${(err as Error).message}`);
      this.on = false;
      for (const type of this.types) editor.setDecorations(type, []);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.types, ...this.disposables]) d.dispose();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}
