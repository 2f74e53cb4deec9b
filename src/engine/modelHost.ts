import { Checkpoint, loadCheckpoint } from '../core/model/checkpoint';
import { AnsweringPredictor } from '../core/predict/answering';
import { DocumentTrace, checkNeuron, neuronValue } from '../core/predict/documentTrace';
import { InferenceModel, SHOWN_ACTIVATION } from '../core/model/inference';
import { cellOf } from '../core/model/modelConfig';
import { LruMap } from '../core/lruMap';
import { activationHistograms, cellRank, topGuesses } from '../core/predict/modelLens';
import { MixtureInfo, answeringLabel, loadMixture, ngramProbabilities, validationFigures } from '../core/predict/workspaceMixture';
import { CharNgram } from '../core/ngram/charNgram';
import { Branching } from '../core/predict/predictor';
import { sample } from '../core/predict/sampling';
import { SuggestionCut, cutFor } from '../core/predict/suggestion';
import { readCorpus } from '../core/text/corpus';
import { ExploreResult, explore } from '../core/explorer/explore';
import { ExplorerSample, corpusFiles, explorerSample } from '../core/explorer/explorerSample';
import { cellSnippets, placeOf } from '../core/explorer/cellSnippets';
import { SURROUNDINGS, cellsForSelection, findSimilar } from '../core/explorer/selectionCells';
import { MeasuredText, clampEffect, measuredText } from '../core/explorer/clampEffect';
import { modelReport } from '../core/explorer/modelReport';
import { ScoredHistory, cellHistoryRows, lineHistory, scoredHistory } from '../core/explorer/labelHistory';
import { LEARNED_PRECISION, LEARNED_R } from '../core/explorer/neuronRanking';
import { UserError } from '../core/userError';
import { alignToCodePoint } from '../core/predict/stateCache';
import { Attributor, attribute } from '../core/explain/attribution';
import { Answerer } from './answerer';
import { FILE_LEFT_OUT, DEFAULT_WHY_WINDOW, WhyParams, WhyResult, CellFiringParams, CellFiringResult, CellHistoryParams, CellHistoryResult, ClampEffectResult, ModelReportResult, FindSimilarParams, FindSimilarResult, SelectionParams, SelectionResult, DetailParams, DetailResult, HistogramParams, HistogramResult, ExploreParams, ExploreProgressParams, InspectParams, InspectResult, ModelInfo, SampleParams, TraceParams, TraceResult, ValidationFigures, describeValidation } from './protocol';

/** Which corpus a request names: its folder and its include/exclude globs. */
const corpusKey = (p: ExploreParams): string => JSON.stringify([p.folder, p.include, p.exclude]);

/** `result` kept under `key` while it is pending or fulfilled: a failure is forgotten, so the next ask tries again. */
function keptUnlessFailed<T>(cache: Map<string, Promise<T>>, key: string, result: Promise<T>): Promise<T> {
  cache.set(key, result);
  result.catch(() => cache.delete(key));
  return result;
}

/** The explorer's pass over a corpus's sample, with the sample's characters that snippets are cut from. */
export interface Explored extends ExploreResult {
  folder: string;
  sample: ExplorerSample;
  chars: string[];
}

/** The engine's settings that change how a model answers. */
export interface HostOptions {
  /** charlens.completion.dynamicEvaluation: completions and the read-out adapt the LSTM's output layer to each document, when the model has it fitted. */
  dynamicEvaluation: boolean;
}

/** The loaded model and everything that answers queries from it. */
export class ModelHost implements Answerer {
  private readonly model: InferenceModel;
  private readonly answeringPredictor: AnsweringPredictor;
  private readonly traces = new LruMap<string, DocumentTrace>(20);
  /** Made at the first Why This Prediction (a wasm memory of about 10 MB for 2x128), then kept with the model. */
  private attributor?: Attributor;
  /** Explorer results per corpus, so that Pick Neuron and the neuron view read the corpus once per model. */
  private readonly explored = new Map<string, Promise<Explored>>();
  /** The weights' history scored on each explorer sample asked for (undefined: the model keeps none). */
  private readonly scoredHistories = new Map<string, Promise<ScoredHistory | undefined>>();
  /** The text each corpus's clamp comparisons are measured on. */
  private readonly clampTexts = new LruMap<string, MeasuredText>(2);
  constructor(
    readonly checkpoint: Checkpoint,
    readonly source: ModelInfo['source'],
    private readonly mixture?: { ngram: CharNgram; info: MixtureInfo },
    private options: HostOptions = { dynamicEvaluation: true },
    /** Where the explorer caches its results (see load). */
    private readonly explorerCache?: string,
  ) {
    this.model = InferenceModel.of(checkpoint);
    this.answeringPredictor = new AnsweringPredictor(this.model, checkpoint.vocabulary, mixture, options.dynamicEvaluation);
  }

  /** `explorerCache`: where the explorer caches what it finds (the model's folder unless said). */
  static load(dir: string, source: ModelInfo['source'], options?: HostOptions, explorerCache?: string): ModelHost {
    const checkpoint = loadCheckpoint(dir);
    const mixture = loadMixture(checkpoint, (why) => process.stderr.write(`[engine] ${dir}: its n-gram is not used (${why}); the LSTM answers alone until training the model again rebuilds it\n`));
    const host = new ModelHost(checkpoint, source, mixture?.ngram.vocabSize === checkpoint.vocabulary.size ? mixture : undefined, options, explorerCache);
    // The engine's stderr is the output log.
    process.stderr.write(`[engine] ${dir}: completions from ${host.answering}${host.info.validation ? `, ${describeValidation(host.info.validation)}` : ''}\n`);
    return host;
  }

  get info(): ModelInfo {
    const { checkpoint, mixture } = this;
    const adapting = this.answeringPredictor.adapting();
    const { dynamic } = this.answeringPredictor;
    const validation: ValidationFigures | undefined = mixture && validationFigures(mixture.info);
    if (validation && dynamic) {
      validation.dynamic = { lstm: dynamic.mixture.lstm, enabled: this.options.dynamicEvaluation };
      if (adapting) validation.answering = adapting.mixture.gated;
    }
    return {
      dir: checkpoint.dir,
      source: this.source,
      cell: cellOf(checkpoint.config),
      activation: SHOWN_ACTIVATION[this.model.cell],
      layers: checkpoint.config.layers,
      hiddenSize: checkpoint.config.hiddenSize,
      vocabSize: checkpoint.config.vocabSize,
      valLoss: checkpoint.metadata.metrics?.valLoss ?? checkpoint.metadata.metrics?.bestValLoss,
      step: checkpoint.metadata.metrics?.step,
      answering: this.answering,
      validation,
    };
  }

  setOptions(options: HostOptions): void {
    this.options = options;
    this.answeringPredictor.dynamicEvaluation = options.dynamicEvaluation;
  }

  get vocabulary() {
    return this.checkpoint.vocabulary;
  }

  get answering(): string {
    return `${answeringLabel(this.mixture?.info)}${this.answeringPredictor.adapting() ? ', the LSTM adapting to each document (dynamic evaluation)' : ''}`;
  }

  cutFor(precision: number): SuggestionCut {
    return cutFor(this.mixture?.info.suggestions, precision);
  }

  /** The answering predictor after `prefix` (see AnsweringPredictor). */
  predictorAt(documentId: string, prefix: string): Branching {
    return this.answeringPredictor.at(documentId, prefix);
  }

  /**
   * The overlays' values. `fileText` is the document's whole text (the text
   * sent may stop at the view): when it is one of the files the n-gram was
   * built from, that file is left out of the n-gram here, so the overlays
   * and Surprising Lines show how the model reads it rather than the
   * n-gram recalling it (completions keep it).
   */
  trace(p: TraceParams, fileText = () => p.text): Omit<TraceResult, 'ms'> {
    const slice = this.traceOf(p.documentId).trace(p.text, p.from, p.to, p.neuron);
    const m = this.mixture;
    let probability = slice.probability;
    let leftOut: number | undefined;
    // The prediction overlay shows what completions use: the mixture when it was fitted, the n-gram reading the document as it goes.
    // Its LSTM is static even with dynamic evaluation on: the overlay reads from 500 characters before the view and reuses its
    // reading after an edit once the state converges, where an adapted layer would need the document read from its start.
    const documents = this.answeringPredictor.documents;
    if (m && documents && (m.info.gate || m.info.weightOfLstm <= 0.99)) {
      const reading = documents.reading(p.documentId, p.text, slice.from, fileText);
      const mix = { lstm: probability, weightOfLstm: m.info.weightOfLstm, gate: m.info.gate };
      probability = ngramProbabilities(reading.reader, this.vocabulary, p.text, slice.from, slice.from + probability.length, { readOn: reading.readOn, mix });
      leftOut = reading.leftOut;
    }
    return {
      from: slice.from,
      start: slice.start,
      probability: Array.from(probability),
      activation: Array.from(slice.activation),
      model: this.source,
      answering: leftOut ? `${answeringLabel(m?.info)}, ${FILE_LEFT_OUT}` : answeringLabel(m?.info),
      fileLeftOut: leftOut !== undefined,
    };
  }

  inspect(p: InspectParams): InspectResult {
    checkNeuron(this.model, p.neuron);
    const trace = this.traceOf(p.documentId);
    const before = trace.stateBefore(p.text, p.offset);
    const char = String.fromCodePoint(p.text.codePointAt(p.offset) ?? 0xfffd);
    const probability = this.model.probabilities(before)[this.vocabulary.idOf(char)];
    const state = trace.stateAfterChar(p.text, p.offset);
    const probs = this.model.probabilities(state);
    const nextOffset = p.offset + char.length;
    const nextChar = nextOffset < p.text.length ? String.fromCodePoint(p.text.codePointAt(nextOffset)!) : undefined;
    return {
      char,
      known: this.vocabulary.has(char),
      probability,
      activation: neuronValue(this.model.cell, state, p.neuron),
      ...cellRank(this.model.cell, state, p.neuron),
      guesses: topGuesses(probs, this.vocabulary, p.topK),
      next: nextChar === undefined ? undefined : { char: nextChar, probability: probs[this.vocabulary.idOf(nextChar)] },
      model: this.source,
    };
  }

  /** Per character of [from, to): the neuron's activation and the top guesses that preceded it, for the neuron view. */
  detail(p: DetailParams): DetailResult {
    checkNeuron(this.model, p.neuron);
    const state = this.traceOf(p.documentId).stateBefore(p.text, p.from);
    const chars: DetailResult['chars'] = [];
    let offset = p.from;
    for (const char of p.text.slice(p.from, p.to)) {
      const probs = this.model.probabilities(state);
      const id = this.vocabulary.idOf(char);
      this.model.advance(state, id);
      chars.push({ offset, char, probability: probs[id], activation: neuronValue(this.model.cell, state, p.neuron), guesses: topGuesses(probs, this.vocabulary, p.topK) });
      offset += char.length;
    }
    return { chars, model: this.source };
  }

  /** How each of the neurons' activations spreads over [from, to), read from the document's exact state before it. */
  activationHistograms(p: HistogramParams): HistogramResult {
    for (const n of p.neurons) checkNeuron(this.model, n);
    const state = this.traceOf(p.documentId).stateBefore(p.text, p.from);
    return { histograms: activationHistograms(this.model, this.vocabulary, state, p.text, p.from, p.to, p.neurons) };
  }

  /**
   * Why This Prediction: each of the characters before `offset` and what it
   * contributed to the probability of the character there (or of the top
   * guess), read from the document's exact state before the window.
   */
  why(p: WhyParams): Omit<WhyResult, 'ms'> {
    this.attributor ??= new Attributor(this.model, this.checkpoint.weights);
    const trace = this.traceOf(p.documentId);
    const result = attribute(this.attributor, this.model, this.vocabulary, p.text, p.offset, (offset) => trace.stateBefore(p.text, offset), { ...p, window: p.window ?? DEFAULT_WHY_WINDOW });
    return { ...result, model: this.source };
  }

  /**
   * The neuron explorer's pass over a sample of the corpus the model learnt
   * from (also cached, see load); `onProgress` hears of the pass
   * when this call starts it.
   */
  explore(p: ExploreParams, onProgress?: (progress: ExploreProgressParams) => void): Promise<Explored> {
    const key = corpusKey(p);
    const known = this.explored.get(key);
    // Asked again (every overlay and view asks): answered from memory, and says so.
    if (known) return known.then((r) => ({ ...r, fromCache: true }));
    const corpus = readCorpus(p.folder, { include: p.include, exclude: p.exclude });
    const sample = explorerSample(corpusFiles(corpus));
    const result = explore(this.checkpoint, sample, { cacheDir: this.explorerCache, onProgress: onProgress && ((chars, of) => onProgress({ chars, of })) }).then((r) => {
      if (r.cacheDropped) process.stderr.write(`[engine] ${this.checkpoint.dir}: ${r.cacheDropped}\n`);
      return { ...r, folder: corpus.report.folder, sample, chars: Array.from(sample.text) };
    });
    return keptUnlessFailed(this.explored, key, result);
  }

  /** Where the cell fires in the explorer's sample: its strongest places both ways and one per quantile, as coloured snippets. */
  async cellFiring(p: CellFiringParams, onProgress?: (progress: ExploreProgressParams) => void): Promise<Omit<CellFiringResult, 'ms'>> {
    checkNeuron(this.model, p.neuron);
    const explored = await this.explore(p, onProgress);
    const firing = explored.firing[p.neuron.layer * this.model.config.hiddenSize + p.neuron.index];
    const label = explored.ranking.cells.find((c) => c.layer === p.neuron.layer && c.cell === p.neuron.index);
    const snippets = cellSnippets(this.model, this.vocabulary, { chars: explored.chars, parts: explored.sample.parts, pass: explored }, firing);
    return { folder: explored.folder, label, mean: firing.mean, activation: SHOWN_ACTIVATION[this.model.cell], snippets, chars: explored.ranking.chars, fromCache: explored.fromCache };
  }

  /** How the chosen cell and the explorer's labelled cells learned: their label scores at each snapshot of the weights' history, and the chosen cell on a line at each. */
  async cellHistory(p: CellHistoryParams, onProgress?: (progress: ExploreProgressParams) => void): Promise<Omit<CellHistoryResult, 'ms'>> {
    checkNeuron(this.model, p.neuron);
    const explored = await this.explore(p, onProgress);
    const key = explored.sample.fingerprint;
    const scored = await (this.scoredHistories.get(key) ?? keptUnlessFailed(this.scoredHistories, key, scoredHistory(this.checkpoint, explored.sample)));
    if (!scored) throw new UserError(`${this.checkpoint.dir} keeps no history of its weights: it was trained before CharLens kept snapshots. Train it again to see how its cells learned.`);
    const { layer, index } = p.neuron;
    const cells = cellHistoryRows(scored.snapshots, explored.ranking, { layer, cell: index });
    const line = p.line && { chars: Array.from(p.line.text.slice(p.line.from, p.line.to)), activations: lineHistory(this.checkpoint.dir, scored.history, this.vocabulary, p.line, layer, index) };
    const snapshots = scored.snapshots.map(({ step, valLoss }) => ({ step, valLoss }));
    return { folder: explored.folder, snapshots, cells, line, learned: scored.history.learned, threshold: { r: LEARNED_R, precision: LEARNED_PRECISION }, chars: explored.ranking.chars, computed: scored.computed };
  }

  /**
   * Does the cell matter: the loss on a fixed sample of the model's
   * validation text (or of the explorer's sample) with its c clamped to 0
   * and to its mean, and a completion under each. `onProgress` hears of the
   * explorer's pass when this call starts it; `onClampProgress` of the
   * sample's reading.
   */
  async clampEffect(p: CellFiringParams, onProgress?: (progress: ExploreProgressParams) => void, onClampProgress?: (progress: ExploreProgressParams) => void): Promise<Omit<ClampEffectResult, 'ms'>> {
    checkNeuron(this.model, p.neuron);
    const explored = await this.explore(p, onProgress);
    const { layer, index } = p.neuron;
    const label = explored.ranking.cells.find((c) => c.layer === layer && c.cell === index);
    const meanTanh = explored.firing[layer * this.model.config.hiddenSize + index].mean;
    const key = corpusKey(p);
    // Read and lexed once per corpus: the next cell's comparison reads only the model.
    const measured = this.clampTexts.obtain(key, () => measuredText(this.checkpoint, readCorpus(p.folder, { include: p.include, exclude: p.exclude }), () => explored.sample));
    const effect = await clampEffect(this.model, this.vocabulary, measured, { layer, index, meanTanh, feature: label?.feature, onProgress: onClampProgress && ((chars, of) => onClampProgress({ chars, of })) });
    return { ...effect, measured: measured.kind, folder: explored.folder, label, meanTanh };
  }

  /** The paper's analyses on the model's validation text (or the explorer's sample): gate saturation, loss by kind of character, errors against n-grams. */
  async modelReport(p: ExploreParams): Promise<Omit<ModelReportResult, 'ms'>> {
    const corpus = readCorpus(p.folder, { include: p.include, exclude: p.exclude });
    const measured = measuredText(this.checkpoint, corpus, () => explorerSample(corpusFiles(corpus)));
    return { ...(await modelReport(this.model, this.vocabulary, measured)), measured: measured.kind, folder: corpus.report.folder };
  }

  /** The cells that tell the selection from the characters just around it, read from the document's exact state before it. */
  cellsForSelection(p: SelectionParams): Omit<SelectionResult, 'ms'> {
    const start = alignToCodePoint(p.text, Math.max(0, p.from - SURROUNDINGS));
    const state = this.traceOf(p.documentId).stateBefore(p.text, start);
    return { cells: cellsForSelection(this.model, this.vocabulary, state, p.text, start, p.from, p.to, p.topK), activation: SHOWN_ACTIVATION[this.model.cell] };
  }

  /** Where in the explorer's sample the cells show the selection's on/off pattern, in sample order. */
  async findSimilar(p: FindSimilarParams, onProgress?: (progress: ExploreProgressParams) => void): Promise<Omit<FindSimilarResult, 'ms'>> {
    for (const c of p.cells) checkNeuron(this.model, { layer: c.layer, index: c.cell, kind: 'c' });
    const explored = await this.explore(p, onProgress);
    const places = await findSimilar(this.model, this.vocabulary, { chars: explored.chars, parts: explored.sample.parts }, p.cells, p.length);
    const matches = places.map((m) => ({ ...placeOf({ chars: explored.chars, parts: explored.sample.parts }, m.at), text: explored.chars.slice(m.at, m.at + m.chars).join('') }));
    return { folder: explored.folder, matches, chars: explored.chars.length };
  }

  sample(p: SampleParams): string {
    return sample(this.model, this.vocabulary, { ...p }).text;
  }

  forget(documentId: string): void {
    this.answeringPredictor.forget(documentId);
    this.traces.delete(documentId);
  }

  private traceOf(documentId: string): DocumentTrace {
    return this.traces.obtain(documentId, () => new DocumentTrace(this.model, this.vocabulary));
  }
}
