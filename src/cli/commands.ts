import * as fs from 'fs';
import * as path from 'path';
import { BackendChoice, BackendRequest, selectBackend } from '../core/backend';
import { WORKSPACE_NGRAM_ORDER } from '../core/ngram/workspaceNgram';
import { answeringLabel } from '../core/predict/workspaceMixture';
import { loadCheckpoint } from '../core/model/checkpoint';
import { formatCorpusReport } from '../core/text/corpus';
import { bitsPerChar } from '../core/predict/lossUnits';
import { FEATURE_LABELS } from '../core/explorer/codeFeatures';
import { explore } from '../core/explorer/explore';
import { EXPLORER_FILE } from '../core/explorer/explorerCache';
import { DEFAULT_SAMPLE_CHARS, corpusFiles, explorerSample } from '../core/explorer/explorerSample';
import { DEFAULT_TOP, cellName, describeCell } from '../core/explorer/neuronRanking';
import { InferenceModel } from '../core/model/inference';
import { DEFAULT_SAMPLE_OPTIONS, SampleOptions, sample, validateSampleOptions } from '../core/predict/sampling';
import { runTrainingJob } from '../core/train/job';
import { ParsedArgs, UsageError, flag, listOption, numberOption, stringOption } from './args';
import { ProgressBar } from './progressBar';
import { readTextSource } from './readText';
import { prepareOutFolder, trainRequest } from './trainOptions';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function useBackend(args: ParsedArgs): Promise<BackendChoice> {
  const threads = numberOption(args, 'threads');
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be a positive integer, got ${threads}`);
  const choice = await selectBackend((stringOption(args, 'backend') ?? 'auto') as BackendRequest, { threads });
  const passedOver = choice.skipped.length > 0 && stringOption(args, 'backend') === undefined ? ` (passed over ${choice.skipped.join('; ')})` : '';
  process.stderr.write(`Backend: ${choice.description}${passedOver}\n`);
  return choice;
}

export async function trainCommand(args: ParsedArgs): Promise<number> {
  const folder = args.positional[0];
  if (!folder) throw new UsageError('train needs a folder: charlens train <folder> [--out dir] [options]');
  const { options, size } = trainRequest(args);
  prepareOutFolder(options.out, options.resume, flag(args, 'force'));
  options.hidden = size.hidden ?? 0; // 0: the job chooses (from the budget or the corpus size)
  const backend = await useBackend(args);
  const bar = new ProgressBar();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    bar.println(`${signal}: stopping after this step, validating and saving a resumable checkpoint (Ctrl+C again to quit at once)...`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const result = await runTrainingJob(
      {
        folder,
        corpus: { include: listOption(args, 'include'), exclude: listOption(args, 'exclude'), maxFileBytes: numberOption(args, 'max-file-bytes') },
        options,
        requested: { layers: size.layers, dropout: size.dropout },
        ngramOrder: numberOption(args, 'ngram-order') ?? WORKSPACE_NGRAM_ORDER,
        owner: 'charlens train in a terminal',
        backend,
      },
      {
        signal: controller.signal,
        onPlan: (plan) => process.stderr.write(`${formatCorpusReport(plan.report)}\n${plan.line}\n`),
        onProgress: (p) => bar.update(p),
      },
    );
    bar.done();
    const out = result.plan.options.out;
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    log(`Stopped: ${result.stopReason} after ${result.steps} steps in ${minutes} min.`);
    const nats = (x: number) => `${x.toFixed(3)} nats/char, ${bitsPerChar(x).toFixed(3)} bits/char`;
    if (result.bestValLoss !== undefined) log(`Best validation loss: ${nats(result.bestValLoss)}`);
    if (result.testLoss !== undefined) log(`Test loss: ${nats(result.testLoss)}`);
    if (result.stopReason === 'cancelled') log(`Resume with: charlens train ${folder} --out ${out} --resume`);
    if (fs.existsSync(path.join(out, 'model.json'))) {
      log(`Model saved to ${out}`);
      const m = result.mixture;
      if (m) {
        const both = (x: number) => `${x.toFixed(3)} (${bitsPerChar(x).toFixed(3)} bits)`;
        log(`Validation nats/char: LSTM ${both(m.valNats.lstm)}, ${result.plan.ngram?.label ?? `n-gram`} ${both(m.valNats.ngram)}, mixture ${both(m.valNats.mixture)} with LSTM weight ${m.weightOfLstm.toFixed(2)}; completions use ${answeringLabel(m)}.`);
      }
      const model = loadCheckpoint(out);
      const text = sample(InferenceModel.of(model), model.vocabulary, { temperature: 0.8, length: 400, seed: options.seed }).text;
      log(`\nSample (temperature 0.8):\n${'-'.repeat(60)}\n${text}\n${'-'.repeat(60)}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function sampleCommand(args: ParsedArgs): Promise<number> {
  const dir = args.positional[0];
  if (!dir) throw new UsageError('sample needs a model folder: charlens sample <model> [--temperature t] [--prime text] [--length n]');
  const model = loadCheckpoint(dir);
  const options: SampleOptions = {
    ...DEFAULT_SAMPLE_OPTIONS,
    temperature: numberOption(args, 'temperature') ?? DEFAULT_SAMPLE_OPTIONS.temperature,
    topK: numberOption(args, 'top-k') ?? DEFAULT_SAMPLE_OPTIONS.topK,
    topP: numberOption(args, 'top-p') ?? DEFAULT_SAMPLE_OPTIONS.topP,
    argmax: flag(args, 'argmax'),
    prime: stringOption(args, 'prime') ?? '',
    seed: numberOption(args, 'seed') ?? DEFAULT_SAMPLE_OPTIONS.seed,
    length: numberOption(args, 'length') ?? DEFAULT_SAMPLE_OPTIONS.length,
    stop: listOption(args, 'stop') ?? [],
  };
  validateSampleOptions(options); // before the prime is printed
  const unknown = model.vocabulary.unknownIn(options.prime);
  if (unknown.length > 0) {
    process.stderr.write(`Note: the model never saw ${unknown.map((c) => JSON.stringify(c)).join(' ')} in the prime; they were read as the unknown symbol.\n`);
  }
  // Streamed as it is made: a long sample shows progress, and stdout to a pipe or file is written synchronously.
  process.stdout.write(options.prime);
  sample(InferenceModel.of(model), model.vocabulary, options, (piece) => process.stdout.write(piece));
  process.stdout.write('\n');
  return 0;
}

export async function exploreCommand(args: ParsedArgs): Promise<number> {
  const [dir, target] = args.positional;
  if (!dir || !target) throw new UsageError('explore needs a model and a folder or file: charlens explore <model> <folder|file> [--chars N] [--top K]');
  const positiveInteger = (name: string) => {
    const n = numberOption(args, name);
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new UsageError(`--${name} must be a positive integer, got ${n}`);
    return n;
  };
  const chars = positiveInteger('chars') ?? DEFAULT_SAMPLE_CHARS;
  const top = positiveInteger('top') ?? DEFAULT_TOP;
  const model = loadCheckpoint(dir);
  const corpus = readTextSource(target, args);
  process.stderr.write(`${formatCorpusReport(corpus.report)}\n`);
  const sample = explorerSample(corpusFiles(corpus), chars);
  const started = Date.now();
  const { ranking, fromCache, cacheError, cacheDropped } = await explore(model, sample, { top });
  if (cacheDropped) process.stderr.write(`${cacheDropped}.\n`);
  const cacheFile = path.join(dir, EXPLORER_FILE);
  if (fromCache) process.stderr.write(`Read from ${cacheFile}, ranked earlier for these weights and this sample.\n`);
  else process.stderr.write(`Ranked in ${((Date.now() - started) / 1000).toFixed(1)} s; ${cacheError ? `not cached (${cacheError})` : `cached in ${cacheFile}`}.\n`);
  const { layers, hiddenSize, activation } = ranking;
  log(`${layers} x ${hiddenSize} cells (layers from 1, cells from 0), ${activation} over ${ranking.chars.toLocaleString('en-US')} characters`);
  for (const { feature, top: cells, baseRate } of ranking.features) {
    log(`\n${FEATURE_LABELS[feature]}:${cells.length === 0 ? ' constant in this sample' : ` (on at ${(baseRate * 100).toFixed(1)}% of characters)`}`);
    for (const c of cells) log(`  ${cellName(c).padEnd(18)} r = ${c.r.toFixed(2).padStart(5)}${c.precision === undefined ? '' : `  top-1% precision ${c.precision.toFixed(2)}`}`);
  }
  log('\nStrongest cells:');
  for (const c of ranking.cells.slice(0, top)) log(`  ${describeCell(c)}`);
  return 0;
}
