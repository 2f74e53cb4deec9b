import { Checkpoint, loadCheckpoint } from '../core/checkpoint';
import { completeFrom } from '../core/completion';
import { InferenceModel } from '../core/inference';
import { sample } from '../core/sampling';
import { StateCache } from '../core/stateCache';
import { CompleteParams, ModelInfo, SampleParams } from './protocol';

/** The loaded model and everything that answers queries from it. */
export class ModelHost {
  readonly info: ModelInfo;
  private readonly model: InferenceModel;
  private readonly states: StateCache;

  constructor(private readonly checkpoint: Checkpoint, source: ModelInfo['source']) {
    this.model = new InferenceModel(checkpoint.config, checkpoint.weights);
    this.states = new StateCache(this.model, checkpoint.vocabulary);
    this.info = {
      dir: checkpoint.dir,
      source,
      layers: checkpoint.config.layers,
      hiddenSize: checkpoint.config.hiddenSize,
      vocabSize: checkpoint.config.vocabSize,
      valLoss: checkpoint.metadata.metrics?.valLoss ?? checkpoint.metadata.metrics?.bestValLoss,
      step: checkpoint.metadata.metrics?.step,
    };
  }

  static load(dir: string, source: ModelInfo['source']): ModelHost {
    return new ModelHost(loadCheckpoint(dir), source);
  }

  complete(p: CompleteParams): string {
    const state = this.states.stateAfter(p.documentId, p.prefix);
    // Seeded by position so the same request gives the same text (cache-friendly, testable).
    return completeFrom(this.model, this.checkpoint.vocabulary, state, {
      maxChars: p.maxChars,
      temperature: p.temperature,
      multiline: p.multiline,
      seed: p.prefix.length,
    });
  }

  sample(p: SampleParams): string {
    return sample(this.model, this.checkpoint.vocabulary, { ...p }).text;
  }

  forget(documentId: string): void {
    this.states.forget(documentId);
  }
}
