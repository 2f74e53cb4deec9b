import { Checkpoint } from '../model/checkpoint';
import { InferenceModel, shownActivation } from '../model/inference';
import { cellOf } from '../model/modelConfig';
import { LabelScoreTable, LearnedLabel, SnapshotScorer, WeightHistory, loadSnapshotWeights, readWeightHistory } from '../model/weightHistory';
import { CheckpointError } from '../model/modelJson';
import { Corpus } from '../text/corpus';
import { Vocabulary } from '../text/vocabulary';
import { FEATURE_LABELS, FEATURE_NAMES, FeatureName } from './codeFeatures';
import { ExplorerSample, corpusFiles, explorerSample } from './explorerSample';
import { NeuronRanking, RankOptions, SteppingModel, isLearned } from './neuronRanking';
import { scoreSample } from './samplePass';

/**
 * How the cells learned their labels: the explorer's scores (the Pearson r
 * and top-1% precision of every cell for every feature, on the explorer's
 * sample) at each snapshot of the weights' history (model/weightHistory.ts).
 * Training scores each snapshot as it takes it, on the sample of its corpus,
 * and keeps the scores with it; a snapshot scored on another sample is
 * scored again here.
 */

/** Every cell's r and precision for every feature: what the explorer ranks, all of it. */
export async function labelScores(model: SteppingModel, vocabulary: Vocabulary, sample: ExplorerSample, options: RankOptions = {}): Promise<LabelScoreTable> {
  const { correlation, sketch } = await scoreSample(model, vocabulary, sample.text, sample.features, options);
  const r = Array.from(correlation.correlations());
  const F = FEATURE_NAMES.length;
  const precision = r.map((value, i) => (Number.isNaN(value) ? null : round(sketch.precisionAtTop(Math.floor(i / F), i % F, value < 0 ? -1 : 1))));
  return { sample: sample.fingerprint, features: [...FEATURE_NAMES], r: r.map((value) => (Number.isNaN(value) ? 0 : round(value))), precision };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** A cell's score for one feature in a table. */
export type FeatureCell = Omit<LearnedLabel, 'step' | 'precision'> & { precision: number | null };

/** For each feature, of the cells `accept` takes, the one with the largest |r|; features no cell is taken for (a feature constant over the sample) are left out. */
function strongestCells(table: LabelScoreTable, hiddenSize: number, accept: (score: { r: number; precision: number | null }) => boolean): FeatureCell[] {
  const F = table.features.length;
  const found: FeatureCell[] = [];
  table.features.forEach((feature, f) => {
    let best: FeatureCell | undefined;
    for (let k = 0; k * F + f < table.r.length; k++) {
      const score = { r: table.r[k * F + f], precision: table.precision[k * F + f] };
      if (score.precision !== null && accept(score) && (!best || Math.abs(score.r) > Math.abs(best.r))) best = { feature, layer: Math.floor(k / hiddenSize), cell: k % hiddenSize, ...score };
    }
    if (best) found.push(best);
  });
  return found;
}

/** For each feature some cell has learned (neuronRanking.ts's threshold), the cell with the largest |r| of those. */
export const learnedNow = (table: LabelScoreTable, hiddenSize: number): Array<Omit<LearnedLabel, 'step'>> =>
  strongestCells(table, hiddenSize, isLearned).map((c) => ({ ...c, precision: c.precision! }));

/** For each feature, the cell that tracks it most strongly (largest |r|), learned or not. */
export const bestCells = (table: LabelScoreTable, hiddenSize: number): FeatureCell[] => strongestCells(table, hiddenSize, () => true);

/** Scores snapshots on `sample` for training (train/snapshotSeries.ts): the table and the labels past the threshold. */
export const sampleScorer =
  (sample: ExplorerSample): SnapshotScorer =>
  async (model, vocabulary) => {
    const scores = await labelScores(model, vocabulary, sample);
    return { scores, over: learnedNow(scores, model.config.hiddenSize) };
  };

/** The scorer a training run on `corpus` uses: on the explorer's sample of the corpus, as the explorer takes it. */
export const corpusScorer = (corpus: Corpus): SnapshotScorer => sampleScorer(explorerSample(corpusFiles(corpus)));

export interface SnapshotScores {
  step: number;
  valLoss?: number;
  table: LabelScoreTable;
}

export interface ScoredHistory {
  history: WeightHistory;
  snapshots: SnapshotScores[];
  /** Snapshots scored now (their stored scores were of another sample, or none). */
  computed: number;
}

/** The model's snapshots scored on `sample`; undefined when its folder keeps no history. */
export async function scoredHistory(checkpoint: Checkpoint, sample: ExplorerSample, options: RankOptions = {}): Promise<ScoredHistory | undefined> {
  const history = readWeightHistory(checkpoint.dir);
  if (!history) return undefined;
  if (JSON.stringify(history.config) !== JSON.stringify(checkpoint.config)) {
    throw new CheckpointError(`The weights' history in ${checkpoint.dir} is of a ${history.config.layers}x${history.config.hiddenSize} model, not of this one`);
  }
  let computed = 0;
  const snapshots: SnapshotScores[] = [];
  for (const entry of history.snapshots) {
    let table = entry.scores;
    if (table?.sample !== sample.fingerprint) {
      const model = new InferenceModel(history.config, loadSnapshotWeights(checkpoint.dir, history.config, entry));
      table = await labelScores(model, checkpoint.vocabulary, sample, options);
      computed++;
    }
    snapshots.push({ step: entry.step, valLoss: entry.valLoss, table });
  }
  return { history, snapshots, computed };
}

export interface CellScorePoint {
  step: number;
  r: number;
  precision: number | null;
}

/** One cell's score for `feature` at every snapshot, and the first step it passed the threshold. */
export function cellLabelHistory(snapshots: SnapshotScores[], layer: number, cell: number, hiddenSize: number, feature: FeatureName): { points: CellScorePoint[]; learnedAt?: number } {
  const points = snapshots.map(({ step, table }) => {
    const i = (layer * hiddenSize + cell) * table.features.length + table.features.indexOf(feature);
    return { step, r: table.r[i], precision: table.precision[i] };
  });
  return { points, learnedAt: points.find(isLearned)?.step };
}

/** The feature a cell tracks best (largest |r|) in a table: what to follow a cell the explorer did not label by. */
export function bestFeature(table: LabelScoreTable, layer: number, cell: number, hiddenSize: number): FeatureName {
  const F = table.features.length;
  const row = table.r.slice((layer * hiddenSize + cell) * F, (layer * hiddenSize + cell + 1) * F);
  return table.features[row.reduce((best, r, f) => (Math.abs(r) > Math.abs(row[best]) ? f : best), 0)] as FeatureName;
}

/** Characters read before a line to set the state it is read in: a long way past what a cell remembers, short enough for a dozen snapshots. */
export const LINE_CONTEXT = 1000;

/** A cell's shown activation (an LSTM's tanh(c), a GRU's or RNN's h) after each character of text[from, to), reading from the zero state LINE_CONTEXT characters before. */
export function lineActivations(model: InferenceModel, vocabulary: Vocabulary, text: string, from: number, to: number, layer: number, cell: number): number[] {
  const kind = cellOf(model.config);
  const state = model.zeroState();
  for (const ch of Array.from(text.slice(Math.max(0, from - LINE_CONTEXT), from))) model.advance(state, vocabulary.idOf(ch));
  return Array.from(text.slice(from, to), (ch) => {
    model.advance(state, vocabulary.idOf(ch));
    return shownActivation(kind, state, layer, cell);
  });
}

/** One cell's label score over the snapshots. */
export interface CellHistoryRow {
  layer: number;
  cell: number;
  /** The feature followed: the explorer's label of the cell in the model, else the one it tracks best at the latest snapshot. */
  feature: FeatureName;
  points: CellScorePoint[];
  /** The first snapshot's step at which the cell passed the explorer's threshold for the feature. */
  learnedAt?: number;
}

/** Cells the history follows besides the chosen one: the explorer's labelled cells that pass the threshold in the model, strongest first. */
export const LABELLED_CELLS = 8;

/** The chosen cell first, then the explorer's labelled cells (those of `ranking.cells` past the threshold), each over the snapshots. */
export function cellHistoryRows(snapshots: SnapshotScores[], ranking: NeuronRanking, chosen: { layer: number; cell: number }): CellHistoryRow[] {
  const H = ranking.hiddenSize;
  const labelled = ranking.cells.filter((c) => isLearned(c) && !(c.layer === chosen.layer && c.cell === chosen.cell)).slice(0, LABELLED_CELLS);
  const chosenLabel = ranking.cells.find((c) => c.layer === chosen.layer && c.cell === chosen.cell)?.feature;
  const latest = snapshots.at(-1)?.table;
  const chosenFeature = chosenLabel ?? (latest ? bestFeature(latest, chosen.layer, chosen.cell, H) : FEATURE_NAMES[0]);
  return [{ ...chosen, feature: chosenFeature }, ...labelled.map((c) => ({ layer: c.layer, cell: c.cell, feature: c.feature }))].map((c) => ({ ...c, ...cellLabelHistory(snapshots, c.layer, c.cell, H, c.feature) }));
}

/** The cell's activations on text[from, to) read by each snapshot's weights, one row per snapshot. */
export function lineHistory(dir: string, history: WeightHistory, vocabulary: Vocabulary, line: { text: string; from: number; to: number }, layer: number, cell: number): number[][] {
  return history.snapshots.map((entry) => lineActivations(new InferenceModel(history.config, loadSnapshotWeights(dir, history.config, entry)), vocabulary, line.text, line.from, line.to, layer, cell));
}

/** "learned: inside comment at step 300, ( ) depth at step 1,100", in the order they were learned; empty before any. */
export function describeLearned(learned: readonly LearnedLabel[]): string {
  if (learned.length === 0) return '';
  const named = [...learned].sort((a, b) => a.step - b.step).map((l) => `${FEATURE_LABELS[l.feature as FeatureName] ?? l.feature} at step ${l.step.toLocaleString('en-US')}`);
  return `learned: ${named.join(', ')}`;
}
