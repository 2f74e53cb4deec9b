import { InferenceModel, LstmState } from '../model/inference';
import type { CellType } from '../model/modelConfig';
import { Neuron, neuronValue } from './documentTrace';
import { Vocabulary } from '../text/vocabulary';

export interface Guess {
  char: string;
  probability: number;
}

/** The k most likely next characters, most likely first; the unknown symbol is never offered. */
export function topGuesses(probs: Float32Array, vocabulary: Vocabulary, k: number): Guess[] {
  const ids = Array.from({ length: probs.length - 1 }, (_, i) => i + 1);
  ids.sort((a, b) => probs[b] - probs[a]);
  return ids.slice(0, k).map((id) => ({ char: vocabulary.symbols[id], probability: probs[id] }));
}

/** 1 = the most active of all cells of the neuron's kind, by |activation|. */
export function cellRank(cell: CellType, state: LstmState, neuron: Neuron): { rank: number; cells: number } {
  const mine = Math.abs(neuronValue(cell, state, neuron));
  let rank = 1;
  let cells = 0;
  state.h.forEach((layer, l) => {
    for (let i = 0; i < layer.length; i++) {
      cells++;
      if (Math.abs(neuronValue(cell, state, { layer: l, index: i, kind: neuron.kind })) > mine) rank++;
    }
  });
  return { rank, cells };
}

/** Equal bins over [-1, 1]: the 0.2 steps the neuron overlay colours by. */
export const ACTIVATION_BINS = 10;

/**
 * How each neuron's activation spreads over text[from, to): per neuron, how
 * many characters leave it in each of ACTIVATION_BINS equal bins over
 * [-1, 1]. One reading from `state` (advanced in place) serves every
 * neuron, so judging many cells costs what judging one does.
 */
export function activationHistograms(model: InferenceModel, vocabulary: Vocabulary, state: LstmState, text: string, from: number, to: number, neurons: readonly Neuron[]): number[][] {
  const histograms = neurons.map(() => new Array<number>(ACTIVATION_BINS).fill(0));
  for (const char of text.slice(from, to)) {
    model.advance(state, vocabulary.idOf(char));
    neurons.forEach((n, k) => {
      const bin = Math.floor(((neuronValue(model.cell, state, n) + 1) / 2) * ACTIVATION_BINS);
      histograms[k][Math.max(0, Math.min(ACTIVATION_BINS - 1, bin))]++;
    });
  }
  return histograms;
}
