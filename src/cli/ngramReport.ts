import { formatCorpusReport } from '../core/text/corpus';
import { bitsPerChar } from '../core/predict/lossUnits';
import { meanNats } from '../core/predict/mixture';
import { MAX_NGRAM_ORDER, NgramModel } from '../core/ngram/kneserNey';
import { Vocabulary } from '../core/text/vocabulary';
import { CommandArgs, UsageError } from './args';
import { readTextSource } from './readText';

export const log = (line: string) => process.stdout.write(`${line.trimEnd()}\n`);
export const note = (line: string) => process.stderr.write(`${line}\n`);
export const fmt = (n: number) => n.toLocaleString('en-US');
export const natsAndBits = (nats: number) => `${nats.toFixed(3).padEnd(8)}${bitsPerChar(nats).toFixed(3).padEnd(8)}`;

export const DEFAULT_REPORT_ORDERS = [3, 5, 7, 10, 15, 20];

export function readIds(source: string, args: CommandArgs, vocabulary: Vocabulary): Int32Array {
  const corpus = readTextSource(source, args);
  note(formatCorpusReport(corpus.report));
  return vocabulary.encode(corpus.text);
}

function parseOrders(args: CommandArgs): number[] {
  const orders = args.list('order')?.map(Number) ?? DEFAULT_REPORT_ORDERS;
  for (const order of orders) {
    if (!Number.isInteger(order) || order < 1 || order > MAX_NGRAM_ORDER) throw new UsageError(`--order must be whole numbers from 1 to ${MAX_NGRAM_ORDER}, got ${args.string('order')}`);
  }
  return orders;
}

/** `charlens ngram <train> <eval> [--order 3,5,7,10,15,20]`: how each order does, static and online, and what it costs. */
export async function ngramCommand(args: CommandArgs): Promise<number> {
  const [trainSource, evalSource] = args.positional;
  if (!trainSource || !evalSource) throw new UsageError('ngram needs a training text and an evaluation text: charlens ngram <train folder|file> <eval folder|file> [--order k,k,...]');
  const orders = parseOrders(args);
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
