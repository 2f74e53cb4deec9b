import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE, TrainingLockedError, acquireTrainingLock, releaseLocksOfThisProcess, trainingLockOwner } from '../../../src/core/train/trainingLock';
import { tempDir } from '../helpers';

/** A pid no process has: that of a child that has exited. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

const lockOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));

test('one lock per folder: the second taker is refused with the owner named, and the folder is free after release', (t) => {
  const dir = tempDir(t);
  const lock = acquireTrainingLock(dir, 'the VS Code window of "linux"');
  const written = lockOf(dir);
  assert.equal(written.pid, process.pid);
  assert.equal(written.host, os.hostname());
  assert.equal(written.label, 'the VS Code window of "linux"');
  assert.throws(
    () => acquireTrainingLock(dir, 'charlens train in a terminal'),
    (e: unknown) => e instanceof TrainingLockedError && e.code === 'ETRAININGLOCKED' && e.owner.token === written.token && new RegExp(`being trained by the VS Code window of "linux" \\(pid ${process.pid}, since \\d\\d:\\d\\d\\)`).test(e.message),
  );
  assert.equal(trainingLockOwner(dir)?.token, written.token);
  lock.release();
  assert.equal(trainingLockOwner(dir), undefined);
  acquireTrainingLock(dir, 'charlens train in a terminal').release();
});

test('the lock of a dead owner, of a boot before this one, or left unwritten long ago is taken over; another host\'s is not', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, LOCK_FILE);
  const base = { host: os.hostname(), label: 'a window that crashed', since: new Date().toISOString(), token: 'dead' };
  for (const stale of [{ ...base, pid: deadPid() }, { ...base, pid: process.pid, boot: 'a-boot-before-this-one' }]) {
    fs.writeFileSync(file, JSON.stringify(stale));
    assert.equal(trainingLockOwner(dir), undefined);
    const lock = acquireTrainingLock(dir, 'the new window');
    assert.equal(lockOf(dir).label, 'the new window');
    lock.release();
  }
  fs.writeFileSync(file, '');
  assert.throws(() => acquireTrainingLock(dir, 'the new window'), /being created by another training/, 'a lock file being written is not stolen');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
  acquireTrainingLock(dir, 'the new window').release();
  fs.writeFileSync(file, JSON.stringify({ ...base, pid: deadPid(), host: 'build-server-7' }));
  assert.throws(() => acquireTrainingLock(dir, 'the new window'), (e: unknown) => e instanceof TrainingLockedError && / on build-server-7/.test((e as Error).message));
});

test('a lock is created with O_EXCL: of two processes racing for a free folder exactly one wins', async (t) => {
  const dir = tempDir(t);
  const lockModule = require.resolve('../../../src/core/train/trainingLock');
  const script = (label: string) =>
    `const { acquireTrainingLock } = require(${JSON.stringify(lockModule)});
     const start = Number(process.argv[1]); while (Date.now() < start) {}
     try { acquireTrainingLock(${JSON.stringify(dir)}, '${label}'); process.stdout.write('won'); setTimeout(() => {}, 500); }
     catch (e) { process.stdout.write(e.code); }`;
  const start = String(Date.now() + 400);
  const run = (label: string) =>
    new Promise<string>((resolve) => {
      const child = require('node:child_process').spawn(process.execPath, ['-e', script(label), start]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.on('exit', () => resolve(out));
    });
  const results = await Promise.all([run('a'), run('b'), run('c')]);
  assert.deepEqual(results.sort(), ['ETRAININGLOCKED', 'ETRAININGLOCKED', 'won'], results.join());
});

test('releaseLocksOfThisProcess frees a lock that a dead training thread of this process left, and no one else\'s', (t) => {
  const dir = tempDir(t);
  acquireTrainingLock(dir, 'a thread that died'); // never released
  releaseLocksOfThisProcess(dir);
  assert.equal(trainingLockOwner(dir), undefined);
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), label: 'the parent', since: new Date().toISOString(), token: 'p' }));
  releaseLocksOfThisProcess(dir);
  assert.equal(trainingLockOwner(dir)?.label, 'the parent');
});
