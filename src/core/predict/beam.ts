import { Branching } from './predictor';
import { isBlank, isTokenBoundary, isWordChar } from './tokens';
import { Vocabulary } from '../text/vocabulary';

/**
 * Beam search over characters: from the cursor, the `beamWidth` most
 * probable continuations are kept at each depth and extended by every
 * character at once (one batched step of the predictor per depth, not one
 * per hypothesis). A hypothesis ends where its line does (or at the first
 * blank line with multi-line on), at maxChars, or when its probability falls
 * below `floor`, so that a search for what the model is sure of stops as
 * soon as it is no longer sure of anything.
 *
 * The probability of a prefix is the product of its characters'
 * conditional probabilities: the chance that the text goes on with it,
 * whatever follows. Every hypothesis the beam held is kept in a tree, so
 * the suggestion (suggestion.ts) can be cut from it at any threshold at or
 * above the floor: the hypotheses held at a floor f are exactly those of a
 * search with a lower floor whose probability is at least f, since a
 * hypothesis's extensions are never more probable than it and the beam
 * keeps the most probable. (With no floor, a search for whole lines, a
 * hypothesis that cannot end as one of the `lines` most probable ends early.)
 */
export interface BeamOptions {
  beamWidth: number;
  /** How many complete lines to return. */
  lines: number;
  maxChars: number;
  /** Continue past the end of the line, up to the first blank line. */
  multiline: boolean;
  /** Hypotheses less probable than this end (0: search whole lines). */
  floor: number;
  /**
   * Lines shorter than this are no candidates (their end is not counted):
   * 1 where a completion must write something, as at a cursor with more of
   * its line to come, or in the editor, which never shows an empty one.
   */
  minChars?: number;
}

/** One hypothesis: its last character and its probability. */
export interface BeamNode {
  /** Index of the hypothesis it extends; -1 for the root (the cursor, no text). */
  parent: number;
  char: string;
  /** P(the text goes on with this hypothesis's characters). */
  p: number;
  /** P(its line ends right after it): p times the line end's probability, or p where maxChars stopped it; 0 where it went on. */
  ended: number;
  /** P(a token ends right after it): p times the probability that the next character starts another token (see isTokenBoundary), the line end included; p where maxChars stopped it. */
  tokenEnd: number;
}

/** A complete candidate: a line (or lines) ending where the model ended it, or at maxChars. */
export interface CandidateLine {
  text: string;
  /** P(the text is exactly this, then its end). */
  p: number;
  /** prefixes[i]: P(the text goes on with its first i + 1 characters). */
  prefixes: number[];
  node: number;
}

export interface BeamResult {
  /** Every hypothesis the beam held, parents before children; nodes[0] is the root. */
  nodes: BeamNode[];
  /** The `lines` most probable complete candidates, most probable first. */
  lines: CandidateLine[];
}

export function beamSearch(branching: Branching, vocabulary: Vocabulary, o: BeamOptions): BeamResult {
  const { symbols } = vocabulary;
  const boundaries = boundaryMasks(vocabulary);
  const nodes: BeamNode[] = [{ parent: -1, char: '', p: 1, ended: 0, tokenEnd: 0 }];
  const ended: number[] = [];
  /** Rows of the predictor: live[r] is the node row r has read. */
  let live = [0];
  const endsText = (node: number, ch: string) => ch === '\n' && (!o.multiline || nodes[node].char === '\n');
  const minChars = o.minChars ?? 0;
  const kthEnded = () => (ended.length < o.lines ? 0 : nodes[ended[o.lines - 1]].ended);
  for (let depth = 0; depth < o.maxChars && live.length > 0; depth++) {
    const extensions: { row: number; id: number; p: number }[] = [];
    for (let row = 0; row < live.length; row++) {
      const node = nodes[live[row]];
      const probs = branching.distribution(row);
      const mask = boundaries(node.char);
      let boundary = 0;
      for (let id = 0; id < probs.length; id++) if (mask[id]) boundary += probs[id];
      node.tokenEnd = node.p * boundary;
      // id 0 is the unknown symbol: never written.
      for (let id = 1; id < probs.length; id++) {
        const p = node.p * probs[id];
        if (p < o.floor || p === 0) continue;
        if (endsText(live[row], symbols[id])) {
          if (depth >= minChars) node.ended += p;
          continue;
        }
        extensions.push({ row, id, p });
      }
      if (node.ended > 0) insertEnded(ended, nodes, live[row], o.lines);
    }
    // A hypothesis no more probable than the k-th ended line cannot end as a better one; but with a floor the
    // tree is for the suggestion, whose cuts need every hypothesis above it (and the same tree whatever `lines`).
    const bar = o.floor > 0 ? 0 : kthEnded();
    const kept = topByProbability(
      extensions.filter((e) => e.p > bar),
      o.beamWidth,
    );
    if (kept.length === 0) {
      live = [];
      break;
    }
    const next: number[] = [];
    for (const e of kept) {
      next.push(nodes.length);
      nodes.push({ parent: live[e.row], char: symbols[e.id], p: e.p, ended: 0, tokenEnd: 0 });
    }
    branching.branch(
      kept.map((e) => e.row),
      kept.map((e) => e.id),
    );
    live = next;
  }
  // maxChars stopped what is still live: it ends there.
  for (const node of live) {
    nodes[node].ended = nodes[node].tokenEnd = nodes[node].p;
    insertEnded(ended, nodes, node, o.lines);
  }
  return { nodes, lines: ended.map((node) => candidateLine(nodes, node, o.multiline)) };
}

/** Per last character (by its kind): which next characters would end a token after it, the line end included. */
function boundaryMasks(vocabulary: Vocabulary): (last: string) => Uint8Array {
  const mask = (last: string) => Uint8Array.from(vocabulary.symbols, (ch) => (ch === '\n' || isTokenBoundary(last, ch) ? 1 : 0));
  const word = mask('a');
  const blank = mask(' ');
  const other = mask(';');
  return (last) => (isWordChar(last) ? word : isBlank(last) ? blank : other);
}

/** The text from the root to `node`, and each prefix's probability. */
export function pathTo(nodes: readonly BeamNode[], node: number): { chars: string[]; prefixes: number[] } {
  const chars: string[] = [];
  const prefixes: number[] = [];
  for (let n = node; n > 0; n = nodes[n].parent) {
    chars.push(nodes[n].char);
    prefixes.push(nodes[n].p);
  }
  return { chars: chars.reverse(), prefixes: prefixes.reverse() };
}

function candidateLine(nodes: readonly BeamNode[], node: number, multiline: boolean): CandidateLine {
  const { chars, prefixes } = pathTo(nodes, node);
  const text = chars.join('');
  // As greedy multi-line completions: the blank line that ended it is not written.
  return { text: multiline ? text.replace(/\s+$/, '') : text, p: nodes[node].ended, prefixes, node };
}

/** Keeps `ended` the (at most `k`) most probable ended nodes, most probable first. */
function insertEnded(ended: number[], nodes: readonly BeamNode[], node: number, k: number): void {
  const p = nodes[node].ended;
  const at = ended.findIndex((n) => nodes[n].ended < p);
  if (at < 0) {
    if (ended.length < k) ended.push(node);
    return;
  }
  ended.splice(at, 0, node);
  if (ended.length > k) ended.pop();
}

/** The `k` most probable, most probable first (ties: the earlier). */
function topByProbability<T extends { p: number }>(items: T[], k: number): T[] {
  if (items.length <= k) return items.sort((a, b) => b.p - a.p);
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => b.item.p - a.item.p || a.i - b.i)
    .slice(0, k)
    .map((e) => e.item);
}
