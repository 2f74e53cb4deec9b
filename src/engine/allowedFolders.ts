import * as crypto from 'crypto';
import * as path from 'path';
import { isInside, realPathOf } from '../core/pathInside';
import { UserError } from '../core/userError';
import type { EngineFolders, ModelInfo } from './protocol';
import { INVALID_PARAMS } from './schema';

const refuse = (message: string) => new UserError(message, INVALID_PARAMS);

/**
 * An absolute path as the platform writes it normalized (no `.` or `..`
 * part, no doubled separator): what it names can be told from its text, so
 * `/storage/../../home` never passes for a folder in storage.
 */
function checkClean(p: string, field: string): string {
  if (!path.isAbsolute(p) || path.normalize(p) !== p) throw refuse(`${field} must be an absolute path without . or .. parts, got ${JSON.stringify(p)}`);
  return p;
}

/** `p` is in one of `roots`, both as written and with symlinks resolved (a link in storage cannot lead elsewhere). */
const inOneOf = (p: string, roots: readonly string[]): boolean => {
  const real = realPathOf(p);
  return roots.some((root) => isInside(p, root) && isInside(real, realPathOf(root)));
};

/**
 * The folders the extension handed over at initialization, and the checks
 * every path of a request passes before the engine reads or writes there:
 * it writes only in storage, reads code only from the corpora, and loads
 * models from storage, the shipped models, or a folder the user picked.
 */
export class AllowedFolders {
  private constructor(private readonly folders: EngineFolders) {}

  static of(folders: EngineFolders): AllowedFolders {
    const all = [...folders.storage, ...folders.corpora, ...folders.models, folders.caches];
    all.forEach((folder) => checkClean(folder, 'folders'));
    if (!inOneOf(folders.caches, folders.storage)) throw refuse(`folders.caches must lie in a storage folder, got ${JSON.stringify(folders.caches)}`);
    return new AllowedFolders(folders);
  }

  /** A folder the engine writes in (a model to train). */
  storage(p: string, field: string): string {
    return this.within(p, field, this.folders.storage, "the extension's storage");
  }

  /** A folder of code to read. */
  corpus(p: string, field: string): string {
    return this.within(p, field, this.folders.corpora, 'the workspace');
  }

  /**
   * A model folder to load: the workspace's in storage, the shipped ones
   * with the extension; one of source 'file' is the user's pick from the
   * open dialog, which may lie anywhere, and is only read.
   */
  model(dir: string, source: ModelInfo['source'], field: string): string {
    if (source === 'file') return checkClean(dir, field);
    if (source === 'workspace') return this.storage(dir, field);
    return this.within(dir, field, this.folders.models, "the extension's models");
  }

  /** Where the explorer caches its results for a model: its own folder when that is in storage, else a folder of its own under the caches folder. */
  explorerCache(modelDir: string): string {
    if (inOneOf(modelDir, this.folders.storage)) return modelDir;
    return path.join(this.folders.caches, crypto.createHash('sha256').update(path.resolve(modelDir)).digest('hex').slice(0, 16));
  }

  private within(p: string, field: string, roots: readonly string[], what: string): string {
    checkClean(p, field);
    if (!inOneOf(p, roots)) throw refuse(`${field} must lie in ${what} (${roots.join(', ') || 'none was given'}), got ${JSON.stringify(p)}`);
    return p;
  }
}
