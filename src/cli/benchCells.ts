import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../core/backend';
import { loadCheckpoint } from '../core/model/checkpoint';
import { CELL_TYPES, CellType, ModelConfig, modelName, parameterCount } from '../core/model/modelConfig';
import { DEFAULT_BEAM_WIDTH, DEFAULT_PRECISION } from '../core/predict/suggestion';
import { AccuracyTally } from '../core/predict/completionAccuracy';
import { JobResult, runTrainingJob } from '../core/train/job';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from '../core/train/options';
import { CommandArgs, UsageError } from './args';
import { DEFAULT_CURSORS, DEFAULT_SEED, PredictorName, measureAccuracy, readSplit } from './benchAccuracy';
import { fmt, log, note } from './ngramReport';

/** The budget per cell: the paper's comparison at 10 minutes of CPU training each. */
export const DEFAULT_CELL_MINUTES = 10;
export const DEFAULT_CELLS_OUT = path.join('runs', 'cells');
/** The cells' rows are measured alone and in the learned mixer. */
const PREDICTORS: PredictorName[] = ['LSTM', 'mixer'];

type Sizing = 'budget' | 'parameters';

/** One trained model and what it scored on the test text. */
export interface CellRow {
  cell: CellType;
  /** budget: the planner's size for the time budget; parameters: the LSTM's parameter count. */
  sizing: Sizing;
  model: string;
  parameters: number;
  steps: number;
  valNats: number;
  /** The model alone (its weights are fixed: static and online are the same). */
  alone: { nats: number; greedy: AccuracyTally };
  mixer: Record<'static' | 'online', { nats: number; greedy: AccuracyTally }>;
  dir: string;
}

export interface CellsRequest {
  train: string;
  test: string;
  minutes: number;
  out: string;
  cursors: number;
  seed: number;
  /** Reads the texts (--include and --exclude for folders). */
  args: CommandArgs;
  print: (line: string) => void;
}

/**
 * `charlens bench cells <train> <test> [--minutes m] [--out dir]`: the
 * LSTM, the GRU and the vanilla RNN, each trained for the same time budget
 * on <train> by the job `charlens train --minutes m` runs (the wasm
 * trainer), first at the size the planner picks for each cell's cost, then
 * the GRU and the RNN again at the LSTM's parameter count; then each
 * model's test nats/char and greedy completion accuracy on <test> as bench
 * accuracy measures them, alone and in the learned mixer with the
 * workspace n-gram of <train>, static and online. One table.
 */
export async function benchCells(args: CommandArgs): Promise<void> {
  const [, train, test] = args.positional;
  if (!train || !test) throw new UsageError('bench cells needs a training text and a test text: charlens bench cells <train folder|file> <test folder|file> [--minutes m] [--out dir]');
  const rows = await measureCells({
    train,
    test,
    minutes: args.number('minutes') ?? DEFAULT_CELL_MINUTES,
    out: args.string('out') ?? DEFAULT_CELLS_OUT,
    cursors: args.number('cursors') ?? DEFAULT_CURSORS,
    seed: args.number('seed') ?? DEFAULT_SEED,
    args,
    print: note,
  });
  for (const line of cellsTable(rows)) log(line);
}

/** Trains the five models (the LSTM's planner size is also its equal-parameter size) and measures each. */
export async function measureCells(r: CellsRequest): Promise<CellRow[]> {
  if (fs.existsSync(r.out) && fs.readdirSync(r.out).length > 0) throw new UsageError(`bench cells writes its models into ${r.out}, which is not empty; name another with --out`);
  const backend = await selectBackend('wasm');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-cells-'));
  try {
    const folder = trainingFolder(r.train, work);
    const trainOne = async (cell: CellType, sizing: Sizing, size?: Pick<TrainOptions, 'layers' | 'hidden' | 'dropout'>): Promise<CellRow> => {
      const dir = path.join(r.out, `${cell}-${sizing}`);
      const requested: Partial<TrainOptions> = { cell, minutes: r.minutes, ...size };
      const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, hidden: 0, ...requested, out: dir };
      const result = await runTrainingJob(
        { folder: folder.path, corpus: { maxFileBytes: folder.maxFileBytes }, options, requested, ngramOrder: 0, owner: 'charlens bench cells', backend },
        { onPlan: (plan) => r.print(`${cell} (${sizing === 'budget' ? "the planner's size" : "the LSTM's parameter count"}): ${plan.line}`) },
      );
      const row = await measureRow(r, cell, sizing, result);
      // Each row as it is measured: a long run stopped early keeps what it measured.
      r.print(cellsTable([row])[2]);
      return row;
    };
    const rows: CellRow[] = [];
    for (const cell of CELL_TYPES) rows.push(await trainOne(cell, 'budget'));
    const lstm = loadCheckpoint(rows[0].dir).config;
    for (const cell of CELL_TYPES.filter((c) => c !== 'lstm')) {
      rows.push(await trainOne(cell, 'parameters', { layers: lstm.layers, hidden: hiddenForParameters(lstm, cell), dropout: lstm.dropout }));
    }
    return rows;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The job trains a folder: a file is copied into one of its own. */
function trainingFolder(source: string, work: string): { path: string; maxFileBytes?: number } {
  if (fs.statSync(source).isDirectory()) return { path: source };
  const folder = path.join(work, 'train');
  fs.mkdirSync(folder);
  fs.copyFileSync(source, path.join(folder, path.basename(source)));
  return { path: folder, maxFileBytes: fs.statSync(source).size + 1 };
}

/** The hidden size of a `cell` network shaped as `like` whose parameter count is nearest `like`'s. */
export function hiddenForParameters(like: ModelConfig, cell: CellType): number {
  const target = parameterCount(like);
  const count = (hiddenSize: number) => parameterCount({ ...like, cell, hiddenSize });
  let hidden = 1;
  // Parameters grow with the hidden size: walk up while the next size is no farther from the target.
  while (Math.abs(count(hidden + 1) - target) <= Math.abs(count(hidden) - target)) hidden++;
  return hidden;
}

async function measureRow(r: CellsRequest, cell: CellType, sizing: Sizing, result: JobResult): Promise<CellRow> {
  const dir = result.plan.options.out;
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw new UsageError(`bench cells: the ${cell} run saved no model (${result.stopReason}); give it more --minutes`);
  const checkpoint = loadCheckpoint(dir);
  const { trainIds, testText } = readSplit(r.train, r.test, r.args, checkpoint.vocabulary);
  r.print(`${cell}: measuring ${fmt(Array.from(testText).length)} test chars at ${fmt(r.cursors)} cursors`);
  const { results } = await measureAccuracy({
    checkpoint,
    trainIds,
    testText,
    chosen: PREDICTORS,
    cursors: r.cursors,
    seed: r.seed,
    precision: DEFAULT_PRECISION,
    beamWidth: DEFAULT_BEAM_WIDTH,
    fullNetwork: false,
  });
  const figures = (mode: 'static' | 'online', name: PredictorName) => ({ nats: results[mode].nats[name]!, greedy: results[mode].decoders[name]!.greedy });
  return {
    cell,
    sizing,
    model: modelName(checkpoint.config),
    parameters: parameterCount(checkpoint.config),
    steps: result.steps,
    valNats: result.bestValLoss ?? NaN,
    alone: figures('static', 'LSTM'),
    mixer: { static: figures('static', 'mixer'), online: figures('online', 'mixer') },
    dir,
  };
}

/** The rows as one table: nats/char, then the greedy completions' exact rest-of-line rate and characters right before the first error. */
export function cellsTable(rows: CellRow[]): string[] {
  const completion = (f: { greedy: AccuracyTally }) => `${(f.greedy.exactRate * 100).toFixed(1)}% / ${f.greedy.meanCorrectChars.toFixed(2)}`;
  const header = ['cell', 'sized by', 'model', 'parameters', 'steps', 'val', 'alone', 'mixer static', 'mixer online', 'completion alone', 'completion mixer online'];
  const cells = rows.map((row) => [
    row.cell.toUpperCase(),
    row.sizing === 'budget' ? 'time budget' : 'LSTM params',
    row.model,
    fmt(row.parameters),
    fmt(row.steps),
    row.valNats.toFixed(3),
    row.alone.nats.toFixed(3),
    row.mixer.static.nats.toFixed(3),
    row.mixer.online.nats.toFixed(3),
    completion(row.alone),
    completion(row.mixer.online),
  ]);
  const line = (values: string[]) => `| ${values.join(' | ')} |`;
  return [
    line(header),
    line(header.map(() => '---')),
    ...cells.map(line),
    '',
    'val, alone, mixer: nats/char (validation split of <train>; the test text alone, and in the learned mixer with the workspace n-gram, static and online).',
    "completion: greedy to the end of the line at the test text's cursors, exact rest-of-line rate / characters right before the first error.",
  ];
}
