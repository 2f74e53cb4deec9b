import * as path from 'path';
import { splitIds } from '../core/batches';
import { loadCheckpoint } from '../core/checkpoint';
import { AccuracyTally, greedyLine, pickCursors, restOfLine } from '../core/completionAccuracy';
import { InferenceModel, LstmState } from '../core/inference';
import { GATE_INPUTS, Gate, fitGate, fitMixtureWeight, gatedProbabilities, meanNats } from '../core/mixture';
import { CharNgram, ngramFromBuffer } from '../core/ngram/charNgram';
import { buildWorkspaceNgram, scoreWithGateInputs } from '../core/ngram/workspaceNgram';
import { Stepper, lstmStepper, mixedStepper, ngramStepper } from '../core/predictor';
import { DEFAULT_TRAIN_OPTIONS } from '../core/train/options';
import { Vocabulary } from '../core/vocabulary';
import { ParsedArgs, UsageError, numberOption, stringOption } from './args';
import { fmt, log, note, parseOrders } from './ngramReport';
import { readTextSource } from './readText';

const DEFAULT_CURSORS = 1000;
const DEFAULT_SEED = 1;

type Mode = 'static' | 'online';
/** mixture: one weight; mixer: the learned gate's weight per context. */
const PREDICTORS = ['LSTM', 'n-gram', 'mixture', 'mixer'] as const;
type PredictorName = (typeof PREDICTORS)[number];

/** One mode's figures per predictor. */
interface ModeResult {
  nats: Record<PredictorName, number>;
  accuracy: Record<PredictorName, AccuracyTally>;
}

/**
 * `charlens bench accuracy <train> <test> [--model dir] [--order k] [--cursors 1000] [--seed 1]`:
 * what completion users see, per predictor (the model's LSTM, an n-gram of
 * <train>, their mixture). At seeded cursors inside the test text's lines,
 * each completes greedily to the end of the line; the table gives the
 * exact-match rate of the rest of the line, the mean characters right
 * before the first error, and nats/char over the whole test text, static
 * (the n-gram knows <train> only) and online (it has also read the test
 * text up to the cursor, as the editor has read the file).
 *
 * The test text has no validation split of its own, so the mixture (one
 * weight) and the mixer (the learned gate) are cross-fitted: the rows for
 * each half of the test text use the ones fitted on the other half. The same path for <train> and <test> means the
 * trainer's split: the held-out last 5% is the test text.
 */
export async function benchAccuracy(args: ParsedArgs): Promise<void> {
  const [, trainSource, testSource] = args.positional;
  if (!trainSource || !testSource) throw new UsageError('bench accuracy needs a training text and a test text: charlens bench accuracy <train folder|file> <test folder|file> [--model dir] [--order k]');
  const dir = stringOption(args, 'model') ?? path.join(__dirname, '..', 'models', 'default');
  const checkpoint = loadCheckpoint(dir);
  const { vocabulary } = checkpoint;
  const lstm = InferenceModel.of(checkpoint);
  const { trainIds, testText } = readSplit(trainSource, testSource, args, vocabulary);
  const chars = Array.from(testText);
  const ids = vocabulary.encode(testText);
  const cursors = pickCursors(chars, numberOption(args, 'cursors') ?? DEFAULT_CURSORS, numberOption(args, 'seed') ?? DEFAULT_SEED);
  // The workspace n-gram, or with --order the Kneser-Ney table of that order, to compare.
  const [order] = args.options.has('order') ? parseOrders(args, []) : [undefined];

  const built = performance.now();
  let ngram: CharNgram = buildWorkspaceNgram(trainIds, vocabulary.size, order);
  const buildSeconds = (performance.now() - built) / 1000;
  const snapshot = ngram.toBuffer();
  note(`n-gram: ${order ? `Kneser-Ney order ${order}` : 'the workspace n-gram'}, ${fmt(trainIds.length)} training chars, built in ${buildSeconds.toFixed(1)} s, ${(ngram.bytes / 2 ** 20).toFixed(1)} MB in memory, ${(snapshot.length / 2 ** 20).toFixed(1)} MB on disk`);

  const { probs: pLstm, states } = scoreLstm(lstm, ids, cursors);
  const scored = { static: scoreWithGateInputs(ngram, ids, false), online: scoreWithGateInputs(ngram, ids, true) };
  const scores: Record<Mode, Float32Array> = { static: scored.static.probs, online: scored.online.probs };
  ngram = ngramFromBuffer(snapshot);
  const half = Math.floor(ids.length / 2);
  const fold = (i: number) => (i < half ? 0 : 1);
  const weights = {
    static: crossFittedWeights(pLstm, scores.static, half),
    online: crossFittedWeights(pLstm, scores.online, half),
  };
  const gates = {
    static: crossFittedGates(pLstm, scored.static.rows, scores.static, half),
    online: crossFittedGates(pLstm, scored.online.rows, scores.online, half),
  };

  const results = {} as Record<Mode, ModeResult>;
  const started = performance.now();
  let learned = 0;
  for (const mode of ['static', 'online'] as const) {
    const w = weights[mode];
    const accuracy = { LSTM: new AccuracyTally(), 'n-gram': new AccuracyTally(), mixture: new AccuracyTally(), mixer: new AccuracyTally() };
    for (const [k, at] of cursors.entries()) {
      if (mode === 'online') {
        // The n-gram reads the test text up to the cursor (with its context before), as the editor reads the file.
        const from = Math.max(0, learned - ngram.order);
        ngram.score(ids.subarray(from, at), { online: true, from: learned - from });
        learned = at;
      }
      const prefix = chars.slice(Math.max(0, at - 2 * ngram.order), at).join('');
      const steppers: Record<PredictorName, () => Stepper> = {
        LSTM: () => lstmStepper(lstm, lstm.cloneState(states[k])),
        'n-gram': () => ngramStepper(ngram, vocabulary, prefix),
        mixture: () => mixedStepper(steppers.LSTM(), steppers['n-gram'](), w[fold(at)]),
        mixer: () => mixedStepper(steppers.LSTM(), steppers['n-gram'](), { gate: gates[mode][fold(at)], ngram }),
      };
      const rest = restOfLine(chars, at);
      for (const name of PREDICTORS) accuracy[name].add(greedyLine(steppers[name](), vocabulary), rest);
    }
    const mixed = (i: number) => w[fold(i)] * pLstm[i] + (1 - w[fold(i)]) * scores[mode][i];
    const rows = scored[mode].rows;
    const gated = [0, 1].map((k) => {
      const [from, to] = k === 0 ? [0, half] : [half, ids.length];
      return gatedProbabilities(gates[mode][k], rows.subarray(from * GATE_INPUTS, to * GATE_INPUTS), pLstm.subarray(from, to), scores[mode].subarray(from, to));
    });
    results[mode] = {
      nats: {
        LSTM: meanNats(pLstm),
        'n-gram': meanNats(scores[mode]),
        mixture: meanNats(Float32Array.from(pLstm, (_, i) => mixed(i))),
        mixer: meanNats(Float32Array.from([...gated[0], ...gated[1]])),
      },
      accuracy,
    };
  }
  const msPerCompletion = (performance.now() - started) / (2 * PREDICTORS.length * Math.max(1, cursors.length));

  log(`Completion accuracy: ${fmt(cursors.length)} cursors in ${fmt(chars.length)} test chars, greedy to the end of the line; LSTM ${dir}; n-gram of ${fmt(trainIds.length)} training chars.`);
  log(`Mixture weights cross-fitted on the test text's halves: LSTM weight static ${weights.static.map((v) => v.toFixed(3)).join(' / ')}, online ${weights.online.map((v) => v.toFixed(3)).join(' / ')}.`);
  log(`${''.padEnd(10)}${'static'.padEnd(27)}online (the n-gram has read the test text up to the cursor)`);
  log(`${'predictor'.padEnd(10)}${'exact   chars   nats/char  '.repeat(2)}`);
  for (const name of PREDICTORS) {
    const cells = (['static', 'online'] as const).map((mode) => {
      const r = results[mode];
      return `${(r.accuracy[name].exactRate * 100).toFixed(1).padStart(5)}%  ${r.accuracy[name].meanCorrectChars.toFixed(2).padStart(5)}   ${r.nats[name].toFixed(3).padEnd(11)}`;
    });
    log(`${name.padEnd(10)}${cells.join('')}`);
  }
  log(`${msPerCompletion.toFixed(2)} ms per completion (mean over predictors and modes).`);
}

/** The training and test ids; one source for both is split as the trainer splits it (the held-out end is the test text). */
function readSplit(trainSource: string, testSource: string, args: ParsedArgs, vocabulary: Vocabulary): { trainIds: Int32Array; testText: string } {
  const train = readTextSource(trainSource, args).text;
  if (path.resolve(trainSource) !== path.resolve(testSource)) return { trainIds: vocabulary.encode(train), testText: readTextSource(testSource, args).text };
  const all = Array.from(train);
  const split = splitIds(new Int32Array(all.length), DEFAULT_TRAIN_OPTIONS.valFrac, DEFAULT_TRAIN_OPTIONS.testFrac);
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

/** [gate for the first half, gate for the second half], each fitted on the other half. */
function crossFittedGates(a: Float32Array, rows: Float32Array, b: Float32Array, half: number): [Gate, Gate] {
  const at = half * GATE_INPUTS;
  return [fitGate(rows.subarray(at), a.subarray(half), b.subarray(half)), fitGate(rows.subarray(0, at), a.subarray(0, half), b.subarray(0, half))];
}

/** [weight for the first half, weight for the second half], each fitted on the other half. */
function crossFittedWeights(a: Float32Array, b: Float32Array, half: number): [number, number] {
  return [fitMixtureWeight(a.subarray(half), b.subarray(half)), fitMixtureWeight(a.subarray(0, half), b.subarray(0, half))];
}
