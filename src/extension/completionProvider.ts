import * as vscode from 'vscode';
import * as rpc from '../engine/protocol';
import { contextStart } from './documentWindow';
import { EngineClient } from './engineClient';
import { readSettings } from './settings';
import { replacedSuffix } from './suffixOverlap';

interface Shown {
  documentId: string;
  prefix: string;
  text: string;
}

/**
 * Ghost text sampled from the model given everything before the cursor.
 * Debounced, cancelled by the next keystroke, and when the user types the
 * characters the last suggestion showed, the rest of it is offered again
 * without asking the model.
 */
export class CompletionProvider implements vscode.InlineCompletionItemProvider {
  private shown?: Shown;
  /** The latest completion's model time, for the status bar and tests. */
  lastResult?: rpc.CompleteResult;

  constructor(private readonly engine: EngineClient) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = readSettings().completion;
    if (!settings.enabled) return undefined;
    const documentId = document.uri.toString();
    const prefix = document.getText(new vscode.Range(document.positionAt(contextStart(document.offsetAt(position))), position));
    const reused = this.typedAhead(documentId, prefix);
    if (reused) return [item(reused, document, position)];

    if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && settings.debounceMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, settings.debounceMs));
      if (token.isCancellationRequested) return undefined;
    }
    const atLineEnd = position.character === document.lineAt(position.line).text.length;
    let result: rpc.CompleteResult;
    try {
      result = await this.engine.request(
        rpc.Complete,
        { documentId, prefix, maxChars: settings.maxChars, temperature: settings.temperature, multiline: settings.multiline && atLineEnd },
        token,
      );
    } catch {
      return undefined; // no model yet, or cancelled: no ghost text, no noise
    }
    if (token.isCancellationRequested || result.text.length === 0) return undefined;
    this.lastResult = result;
    this.shown = { documentId, prefix, text: result.text };
    return [item(result.text, document, position)];
  }

  private typedAhead(documentId: string, prefix: string): string | undefined {
    const s = this.shown;
    if (!s || s.documentId !== documentId || !prefix.startsWith(s.prefix)) return undefined;
    const typed = prefix.slice(s.prefix.length);
    if (typed.length === 0 || !s.text.startsWith(typed) || typed.length === s.text.length) return undefined;
    return s.text.slice(typed.length);
  }
}

/** The ghost text at the cursor, replacing what of the rest of the line it writes itself (an auto-closed bracket). */
function item(text: string, document: vscode.TextDocument, position: vscode.Position): vscode.InlineCompletionItem {
  const rest = document.lineAt(position.line).text.slice(position.character);
  return new vscode.InlineCompletionItem(text, new vscode.Range(position, position.translate(0, replacedSuffix(text, rest))));
}
