import { NgramModel } from './kneserNey';
import { MatchPath, SuffixNgram } from './suffixNgram';

/** What completions, overlays and evaluation need of a character n-gram: the order-k Kneser-Ney table or the suffix-array model. */
export interface CharNgram {
  readonly vocabSize: number;
  /** The text before a position beyond its last order - 1 symbols does not change a prediction. */
  readonly order: number;
  /** What it is, for the user: "order-10 Kneser-Ney n-gram". */
  readonly label: string;
  /** Strings stored (the table) or characters indexed (the suffix array). */
  readonly entries: number;
  readonly bytes: number;
  score(ids: ArrayLike<number>, options?: { online?: boolean; from?: number }): Float32Array;
  probability(context: ArrayLike<number>, symbol: number): number;
  distribution(context: ArrayLike<number>, out?: Float32Array): Float32Array;
  learnSequence(ids: ArrayLike<number>): void;
  toBuffer(): Buffer;
  /** The last query's match (the suffix-array model's), which the learned mixer's gate reads; the order-k tables have none. */
  readonly path?: MatchPath;
}

/** What predictors read of an n-gram: the model, or the model with a document's text beside it (DocumentNgrams). */
export type NgramReader = Pick<CharNgram, 'vocabSize' | 'order' | 'probability' | 'distribution' | 'path'>;

/** Either model from its saved bytes, told apart by the file's magic number. */
export function ngramFromBuffer(bytes: Uint8Array): CharNgram {
  return SuffixNgram.isBuffer(bytes) ? SuffixNgram.fromBuffer(bytes) : NgramModel.fromBuffer(bytes);
}
