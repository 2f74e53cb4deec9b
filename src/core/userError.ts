/**
 * A problem the user can fix: a bad option, corpus, model file or request.
 * Front ends show only its message (the CLI exits 2); anything else is a bug
 * and is reported with its stack. `code` lets callers branch without
 * matching message text.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The file-system errors a user causes with a path they chose, in words. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder, not a file',
  EEXIST: 'already exists',
  ELOOP: 'a symlink loop',
  ENOSPC: 'disk full',
  EROFS: 'on a read-only file system',
};

/** The reason in words when `err` is one of those errors, else undefined (a bug, to be reported with its stack). */
export function fileErrorReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? undefined : REASONS[code];
}

