import type { Branching } from '../core/predict/predictor';
import type { SuggestionCut } from '../core/predict/suggestion';
import type { Vocabulary } from '../core/text/vocabulary';
import type { ModelInfo } from './protocol';

/**
 * What completions and the next-character read-out need of a model: the
 * loaded LSTM (with its n-gram mixture) or, while the LSTM trains, the
 * workspace n-gram.
 */
export interface Answerer {
  readonly vocabulary: Vocabulary;
  readonly source: ModelInfo['source'];
  /** What the UI shows as answering (ModelInfo.answering). */
  readonly answering: string;
  /** A predictor positioned after `prefix`, ready to step or branch. */
  predictorAt(documentId: string, prefix: string): Branching;
  /** Where ghost text is cut for a precision (see cutFor in core/predict/suggestion.ts). */
  cutFor(precision: number): SuggestionCut;
}
