import * as vscode from 'vscode';
import * as rpc from '../engine/protocol';
import { contextStart } from './documentWindow';
import { EngineClient } from './engineClient';
import { readSettings } from './settings';
import { replacedSuffix } from './suffixOverlap';

/** The command each item runs once accepted: the next suggestion is asked for at once (see prefetch). */
export const ACCEPTED_COMMAND = 'charlens.suggestionAccepted';

interface Shown {
  documentId: string;
  prefix: string;
  items: string[];
}

/** A completion asked for before the editor asks: after an accept. */
interface Prefetched {
  documentId: string;
  prefix: string;
  result: Promise<rpc.CompleteResult | undefined>;
}

/**
 * Ghost text from the model given everything before the cursor: the
 * suggestion the model is sure of (cut where it stops being sure), then the
 * beam's most probable lines, which the inline suggestion toolbar cycles
 * through (Alt+] / Alt+[). Debounced and cancelled by the next keystroke;
 * when the user types the characters the last items showed, the rest of
 * them is offered again without asking the model; after an accept, the
 * next suggestion is asked for at once, so it appears without the debounce.
 */
export class CompletionProvider implements vscode.InlineCompletionItemProvider {
  private shown?: Shown;
  private prefetched?: Prefetched;
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
    const prefix = prefixAt(document, position);
    const reused = this.typedAhead(documentId, prefix);
    if (reused) return items(reused, document, position);

    const prefetched = this.prefetched;
    this.prefetched = undefined;
    let result: rpc.CompleteResult | undefined;
    if (prefetched?.documentId === documentId && prefetched.prefix === prefix) result = await prefetched.result;
    else {
      if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && settings.debounceMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, settings.debounceMs));
        if (token.isCancellationRequested) return undefined;
      }
      result = await this.complete(document, position, token);
    }
    if (!result || token.isCancellationRequested) return undefined;
    this.lastResult = result;
    if (result.items.length === 0) return undefined;
    this.shown = { documentId, prefix, items: result.items };
    return items(result.items, document, position);
  }

  /** After an accept: the completion at the cursor the accept left, asked for now. */
  prefetch(editor: vscode.TextEditor): void {
    const { document } = editor;
    const position = editor.selection.active;
    this.prefetched = { documentId: document.uri.toString(), prefix: prefixAt(document, position), result: this.complete(document, position) };
  }

  private async complete(document: vscode.TextDocument, position: vscode.Position, token?: vscode.CancellationToken): Promise<rpc.CompleteResult | undefined> {
    const settings = readSettings().completion;
    const atLineEnd = position.character === document.lineAt(position.line).text.length;
    const params: rpc.CompleteParams = {
      documentId: document.uri.toString(),
      prefix: prefixAt(document, position),
      maxChars: settings.maxChars,
      temperature: settings.temperature,
      multiline: settings.multiline && atLineEnd,
      precision: settings.precision,
      beamWidth: settings.beamWidth,
      candidates: settings.candidates,
    };
    try {
      return await this.engine.request(rpc.Complete, params, token);
    } catch {
      return undefined; // no model yet, or cancelled: no ghost text, no noise
    }
  }

  /** The items shown last, less what the user has typed of them since, where they still agree. */
  private typedAhead(documentId: string, prefix: string): string[] | undefined {
    const s = this.shown;
    if (!s || s.documentId !== documentId || !prefix.startsWith(s.prefix)) return undefined;
    const typed = prefix.slice(s.prefix.length);
    if (typed.length === 0) return undefined;
    const rest = s.items.filter((text) => text.startsWith(typed) && text.length > typed.length).map((text) => text.slice(typed.length));
    return rest.length > 0 ? rest : undefined;
  }
}

function prefixAt(document: vscode.TextDocument, position: vscode.Position): string {
  return document.getText(new vscode.Range(document.positionAt(contextStart(document.offsetAt(position))), position));
}

/**
 * The items at the cursor, each replacing what of the rest of the line it
 * writes itself (an auto-closed bracket). One that continues the suggestion
 * through what follows the cursor is shown first, and those that write it
 * come before those that do not: they end the line as it already ends.
 */
function items(texts: string[], document: vscode.TextDocument, position: vscode.Position): vscode.InlineCompletionItem[] {
  const rest = document.lineAt(position.line).text.slice(position.character);
  const writes = (text: string) => replacedSuffix(text, rest) > 0;
  const [first, ...others] = texts;
  const closing = others.find((text) => writes(text) && text.startsWith(first));
  const ordered = closing && !writes(first) ? [closing, first, ...others.filter((t) => t !== closing)] : texts;
  const preferred = [ordered[0], ...ordered.slice(1).filter(writes), ...ordered.slice(1).filter((t) => !writes(t))];
  return preferred.map((text) => {
    const item = new vscode.InlineCompletionItem(text, new vscode.Range(position, position.translate(0, replacedSuffix(text, rest))));
    item.command = { command: ACCEPTED_COMMAND, title: 'Suggest again' };
    return item;
  });
}
