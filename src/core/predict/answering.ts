import { DynamicDocuments } from './dynamicDocuments';
import { DynamicEvaluation, DynamicMixture, checkDynamicMixture } from './dynamicEvaluation';
import { InferenceModel } from '../model/inference';
import { CharNgram } from '../ngram/charNgram';
import { DocumentNgrams } from '../ngram/documentNgram';
import { Branching, adaptedBranching, lstmBranching, mixedBranching, ngramBranching } from './predictor';
import { StateCache } from './stateCache';
import type { MixtureInfo } from './workspaceMixture';
import { Vocabulary } from '../text/vocabulary';

/**
 * The predictor that answers at a cursor of a document, as completions and
 * the read-out use it: the LSTM (adapting its output layer to the document
 * when dynamic evaluation is on and fitted) mixed with the n-gram that also
 * reads the document, by the mixer fitted for that LSTM, when the
 * validation figures favour mixing. Per document it keeps what it has read
 * (state caches, the n-gram's side text, the adapted layer), so typing costs
 * only the new characters. The engine answers with it, and the suggestion
 * threshold is fitted with it (suggestionFit.ts).
 */
export class AnsweringPredictor {
  private readonly states: StateCache;
  /** The n-gram with each document's text before the cursor read beside it. */
  readonly documents?: DocumentNgrams;
  /** Dynamic evaluation, when mixture.json has it: each document's adapted output layer and the mixer fitted for it. */
  readonly dynamic?: { documents: DynamicDocuments; mixture: DynamicMixture };

  constructor(
    readonly model: InferenceModel,
    readonly vocabulary: Vocabulary,
    readonly mixture: { ngram: CharNgram; info: MixtureInfo } | undefined,
    /** charlens.completion.dynamicEvaluation. */
    public dynamicEvaluation = true,
  ) {
    this.states = new StateCache(model, vocabulary);
    if (mixture) this.documents = new DocumentNgrams(mixture.ngram, vocabulary);
    const { hiddenSize, vocabSize } = model.config;
    const dynamic = mixture && checkDynamicMixture(mixture.info.dynamicEvaluation, hiddenSize, vocabSize);
    if (dynamic) this.dynamic = { documents: new DynamicDocuments(new DynamicEvaluation(model, dynamic.params), vocabulary), mixture: dynamic };
  }

  /** Dynamic evaluation, if the model has it and the setting is on. */
  adapting(): AnsweringPredictor['dynamic'] {
    return this.dynamicEvaluation ? this.dynamic : undefined;
  }

  /** The predictor after `prefix`, the document's text before the cursor, with one row (see Branching). */
  at(documentId: string, prefix: string): Branching {
    const adapting = this.adapting();
    const lstm = adapting ? adaptedBranching(this.model, adapting.documents.at(documentId, prefix)) : lstmBranching(this.model, this.states.stateAfter(documentId, prefix));
    const m = this.mixture;
    if (!m || !this.documents || (!m.info.gate && m.info.weightOfLstm > 0.99)) return lstm;
    const reader = this.documents.at(documentId, prefix);
    const ngram = ngramBranching(reader, this.vocabulary, prefix);
    // Each gate was fitted on the probabilities of the LSTM it mixes, static or adapting.
    const gate = adapting?.mixture.gate ?? m.info.gate;
    if (gate) return mixedBranching(lstm, ngram, { gate, ngram: reader });
    return m.info.weightOfLstm < 0.01 ? ngram : mixedBranching(lstm, ngram, m.info.weightOfLstm);
  }

  forget(documentId: string): void {
    this.states.forget(documentId);
    this.documents?.forget(documentId);
    this.dynamic?.documents.forget(documentId);
  }
}
