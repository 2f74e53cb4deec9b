import * as fs from 'fs';
import * as path from 'path';
import { BackendChoice, BackendRequest, selectBackend } from '../core/backend';
import { WORKSPACE_NGRAM_ORDER } from '../core/ngram/workspaceNgram';
import { checkCorpusFolder, formatCorpusReport } from '../core/text/corpus';
import { bitsPerChar } from '../core/predict/lossUnits';
import { FEATURE_LABELS, FEATURE_NAMES } from '../core/explorer/codeFeatures';
import { explore } from '../core/explorer/explore';
import { bestCells, corpusScorer, describeLearned, scoredHistory } from '../core/explorer/labelHistory';
import { HISTORY_DIR } from '../core/model/weightHistory';
import { Checkpoint, loadCheckpoint } from '../core/model/checkpoint';
import { EXPLORER_FILE } from '../core/explorer/explorerCache';
import { DEFAULT_SAMPLE_CHARS, ExplorerSample, corpusFiles, explorerSample } from '../core/explorer/explorerSample';
import { DEFAULT_TOP, LEARNED_PRECISION, LEARNED_R, cellName, describeCell, isLearned } from '../core/explorer/neuronRanking';
import { InferenceModel } from '../core/model/inference';
import { DEFAULT_SAMPLE_OPTIONS, SampleOptions, sample, validateSampleOptions } from '../core/predict/sampling';
import { JobResult, runTrainingJob } from '../core/train/job';
import { CommandArgs, UsageError } from './args';
import { trainingFigures } from './mixtureReport';
import { ProgressBar } from './progressBar';
import { readTextSource } from './readText';
import { prepareOutFolder, trainRequest } from './trainOptions';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function useBackend(args: CommandArgs): Promise<BackendChoice> {
  const choice = await selectBackend((args.string('backend') ?? 'auto') as BackendRequest, { threads: args.number('threads') });
  const passedOver = choice.skipped.length > 0 && !args.has('backend') ? ` (passed over ${choice.skipped.join('; ')})` : '';
  process.stderr.write(`Backend: ${choice.description}${passedOver}\n`);
  return choice;
}

/** Signals that stop training as Ctrl+C does: SIGHUP is the terminal closing, which must not lose the steps since the last save. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function trainCommand(args: CommandArgs): Promise<number> {
  const folder = args.positional[0];
  if (!folder) throw new UsageError('train needs a folder: charlens train <folder> [--out dir] [options] (charlens train --help lists them)');
  const { options, given } = trainRequest(args);
  checkCorpusFolder(folder); // a wrong path fails here, before the backend is probed and --out is made
  const discardOut = prepareOutFolder(options.out, options.resume, args.flag('force'));
  options.hidden = given.hidden ?? 0; // 0: the job chooses (from the budget or the corpus size)
  const bar = new ProgressBar();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    bar.println(`${signal}: stopping after this step, validating and saving a resumable checkpoint (Ctrl+C again to quit at once)...`);
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    controller.abort();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  const started = Date.now();
  let result: JobResult;
  try {
    const backend = await useBackend(args);
    result = await runTrainingJob(
      {
        folder,
        corpus: { include: args.list('include'), exclude: args.list('exclude'), maxFileBytes: args.number('max-file-bytes') },
        options,
        requested: given,
        ngramOrder: args.number('ngram-order') ?? WORKSPACE_NGRAM_ORDER,
        owner: 'charlens train in a terminal',
        backend,
      },
      {
        signal: controller.signal,
        onPlan: (plan) => process.stderr.write(`${formatCorpusReport(plan.report)}\n${plan.line}\n`),
        onProgress: (p) => bar.update(p),
        scorerFor: corpusScorer,
      },
    );
  } catch (err) {
    discardOut();
    throw err;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
  bar.done();
  const out = result.plan.options.out;
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  log(`Stopped: ${result.stopReason} after ${result.steps} steps in ${minutes} min.`);
  const nats = (x: number) => `${x.toFixed(3)} nats/char, ${bitsPerChar(x).toFixed(3)} bits/char`;
  if (result.testLoss !== undefined) log(`Test loss: ${nats(result.testLoss)}`);
  if (result.stopReason === 'cancelled') log(`Resume with: charlens train ${folder} --out ${out} --resume`);
  if (!fs.existsSync(path.join(out, 'model.json'))) {
    discardOut();
    if (result.stopReason === 'cancelled') return 0;
    throw new UsageError(`No model was saved: the run ended (${result.stopReason}) before its first validation. Give it more --minutes or --max-steps.`);
  }
  log(`Model saved to ${out}`);
  for (const line of trainingFigures(result.bestValLoss, result.valChars, result.mixture, result.plan.ngram?.label ?? 'n-gram')) log(line);
  const model = loadCheckpoint(out);
  const text = sample(InferenceModel.of(model), model.vocabulary, { temperature: 0.8, length: 400, seed: result.plan.options.seed }).text;
  log(`\nSample (temperature 0.8):\n${'-'.repeat(60)}\n${text}\n${'-'.repeat(60)}`);
  return 0;
}

export async function sampleCommand(args: CommandArgs): Promise<number> {
  const dir = args.positional[0];
  if (!dir) throw new UsageError('sample needs a model folder: charlens sample <model> [--temperature t] [--prime text] [--length n]');
  const model = loadCheckpoint(dir);
  const options: SampleOptions = {
    ...DEFAULT_SAMPLE_OPTIONS,
    temperature: args.number('temperature') ?? DEFAULT_SAMPLE_OPTIONS.temperature,
    topK: args.number('top-k') ?? DEFAULT_SAMPLE_OPTIONS.topK,
    topP: args.number('top-p') ?? DEFAULT_SAMPLE_OPTIONS.topP,
    argmax: args.flag('argmax'),
    prime: args.string('prime') ?? '',
    seed: args.number('seed') ?? DEFAULT_SAMPLE_OPTIONS.seed,
    length: args.number('length') ?? DEFAULT_SAMPLE_OPTIONS.length,
    stop: args.list('stop') ?? [],
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

export async function exploreCommand(args: CommandArgs): Promise<number> {
  const [dir, target] = args.positional;
  if (!dir || !target) throw new UsageError('explore needs a model and a folder or file: charlens explore <model> <folder|file> [--chars N] [--top K]');
  const chars = args.number('chars') ?? DEFAULT_SAMPLE_CHARS;
  const top = args.number('top') ?? DEFAULT_TOP;
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
  if (args.flag('history')) await printLabelHistory(model, sample);
  return 0;
}

/** Each snapshot's best cell per feature, marked where it passes the explorer's threshold, then when each label was learned. */
async function printLabelHistory(model: Checkpoint, sample: ExplorerSample): Promise<void> {
  const started = Date.now();
  const scored = await scoredHistory(model, sample);
  if (!scored) throw new UsageError(`${model.dir} keeps no history of its weights (no ${HISTORY_DIR}/ folder): it was trained before CharLens kept snapshots, or by another tool.`);
  const H = model.config.hiddenSize;
  const kept = scored.snapshots.length - scored.computed;
  const how = [scored.computed && `${scored.computed} scored now in ${((Date.now() - started) / 1000).toFixed(1)} s`, kept && `${kept} as training scored them on this sample`].filter(Boolean).join(', ');
  log(`\nLabel scores at each of ${scored.snapshots.length} snapshots (${how}); each feature's best cell, * where |r| >= ${LEARNED_R} and top-1% precision >= ${LEARNED_PRECISION}:`);
  for (const { step, valLoss, table } of scored.snapshots) {
    log(`step ${step.toLocaleString('en-US')}${valLoss === undefined ? '' : ` (validation ${bitsPerChar(valLoss).toFixed(3)} bits/char)`}:`);
    const best = bestCells(table, H);
    for (const feature of FEATURE_NAMES) {
      const c = best.find((b) => b.feature === feature);
      const scores = c ? `${cellName(c).padEnd(18)} r = ${c.r.toFixed(2).padStart(5)}  top-1% precision ${c.precision!.toFixed(2)}${isLearned(c) ? ' *' : ''}` : 'constant in this sample';
      log(`  ${FEATURE_LABELS[feature].padEnd(22)} ${scores}`);
    }
  }
  log(`\n${describeLearned(scored.history.learned) || 'learned: nothing yet past the threshold'}`);
}
