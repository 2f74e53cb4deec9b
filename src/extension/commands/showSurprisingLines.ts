import * as vscode from 'vscode';
import { LineSurprisal, mostSurprising } from '../../core/predict/lineSurprisal';
import { FILE_LEFT_OUT } from '../../engine/protocol';
import { CharLens } from '../context';
import { NeuronSelection } from '../lens/neuronSelection';
import { MAX_CHUNK_CHARS, surpriseOfLines } from '../lens/surpriseOverlay';

/** Lines listed: the top of the file's ranking, as a search lists its first results. */
const LISTED = 30;

export interface SurprisingLines {
  lines: LineSurprisal[];
  /** Lines of the file scored, and how long the engine took for them. */
  scored: number;
  /** The n-gram read the file with it left out (it is one of the files it was built from). */
  fileLeftOut: boolean;
  engineMs: number;
}

/**
 * Show Surprising Lines: the active file's lines ranked by the model's mean
 * bits/char on them, each given everything before it (buggy lines tend to be
 * less natural: Ray et al., ICSE 2016), read in chunks from the file's start
 * so that the figures are the overlay's; picking one reveals it. `choose`
 * answers the pick without a quick pick (for tests).
 */
export async function showSurprisingLines(charlens: CharLens, neuron: NeuronSelection, choose?: number): Promise<SurprisingLines | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    charlens.notify.info('open a file first: its lines are ranked by how surprising the model finds them.');
    return undefined;
  }
  const doc = editor.document;
  const all: LineSurprisal[] = [];
  let engineMs = 0;
  let fileLeftOut = false;
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'CharLens: reading the file for surprising lines' }, async (progress) => {
      for (let first = 0; first < doc.lineCount; ) {
        let last = first;
        const start = doc.offsetAt(new vscode.Position(first, 0));
        while (last + 1 < doc.lineCount && doc.offsetAt(doc.lineAt(last + 1).rangeIncludingLineBreak.end) - start <= MAX_CHUNK_CHARS) last++;
        const { lines, ms, fileLeftOut: leftOut } = await surpriseOfLines(charlens.engine, neuron, doc, first, last);
        fileLeftOut ||= leftOut;
        all.push(...lines);
        engineMs += ms;
        progress.report({ increment: (100 * (last + 1 - first)) / doc.lineCount });
        first = last + 1;
      }
    });
  } catch (err) {
    charlens.notify.warn(`the lines could not be scored: ${(err as Error).message}`);
    return undefined;
  }
  const top = mostSurprising(all, LISTED);
  charlens.output.appendLine(`[surprise] ${all.length} lines of ${doc.fileName} scored in ${engineMs.toFixed(0)} ms of engine time`);
  const items = top.map((l) => ({ label: `${l.line + 1}: ${doc.lineAt(l.line).text.trim()}`, description: `${l.bitsPerChar.toFixed(2)} bits/char`, line: l.line }));
  const pick = choose === undefined ? await vscode.window.showQuickPick(items, { title: `CharLens: the ${items.length} most surprising of ${all.length} lines, by mean bits/char${fileLeftOut ? `, ${FILE_LEFT_OUT}` : ''}` }) : items[choose];
  if (pick) {
    const range = doc.lineAt(pick.line).range;
    const shown = await vscode.window.showTextDocument(doc, { viewColumn: editor.viewColumn, selection: new vscode.Range(range.start, range.start) });
    shown.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
  return { lines: top, scored: all.length, fileLeftOut, engineMs };
}
