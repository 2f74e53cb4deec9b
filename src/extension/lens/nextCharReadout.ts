import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { Guess } from '../../core/predict/modelLens';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { visibleChar } from './buckets';

const DEBOUNCE_MS = 20;

export const formatGuesses = (guesses: Guess[]): string =>
  guesses.map((g) => `${visibleChar(g.char)} ${(g.probability * 100).toFixed(g.probability < 0.1 ? 1 : 0)}%`).join('  ');

/**
 * The model's top-3 next characters at the cursor, shown after the cursor's
 * line and kept up to date as the cursor moves or the user types.
 */
export class NextCharReadout implements vscode.Disposable {
  private enabled = false;
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
  });
  private readonly disposables: vscode.Disposable[];
  private timer?: NodeJS.Timeout;
  private generation = 0;
  /** The text last shown, for tests. */
  lastText?: string;

  constructor(private readonly engine: EngineClient) {
    this.disposables = [
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === vscode.window.activeTextEditor && this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
    ];
  }

  get isOn(): boolean {
    return this.enabled;
  }

  async toggle(show = !this.enabled): Promise<void> {
    this.enabled = show;
    const editor = vscode.window.activeTextEditor;
    if (!show) {
      this.lastText = undefined;
      editor?.setDecorations(this.type, []);
      return;
    }
    if (editor) await this.update(editor);
  }

  private schedule(): void {
    if (!this.enabled) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const editor = vscode.window.activeTextEditor;
      if (editor) void this.update(editor);
    }, DEBOUNCE_MS);
  }

  private async update(editor: vscode.TextEditor): Promise<void> {
    const generation = ++this.generation;
    const doc = editor.document;
    const cursor = editor.selection.active;
    const offset = doc.offsetAt(cursor);
    const prefix = doc.getText(new vscode.Range(doc.positionAt(contextStart(offset)), cursor));
    let guesses: Guess[];
    try {
      ({ guesses } = await this.engine.request(rpc.Predict, { documentId: doc.uri.toString(), prefix, topK: 3 }));
    } catch {
      return; // no model yet: nothing to show
    }
    if (generation !== this.generation || !this.enabled) return;
    const end = doc.lineAt(cursor.line).range.end;
    this.lastText = `next: ${formatGuesses(guesses)}`;
    editor.setDecorations(this.type, [{ range: new vscode.Range(end, end), renderOptions: { after: { contentText: this.lastText } } }]);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.type.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
