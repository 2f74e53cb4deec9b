import * as fs from 'fs';
import * as path from 'path';
import { isInside, nearestExisting } from '../pathInside';
import { fileErrorReason } from '../userError';
import { TrainingError } from './loop';

/**
 * Kernel file systems: they hold no files to keep a model in, and a mkdir
 * there may never return, which would leave a run that can neither start
 * nor be stopped.
 */
const KERNEL_FOLDERS = ['/proc', '/sys'];

/**
 * Checks, before any training starts, that `out` can hold a model: not a
 * file, not under /proc or /sys (symlinks resolved), and writable (or its
 * nearest existing folder is, to create it in). Throws a TrainingError
 * saying what is wrong; returns the folder as an absolute path.
 */
export function checkOutFolder(out: string): string {
  const abs = path.resolve(out);
  const existing = nearestExisting(abs);
  const kernel = KERNEL_FOLDERS.find((root) => isInside(existing.real, root) || isInside(abs, root));
  if (kernel) throw new TrainingError(`Cannot train into ${abs}: it is under ${kernel}, which holds no files to keep a model in.`);
  if (!existing.stat.isDirectory()) {
    const what = existing.path === abs ? 'it is a file, not a folder' : `${existing.path} is a file, not a folder`;
    throw new TrainingError(`Cannot train into ${abs}: ${what}.`);
  }
  try {
    fs.accessSync(existing.path, fs.constants.W_OK);
  } catch (err) {
    throw new TrainingError(`Cannot train into ${abs}: ${existing.path} is not writable (${fileErrorReason(err) ?? (err as Error).message}).`);
  }
  return abs;
}
