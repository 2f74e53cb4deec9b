import * as vscode from 'vscode';
import * as rpc from '../../engine/protocol';
import { contextStart } from '../documentWindow';
import { EngineClient } from '../engineClient';
import { varyingCell } from './cellVariety';
import { ChosenNeuron } from './neuronSelection';

/** Characters of the view judged at most (the engine's bound for a range read character by character). */
const MAX_CHARS = 5_000;

/**
 * The cell the overlays, the hover and the neuron view show before the user
 * picks one: of the explorer's labelled cells (strongest first), the first
 * that varies on the text in `editor`'s view (see varyingCell), read in one
 * pass for all of them; the strongest when no text is in view or the engine
 * cannot say.
 */
export async function preselectCell(engine: EngineClient, editor: vscode.TextEditor | undefined, labelled: ChosenNeuron[]): Promise<ChosenNeuron | undefined> {
  const ranges = editor?.visibleRanges ?? [];
  if (!editor || ranges.length === 0 || labelled.length < 2) return labelled[0];
  const doc = editor.document;
  const from = doc.offsetAt(new vscode.Position(ranges[0].start.line, 0));
  const to = Math.min(doc.offsetAt(ranges[ranges.length - 1].end), from + MAX_CHARS);
  if (to <= from) return labelled[0];
  const base = contextStart(from);
  const text = doc.getText(new vscode.Range(doc.positionAt(base), doc.positionAt(to)));
  const neurons = labelled.map(({ layer, index }) => ({ layer, index, kind: 'c' as const }));
  try {
    const { histograms } = await engine.request(rpc.ActivationHistograms, { documentId: doc.uri.toString(), text, from: from - base, to: to - base, neurons });
    return varyingCell(labelled, histograms);
  } catch {
    return labelled[0];
  }
}
