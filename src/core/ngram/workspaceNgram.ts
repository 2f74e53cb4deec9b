import { CharNgram as Ngram } from './charNgram';
import { MAX_NGRAM_ORDER, NgramModel } from './kneserNey';
import { MAX_MATCH, SuffixNgram } from './suffixNgram';

/**
 * The workspace's n-gram: the model built from the training split when
 * training starts, saved as ngram.bin beside the LSTM. The mixture of the
 * two that answers in the editor is fitted above this folder
 * (predict/workspaceMixture.ts).
 */
export const NGRAM_FILE = 'ngram.bin';

/**
 * Order of the workspace n-gram: the suffix-array model's (the longest
 * context it reads), which on the accuracy benchmark completes far better
 * online than the order-k tables and takes 6-7 bytes per character where
 * an order-10 table takes 40. An order up to MAX_NGRAM_ORDER asks for the
 * Kneser-Ney table of that order instead.
 */
export const WORKSPACE_NGRAM_ORDER = MAX_MATCH + 1;

/**
 * The instant model: an n-gram of the training split, built in seconds when
 * training starts so that completions and the prediction overlay have a
 * model of this workspace at once; the same split the LSTM trains on, so the
 * validation text stays unseen by both.
 */
export function buildWorkspaceNgram(train: ArrayLike<number>, vocabSize: number, order = WORKSPACE_NGRAM_ORDER): Ngram {
  return order > MAX_NGRAM_ORDER ? SuffixNgram.build(train, { vocabSize }) : NgramModel.build(train, { order, vocabSize });
}
