import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureWritableFolder, writeFileAtomic } from '../atomicFile';
import { UserError, fileErrorReason } from '../userError';

/**
 * One trainer per model folder. Two trainers saving into one folder (two
 * windows on one workspace, a window and a terminal) would interleave their
 * checkpoints and resume states, so training takes `training.lock` first:
 * created with O_EXCL (only one creator can win), it names its owner, and a
 * lock whose owner is gone (its process dead on this host, or this host
 * rebooted since) is taken over. Another trainer can ask the owner to stop
 * (`training.stop`, naming the lock it is meant for); the owner stops as
 * Stop Training would, saving first.
 */
export const LOCK_FILE = 'training.lock';
const STOP_FILE = 'training.stop';
/** A lock file not yet written is being created (a few microseconds); older than this and empty, its creator died. */
const UNWRITTEN_GRACE_MS = 10_000;

export interface LockOwner {
  pid: number;
  host: string;
  /** Who trains, for the user: "the VS Code window of "linux"", "charlens train in a terminal". */
  label: string;
  /** ISO time the lock was taken. */
  since: string;
  /** This host's boot, where the system tells it: a pid from before a reboot is no one's. */
  boot?: string;
  /** Tells this lock from a later one of the same process (a stop request names it). */
  token: string;
}

export class TrainingLockedError extends UserError {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(`${dir} is being trained by ${describeOwner(owner)}. Stop that training or wait until it ends; one folder takes one training at a time.`, 'ETRAININGLOCKED');
  }
}

export interface TrainingLock {
  readonly owner: LockOwner;
  /** Whether another trainer asked this one to stop (requestStop). */
  stopRequested(): boolean;
  /** Gives the folder up; a lock that is no longer this one's is left alone. */
  release(): void;
}

/** "the VS Code window of "linux" (pid 4242, since 08:12)"; the host too when it is not this one. */
export function describeOwner(owner: LockOwner): string {
  const since = new Date(owner.since);
  const time = Number.isNaN(since.getTime()) ? '' : `, since ${since.toTimeString().slice(0, 5)}`;
  const host = owner.host === os.hostname() ? '' : ` on ${owner.host}`;
  return `${owner.label} (pid ${owner.pid}${host}${time})`;
}

/** Takes the folder for a training by `label`, or throws TrainingLockedError naming the live owner. */
export function acquireTrainingLock(dir: string, label: string): TrainingLock {
  ensureWritableFolder(dir);
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), label, since: new Date().toISOString(), boot: bootId(), token: crypto.randomBytes(8).toString('hex') };
  // Each pass either creates the lock, meets a live owner, or removes a dead one's lock; a few passes settle any race.
  for (let pass = 0; pass < 5; pass++) {
    if (createExclusive(file, JSON.stringify(owner))) {
      // A stop request left for an earlier owner (its token is not this lock's) would only linger.
      fs.rmSync(path.join(dir, STOP_FILE), { force: true });
      return heldLock(dir, owner);
    }
    const held = readLock(file);
    if (held === undefined) continue; // released in between
    if (held.owner && !isDead(held.owner)) throw new TrainingLockedError(dir, held.owner);
    if (!held.owner && Date.now() - held.mtimeMs < UNWRITTEN_GRACE_MS) throw new UserError(`${file} is being created by another training; try again in a moment.`, 'ETRAININGLOCKED');
    removeIfUnchanged(file, held.raw);
  }
  throw new UserError(`${file} keeps changing hands; try again in a moment.`, 'ETRAININGLOCKED');
}

/** The live owner of the folder's lock, if one trains there now. */
export function trainingLockOwner(dir: string): LockOwner | undefined {
  const owner = readLock(path.join(dir, LOCK_FILE))?.owner;
  return owner && !isDead(owner) ? owner : undefined;
}

/** Asks the owner of the folder's lock to stop (it validates and saves, then gives the folder up). */
export function requestStop(dir: string, owner: LockOwner): void {
  writeFileAtomic(path.join(dir, STOP_FILE), owner.token);
}

/**
 * Removes the folder's lock when this process holds it. For a process that
 * runs one training at a time (the engine) once that training has ended in
 * whatever way: a training thread that died cannot release its own.
 */
export function releaseLocksOfThisProcess(dir: string): void {
  const held = readLock(path.join(dir, LOCK_FILE));
  if (held?.owner?.pid === process.pid && held.owner.host === os.hostname()) removeIfUnchanged(path.join(dir, LOCK_FILE), held.raw);
}

function heldLock(dir: string, owner: LockOwner): TrainingLock {
  const file = path.join(dir, LOCK_FILE);
  const stopFile = path.join(dir, STOP_FILE);
  const isOurs = (f: string) => readText(f)?.includes(owner.token) === true;
  return {
    owner,
    stopRequested: () => isOurs(stopFile),
    release: () => {
      for (const f of [stopFile, file]) if (isOurs(f)) fs.rmSync(f, { force: true });
    },
  };
}

/** O_CREAT | O_EXCL: true when this call created the file (and wrote it), false when it exists. */
function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockError(err, file);
  }
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw lockError(err, file);
  }
  fs.closeSync(fd);
  return true;
}

interface ReadLock {
  raw: string;
  mtimeMs: number;
  /** Undefined when the file is not (yet) a whole lock. */
  owner?: LockOwner;
}

function readLock(file: string): ReadLock | undefined {
  let raw: string;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const json = JSON.parse(raw);
    const whole = Number.isInteger(json?.pid) && typeof json.host === 'string' && typeof json.label === 'string' && typeof json.token === 'string';
    return { raw, mtimeMs, owner: whole ? (json as LockOwner) : undefined };
  } catch {
    return { raw, mtimeMs };
  }
}

function isDead(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false; // another machine's processes cannot be seen from here
  if (owner.boot && owner.boot !== bootId()) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes a dead owner's lock, unless another trainer replaced it since it
 * was read: the lock is moved aside first, and put back if what moved is not
 * what was judged dead.
 */
function removeIfUnchanged(file: string, raw: string): void {
  const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // gone already
  }
  if (readText(aside) !== raw) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // A new lock was created meanwhile; the moved one was live, and its owner will find its lock replaced.
    }
  }
  fs.rmSync(aside, { force: true });
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

function lockError(err: unknown, file: string): unknown {
  const reason = fileErrorReason(err);
  return reason === undefined ? err : new UserError(`Cannot take the training lock ${file}: ${reason}`, (err as NodeJS.ErrnoException).code);
}
