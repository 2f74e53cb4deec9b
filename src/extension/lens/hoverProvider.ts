import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { visibleChar } from './buckets';
import { formatGuesses } from './nextCharReadout';
import { NeuronSelection } from './neuronSelection';
import { WHY_COMMAND, WhyTarget } from './whyOverlay';

const percent = (p: number) => `${(p * 100).toFixed(p < 0.1 ? 2 : 1)}%`;
const code = (ch: string) => `\`${visibleChar(ch).replace(/`/g, '\\`')}\``;

/** Renders what the engine says about one character; `why` (its document and offset) adds a link to Why This Prediction for it. */
export function hoverMarkdown(r: rpc.InspectResult, neuron: string, why?: WhyTarget): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**CharLens** · ${r.model} model\n\n`);
  const sign = r.activation >= 0 ? '+' : '';
  md.appendMarkdown(`${neuron}: **${sign}${r.activation.toFixed(3)}** (rank ${r.rank} of ${r.cells} cells by |activation|)\n\n`);
  if (!r.known) md.appendMarkdown(`${code(r.char)} is outside the model's vocabulary: it was read as the unknown symbol.\n\n`);
  else md.appendMarkdown(`The model gave ${code(r.char)} ${percent(r.probability)}\n\n`);
  md.appendMarkdown(`Next character, top 5: ${formatGuesses(r.guesses).split('  ').map((s) => `\`${s}\``).join(' ')}\n\n`);
  if (r.next) md.appendMarkdown(`Actual next ${code(r.next.char)}: ${percent(r.next.probability)}`);
  if (why) {
    md.isTrusted = { enabledCommands: [WHY_COMMAND] };
    md.appendMarkdown(`\n\n[Why ${percent(r.probability)}?](command:${WHY_COMMAND}?${encodeURIComponent(JSON.stringify([why]))} "Which earlier characters drove the model's probability for this character")`);
  }
  return md;
}

/** Hovering a character shows the chosen cell there and what the model expected next. */
export class LensHoverProvider implements vscode.HoverProvider {
  /** The last result, for tests. */
  last?: rpc.InspectResult;

  constructor(
    private readonly engine: EngineClient,
    private readonly neuron: NeuronSelection,
  ) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!vscode.workspace.getConfiguration('charlens').get<boolean>('hover.enabled', true)) return undefined;
    const offset = doc.offsetAt(position);
    if (offset >= doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end)) return undefined;
    const base = contextStart(offset);
    // The character and the one after it (two code units each at most).
    const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(offset + 4)));
    const neuron = await this.neuron.resolve();
    let result: rpc.InspectResult;
    try {
      result = await this.engine.request(rpc.Inspect, { documentId: doc.uri.toString(), text, offset: offset - base, neuron, topK: 5 }, token);
    } catch {
      return undefined; // no model, or the neuron does not fit this model (the overlays say so)
    }
    this.last = result;
    const range = new vscode.Range(position, doc.positionAt(offset + result.char.length));
    return new vscode.Hover(hoverMarkdown(result, this.neuron.describe(neuron), offset > 0 ? { uri: doc.uri.toString(), offset } : undefined), range);
  }
}
