import { formatCorpusReport } from '../core/corpus';
import { bitsPerChar } from '../core/evaluate';
import { InferenceModel } from '../core/inference';
import { fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from '../core/mixture';
import { DEFAULT_NGRAM_ORDER, MAX_NGRAM_ORDER, NgramModel } from '../core/ngram/kneserNey';
import { Vocabulary } from '../core/vocabulary';
import { ParsedArgs, UsageError, listOption, stringOption } from './args';
import { readTextSource } from './readText';

const log = (line: string) => process.stdout.write(`${line.trimEnd()}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number) => n.toLocaleString('en-US');
const natsAndBits = (nats: number) => `${nats.toFixed(3).padEnd(8)}${bitsPerChar(nats).toFixed(3).padEnd(8)}`;

/** Without a --val text, this share of the target (its start) fits the mixture weights. */
const FIT_FRACTION = 0.1;
const DEFAULT_REPORT_ORDERS = [3, 5, 7, 10, 15, 20];

function readIds(source: string, args: ParsedArgs, vocabulary: Vocabulary): Int32Array {
  const corpus = readTextSource(source, args);
  note(formatCorpusReport(corpus.report));
  return vocabulary.encode(corpus.text);
}

function parseOrders(args: ParsedArgs, fallback: number[]): number[] {
  const orders = listOption(args, 'order')?.map(Number) ?? fallback;
  for (const order of orders) {
    if (!Number.isInteger(order) || order < 1 || order > MAX_NGRAM_ORDER) throw new UsageError(`--order must be whole numbers from 1 to ${MAX_NGRAM_ORDER}`);
  }
  return orders;
}

/**
 * The table `charlens eval` prints after the LSTM's loss: nats and bits per
 * character of the LSTM, the n-gram and their mixture, static and online, all
 * scored over the same characters of the target.
 */
export function printModelComparison(args: ParsedArgs, lstm: InferenceModel, vocabulary: Vocabulary, targetText: string): void {
  const [order, ...more] = parseOrders(args, [DEFAULT_NGRAM_ORDER]);
  if (more.length > 0) throw new UsageError('eval compares one n-gram order; charlens ngram compares several');
  const trainSource = stringOption(args, 'train');
  const valSource = stringOption(args, 'val');
  const trainIds = trainSource ? readIds(trainSource, args, vocabulary) : undefined;
  const valIds = valSource ? readIds(valSource, args, vocabulary) : undefined;
  const ids = vocabulary.encode(targetText);
  // Without a validation text the weights are fitted on the target's start, so no row may count it.
  const from = valIds ? 0 : Math.floor(ids.length * FIT_FRACTION);

  note(`Scoring ${fmt(ids.length + (valIds?.length ?? 0))} characters with the LSTM, one at a time...`);
  const lstmTarget = scoreWithLstm(lstm, ids);
  const lstmVal = valIds && scoreWithLstm(lstm, valIds);
  const freshNgram = () => (trainIds ? NgramModel.build(trainIds, { order, vocabSize: vocabulary.size }) : NgramModel.create({ order, vocabSize: vocabulary.size }));
  let ngram = freshNgram();
  const staticTarget = trainIds && ngram.score(ids);
  const staticVal = trainIds && valIds && ngram.score(valIds);
  const onlineVal = valIds && ngram.score(valIds, { online: true });
  // The online target run starts from the static counts, not from what the validation text added.
  if (valIds) ngram = freshNgram();
  const onlineTarget = ngram.score(ids, { online: true });

  const fitPart = (target: Float32Array, val?: Float32Array) => val ?? target.subarray(0, from);
  const mixture = (ngramTarget: Float32Array, ngramVal?: Float32Array) => {
    const weight = fitMixtureWeight(fitPart(lstmTarget, lstmVal), fitPart(ngramTarget, ngramVal));
    return { weight, nats: meanNats(mixProbabilities(lstmTarget, ngramTarget, weight), from) };
  };
  const staticMix = staticTarget && mixture(staticTarget, staticVal);
  const onlineMix = mixture(onlineTarget, onlineVal);

  log('');
  log(`n-gram: order ${order}, interpolated modified Kneser-Ney; ${trainSource ? `static counts from ${trainSource} (${fmt(trainIds!.length)} chars)` : 'no --train text, so no static counts: it starts empty'}; online it counts each character of the target after predicting it.`);
  log(valSource ? `Mixture weights fitted on ${valSource} (${fmt(valIds!.length)} chars).` : `Mixture weights fitted on the first ${FIT_FRACTION * 100}% of the target (${fmt(from)} chars), which every row leaves out.`);
  log(`${fmt(ids.length - from)} characters scored:`);
  log(`${''.padEnd(24)}${'static'.padEnd(16)}online (learns as it reads)`);
  log(`${''.padEnd(24)}${'nats    bits    '.repeat(2)}`);
  log(`${'LSTM'.padEnd(24)}${natsAndBits(meanNats(lstmTarget, from))}(weights fixed: no online mode)`);
  log(`${`n-gram order ${order}`.padEnd(24)}${staticTarget ? natsAndBits(meanNats(staticTarget, from)) : '-'.padEnd(16)}${natsAndBits(meanNats(onlineTarget, from))}`);
  log(`${'LSTM + n-gram mixture'.padEnd(24)}${staticMix ? natsAndBits(staticMix.nats) : '-'.padEnd(16)}${natsAndBits(onlineMix.nats)}`);
  log(`${'  LSTM weight'.padEnd(24)}${(staticMix ? staticMix.weight.toFixed(3) : '-').padEnd(16)}${onlineMix.weight.toFixed(3)}`);
}

/** `charlens ngram <train> <eval> [--order 3,5,7,10,15,20]`: how each order does, static and online, and what it costs. */
export async function ngramCommand(args: ParsedArgs): Promise<number> {
  const [trainSource, evalSource] = args.positional;
  if (!trainSource || !evalSource) throw new UsageError('ngram needs a training text and an evaluation text: charlens ngram <train folder|file> <eval folder|file> [--order 3,5,7,10,15,20]');
  const orders = parseOrders(args, DEFAULT_REPORT_ORDERS);
  const train = readTextSource(trainSource, args);
  note(formatCorpusReport(train.report));
  // The vocabulary is the training text's: evaluation characters it lacks count as the unknown symbol.
  const vocabulary = Vocabulary.fromText(train.text);
  const trainIds = vocabulary.encode(train.text);
  const evalIds = readIds(evalSource, args, vocabulary);
  log(`Interpolated modified Kneser-Ney, ${fmt(trainIds.length)} training chars, ${fmt(evalIds.length)} evaluation chars, vocabulary ${vocabulary.size}.`);
  log('Online: starts from the training counts and counts each evaluation character after predicting it.');
  log(`${'order'.padEnd(7)}${'static'.padEnd(16)}${'online'.padEnd(16)}${'build s'.padEnd(9)}${'entries'.padEnd(13)}${'table MB'.padEnd(10)}distribution() µs`);
  log(`${''.padEnd(7)}${'nats    bits    '.repeat(2)}`);
  for (const order of orders) {
    const started = performance.now();
    const model = NgramModel.build(trainIds, { order, vocabSize: vocabulary.size });
    const buildSeconds = (performance.now() - started) / 1000;
    const { entries, bytes } = model; // as built: online learning adds to them
    const staticNats = meanNats(model.score(evalIds));
    const micros = microsPerDistribution(model, evalIds);
    const onlineNats = meanNats(model.score(evalIds, { online: true }));
    log(
      `${String(order).padEnd(7)}${natsAndBits(staticNats)}${natsAndBits(onlineNats)}${buildSeconds.toFixed(1).padEnd(9)}` +
        `${fmt(entries).padEnd(13)}${(bytes / 2 ** 20).toFixed(0).padEnd(10)}${micros.toFixed(1)}`,
    );
  }
  log(`Peak memory (resident): ${(process.resourceUsage().maxRSS / 2 ** 10).toFixed(0)} MB`);
  return 0;
}

/** Mean time of one full next-character distribution, at contexts spread over the text. */
function microsPerDistribution(model: NgramModel, ids: Int32Array): number {
  const calls = Math.min(2000, ids.length);
  const out = new Float32Array(model.vocabSize);
  const started = performance.now();
  for (let j = 0; j < calls; j++) model.distribution(ids.subarray(0, Math.floor(((j + 0.5) * ids.length) / calls)), out);
  return ((performance.now() - started) * 1000) / calls;
}
