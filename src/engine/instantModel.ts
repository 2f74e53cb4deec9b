import { CharNgram } from '../core/ngram/charNgram';
import { ngramProbabilities } from '../core/ngram/workspaceNgram';
import { Stepper, ngramStepper } from '../core/predictor';
import { Vocabulary } from '../core/vocabulary';
import { Answerer } from './answerer';

/** The workspace n-gram, answering completions, read-outs and the prediction overlay while the LSTM trains. */
export class InstantModel implements Answerer {
  readonly source = 'workspace' as const;
  readonly answering = 'n-gram of the workspace (while the LSTM trains)';

  constructor(
    readonly ngram: CharNgram,
    readonly vocabulary: Vocabulary,
  ) {}

  predictorAt(_documentId: string, prefix: string): Stepper {
    return ngramStepper(this.ngram, this.vocabulary, prefix);
  }

  /** The prediction overlay's probabilities. */
  probabilities(text: string, from: number, to: number): Float32Array {
    return ngramProbabilities(this.ngram, this.vocabulary, text, from, to);
  }
}
