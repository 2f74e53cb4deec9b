import { loadCheckpoint } from '../core/model/checkpoint';
import { formatCorpusReport, streamCorpusFile } from '../core/text/corpus';
import { bitsPerChar } from '../core/predict/lossUnits';
import { InferenceModel, LstmState } from '../core/model/inference';
import { fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from '../core/predict/mixture';
import { DEFAULT_NGRAM_ORDER, NgramModel } from '../core/ngram/kneserNey';
import { CommandArgs, UsageError } from './args';
import { fmt, log, natsAndBits, note, readIds } from './ngramReport';
import { ProgressBar } from './progressBar';
import { scanTextSource } from './readText';

/** Without a --val text, this share of the target (its start) fits the mixture weights... */
const FIT_FRACTION = 0.1;
/** ...up to this many characters: one scalar weight needs no more, and the fit set is the only per-character record kept. */
const MAX_FIT_CHARS = 1_000_000;
/** Characters encoded and scored at a time: memory follows this and the models, not the target's size. */
const PIECE_CHARS = 1 << 16;
/** Below this the numbers mean little. */
const MIN_CHARS = 100;

/** P(next character) under each predictor for one piece of the target. */
interface PieceScores {
  lstm: Float32Array;
  static?: Float32Array;
  online: Float32Array;
}

/**
 * Scores a text handed over in pieces as if it were one text: the LSTM
 * state and the n-grams' context carry from piece to piece.
 */
class PieceScorer {
  private readonly state: LstmState;
  private context = new Int32Array(0);

  constructor(
    private readonly lstm: InferenceModel,
    private readonly staticNgram: NgramModel | undefined,
    private readonly onlineNgram: NgramModel,
  ) {
    this.state = lstm.zeroState();
  }

  score(ids: Int32Array): PieceScores {
    const text = new Int32Array(this.context.length + ids.length);
    text.set(this.context);
    text.set(ids, this.context.length);
    const from = this.context.length;
    const scores = {
      lstm: scoreWithLstm(this.lstm, ids, this.state),
      static: this.staticNgram?.score(text, { from }),
      online: this.onlineNgram.score(text, { online: true, from }),
    };
    this.context = text.slice(Math.max(0, text.length - (this.onlineNgram.order - 1)));
    return scores;
  }
}

/** -ln p summed per predictor, and the fit set's probabilities until the mixture weights are fitted from them. */
class Tally {
  scored = 0;
  lstmAll = 0;
  readonly sums = { lstm: 0, static: 0, online: 0, staticMix: 0, onlineMix: 0 };
  private weights?: { static?: number; online: number };

  constructor(
    /** Characters at the start that fit the weights and no row counts; 0 when a --val text fits them. */
    readonly fitChars: number,
    private readonly fit: PieceScores,
  ) {}

  add(p: PieceScores): void {
    const n = p.lstm.length;
    const inFit = Math.max(0, Math.min(n, this.fitChars - this.scored));
    if (inFit > 0) {
      this.fit.lstm.set(p.lstm.subarray(0, inFit), this.scored);
      if (p.static) this.fit.static!.set(p.static.subarray(0, inFit), this.scored);
      this.fit.online.set(p.online.subarray(0, inFit), this.scored);
    }
    this.lstmAll += meanNats(p.lstm) * n;
    this.scored += n;
    if (inFit === n) return;
    const w = this.fitted();
    const sumFrom = (probs: Float32Array) => meanNats(probs, inFit) * (n - inFit);
    this.sums.lstm += sumFrom(p.lstm);
    this.sums.online += sumFrom(p.online);
    this.sums.onlineMix += sumFrom(mixProbabilities(p.lstm, p.online, w.online));
    if (p.static) {
      this.sums.static += sumFrom(p.static);
      this.sums.staticMix += sumFrom(mixProbabilities(p.lstm, p.static, w.static!));
    }
  }

  fitted(): { static?: number; online: number } {
    this.weights ??= {
      static: this.fit.static && fitMixtureWeight(this.fit.lstm, this.fit.static),
      online: fitMixtureWeight(this.fit.lstm, this.fit.online),
    };
    return this.weights;
  }
}

/** Pieces of at most PIECE_CHARS code units, never splitting a surrogate pair (it would encode as two unknown symbols). */
function* pieces(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + PIECE_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(start, end);
    start = end;
  }
}

/**
 * `charlens eval`: the LSTM's loss on the target, then a table of the LSTM,
 * a Kneser-Ney n-gram and their mixture, static and online, all scored over
 * the same characters. The target is read twice, a megabyte at a time and
 * never whole: once for its report and size, once to score it in pieces
 * with a progress bar.
 */
export async function evalCommand(args: CommandArgs): Promise<number> {
  const [dir, target] = args.positional;
  if (!dir || !target) throw new UsageError('eval needs a model and a folder or file: charlens eval <model> <folder|file> [--train folder|file] [--val folder|file] [--order n]');
  const order = args.number('order') ?? DEFAULT_NGRAM_ORDER;
  const model = loadCheckpoint(dir);
  const { vocabulary } = model;
  const report = scanTextSource(target, args);
  note(formatCorpusReport(report));
  if (report.chars <= MIN_CHARS) throw new UsageError(`${target} is too short to evaluate (needs more than ${MIN_CHARS} characters)`);

  const trainSource = args.string('train');
  const valSource = args.string('val');
  const trainIds = trainSource ? readIds(trainSource, args, vocabulary) : undefined;
  const valIds = valSource ? readIds(valSource, args, vocabulary) : undefined;
  const freshNgram = () => (trainIds ? NgramModel.build(trainIds, { order, vocabSize: vocabulary.size }) : NgramModel.create({ order, vocabSize: vocabulary.size }));
  const lstm = InferenceModel.of(model);
  const staticNgram = trainIds && freshNgram();
  let tally: Tally;
  if (valIds) {
    // The online n-gram learns the validation text while scoring it; the target's online run starts again from the static counts.
    const onlineVal = freshNgram();
    tally = new Tally(0, { lstm: scoreWithLstm(lstm, valIds), static: staticNgram?.score(valIds), online: onlineVal.score(valIds, { online: true }) });
  } else {
    const fitChars = Math.min(Math.floor(report.chars * FIT_FRACTION), MAX_FIT_CHARS);
    tally = new Tally(fitChars, { lstm: new Float32Array(fitChars), static: staticNgram && new Float32Array(fitChars), online: new Float32Array(fitChars) });
  }

  const scorer = new PieceScorer(lstm, staticNgram, freshNgram());
  const unknown = new Set<string>();
  const bar = new ProgressBar();
  for (const file of report.files) {
    streamCorpusFile(report, file, (text) => {
      for (const piece of pieces(text)) {
        vocabulary.unknownIn(piece).forEach((ch) => unknown.add(ch));
        tally.add(scorer.score(vocabulary.encode(piece)));
        bar.chars('Scoring', tally.scored, report.chars);
      }
    });
  }
  bar.done();
  if (unknown.size > 0) note(`Note: ${unknown.size} distinct characters are outside the model's vocabulary and count as the unknown symbol.`);
  printTable(tally, order, trainSource && `${trainSource} (${fmt(trainIds!.length)} chars)`, valSource && `${valSource} (${fmt(valIds!.length)} chars)`);
  return 0;
}

function printTable(tally: Tally, order: number, train: string | undefined, val: string | undefined): void {
  const { sums, fitChars } = tally;
  const weights = tally.fitted();
  const counted = Math.max(1, tally.scored - fitChars);
  const mean = (sum: number) => natsAndBits(sum / counted);
  const lstmNats = tally.lstmAll / tally.scored;
  log(`${lstmNats.toFixed(3)} nats/char, ${bitsPerChar(lstmNats).toFixed(3)} bits/char (${fmt(tally.scored)} characters)`);
  log('');
  log(`n-gram: order ${order}, interpolated modified Kneser-Ney; ${train ? `static counts from ${train}` : 'no --train text, so no static counts: it starts empty'}; online it counts each character of the target after predicting it.`);
  log(val ? `Mixture weights fitted on ${val}.` : `Mixture weights fitted on the first ${FIT_FRACTION * 100}% of the target (${fmt(fitChars)} chars; at most ${fmt(MAX_FIT_CHARS)}), which every row leaves out.`);
  log(`${fmt(tally.scored - fitChars)} characters scored:`);
  log(`${''.padEnd(24)}${'static'.padEnd(16)}online (learns as it reads)`);
  log(`${''.padEnd(24)}${'nats    bits    '.repeat(2)}`);
  log(`${'LSTM'.padEnd(24)}${mean(sums.lstm)}(weights fixed: no online mode)`);
  log(`${`n-gram order ${order}`.padEnd(24)}${train ? mean(sums.static) : '-'.padEnd(16)}${mean(sums.online)}`);
  log(`${'LSTM + n-gram mixture'.padEnd(24)}${train ? mean(sums.staticMix) : '-'.padEnd(16)}${mean(sums.onlineMix)}`);
  log(`${'  LSTM weight'.padEnd(24)}${(weights.static !== undefined ? weights.static.toFixed(3) : '-').padEnd(16)}${weights.online.toFixed(3)}`);
}
