import { completeFrom } from '../core/completion';
import { topGuesses } from '../core/modelLens';
import { NgramModel } from '../core/ngram/kneserNey';
import { ngramProbabilities } from '../core/ngram/workspaceNgram';
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

  /** The prediction overlay's probabilities while the LSTM trains. */
  probabilities(text: string, from: number, to: number): Float32Array {
    return ngramProbabilities(this.ngram, this.vocabulary, text, from, to);
  }

  predict(p: PredictParams) {
    return topGuesses(this.stepper(p.prefix).probabilities(), this.vocabulary, p.topK);
  }
}
