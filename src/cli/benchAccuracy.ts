import * as path from 'path';
import { DEFAULT_SPLIT, splitIds } from '../core/text/batches';
import { writeFileAtomic } from '../core/atomicFile';
import { Checkpoint, loadCheckpoint } from '../core/model/checkpoint';
import { AccuracyTally, MAX_COMPLETION_CHARS, greedyLine, pickCursors, restOfLine } from '../core/predict/completionAccuracy';
import { beamSearch } from '../core/predict/beam';
import { DEFAULT_BEAM_WIDTH, DEFAULT_PRECISION, SUGGESTION_FIT_VERSION, SUGGESTION_FLOOR, Suggestion, SuggestionCut, bestCut, cutFor, cutsOf } from '../core/predict/suggestion';
import { fitCut } from '../core/predict/suggestionFit';
import { InferenceModel, LstmState } from '../core/model/inference';
import { GATE_INPUTS, Gate, fitGate, fitMixtureWeight, gatedProbabilities, meanNats } from '../core/predict/mixture';
import { CharNgram, ngramFromBuffer } from '../core/ngram/charNgram';
import { buildWorkspaceNgram } from '../core/ngram/workspaceNgram';
import { loadMixture, scoreWithGateInputs } from '../core/predict/workspaceMixture';
import { Branching, adaptedBranching, lstmBranching, mixedBranching, ngramBranching, stepperOf } from '../core/predict/predictor';
import { DynamicEvaluation, fitDynamicEvaluation, scoreAdapting } from '../core/predict/dynamicEvaluation';
import { createWasmTrainer } from '../core/train/wasm/wasmTrainer';
import { Vocabulary } from '../core/text/vocabulary';
import { CommandArgs, UsageError } from './args';
import { fmt, log, note } from './ngramReport';
import { readTextSource } from './readText';

export const DEFAULT_CURSORS = 1000;
export const DEFAULT_SEED = 1;
/** Characters of the other half that dynamic evaluation's settings are fitted on (its grid reads the first 30,000). */
const FIT_CHARS = 30_000;

export type Mode = 'static' | 'online';
/** mixture: one weight; mixer: the learned gate's weight per context; "dyn": the LSTM with dynamic evaluation (online only: it adapts to the test text it reads). */
const PREDICTORS = ['LSTM', 'n-gram', 'mixture', 'mixer', 'LSTM dyn', 'mixer dyn'] as const;
export type PredictorName = (typeof PREDICTORS)[number];
const ONLINE_ONLY: readonly PredictorName[] = ['LSTM dyn', 'mixer dyn'];
/** What --predictors calls each predictor. */
const KEYS: Record<PredictorName, string> = { LSTM: 'lstm', 'n-gram': 'ngram', mixture: 'mixture', mixer: 'mixer', 'LSTM dyn': 'lstm-dyn', 'mixer dyn': 'mixer-dyn' };
/** What --json calls each predictor (the README's tables, scripts/quality-tables.mjs). */
const LABELS: Record<PredictorName, string> = {
  LSTM: 'LSTM',
  'n-gram': 'n-gram',
  mixture: 'mixture (one weight)',
  mixer: 'learned mixer',
  'LSTM dyn': 'LSTM, dynamic evaluation',
  'mixer dyn': 'learned mixer, dynamic evaluation',
};

/**
 * The ways a completion is decoded (see --json's decoders), and the bound
 * on every way of cutting the suggestion: at each cursor the longest cut of
 * the editor's tree that is right, which only the text after the cursor
 * tells (what a perfect cut rule would accept).
 */
const DECODERS = ['greedy', 'beam', 'suggestion', 'bound'] as const;
type Decoder = (typeof DECODERS)[number];
const DECODER_LABELS: Record<Decoder, string> = { greedy: 'greedy line', beam: "beam's best line", suggestion: 'suggestion (confidence cut)', bound: 'longest right cut (bound)' };

/** One mode's figures per predictor: nats/char, and per decoder what its completions were worth. */
interface ModeResult {
  nats: Partial<Record<PredictorName, number>>;
  decoders: Partial<Record<PredictorName, Record<Decoder, AccuracyTally>>>;
  /** The suggestion's cut for each half of the test text, cross-fitted on the other. */
  thresholds: Partial<Record<PredictorName, [SuggestionCut, SuggestionCut]>>;
}

/** At one cursor: the suggestion at every cut of the grid, the rest of the line, and the search's time. */
interface SuggestionAt {
  at: number;
  cuts: Suggestion[];
  rest: string[];
  ms: number;
}

/**
 * `charlens bench accuracy <train> <test> [--model dir] [--order k] [--cursors 1000] [--seed 1]`:
 * what completion users see, per predictor (the model's LSTM, an n-gram of
 * <train>, their mixture, and the LSTM with dynamic evaluation and its
 * mixture, online only: the output layer adapts to the test text as it
 * reads it). At seeded cursors inside the test text's lines,
 * each completes greedily to the end of the line; the table gives the
 * exact-match rate of the rest of the line, the mean characters right
 * before the first error, and nats/char over the whole test text, static
 * (the n-gram knows <train> only) and online (it has also read the test
 * text up to the cursor, as the editor has read the file).
 *
 * The test text has no validation split of its own, so the mixture (one
 * weight), the mixer (the learned gate) and dynamic evaluation's learning
 * rate and decay are cross-fitted: the rows for each half of the test text
 * use the ones fitted on the other half. A last line gives full-network
 * dynamic evaluation's nats/char, for what adapting the output layer alone
 * leaves. The same path for <train> and <test> means the
 * trainer's split: the held-out last 5% is the test text. `--json <file>`
 * also writes the figures there, for scripts/quality-tables.mjs.
 *
 * At the same cursors, each predictor is also decoded three ways: the
 * greedy line, the beam's best line (`--beam-width`, floor 0, one character
 * at least) and the suggestion (the beam with the editor's floor, cut for
 * `--precision` with a cut scorer, threshold and rightWorth cross-fitted on the
 * other half of the test text, as the mixture is); per decoder: how often something is shown, how often what
 * is shown is right (a prefix of the rest of the line), its mean length,
 * the characters a user could accept per cursor, the exact rest-of-line
 * rate and the decoder's time per cursor. A fourth row, the bound, is the
 * longest right cut of the suggestion's tree (what a perfect cut rule
 * would give), and a line per predictor gives the suggestion's accepted
 * characters over the greedy line's and the bound's. With the model's own cut
 * (fitted on its validation split when saved) the answering predictor's
 * suggestion is given too. `--predictors` measures only those named (and
 * computes only what they need).
 */
export async function benchAccuracy(args: CommandArgs): Promise<void> {
  const [, trainSource, testSource] = args.positional;
  if (!trainSource || !testSource) throw new UsageError('bench accuracy needs a training text and a test text: charlens bench accuracy <train folder|file> <test folder|file> [--model dir] [--order k]');
  const dir = args.string('model') ?? path.join(__dirname, '..', 'models', 'default');
  const chosen = chosenPredictors(args.string('predictors'));
  const checkpoint = loadCheckpoint(dir);
  const { trainIds, testText } = readSplit(trainSource, testSource, args, checkpoint.vocabulary);
  const precision = args.number('precision') ?? DEFAULT_PRECISION;
  const beamWidth = args.number('beam-width') ?? DEFAULT_BEAM_WIDTH;
  const measured = await measureAccuracy({
    checkpoint,
    trainIds,
    testText,
    chosen,
    cursors: args.number('cursors') ?? DEFAULT_CURSORS,
    seed: args.number('seed') ?? DEFAULT_SEED,
    order: args.number('order'),
    precision,
    beamWidth,
    fullNetwork: chosen.includes('LSTM'),
  });
  const { results, cursors, chars, ids, weights, dynamic, fullNetwork, savedThresholdTally, saved, ngram } = measured;
  log(`Completion accuracy: ${fmt(cursors.length)} cursors in ${fmt(chars.length)} test chars, greedy to the end of the line; LSTM ${dir}; n-gram of ${fmt(trainIds.length)} training chars.`);
  if (weights) log(`Mixture weights cross-fitted on the test text's halves: LSTM weight static ${weights.static.map((v) => v.toFixed(3)).join(' / ')}, online ${weights.online.map((v) => v.toFixed(3)).join(' / ')}.`);
  if (dynamic)
    log(`Dynamic evaluation (output layer) cross-fitted likewise: learning rate / decay ${dynamic.rules.map((r) => `${r.params.learningRate} / ${r.params.decay}`).join(', ')}; it reads the test text in ${dynamic.seconds.toFixed(1)} s (${((dynamic.seconds * 1e5) / Math.max(1, ids.length)).toFixed(2)} ms per 100 chars, the LSTM included).`);
  log(`${''.padEnd(10)}${'static'.padEnd(27)}online (the n-gram has read the test text up to the cursor)`);
  log(`${'predictor'.padEnd(10)}${'exact   chars   nats/char  '.repeat(2)}`);
  for (const name of chosen) {
    const cells = (['static', 'online'] as const).map((mode) => {
      const tally = results[mode].decoders[name]?.greedy;
      const nats = results[mode].nats[name];
      if (!tally || nats === undefined) return '(reads nothing static)'.padEnd(27);
      return `${(tally.exactRate * 100).toFixed(1).padStart(5)}%  ${tally.meanCorrectChars.toFixed(2).padStart(5)}   ${nats.toFixed(3).padEnd(11)}`;
    });
    log(`${name.padEnd(10)}${cells.join('')}`);
  }
  if (fullNetwork)
    log(
      `Full-network dynamic evaluation (every weight, RMSprop steps of the wasm trainer on ${SEGMENT}-char segments, batch 1, learning rate cross-fitted ${fullNetwork.learningRates.join(' / ')}): ` +
      `online ${fullNetwork.nats.toFixed(3)} nats/char (the LSTM alone; ${fullNetwork.seconds.toFixed(1)} s, ${((fullNetwork.seconds * 1e5) / Math.max(1, ids.length)).toFixed(2)} ms per 100 chars).`,
  );
  log('');
  log(`Decoders at the same cursors (beam width ${beamWidth}; the suggestion cut for a precision of ${(precision * 100).toFixed(0)}%, its scorer, threshold and rightWorth cross-fitted on the test text's halves):`);
  log(`${'mode'.padEnd(8)}${'predictor'.padEnd(11)}${'decoder'.padEnd(29)}shown   right   length  accepted/cursor  exact   ms/cursor  threshold`);
  for (const mode of ['static', 'online'] as const) {
    for (const name of chosen) {
      const tallies = results[mode].decoders[name];
      if (!tallies) continue;
      for (const decoder of DECODERS) {
        const t = tallies[decoder];
        const threshold = decoder === 'suggestion' ? results[mode].thresholds[name]!.map(cutLabel).join(' / ') : '';
        log(`${mode.padEnd(8)}${name.padEnd(11)}${DECODER_LABELS[decoder].padEnd(29)}${decoderCells(t)}  ${threshold}`);
      }
    }
  }
  const over = (a: AccuracyTally, b: AccuracyTally) => a.acceptedPerCursor / Math.max(1e-9, b.acceptedPerCursor);
  for (const mode of ['static', 'online'] as const) {
    for (const name of chosen) {
      const t = results[mode].decoders[name];
      if (t) log(`${mode} ${name}: the suggestion accepts ${over(t.suggestion, t.greedy).toFixed(2)}x the greedy line's characters, ${(100 * over(t.suggestion, t.bound)).toFixed(0)}% of the bound's (${over(t.bound, t.greedy).toFixed(2)}x).`);
    }
  }
  if (savedThresholdTally && saved) log(`With the model's own cut (${cutLabel(cutFor(saved, precision))}, fitted on its validation split): online mixer dyn suggestion ${decoderCells(savedThresholdTally)}`);
  const json = args.string('json');
  if (json) {
    const figures = (mode: Mode, name: PredictorName) => {
      const tally = results[mode].decoders[name]?.greedy;
      const nats = results[mode].nats[name];
      if (!tally || nats === undefined) return null;
      const decoders = Object.fromEntries(DECODERS.map((decoder) => [decoder, decoderFigures(results[mode].decoders[name]![decoder])]));
      return { exact: tally.exactRate, chars: tally.meanCorrectChars, nats, decoders, thresholds: results[mode].thresholds[name]?.map(({ threshold, rightWorth }) => ({ threshold, rightWorth })) };
    };
    const predictors = chosen.map((name) => ({
      name,
      label: name === 'n-gram' ? ngram.label : LABELS[name],
      static: figures('static', name),
      // The LSTM's weights are fixed: online it scores as it does static.
      online: name === 'LSTM' ? null : figures('online', name),
    }));
    const savedCut = saved && cutFor(saved, precision);
    const savedFigures = savedThresholdTally && savedCut ? { threshold: { threshold: savedCut.threshold, rightWorth: savedCut.rightWorth }, ...decoderFigures(savedThresholdTally) } : null;
    writeFileAtomic(json, JSON.stringify({ model: dir, testChars: chars.length, cursors: cursors.length, precision, beamWidth, savedThreshold: savedFigures, ngram: ngram.figures, fullNetworkNats: fullNetwork?.nats ?? null, predictors }, null, 2));
  }
}

export interface AccuracyRequest {
  checkpoint: Checkpoint;
  trainIds: Int32Array;
  testText: string;
  chosen: PredictorName[];
  /** How many cursors, and their seed. */
  cursors: number;
  seed: number;
  /** A Kneser-Ney table of this order instead of the workspace n-gram. */
  order?: number;
  precision: number;
  beamWidth: number;
  /** Also full-network dynamic evaluation's nats/char (slow: it trains on the test text). */
  fullNetwork: boolean;
}

/** What bench accuracy measures for one model, before it is printed. */
export type AccuracyFigures = Awaited<ReturnType<typeof measureAccuracy>>;

/** Every figure of bench accuracy's tables for `r.checkpoint` on `r.testText` (what bench cells measures each cell with too). */
export async function measureAccuracy(r: AccuracyRequest) {
  const { checkpoint, trainIds, testText, chosen, order, precision, beamWidth } = r;
  const { vocabulary } = checkpoint;
  const lstm = InferenceModel.of(checkpoint);
  const chars = Array.from(testText);
  const ids = vocabulary.encode(testText);
  const cursors = pickCursors(chars, r.cursors, r.seed);
  // The workspace n-gram, or with order the Kneser-Ney table of that order, to compare.

  const built = performance.now();
  let ngram: CharNgram = buildWorkspaceNgram(trainIds, vocabulary.size, order);
  const buildSeconds = (performance.now() - built) / 1000;
  const snapshot = ngram.toBuffer();
  const ngramBytes = ngram.bytes;
  note(`n-gram: ${order ? `Kneser-Ney order ${order}` : 'the workspace n-gram'}, ${fmt(trainIds.length)} training chars, built in ${buildSeconds.toFixed(1)} s, ${(ngramBytes / 2 ** 20).toFixed(1)} MB in memory, ${(snapshot.length / 2 ** 20).toFixed(1)} MB on disk`);

  // What only some predictors need is computed only when --predictors asks for one of them.
  const needsLstm = chosen.some((name) => name === 'LSTM' || name === 'mixture' || name === 'mixer');
  const needsStatic = chosen.some((name) => !ONLINE_ONLY.includes(name));
  const { probs: pLstm, states } = needsLstm ? scoreLstm(lstm, ids, cursors) : { probs: new Float32Array(0), states: [] };
  const half = Math.floor(ids.length / 2);
  const fold = (i: number) => (i < half ? 0 : 1);
  const dynamic = chosen.some((name) => ONLINE_ONLY.includes(name)) ? scoreDynamic(lstm, ids, cursors, half) : undefined;
  const fullNetwork = r.fullNetwork ? await fullNetworkNats(checkpoint, ids, half) : undefined;
  // Static first: the online pass learns the test text.
  const staticScored = needsStatic ? scoreWithGateInputs(ngram, ids, false) : undefined;
  const scored = { static: staticScored!, online: scoreWithGateInputs(ngram, ids, true) };
  const scores: Record<Mode, Float32Array> = { static: staticScored?.probs ?? new Float32Array(0), online: scored.online.probs };
  ngram = ngramFromBuffer(snapshot);
  const once = <T>(make: () => T): (() => T) => {
    let made: T | undefined;
    return () => (made ??= make());
  };
  const weights = { static: once(() => crossFittedWeights(pLstm, scores.static, half)), online: once(() => crossFittedWeights(pLstm, scores.online, half)) };
  const gates = {
    static: once(() => crossFittedGates(pLstm, scored.static.rows, scores.static, half)),
    online: once(() => crossFittedGates(pLstm, scored.online.rows, scores.online, half)),
  };
  const dynamicGates = dynamic && crossFittedGates(dynamic.probs, scored.online.rows, scores.online, half);

  const results = {} as Record<Mode, ModeResult>;
  let savedThresholdTally: AccuracyTally | undefined;
  const saved = loadMixture(checkpoint)?.info.suggestions;
  let learned = 0;
  for (const mode of ['static', 'online'] as const) {
    const w = (i: number) => weights[mode]()[fold(i)];
    const names = chosen.filter((name) => mode === 'online' || !ONLINE_ONLY.includes(name));
    const decoders = Object.fromEntries(names.map((name) => [name, { greedy: new AccuracyTally(), beam: new AccuracyTally(), suggestion: new AccuracyTally(), bound: new AccuracyTally() }])) as ModeResult['decoders'];
    const suggestionsAt = Object.fromEntries(names.map((name) => [name, [] as SuggestionAt[]])) as Record<PredictorName, SuggestionAt[]>;
    for (const [k, at] of cursors.entries()) {
      if (mode === 'online') {
        // The n-gram reads the test text up to the cursor (with its context before), as the editor reads the file.
        const from = Math.max(0, learned - ngram.order);
        ngram.score(ids.subarray(from, at), { online: true, from: learned - from });
        learned = at;
      }
      const prefix = chars.slice(Math.max(0, at - 2 * ngram.order), at).join('');
      const predictors: Record<PredictorName, () => Branching> = {
        LSTM: () => lstmBranching(lstm, lstm.cloneState(states[k])),
        'n-gram': () => ngramBranching(ngram, vocabulary, prefix),
        mixture: () => mixedBranching(predictors.LSTM(), predictors['n-gram'](), w(at)),
        mixer: () => mixedBranching(predictors.LSTM(), predictors['n-gram'](), { gate: gates[mode]()[fold(at)], ngram }),
        'LSTM dyn': () => adaptedBranching(lstm, dynamic!.readingAt(k)),
        'mixer dyn': () => mixedBranching(predictors['LSTM dyn'](), predictors['n-gram'](), { gate: dynamicGates![fold(at)], ngram }),
      };
      const rest = restOfLine(chars, at);
      for (const name of names) {
        const timed = <T>(work: () => T): [T, number] => {
          const t0 = performance.now();
          return [work(), performance.now() - t0];
        };
        const [greedy, greedyMs] = timed(() => greedyLine(stepperOf(predictors[name]()), vocabulary));
        decoders[name]!.greedy.add(greedy, rest, greedyMs);
        // The cursor has more of its line to come (and the editor shows no empty line): the best line writes something.
        const [best, beamMs] = timed(() => beamSearch(predictors[name](), vocabulary, { beamWidth, lines: 1, maxChars: MAX_COMPLETION_CHARS, multiline: false, floor: 0, minChars: 1 }).lines[0]);
        decoders[name]!.beam.add(Array.from(best?.text ?? ''), rest, beamMs);
        // The editor's search: the floor stops it where the model is no longer sure of anything.
        const [tree, ms] = timed(() => beamSearch(predictors[name](), vocabulary, { beamWidth, lines: 1, maxChars: MAX_COMPLETION_CHARS, multiline: false, floor: SUGGESTION_FLOOR, minChars: 1 }));
        suggestionsAt[name].push({ at, cuts: cutsOf(tree), rest, ms });
      }
    }
    const thresholds: ModeResult['thresholds'] = {};
    for (const name of names) {
      const halves = [0, 1].map((h) => suggestionsAt[name].filter((s) => fold(s.at) === h));
      const fitted = halves.map((half) => {
        const { scorer, curve } = fitCut(half.map((s) => ({ cuts: s.cuts, rest: s.rest.join('') })));
        return cutFor({ version: SUGGESTION_FIT_VERSION, beamWidth, cursors: half.length, scorer, curve }, precision);
      });
      // Each half is cut with the scorer and the cut fitted on the other.
      thresholds[name] = [fitted[1], fitted[0]];
      const shown = (s: SuggestionAt, cut: SuggestionCut) => Array.from(bestCut(s.cuts, cut)?.text ?? '');
      for (const s of suggestionsAt[name]) {
        decoders[name]!.suggestion.add(shown(s, thresholds[name]![fold(s.at)]), s.rest, s.ms);
        decoders[name]!.bound.add(longestRightCut(s), s.rest);
      }
      if (mode === 'online' && name === 'mixer dyn' && saved) {
        savedThresholdTally = new AccuracyTally();
        const cut = cutFor(saved, precision);
        for (const s of suggestionsAt[name]) savedThresholdTally.add(shown(s, cut), s.rest, s.ms);
      }
    }
    const mixed = (i: number) => w(i) * pLstm[i] + (1 - w(i)) * scores[mode][i];
    const gated = (lstmProbs: Float32Array, crossFitted: [Gate, Gate], rows = scored[mode].rows) =>
      meanNats(
        Float32Array.from(
          [0, 1].flatMap((k) => {
            const [from, to] = k === 0 ? [0, half] : [half, ids.length];
            return Array.from(gatedProbabilities(crossFitted[k], rows.subarray(from * GATE_INPUTS, to * GATE_INPUTS), lstmProbs.subarray(from, to), scores[mode].subarray(from, to)));
          }),
        ),
      );
    const nats: Record<PredictorName, () => number> = {
      LSTM: () => meanNats(pLstm),
      'n-gram': () => meanNats(scores[mode]),
      mixture: () => meanNats(Float32Array.from(pLstm, (_, i) => mixed(i))),
      mixer: () => gated(pLstm, gates[mode]()),
      'LSTM dyn': () => meanNats(dynamic!.probs),
      'mixer dyn': () => gated(dynamic!.probs, dynamicGates!),
    };
    results[mode] = {
      nats: Object.fromEntries(names.map((name) => [name, nats[name]()])),
      decoders,
      thresholds,
    };
  }

  return {
    results,
    cursors,
    chars,
    ids,
    weights: chosen.includes('mixture') ? { static: weights.static(), online: weights.online() } : undefined,
    dynamic: dynamic && { rules: dynamic.rules, seconds: dynamic.seconds },
    fullNetwork,
    savedThresholdTally,
    saved,
    ngram: { label: ngram.label, figures: { trainChars: trainIds.length, memoryBytes: ngramBytes, diskBytes: snapshot.length, buildSeconds } },
  };
}

/** The predictors --predictors names (a comma-separated list of KEYS), every one without it. */
function chosenPredictors(list: string | undefined): PredictorName[] {
  if (list === undefined) return [...PREDICTORS];
  const keys = list.split(',').map((key) => key.trim());
  const unknown = keys.filter((key) => !PREDICTORS.some((name) => KEYS[name] === key));
  if (unknown.length > 0 || keys.length === 0) throw new UsageError(`--predictors takes a comma-separated list of ${PREDICTORS.map((name) => KEYS[name]).join(', ')}; not ${unknown.join(', ') || 'nothing'}`);
  return PREDICTORS.filter((name) => keys.includes(KEYS[name]));
}

/** The longest of a tree's cuts that the rest of the line begins with (none where none does). */
function longestRightCut({ cuts, rest }: SuggestionAt): string[] {
  const line = rest.join('');
  return cuts.reduce<string[]>((best, cut) => {
    const text = Array.from(cut.text);
    return text.length > best.length && line.startsWith(cut.text) ? text : best;
  }, []);
}

/** A cut as the tables write it: its threshold, then rightWorth. */
function cutLabel(cut: SuggestionCut): string {
  return `${cut.threshold}+${cut.rightWorth}`;
}

function decoderFigures(t: AccuracyTally) {
  return { shown: t.shownShare, right: t.rightShare, length: t.meanShownChars, accepted: t.acceptedPerCursor, exact: t.exactRate, ms: t.msPerCursor };
}

function decoderCells(t: AccuracyTally): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  return `${pct(t.shownShare)}  ${pct(t.rightShare)}  ${t.meanShownChars.toFixed(1).padStart(6)}  ${t.acceptedPerCursor.toFixed(2).padStart(15)}  ${pct(t.exactRate)}  ${t.msPerCursor.toFixed(2).padStart(9)}`;
}

/** The training and test ids; one source for both is cut at its tail (the held-out end is the test text, contiguous as a file a user opens). */
export function readSplit(trainSource: string, testSource: string, args: CommandArgs, vocabulary: Vocabulary): { trainIds: Int32Array; testText: string } {
  const train = readTextSource(trainSource, args).text;
  if (path.resolve(trainSource) !== path.resolve(testSource)) return { trainIds: vocabulary.encode(train), testText: readTextSource(testSource, args).text };
  const all = Array.from(train);
  const split = splitIds(new Int32Array(all.length), { ...DEFAULT_SPLIT, scheme: 'tail' });
  return { trainIds: vocabulary.encode(all.slice(0, split.train.length).join('')), testText: all.slice(split.train.length).join('') };
}

/** The LSTM's probability of each character, read in one pass from a zero state, and its state at each cursor. */
function scoreLstm(model: InferenceModel, ids: Int32Array, cursors: number[]): { probs: Float32Array; states: LstmState[] } {
  const probs = new Float32Array(ids.length);
  const states: LstmState[] = [];
  const state = model.zeroState();
  let next = 0;
  for (let i = 0; i < ids.length; i++) {
    if (cursors[next] === i) {
      states.push(model.cloneState(state));
      next++;
    }
    probs[i] = model.probabilities(state)[ids[i]];
    model.advance(state, ids[i]);
  }
  return { probs, states };
}

/**
 * The LSTM with dynamic evaluation reading the test text once from a zero
 * state, two adapted layers side by side: the first with the settings
 * fitted on the second half, the second with those fitted on the first;
 * each half's probabilities come from the layer not fitted on it. Keeps the
 * state and that half's layer's weights at each cursor.
 */
function scoreDynamic(model: InferenceModel, ids: Int32Array, cursors: number[], half: number) {
  const rules = [fitDynamicEvaluation(model, ids.subarray(half, half + FIT_CHARS)), fitDynamicEvaluation(model, ids.subarray(0, Math.min(half, FIT_CHARS)))].map(
    (fit) => new DynamicEvaluation(model, fit.params),
  );
  const started = performance.now();
  const layers = rules.map((rule) => rule.fresh());
  const state = model.zeroState();
  const probs = new Float32Array(ids.length);
  const states: LstmState[] = [];
  const weights: Float32Array[] = [];
  const fold = (i: number) => (i < half ? 0 : 1);
  let from = 0;
  for (const at of [...cursors, ids.length]) {
    const adapted = scoreAdapting(model, layers, ids.subarray(from, at), state);
    for (let i = from; i < at; i++) probs[i] = adapted[fold(i)][i - from];
    from = at;
    states.push(model.cloneState(state));
    weights.push(layers[fold(at)].snapshot());
  }
  const seconds = (performance.now() - started) / 1000;
  /** The reading at cursor k: the state, and the adapted layer of its half. */
  const readingAt = (k: number) => {
    const layer = layers[fold(cursors[k])];
    layer.restore(weights[k]);
    return { state: model.cloneState(states[k]), layer };
  };
  return { rules, probs, seconds, readingAt };
}

/** Full-network dynamic evaluation's segment: one optimizer step per this many characters. */
const SEGMENT = 64;
const FULL_NETWORK_LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];

/**
 * Full-network dynamic evaluation, to compare with the output layer's:
 * every weight adapts, by the wasm trainer's RMSprop steps at batch 1 on
 * consecutive segments with the state carried. Each step's loss is computed
 * before its update, so their mean is an online score. The learning rate
 * of each half is fitted on the other half's first FIT_CHARS characters,
 * and one pass switches at the half. Nats/char only: completions would need
 * the whole network's weights at every cursor.
 */
async function fullNetworkNats(checkpoint: Checkpoint, ids: Int32Array, half: number): Promise<{ nats: number; learningRates: number[]; seconds: number }> {
  const read = async (text: Int32Array, learningRateAt: (offset: number) => number): Promise<number> => {
    const trainer = await createWasmTrainer({ config: checkpoint.config, batchSize: 1, seqLength: SEGMENT, optimizer: 'rmsprop', gradClip: 5, weights: checkpoint.weights }, { threads: 1 });
    try {
      let sum = 0;
      let t = 0;
      for (let at = 0; at + SEGMENT < text.length; at += SEGMENT) {
        const batch = { batchSize: 1, seqLength: SEGMENT, x: text.slice(at, at + SEGMENT), y: text.slice(at + 1, at + SEGMENT + 1) };
        sum += await trainer.step(batch, { lr: learningRateAt(at), t: ++t });
      }
      return sum / Math.max(1, t);
    } finally {
      trainer.dispose();
    }
  };
  const fit = async (text: Int32Array) => {
    const scores: number[] = [];
    for (const lr of FULL_NETWORK_LEARNING_RATES) scores.push(await read(text, () => lr));
    return FULL_NETWORK_LEARNING_RATES[scores.indexOf(Math.min(...scores))];
  };
  const learningRates = [await fit(ids.subarray(half, half + FIT_CHARS)), await fit(ids.subarray(0, Math.min(half, FIT_CHARS)))];
  const started = performance.now();
  const nats = await read(ids, (at) => learningRates[at < half ? 0 : 1]);
  return { nats, learningRates, seconds: (performance.now() - started) / 1000 };
}

/** [gate for the first half, gate for the second half], each fitted on the other half. */
function crossFittedGates(a: Float32Array, rows: Float32Array, b: Float32Array, half: number): [Gate, Gate] {
  const at = half * GATE_INPUTS;
  return [fitGate(rows.subarray(at), a.subarray(half), b.subarray(half)), fitGate(rows.subarray(0, at), a.subarray(0, half), b.subarray(0, half))];
}

/** [weight for the first half, weight for the second half], each fitted on the other half. */
function crossFittedWeights(a: Float32Array, b: Float32Array, half: number): [number, number] {
  return [fitMixtureWeight(a.subarray(half), b.subarray(half)), fitMixtureWeight(a.subarray(0, half), b.subarray(0, half))];
}
