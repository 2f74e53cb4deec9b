import { InferenceModel } from '../model/inference';
import { ModelConfig, WeightArrays } from '../model/modelConfig';
import { Vocabulary } from '../text/vocabulary';
import { LearnedLabel, SnapshotScorer, WeightHistory, addSnapshot, snapshotWeights, startWeightHistory } from '../model/weightHistory';

/**
 * The training loop's side of the weights' history (model/weightHistory.ts):
 * at each validation a snapshot, scored when a scorer is given, and the
 * labels learned so far, each with the step it first passed the threshold.
 */
export class SnapshotSeries {
  private constructor(
    private readonly out: string,
    private readonly vocabulary: Vocabulary,
    private history: WeightHistory,
    private readonly scorer?: SnapshotScorer,
  ) {}

  /** A new run's series, or a resumed run's, kept up to the step it resumes at. */
  static start(out: string, config: ModelConfig, vocabulary: Vocabulary, resumedAt: number | undefined, scorer?: SnapshotScorer): SnapshotSeries {
    return new SnapshotSeries(out, vocabulary, startWeightHistory(out, config, resumedAt), scorer);
  }

  /** Keeps a snapshot of `weights` at `step`; returns every label learned so far, in the order they were. */
  async record(step: number, weights: WeightArrays, valLoss: number): Promise<LearnedLabel[]> {
    const kept = snapshotWeights(this.history.config, weights);
    const labels = this.scorer && (await this.scorer(new InferenceModel(this.history.config, kept), this.vocabulary));
    const known = new Set(this.history.learned.map((l) => l.feature));
    const learned = [...this.history.learned, ...(labels?.over ?? []).filter((l) => !known.has(l.feature)).map((l) => ({ ...l, step }))];
    this.history = addSnapshot(this.out, this.history, kept, { step, valLoss, scores: labels?.scores }, learned);
    return learned;
  }
}
