import * as fs from 'fs';
import * as path from 'path';
import { ensureWritableFolder } from '../core/atomicFile';
import { MODEL_FILE } from '../core/model/checkpoint';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions, kebab, validateTrainOptions } from '../core/train/options';
import { resumeDir } from '../core/train/loop';
import { ParsedArgs, UsageError, flag, numberOption, stringOption } from './args';

export const TRAIN_NUMBER_OPTIONS = Object.entries(DEFAULT_TRAIN_OPTIONS)
  .filter(([, v]) => typeof v === 'number')
  .map(([k]) => kebab(k));

/** What `train` was asked for: the options, and the size options the user set (the rest come from the corpus size). */
export interface TrainRequest {
  options: TrainOptions;
  size: { hidden?: number; layers?: number; dropout?: number };
}

/**
 * Reads and checks every train option before the corpus is read, so a typo
 * costs nothing. `--hidden 0` (or no --hidden) means "size from the corpus";
 * the default hidden size stands in until that size is known.
 */
export function trainRequest(args: ParsedArgs): TrainRequest {
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, out: stringOption(args, 'out') ?? 'cv' };
  for (const [key, value] of Object.entries(DEFAULT_TRAIN_OPTIONS)) {
    if (typeof value !== 'number') continue;
    const n = numberOption(args, kebab(key));
    if (n !== undefined) (options as unknown as Record<string, number>)[key] = n;
  }
  options.resume = flag(args, 'resume');
  const optimizer = stringOption(args, 'optimizer');
  if (optimizer) options.optimizer = optimizer as TrainOptions['optimizer'];
  const hidden = numberOption(args, 'hidden');
  if (hidden !== undefined && !(Number.isInteger(hidden) && hidden >= 0)) {
    throw new UsageError(`--hidden must be a whole number of units, or 0 to choose it from the corpus size; got ${hidden}`);
  }
  if (hidden === 0) options.hidden = DEFAULT_TRAIN_OPTIONS.hidden;
  validateTrainOptions(options);
  return { options, size: { hidden, layers: numberOption(args, 'layers'), dropout: numberOption(args, 'dropout') } };
}

/**
 * A fresh run saves over `--out` at its first validation, so an existing
 * model there is replaced only when the user says so; and the folder must
 * take a file now, not after the first hour of training.
 */
export function prepareOutFolder(out: string, resume: boolean, force: boolean): void {
  const existing = [path.join(out, MODEL_FILE), path.join(resumeDir(out), MODEL_FILE)].find((f) => fs.existsSync(f));
  if (existing && !resume && !force) {
    throw new UsageError(`${out} already holds a model (${existing}). Add --resume to continue training it, or --force to replace it.`);
  }
  ensureWritableFolder(out);
}
