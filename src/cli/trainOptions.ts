import * as fs from 'fs';
import * as path from 'path';
import { ensureWritableFolder } from '../core/atomicFile';
import { MODEL_FILE } from '../core/model/checkpoint';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions, kebab, validateTrainOptions } from '../core/train/options';
import type { CellType } from '../core/model/modelConfig';
import { resumeDir } from '../core/train/loop';
import { CommandArgs, UsageError } from './args';

/** What `train` was asked for: every option, and those the user set (the rest are chosen, or with --resume the checkpoint's). */
export interface TrainRequest {
  options: TrainOptions;
  given: Partial<TrainOptions>;
}

/**
 * Reads and checks every train option before the corpus is read, so a typo
 * costs nothing. `--hidden 0` (or no --hidden) means "size from the corpus";
 * the default hidden size stands in until that size is known.
 */
export function trainRequest(args: CommandArgs): TrainRequest {
  const given: Partial<TrainOptions> = {};
  for (const [key, value] of Object.entries(DEFAULT_TRAIN_OPTIONS)) {
    if (typeof value !== 'number') continue;
    const n = args.number(kebab(key));
    if (n !== undefined) (given as Record<string, number>)[key] = n;
  }
  const cell = args.string('cell');
  if (cell) given.cell = cell as CellType;
  const optimizer = args.string('optimizer');
  if (optimizer) given.optimizer = optimizer as TrainOptions['optimizer'];
  const resume = args.flag('resume');
  if (resume && args.flag('force')) throw new UsageError('--resume and --force contradict each other: --resume continues the model in --out, --force replaces it; give one');
  const { hidden } = given;
  if (hidden !== undefined && !(Number.isInteger(hidden) && hidden >= 0)) {
    throw new UsageError(`--hidden must be a whole number of units, or 0 to choose it from the corpus size; got ${hidden}`);
  }
  if (hidden === 0) delete given.hidden;
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...given, out: args.string('out') ?? 'cv', resume };
  validateTrainOptions(options);
  return { options, given };
}

/**
 * A fresh run saves over `--out` at its first validation, so an existing
 * model there is replaced only when the user says so; and the folder must
 * take a file now, not after the first hour of training. Returns what
 * removes the folders made here, while they are still empty: a run that
 * fails before its first save leaves no folder behind.
 */
export function prepareOutFolder(out: string, resume: boolean, force: boolean): () => void {
  const existing = [path.join(out, MODEL_FILE), path.join(resumeDir(out), MODEL_FILE)].find((f) => fs.existsSync(f));
  if (existing && !resume && !force) {
    throw new UsageError(`${out} already holds a model (${existing}). Add --resume to continue training it, or --force to replace it.`);
  }
  const made: string[] = [];
  for (let dir = path.resolve(out); !fs.existsSync(dir) && dir !== path.dirname(dir); dir = path.dirname(dir)) made.push(dir);
  ensureWritableFolder(out);
  return () => {
    for (const dir of made) {
      try {
        fs.rmdirSync(dir);
      } catch {
        return; // no longer empty: something was saved there
      }
    }
  };
}
