import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { Contribution, describeContribution, strongest } from '../../core/explain/contributions';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { Notifier } from '../notifier';
import { visibleChar } from './buckets';

/** Contributions listed after the line. */
const LISTED = 3;
/** Levels per sign, by the share of the window's strongest |contribution| (the last level from 2/3 of it). */
const LEVEL_EDGES = [0.1, 1 / 3, 2 / 3];
export const WHY_COMMAND = 'charlens.whyThisPrediction';
/** The `when` context key of the Escape binding (package.json). */
const SHOWN_CONTEXT = 'charlens.whyShown';

const code = (char: string) => `\`${visibleChar(char)}\``;

/** What to explain: a document offset, and the character there (the default), another one, or the model's top guess. */
export interface WhyTarget {
  uri?: string;
  offset?: number;
  guess?: boolean;
  char?: string;
}

/** What the overlay shows now: for the neuron view and the tests. */
export interface WhyShown {
  documentId: string;
  /** Document offset of the prediction explained. */
  offset: number;
  /** The result's offsets are from the text sent, which starts at this document offset. */
  base: number;
  result: rpc.WhyResult;
  /** Document ranges per level, raised then lowered (LEVEL_EDGES.length each). */
  raised: vscode.Range[][];
  lowered: vscode.Range[][];
  /** The text after the line: the strongest contributions with their distance. */
  summary: string;
}

/**
 * "CharLens: Why This Prediction?": the characters before a place, each with
 * a background by what it contributed to the probability the model gives
 * there (one theme colour per level and sign), and the strongest few listed
 * after the line. Decoration types are made once; each showing sets one batch
 * of ranges per type. The next edit of the document, or Escape, takes it away.
 */
export class WhyOverlay implements vscode.Disposable {
  private readonly raisedTypes = LEVEL_EDGES.map((_, k) => vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(`charlens.why.raised${k + 1}`) }));
  private readonly loweredTypes = LEVEL_EDGES.map((_, k) => vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(`charlens.why.lowered${k + 1}`) }));
  private readonly explainedType = vscode.window.createTextEditorDecorationType({
    border: '1px solid',
    borderColor: new vscode.ThemeColor('editorCodeLens.foreground'),
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
  });
  private readonly disposables: vscode.Disposable[];
  private editor?: vscode.TextEditor;
  private generation = 0;
  /** What is shown now, if anything. */
  shown?: WhyShown;
  private readonly shownEmitter = new vscode.EventEmitter<WhyShown>();
  readonly onDidShow = this.shownEmitter.event;

  constructor(
    private readonly engine: EngineClient,
    private readonly notify: Notifier,
  ) {
    this.disposables = [
      vscode.workspace.onDidChangeTextDocument((e) => e.document === this.editor?.document && e.contentChanges.length > 0 && this.hide()),
      vscode.workspace.onDidCloseTextDocument((doc) => doc === this.editor?.document && this.hide()),
    ];
  }

  /** Explains `target` (by default the top guess at the active editor's cursor) and draws it; resolves to what it drew. */
  async show(target: WhyTarget = {}): Promise<WhyShown | undefined> {
    const editor = target.uri ? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === target.uri) : vscode.window.activeTextEditor;
    if (!editor) {
      this.notify.info(target.uri ? 'Why This Prediction: that document is no longer shown in an editor.' : 'open a file first: Why This Prediction explains what the model predicts at a place in it.');
      return undefined;
    }
    const doc = editor.document;
    const offset = target.offset ?? doc.offsetAt(editor.selection.active);
    const guess = target.guess ?? (target.offset === undefined && target.char === undefined);
    const generation = ++this.generation;
    const base = contextStart(offset);
    const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(offset + 2)));
    let result: rpc.WhyResult;
    try {
      result = await this.engine.request(rpc.Why, { documentId: doc.uri.toString(), text, offset: offset - base, guess, char: target.char });
    } catch (err) {
      this.notify.warn(`Why This Prediction could not run: ${(err as Error).message}`);
      return undefined;
    }
    if (generation !== this.generation) return undefined;
    this.hide();
    this.editor = editor;
    const ranges = (sign: 1 | -1) => this.levels(result.window, sign).map((list) => list.map((c) => new vscode.Range(doc.positionAt(base + c.offset), doc.positionAt(base + c.offset + c.char.length))));
    const raised = ranges(1);
    const lowered = ranges(-1);
    raised.forEach((list, k) => editor.setDecorations(this.raisedTypes[k], list));
    lowered.forEach((list, k) => editor.setDecorations(this.loweredTypes[k], list));
    const what = `${guess ? 'top guess ' : ''}${code(result.char)} ${(result.probability * 100).toFixed(1)}%`;
    const summary = `why ${what}: ${strongest(result.window, LISTED).map((c) => describeContribution(c, code)).join(' · ')}`;
    const at = doc.positionAt(offset);
    const explained = new vscode.Range(at, doc.positionAt(Math.min(doc.getText().length, offset + (guess ? 0 : result.char.length))));
    const lineEnd = doc.lineAt(at.line).range.end;
    editor.setDecorations(this.explainedType, [
      { range: explained, hoverMessage: `CharLens: what each earlier character contributed to log p(${code(result.char)}) here, in nats (each against an average character). Escape or an edit hides it.` },
      { range: new vscode.Range(lineEnd, lineEnd), renderOptions: { after: { contentText: summary } } },
    ]);
    this.shown = { documentId: doc.uri.toString(), offset, base, result, raised, lowered, summary };
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, true);
    this.shownEmitter.fire(this.shown);
    return this.shown;
  }

  /** The window's contributions of one sign, per level of their share of the strongest. */
  private levels(window: Contribution[], sign: 1 | -1): Contribution[][] {
    const largest = Math.max(...window.map((c) => Math.abs(c.nats)));
    const out: Contribution[][] = LEVEL_EDGES.map(() => []);
    if (!(largest > 0)) return out;
    for (const c of window) {
      const share = (sign * c.nats) / largest;
      let level = -1;
      while (level + 1 < LEVEL_EDGES.length && share >= LEVEL_EDGES[level + 1]) level++;
      if (level >= 0) out[level].push(c);
    }
    return out;
  }

  hide(): void {
    this.generation++;
    if (!this.shown) return;
    for (const type of [...this.raisedTypes, ...this.loweredTypes, this.explainedType]) this.editor?.setDecorations(type, []);
    this.shown = undefined;
    this.editor = undefined;
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, false);
  }

  dispose(): void {
    for (const d of [...this.raisedTypes, ...this.loweredTypes, this.explainedType, ...this.disposables, this.shownEmitter]) d.dispose();
  }
}
