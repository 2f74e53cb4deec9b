import { LstmState, shownActivation } from '../model/inference';
import { cellOf } from '../model/modelConfig';
import { Vocabulary } from '../text/vocabulary';
import { Example } from './activationSketch';
import { SamplePart } from './explorerSample';
import { SteppingModel } from './neuronRanking';
import { CellFiring, ExplorerPass, PEAKS } from './samplePass';
import { PlaceWindow, distinctPlaces, spreadPlaces } from './snippetPlaces';

/** Characters shown before and after the place a snippet is about. */
export const SNIPPET_BEFORE = 40;
export const SNIPPET_AFTER = 20;

export interface CellSnippet {
  kind: 'highest' | 'lowest' | 'quantile';
  /** For kind 'quantile': which one (0.99 = 99th percentile). */
  quantile?: number;
  /** The cell's tanh(c) at the place. */
  value: number;
  /** The file (as the corpus names it, relative to its folder), 0-based line and UTF-16 column of the place. */
  path: string;
  line: number;
  column: number;
  /** The window's characters (code points), with the cell's tanh(c) after each; `focus` indexes the place. */
  chars: string[];
  activations: number[];
  focus: number;
}

/** What snippets are cut from: the sample's characters and windows, and the pass over it. */
export interface SnippetSource {
  chars: string[];
  parts: SamplePart[];
  pass: Pick<ExplorerPass, 'states'>;
}

/**
 * The snippets of one cell: its highest and lowest places (spread over the
 * files, see spreadPlaces) and one at each quantile whose window is not
 * another's, each a window of its file with the cell's values, re-read from
 * the saved state before the window (exact: the pass read the same text from
 * the same states).
 */
export function cellSnippets(model: SteppingModel, vocabulary: Vocabulary, source: SnippetSource, firing: CellFiring): CellSnippet[] {
  const windowOf = (at: number): PlaceWindow => {
    const part = partAt(source.parts, at);
    return { path: part.path, from: Math.max(part.at, at - SNIPPET_BEFORE), to: Math.min(part.at + part.chars, at + SNIPPET_AFTER + 1) };
  };
  const snippet = (kind: CellSnippet['kind'], place: Example, quantile?: number): CellSnippet => {
    const { from, to } = windowOf(place.at);
    const activations = readCell(model, vocabulary, source, firing, from, to);
    return { kind, ...(quantile === undefined ? {} : { quantile }), value: place.value, ...placeOf(source, place.at), chars: source.chars.slice(from, to), activations, focus: place.at - from };
  };
  return [
    ...spreadPlaces(firing.highest, windowOf, PEAKS).map((p) => snippet('highest', p)),
    ...spreadPlaces(firing.lowest, windowOf, PEAKS).map((p) => snippet('lowest', p)),
    ...distinctPlaces(firing.quantiles, windowOf).map((p) => snippet('quantile', p, p.q)),
  ];
}

/** The file, 0-based line and UTF-16 column of the sample's character `at`. */
export function placeOf(source: Pick<SnippetSource, 'chars' | 'parts'>, at: number): { path: string; line: number; column: number } {
  const part = partAt(source.parts, at);
  return { path: part.path, ...lineAndColumn(source.chars, part, at) };
}

function partAt(parts: SamplePart[], at: number): SamplePart {
  let lo = 0;
  let hi = parts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (parts[mid].at <= at) lo = mid;
    else hi = mid - 1;
  }
  return parts[lo];
}

function lineAndColumn(chars: string[], part: SamplePart, at: number): { line: number; column: number } {
  let line = part.line;
  let column = 0;
  for (let i = part.at; i < at; i++) {
    if (chars[i] === '\n') {
      line++;
      column = 0;
    } else {
      column += chars[i].length;
    }
  }
  return { line, column };
}

/** The cell's tanh(c) after each character of [from, to), from the saved state at or before `from`. */
function readCell(model: SteppingModel, vocabulary: Vocabulary, source: SnippetSource, firing: CellFiring, from: number, to: number): number[] {
  const { interval, width, data } = source.pass.states;
  const k = Math.floor(from / interval);
  const { layers, hiddenSize: H } = model.config;
  const saved = data.subarray(k * width, (k + 1) * width);
  const state: LstmState = {
    h: Array.from({ length: layers }, (_, l) => saved.slice(l * H, (l + 1) * H)),
    c: Array.from({ length: layers }, (_, l) => saved.slice(layers * H + l * H, layers * H + (l + 1) * H)),
  };
  const out: number[] = [];
  for (let i = k * interval; i < to; i++) {
    model.advance(state, vocabulary.idOf(source.chars[i]));
    if (i >= from) out.push(shownActivation(cellOf(model.config), state, firing.layer, firing.cell));
  }
  return out;
}
