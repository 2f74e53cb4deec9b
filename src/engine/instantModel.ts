import { CharNgram } from '../core/ngram/charNgram';
import { DocumentNgrams } from '../core/ngram/documentNgram';
import { ngramProbabilities } from '../core/predict/workspaceMixture';
import { FILE_LEFT_OUT } from './protocol';
import { Branching, ngramBranching } from '../core/predict/predictor';
import { SuggestionCut, cutFor } from '../core/predict/suggestion';
import { Vocabulary } from '../core/text/vocabulary';
import { Answerer } from './answerer';

/**
 * The workspace n-gram, answering completions, read-outs and the
 * prediction overlay while the LSTM trains; like a trained model's n-gram,
 * it also reads the document at hand (DocumentNgrams).
 */
export class InstantModel implements Answerer {
  readonly source = 'workspace' as const;
  readonly answering = 'n-gram of the workspace (while the LSTM trains)';
  private readonly documents: DocumentNgrams;

  constructor(
    readonly ngram: CharNgram,
    readonly vocabulary: Vocabulary,
  ) {
    this.documents = new DocumentNgrams(ngram, vocabulary);
  }

  predictorAt(documentId: string, prefix: string): Branching {
    return ngramBranching(this.documents.at(documentId, prefix), this.vocabulary, prefix);
  }

  /** No fitted curve: the n-gram's probabilities are taken at their word. */
  cutFor(precision: number): SuggestionCut {
    return cutFor(undefined, precision);
  }

  /** The document was closed. */
  forget(documentId: string): void {
    this.documents.forget(documentId);
  }

  /** The prediction overlay's probabilities, and what gave them: a file of the workspace is read with it left out of the n-gram (see ModelHost.trace). */
  probabilities(documentId: string, text: string, from: number, to: number, fileText = () => text): { probability: Float32Array; answering: string; fileLeftOut: boolean } {
    const { reader, readOn, leftOut } = this.documents.reading(documentId, text, from, fileText);
    const fileLeftOut = leftOut !== undefined;
    return { probability: ngramProbabilities(reader, this.vocabulary, text, from, to, { readOn }), answering: fileLeftOut ? `${this.answering}, ${FILE_LEFT_OUT}` : this.answering, fileLeftOut };
  }
}
