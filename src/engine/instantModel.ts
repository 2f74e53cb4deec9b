import { completeFrom } from '../core/completion';
import { topGuesses } from '../core/modelLens';
import { NgramModel } from '../core/ngram/kneserNey';
import { ngramStepper } from '../core/predictor';
import { Vocabulary } from '../core/vocabulary';
import { CompleteParams, PredictParams } from './protocol';

/** The workspace n-gram, answering completions and read-outs while the LSTM trains. */
export class InstantModel {
  static readonly label = 'n-gram of the workspace (while the LSTM trains)';

  constructor(
    readonly ngram: NgramModel,
    readonly vocabulary: Vocabulary,
  ) {}

  private stepper(prefix: string) {
    return ngramStepper(this.ngram, this.vocabulary.encode(prefix.slice(-2 * this.ngram.order)));
  }

  complete(p: CompleteParams): string {
    return completeFrom(this.stepper(p.prefix), this.vocabulary, { maxChars: p.maxChars, temperature: p.temperature, multiline: p.multiline, seed: p.prefix.length });
  }

  predict(p: PredictParams) {
    return topGuesses(this.stepper(p.prefix).probabilities(), this.vocabulary, p.topK);
  }
}
