import { CellType, modelName, parameterCount } from './modelConfig';

export interface SizeChoice {
  layers: number;
  hidden: number;
  dropout: number;
  parameters: number;
  /** One line for the user: what was chosen and why. */
  reason: string;
}

const HIDDEN_SIZES = [32, 64, 128, 256, 512, 1024];

/**
 * Model size from the corpus size, after char-rnn's advice: parameters and
 * training characters of the same order, and dropout once the model is big
 * for its data. Backends without a GPU cap the size at what trains in
 * minutes, not days (a 2x512 model reads ~1k chars/s on one CPU core).
 */
export function sizeForCorpus(chars: number, vocabSize: number, embedding: number, onGpu: boolean, cell: CellType = 'lstm'): SizeChoice {
  const layers = chars < 50_000 ? 1 : 2;
  const cap = onGpu ? 1024 : 256;
  const params = (hidden: number) => parameterCount({ vocabSize, embeddingSize: embedding, hiddenSize: hidden, layers, dropout: 0, cell });
  const fitting = HIDDEN_SIZES.filter((h) => params(h) <= chars);
  const hidden = fitting.filter((h) => h <= cap).pop() ?? HIDDEN_SIZES[0];
  const parameters = params(hidden);
  // char-rnn: a model as big as its data overfits; dropout 0.25 and up keeps validation loss falling.
  const dropout = parameters > chars / 4 ? 0.25 : 0;
  const capped = fitting.some((h) => h > cap) ? `, capped at ${cap} units without a GPU` : '';
  const reason =
    `${modelName({ layers, hiddenSize: hidden, cell })}, ${(parameters / 1e6).toFixed(2)}M parameters for ${(chars / 1e6).toFixed(2)}M training characters` +
    `${dropout ? `, dropout ${dropout}` : ''} (parameters about the corpus size${capped})`;
  return { layers, hidden, dropout, parameters, reason };
}
