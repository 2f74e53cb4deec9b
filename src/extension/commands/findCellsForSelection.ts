import * as path from 'path';
import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import type { SelectionCell } from '../../core/explorer/selectionCells';
import { CharLens } from '../context';
import { contextStart } from '../documentWindow';
import { NeuronSelection } from '../lens/neuronSelection';
import { corpusOf } from './pickNeuron';

/** Cells whose on/off pattern "find similar" matches: the best few, as LSTMVis matches a handful. */
const PATTERN_CELLS = 3;
/** Characters read after the selection: the contrast looks a little past its end. */
const AFTER = 16;

export interface FoundCells {
  cells: SelectionCell[];
  /** What the user picked: a cell to show, or the similar places that were listed. */
  picked?: SelectionCell;
  similar?: rpc.FindSimilarResult;
}

const cellLine = (c: SelectionCell) => `Layer ${c.layer + 1} cell ${c.cell}`;
const cellDetail = (c: SelectionCell, activation: string) => `separation d = ${c.separation.toFixed(2)} (mean ${activation} ${c.inside.toFixed(2)} inside, ${c.around.toFixed(2)} around)`;

/**
 * Find Cells for Selection: the cells that best tell the selected text from
 * the characters around it (Cohen's d of tanh(c) inside against the 10
 * characters either side), best first; picking one shows it in the overlays
 * and views, "Find similar" lists the places of the workspace's sample where
 * the top cells are on for about as long and off around them.
 * `choose` answers the pick without a quick pick (for tests).
 */
export async function findCellsForSelection(charlens: CharLens, neuron: NeuronSelection, choose?: 'similar' | number): Promise<FoundCells | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    charlens.notify.info('select some text first: the cells that are on in it and off around it are listed.');
    return undefined;
  }
  const doc = editor.document;
  const from = doc.offsetAt(editor.selection.start);
  const to = doc.offsetAt(editor.selection.end);
  const base = contextStart(from);
  const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(Math.min(doc.getText().length, to + AFTER))));
  let result: rpc.SelectionResult;
  try {
    result = await charlens.engine.request(rpc.CellsForSelection, { documentId: doc.uri.toString(), text, from: from - base, to: to - base, topK: 10 });
  } catch (err) {
    charlens.notify.warn(`the cells could not be ranked: ${(err as Error).message}`);
    return undefined;
  }
  const cells = result.cells;
  if (cells.length === 0) return { cells };
  type Item = vscode.QuickPickItem & { cell?: SelectionCell };
  const pattern = cells.slice(0, PATTERN_CELLS);
  const items: Item[] = [
    { label: '$(search) Find similar', description: `places where ${pattern.map((c) => `layer ${c.layer + 1} cell ${c.cell}`).join(', ')} show the same on/off pattern` },
    ...cells.map((c) => ({ label: cellLine(c), description: cellDetail(c, result.activation), cell: c })),
  ];
  const pick = choose === undefined ? await vscode.window.showQuickPick(items, { title: `CharLens: cells for the selection (${to - from} characters), by separation` }) : choose === 'similar' ? items[0] : items[1 + choose];
  if (!pick) return { cells };
  if (pick.cell) {
    await neuron.set({ layer: pick.cell.layer, index: pick.cell.cell, kind: 'c', label: `on in the selection, d = ${pick.cell.separation.toFixed(2)}` });
    return { cells, picked: pick.cell };
  }
  const similar = await showSimilar(charlens, pattern, to - from, choose === undefined);
  return { cells, similar };
}

/** Lists the places of the corpus sample that match the pattern, like search results; picking one opens it. */
async function showSimilar(charlens: CharLens, pattern: SelectionCell[], length: number, ask: boolean): Promise<rpc.FindSimilarResult | undefined> {
  const status = await charlens.engine.request0(rpc.Status);
  const corpus = status.model && corpusOf(charlens, status.model);
  if (!corpus) {
    charlens.notify.info('open a folder: similar places are looked for in the corpus the model learnt from.');
    return undefined;
  }
  let similar: rpc.FindSimilarResult;
  try {
    similar = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'CharLens: finding the same on/off pattern' }, () => charlens.engine.request(rpc.FindSimilar, { ...corpus, cells: pattern, length }));
  } catch (err) {
    charlens.notify.warn(`similar places could not be found: ${(err as Error).message}`);
    return undefined;
  }
  charlens.output.appendLine(`[explorer] ${similar.matches.length} similar places in ${similar.chars.toLocaleString('en-US')} characters, ${similar.ms.toFixed(0)} ms`);
  if (!ask) return similar;
  type Match = vscode.QuickPickItem & { match: rpc.SimilarMatch };
  const items: Match[] = similar.matches.map((m) => ({ label: m.text.replace(/\n/g, '⏎'), description: `${m.path}:${m.line + 1}`, match: m }));
  const pick = await vscode.window.showQuickPick(items, { title: `CharLens: ${items.length} places with the same on/off pattern (the explorer's sample of ${similar.folder})`, matchOnDescription: true });
  if (pick) {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(similar.folder, pick.match.path)));
    const at = new vscode.Position(pick.match.line, pick.match.column);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(at, doc.positionAt(doc.offsetAt(at) + pick.match.text.length)) });
  }
  return similar;
}
