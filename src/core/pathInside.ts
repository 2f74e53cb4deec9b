import * as fs from 'fs';
import * as path from 'path';

/** True when `p` is `folder` or lies in it (both absolute; compared as the platform compares paths, case-insensitively on Windows). */
export function isInside(p: string, folder: string): boolean {
  const rel = path.relative(folder, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The nearest of `p` and its ancestors that exists: its path, its real path (symlinks resolved) and its stat. */
export function nearestExisting(p: string): { path: string; real: string; stat: fs.Stats } {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return { path: at, real: fs.realpathSync(at), stat: fs.statSync(at) };
    } catch (err) {
      if (path.dirname(at) === at) throw err;
    }
  }
}

/** `p` (absolute) with the symlinks of its existing part resolved: where it leads, or would once made. */
export function realPathOf(p: string): string {
  const existing = nearestExisting(p);
  return path.join(existing.real, path.relative(existing.path, p));
}
