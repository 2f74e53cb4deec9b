import { DEFAULT_SPLIT, SplitScheme } from '../text/batches';
import { UserError } from '../userError';
import { CELL_TYPES, CellType } from '../model/modelConfig';

/**
 * Every training option, with char-rnn's names (kebab-case on the command
 * line) and defaults where char-rnn has one.
 */
export interface TrainOptions {
  /** Model folder: the best-validation model goes here, the resume state in `<out>/resume`. */
  out: string;
  /** The recurrent cell of a new model (a resumed run keeps its checkpoint's). */
  cell: CellType;
  layers: number;
  hidden: number;
  embedding: number;
  dropout: number;
  seqLength: number;
  batchSize: number;
  optimizer: 'adam' | 'rmsprop';
  lr: number;
  /** Learning rate multiplied by this once per epoch after `lrDecayAfter` epochs. */
  lrDecay: number;
  lrDecayAfter: number;
  gradClip: number;
  epochs: number;
  /** Stop after this many steps in all (0 = no limit). */
  maxSteps: number;
  /** Stop after this many minutes of training (0 = no limit). */
  minutes: number;
  valFrac: number;
  testFrac: number;
  /** How validation and test are cut from the corpus (a resumed run keeps its checkpoint's). */
  split: SplitScheme;
  /** Validate (and checkpoint) every this many steps; 0 = once per epoch, at most every 1000 steps. */
  evalEvery: number;
  /** Stop after this many validations without improvement (0 = never). */
  patience: number;
  /** Characters seen fewer times than this map to the unknown symbol. */
  minCharCount: number;
  seed: number;
  resume: boolean;
}

export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'out'> = {
  cell: 'lstm',
  layers: 2,
  hidden: 128,
  embedding: 64,
  dropout: 0,
  seqLength: 50,
  batchSize: 50,
  optimizer: 'adam',
  lr: 2e-3,
  lrDecay: 0.97,
  lrDecayAfter: 10,
  gradClip: 5,
  epochs: 50,
  maxSteps: 0,
  minutes: 0,
  ...DEFAULT_SPLIT,
  split: 'blocks',
  evalEvery: 0,
  patience: 5,
  minCharCount: 1,
  seed: 123,
  resume: false,
};

export function validateTrainOptions(o: TrainOptions): void {
  const positiveInts: Array<keyof TrainOptions> = ['layers', 'hidden', 'embedding', 'seqLength', 'batchSize', 'epochs', 'minCharCount'];
  for (const key of positiveInts) {
    const v = o[key];
    if (!Number.isInteger(v) || (v as number) < 1) throw new UserError(`--${kebab(key)} must be a positive integer, got ${v}`);
  }
  const nonNegative: Array<keyof TrainOptions> = ['maxSteps', 'minutes', 'evalEvery', 'patience', 'testFrac', 'valFrac', 'gradClip'];
  for (const key of nonNegative) {
    const v = o[key] as number;
    if (!(v >= 0)) throw new UserError(`--${kebab(key)} must be >= 0, got ${v}`);
  }
  if (!(o.valFrac + o.testFrac < 1)) throw new UserError(`--val-frac (${o.valFrac}) and --test-frac (${o.testFrac}) must add up to less than 1, leaving text to train on`);
  if (!(o.lr > 0)) throw new UserError(`--lr must be > 0, got ${o.lr}`);
  if (!(o.lrDecay > 0 && o.lrDecay <= 1)) throw new UserError(`--lr-decay must be in (0, 1], got ${o.lrDecay}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new UserError(`--dropout must be in [0, 1), got ${o.dropout}`);
  if (!CELL_TYPES.includes(o.cell)) throw new UserError(`--cell must be one of ${CELL_TYPES.join(', ')}, got ${o.cell}`);
  if (o.optimizer !== 'adam' && o.optimizer !== 'rmsprop') throw new UserError(`--optimizer must be adam or rmsprop, got ${o.optimizer}`);
}

/** Options a resumed run takes from its checkpoint unless given again: all but its shape (the checkpoint's config) and the time budget (each run's own). */
const RESUMED_OPTIONS = (Object.keys(DEFAULT_TRAIN_OPTIONS) as Array<keyof typeof DEFAULT_TRAIN_OPTIONS>).filter(
  (key) => !['cell', 'layers', 'hidden', 'embedding', 'dropout', 'minutes', 'resume'].includes(key),
);

/**
 * Sets in `options` the training options saved with the resumed checkpoint,
 * except those the user gave again (`given`), so `--resume` alone continues
 * the run as it was started. Says which it used: "Training options from the
 * checkpoint: --batch-size 32, --seq-length 64; given again: --lr 0.001 (was 0.004)."
 */
export function adoptResumedOptions(options: TrainOptions, saved: Record<string, unknown> | undefined, given: Partial<TrainOptions>): string {
  const taken: string[] = [];
  const overridden: string[] = [];
  for (const key of RESUMED_OPTIONS) {
    const value = saved?.[key];
    if (typeof value !== typeof DEFAULT_TRAIN_OPTIONS[key]) continue;
    if (given[key] !== undefined) {
      if (given[key] !== value) overridden.push(`--${kebab(key)} ${given[key]} (was ${value})`);
      continue;
    }
    if (value !== DEFAULT_TRAIN_OPTIONS[key]) taken.push(`--${kebab(key)} ${value}`);
    (options as unknown as Record<string, unknown>)[key] = value;
  }
  const from = taken.length > 0 ? `Training options from the checkpoint: ${taken.join(', ')}` : "Training options: the checkpoint's (the defaults)";
  return `${from}${overridden.length > 0 ? `; given again: ${overridden.join(', ')}` : ''}.`;
}

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
