import { BACKENDS } from '../core/backendNames';
import { DEFAULT_TOP } from '../core/explorer/neuronRanking';
import { DEFAULT_SAMPLE_CHARS } from '../core/explorer/explorerSample';
import { DEFAULT_NGRAM_ORDER, MAX_NGRAM_ORDER } from '../core/ngram/kneserNey';
import { WORKSPACE_NGRAM_ORDER } from '../core/ngram/workspaceNgram';
import { DEFAULT_SAMPLE_OPTIONS, MAX_SAMPLE_LENGTH } from '../core/predict/sampling';
import { DEFAULT_MAX_FILE_BYTES } from '../core/text/corpus';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions, kebab } from '../core/train/options';
import { CELL_TYPES } from '../core/model/modelConfig';
import { CommandSpec, OptionSpec } from './args';
import { DEFAULT_BEAM_WIDTH, DEFAULT_PRECISION } from '../core/predict/suggestion';
import { DEFAULT_CURSORS, DEFAULT_SEED } from './benchAccuracy';
import { DEFAULT_CELLS_OUT, DEFAULT_CELL_MINUTES } from './benchCells';
import { DEFAULT_BENCH_STEPS } from './benchTrainCpu';
import { DEFAULT_REPORT_ORDERS } from './ngramReport';
import { MAX_WINDOW } from '../core/explain/contributions';
import { DEFAULT_CLI_WHY_WINDOW, DEFAULT_WHY_TOP } from './whyCommand';

/** Every command's positional arguments and options: what parses them, `--help` and the README's tables (readmeOptionTables.ts). */

const d = DEFAULT_TRAIN_OPTIONS;
const n = (x: number) => x.toLocaleString('en-US');

type NumericTrainOption = { [K in keyof TrainOptions]: TrainOptions[K] extends number ? K : never }[keyof TrainOptions];

/** One entry per numeric training option (the type makes a missing one a compile error), in the order help lists them. */
const TRAIN_NUMBERS: Record<NumericTrainOption, Omit<OptionSpec, 'name' | 'kind'>> = {
  layers: { value: 'n', default: `chosen when --hidden is, else ${d.layers}`, meaning: 'stacked recurrent layers' },
  hidden: { value: 'n', default: 'chosen', meaning: 'units per layer (0 or left out: chosen from the time budget, else the corpus size)' },
  embedding: { value: 'n', default: String(d.embedding), meaning: "character embedding size (torch-rnn's wordvec_size)" },
  dropout: { value: 'p', default: `chosen when --hidden is, else ${d.dropout}`, meaning: 'dropout after each recurrent layer' },
  seqLength: { value: 'n', default: String(d.seqLength), meaning: 'truncated BPTT length T' },
  batchSize: { value: 'n', default: String(d.batchSize), meaning: 'parallel streams B' },
  lr: { value: 'x', default: String(d.lr), meaning: 'learning rate' },
  lrDecay: { value: 'x', default: String(d.lrDecay), meaning: 'multiply the rate by this once per epoch after --lr-decay-after epochs' },
  lrDecayAfter: { value: 'n', default: String(d.lrDecayAfter), meaning: 'epochs before the rate starts to decay' },
  gradClip: { value: 'x', default: String(d.gradClip), meaning: 'clip the global gradient norm (0 = off)' },
  epochs: { value: 'n', default: String(d.epochs), meaning: 'passes over the training split' },
  maxSteps: { value: 'n', default: 'off', meaning: 'stop after that many steps in all' },
  minutes: {
    value: 'm',
    default: 'off',
    meaning: 'time budget: with --hidden left out, the largest model that reads the corpus enough in that time; training stops when it is up, the final validation included',
    // Under 6 s the budget ends before the first validation, and the run saves no model.
    range: { min: 0.1, max: 1e6, or: 0 },
  },
  valFrac: { value: 'f', default: String(d.valFrac), meaning: 'share of the text held out for validation: blocks spread over the corpus (a resumed run keeps its checkpoint\'s split)' },
  testFrac: { value: 'f', default: String(d.testFrac), meaning: 'share held out for a final test, in blocks like validation\'s' },
  evalEvery: { value: 'n', default: 'once per epoch (at most 1000 steps)', meaning: 'validate and checkpoint every N steps' },
  patience: { value: 'n', default: String(d.patience), meaning: 'stop after N validations without improvement (0 = never)' },
  minCharCount: { value: 'n', default: String(d.minCharCount), meaning: 'rarer characters map to the unknown symbol' },
  seed: { value: 'n', default: String(d.seed), meaning: 'seeds weights, dropout and the printed sample' },
};

const corpusGlobs: OptionSpec[] = [
  { name: 'include', kind: 'list', value: 'globs', default: 'source files of the languages present', meaning: 'files to read: globs, repeatable or comma-separated (honours .gitignore)' },
  { name: 'exclude', kind: 'list', value: 'globs', meaning: 'files to leave out: globs, repeatable or comma-separated' },
];

const ngramOrder = (defaultOrder: number): OptionSpec => ({
  name: 'order',
  kind: 'number',
  value: 'k',
  default: String(defaultOrder),
  meaning: 'order of the Kneser-Ney n-gram',
  range: { min: 1, max: MAX_NGRAM_ORDER, integer: true },
});

const train: CommandSpec = {
  name: 'train',
  args: '<folder>',
  summary: 'train an LSTM, GRU or vanilla RNN on the source files of a folder',
  details:
    'The line saying what will happen (model size, backend, budget) comes before the first step. A model already in --out is continued with --resume or replaced with --force; without either, train refuses to start. ' +
    'With --resume the checkpoint\'s size and training options are used unless given again, and the first lines say which. ' +
    'Ctrl+C, SIGTERM or SIGHUP (the terminal closing) stops after the current step, validates and saves a resumable checkpoint. ' +
    'After training, an n-gram of the training split and the LSTM/n-gram mixture weight are fitted and saved with the model.',
  options: [
    { name: 'out', kind: 'string', value: 'dir', default: 'cv', meaning: 'model folder' },
    { name: 'cell', kind: 'string', value: 'type', default: d.cell, meaning: "the recurrent cell, as char-rnn's -model: gru is Cho et al.'s (Keras's GRU), rnn the vanilla tanh RNN of min-char-rnn; a resumed run keeps its checkpoint's (see Backends for which train each)", choices: [...CELL_TYPES] },
    ...(Object.entries(TRAIN_NUMBERS) as Array<[NumericTrainOption, Omit<OptionSpec, 'name' | 'kind'>]>).flatMap(([key, spec]): OptionSpec[] => {
      const option: OptionSpec = { name: kebab(key), kind: 'number', ...spec };
      // The optimizer, the one training option that is not a number, sits where char-rnn lists it.
      if (key !== 'batchSize') return [option];
      return [option, { name: 'optimizer', kind: 'string', value: 'name', default: d.optimizer, meaning: "the optimizer; rmsprop is char-rnn's (decay 0.95)", choices: ['adam', 'rmsprop'] }];
    }),
    { name: 'resume', kind: 'flag', meaning: 'continue from `<out>/resume`, with its options unless given again' },
    { name: 'force', kind: 'flag', meaning: 'replace the model already in --out (without --resume or --force, train refuses to start over one)' },
    { name: 'backend', kind: 'string', value: 'name', default: 'auto', meaning: 'where training runs (see Backends): auto takes the fastest that loads, webgpu only on a hardware GPU', choices: ['auto', ...BACKENDS] },
    { name: 'threads', kind: 'number', value: 'n', default: 'the cores (less one when more than 2)', meaning: 'threads of the WebAssembly CPU trainer', range: { min: 1, max: 256, integer: true } },
    ...corpusGlobs,
    { name: 'max-file-bytes', kind: 'number', value: 'bytes', default: `${n(DEFAULT_MAX_FILE_BYTES)} (10 MB)`, meaning: 'larger files are skipped', range: { min: 1, max: 2 ** 31, integer: true } },
    {
      name: 'ngram-order',
      kind: 'number',
      value: 'k',
      default: `${WORKSPACE_NGRAM_ORDER} (the suffix-array n-gram)`,
      meaning: `n-gram fitted and mixed with the LSTM after training: 0 = none, 1-${MAX_NGRAM_ORDER} a Kneser-Ney table of that order, ${WORKSPACE_NGRAM_ORDER} the suffix-array model (contexts of any length up to ${WORKSPACE_NGRAM_ORDER - 1})`,
      range: { min: 0, max: MAX_NGRAM_ORDER, integer: true, or: WORKSPACE_NGRAM_ORDER },
    },
  ],
};

const s = DEFAULT_SAMPLE_OPTIONS;
const sample: CommandSpec = {
  name: 'sample',
  args: '<model>',
  summary: 'generate text from a trained model, printed as it is made',
  options: [
    { name: 'temperature', kind: 'number', value: 't', default: String(s.temperature), meaning: 'softmax temperature; lower is more conservative' },
    { name: 'top-k', kind: 'number', value: 'k', default: `${s.topK} (all)`, meaning: 'keep only the k most likely characters' },
    { name: 'top-p', kind: 'number', value: 'p', default: `${s.topP} (all)`, meaning: 'keep the smallest set of characters whose probability reaches p' },
    { name: 'argmax', kind: 'flag', meaning: 'always the most likely character (temperature is ignored)' },
    { name: 'prime', kind: 'string', value: 'text', default: 'none', meaning: 'text fed to the model first, and printed' },
    { name: 'length', kind: 'number', value: 'n', default: n(s.length), meaning: `characters to generate (at most ${n(MAX_SAMPLE_LENGTH)})` },
    { name: 'seed', kind: 'number', value: 'n', default: String(s.seed), meaning: 'seeds the sampling' },
    { name: 'stop', kind: 'list', value: 'strings', default: 'none', meaning: 'strings that end generation, repeatable or comma-separated' },
  ],
};

const evalSpec: CommandSpec = {
  name: 'eval',
  args: '<model> <folder|file>',
  summary: 'LSTM, n-gram and their mixture on a text, static and online',
  details:
    'LSTM loss, then a table of the LSTM, a Kneser-Ney character n-gram and their mixture, static and online (learning as it reads), read in one pass with a progress bar. ' +
    'The n-gram counts --train; without it it starts empty and learns from the target alone. Mixture weights are fitted on --val, or else on the first 10% of the target (at most 1,000,000 chars), which every row then leaves out.',
  options: [
    { name: 'train', kind: 'string', value: 'folder|file', default: 'none', meaning: "the n-gram's static counts" },
    { name: 'val', kind: 'string', value: 'folder|file', default: 'the first 10% of the target', meaning: 'text the mixture weights are fitted on' },
    ngramOrder(DEFAULT_NGRAM_ORDER),
    ...corpusGlobs,
  ],
};

const ngram: CommandSpec = {
  name: 'ngram',
  args: '<train folder|file> <eval folder|file>',
  summary: 'Kneser-Ney n-gram alone, per order: static and online nats/char, build time, memory',
  options: [{ name: 'order', kind: 'list', value: 'k,k,...', default: DEFAULT_REPORT_ORDERS.join(','), meaning: `orders to compare (1-${MAX_NGRAM_ORDER})` }, ...corpusGlobs],
};

const explore: CommandSpec = {
  name: 'explore',
  args: '<model> <folder|file>',
  summary: 'which LSTM cells track strings, comments, brackets, indentation, column',
  details: "Cells ranked by the correlation of tanh(c) with each feature, on lines sampled across the target's files; cached in the model folder.",
  options: [
    { name: 'chars', kind: 'number', value: 'n', default: n(DEFAULT_SAMPLE_CHARS), meaning: 'characters sampled', range: { min: 1, max: 1e9, integer: true } },
    { name: 'top', kind: 'number', value: 'k', default: String(DEFAULT_TOP), meaning: 'cells listed per feature', range: { min: 1, max: 10_000, integer: true } },
    { name: 'history', kind: 'flag', meaning: "also the label scores at each snapshot of the model's training (its history/ folder): each feature's best cell, and the step each label was learned" },
    ...corpusGlobs,
  ],
};

const why: CommandSpec = {
  name: 'why',
  args: '<model> <file>',
  summary: 'which earlier characters drove the prediction at one place of a file',
  details:
    "The contribution of each character before --at to the log-probability the model gives the character there (or its top guess), in nats, against an average character (the vocabulary's mean embedding): the first layer's step on each character is taken both ways and the difference of the states carried to log p by one backward pass through the window with the CPU trainer's kernels. " +
    'The file is read as the model reads text, line ends as \n; the state before the window is the one the editor reads there.',
  options: [
    { name: 'at', kind: 'number', value: 'offset', meaning: 'the place explained: a UTF-16 offset into the file (its length: what comes after the last character)', range: { min: 0, max: 2 ** 31, integer: true } },
    { name: 'window', kind: 'number', value: 'n', default: String(DEFAULT_CLI_WHY_WINDOW), meaning: 'characters before --at that are attributed', range: { min: 1, max: MAX_WINDOW, integer: true } },
    { name: 'top', kind: 'number', value: 'k', default: String(DEFAULT_WHY_TOP), meaning: 'contributions listed', range: { min: 1, max: MAX_WINDOW, integer: true } },
    { name: 'guess', kind: 'flag', meaning: "explain the model's top guess at --at instead of the character in the file" },
  ],
};

/** `bench`'s modes, in the order a plain `bench` runs them; accuracy and cells run only when named. */
export const BENCH_MODES = ['train', 'completion', 'overlay', 'event-loop', 'lens', 'accuracy', 'cells'] as const;

const bench: CommandSpec = {
  name: 'bench',
  args: `[${BENCH_MODES.slice(0, -2).join('|')}] | accuracy <train folder|file> <test folder|file> | cells <train folder|file> <test folder|file>`,
  summary: 'speed and accuracy figures, each beside a baseline measured in the same run',
  details:
    'Without a mode: every mode but accuracy, in turn, after a line saying what runs and about how long it takes. ' +
    'accuracy: completion accuracy per predictor (LSTM, n-gram, mixture): greedy completions to the end of the line at seeded cursors in the test text, exact-match rate, characters right before the first error, and nats/char, static and online; then per predictor and decoder (greedy line, the beam\'s best line, the confidence-cut suggestion at --precision): how often something is shown, how often it is right, its length, the characters a user could accept per cursor, the exact rest-of-line rate and the time per cursor. The same path twice: its tail is the test text. ' +
    "cells: the LSTM, GRU and vanilla RNN trained for the same --minutes on the wasm trainer (the planner's size for each, then the GRU and RNN at the LSTM's parameter count), each measured as accuracy measures the LSTM and the learned mixer; one table.",
  options: [
    { name: 'steps', kind: 'number', value: 'n', default: String(DEFAULT_BENCH_STEPS), meaning: 'train: timed steps per trainer', range: { min: 1, max: 10_000, integer: true } },
    { name: 'while-training', kind: 'flag', meaning: 'completion: also time completions while the engine trains' },
    { name: 'model', kind: 'string', value: 'dir', default: 'the shipped model', meaning: 'accuracy: the LSTM to measure' },
    { ...ngramOrder(WORKSPACE_NGRAM_ORDER), default: 'the workspace n-gram', meaning: 'accuracy: a Kneser-Ney table of this order instead of the workspace n-gram' },
    { name: 'cursors', kind: 'number', value: 'n', default: n(DEFAULT_CURSORS), meaning: 'accuracy, cells: completion places in the test text', range: { min: 1, max: 1e7, integer: true } },
    { name: 'seed', kind: 'number', value: 'n', default: String(DEFAULT_SEED), meaning: 'accuracy, cells: seeds the cursors' },
    { name: 'precision', kind: 'number', value: 'p', default: String(DEFAULT_PRECISION), meaning: 'accuracy: the share of shown suggestions that should be right; the suggestion decoder is cut for it', range: { min: 0.05, max: 0.95 } },
    { name: 'beam-width', kind: 'number', value: 'n', default: String(DEFAULT_BEAM_WIDTH), meaning: 'accuracy: hypotheses the beam search keeps at each depth', range: { min: 1, max: 64, integer: true } },
    { name: 'predictors', kind: 'string', value: 'list', default: 'all', meaning: 'accuracy: only these, comma-separated: lstm, ngram, mixture, mixer, lstm-dyn, mixer-dyn (the full-network dynamic evaluation line needs lstm)' },
    { name: 'json', kind: 'string', value: 'file', meaning: 'accuracy: also write the figures there (scripts/quality-tables.mjs)' },
    { name: 'minutes', kind: 'number', value: 'm', default: String(DEFAULT_CELL_MINUTES), meaning: 'cells: training time budget per model', range: { min: 0.01, max: 10_000 } },
    { name: 'out', kind: 'string', value: 'dir', default: DEFAULT_CELLS_OUT, meaning: 'cells: the folder the five models are trained into (new or empty)' },
    ...corpusGlobs,
  ],
};

export const COMMANDS: readonly CommandSpec[] = [train, sample, evalSpec, ngram, explore, why, bench];
export type CommandName = 'train' | 'sample' | 'eval' | 'ngram' | 'explore' | 'why' | 'bench';

export const commandSpec = (name: CommandName): CommandSpec => COMMANDS.find((c) => c.name === name)!;
