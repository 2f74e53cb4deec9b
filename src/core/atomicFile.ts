import * as fs from 'fs';
import * as path from 'path';
import { UserError, fileErrorReason } from './userError';

/** `.<name>.<pid>.<ms>.tmp`: the writer's pid and start time tell a stale temp file from one being written. */
const tempName = (name: string): string => `.${name}.${process.pid}.${Date.now()}.tmp`;
const TEMP_PATTERN = /^\..+\.(\d+)\.(\d+)\.tmp$/;
/** Past this age a temp file is stale even if its pid runs: pids are reused, and no write takes an hour. */
const STALE_AFTER_MS = 60 * 60 * 1000;

/**
 * Writes a file so that readers see either the old or the new content, never
 * a half-written one: write a temp file in the same folder, fsync, rename.
 * On any failure the temp file is removed, so a full disk is not left fuller.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  stageFile(file, data).commit();
}

/** A file written and synced under a temp name: `commit` renames it into place, `abort` removes it. */
export interface StagedFile {
  readonly file: string;
  commit(): void;
  abort(): void;
}

/**
 * The first half of writeFileAtomic, for files that must appear together:
 * stage each (the slow, failing part: writes and fsyncs), then commit them in
 * the order readers need (a rename each), so a failure leaves none of them.
 */
export function stageFile(file: string, data: string | Uint8Array): StagedFile {
  const tmp = path.join(path.dirname(file), tempName(path.basename(file)));
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    removeQuietly(tmp);
    throw writeError(err, file);
  }
  return {
    file,
    commit: () => {
      try {
        fs.renameSync(tmp, file);
      } catch (err) {
        removeQuietly(tmp);
        throw writeError(err, file);
      }
    },
    abort: () => removeQuietly(tmp),
  };
}

/**
 * Creates `dir` if needed and proves a file can be written in it, so that a
 * long run fails before its first step rather than at its first save.
 */
export function ensureWritableFolder(dir: string): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UserError(`${dir} is a file, not a folder`, 'ENOTDIR');
  const probe = path.join(dir, tempName('probe'));
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, '');
  } catch (err) {
    throw writeError(err, dir);
  } finally {
    removeQuietly(probe);
  }
}

/** Deletes the temp files that killed writers left in `dir`; never fails (a read-only folder keeps them, harmlessly). */
export function removeStaleTempFiles(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMP_PATTERN.exec(name);
    if (match && isStale(Number(match[1]), Number(match[2]))) removeQuietly(path.join(dir, name));
  }
}

function isStale(pid: number, startedMs: number): boolean {
  if (Date.now() - startedMs > STALE_AFTER_MS) return true;
  if (pid === process.pid) return false; // a worker thread of ours may be writing it
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // The folder itself is unusable; the error that matters is the caller's.
  }
}

function writeError(err: unknown, file: string): unknown {
  const reason = fileErrorReason(err);
  if (reason === undefined) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new UserError(code === 'ENOSPC' ? `disk full while writing ${file}` : `Cannot write ${file}: ${reason}`, code);
}
