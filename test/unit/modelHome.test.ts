import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { currentModelDir, nameModelHome, newRunFolder, readHomeState, resolveModelHome, settleRun, updateHomeState, workspaceKey } from '../../src/extension/modelHome';

const WORKSPACE = { folders: ['file:///home/me/project'] };
const EXTENSION = 'charlens.charlens';

const made: string[] = [];
after(() => made.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

/** A user-data folder as VS Code lays it out: global storage, and per-window storage folders `<id>`, `<id>-1`, ... */
function userData(): { global: string; storage: (folder: string) => string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-home-'));
  made.push(root);
  return {
    global: path.join(root, 'globalStorage', EXTENSION),
    storage: (folder) => path.join(root, 'workspaceStorage', folder, EXTENSION),
  };
}

/** A model folder as the trainer leaves it: weights first, model.json (naming what it is) last, saved at `savedAt`. */
function saveModel(dir: string, name: string, savedAt: Date): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'weights.0123456789abcdef.bin'), name);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ name }));
  fs.utimesSync(path.join(dir, 'model.json'), savedAt, savedAt);
}

const modelName = (dir: string | undefined): string => JSON.parse(fs.readFileSync(path.join(dir!, 'model.json'), 'utf8')).name;
const runs = (home: string): string[] => fs.readdirSync(home).filter((n) => /^model-\d+-\d+$/.test(n));

test('a workspace is keyed by its workspace file, else its folders, the same way every time', () => {
  assert.equal(workspaceKey(WORKSPACE), workspaceKey({ folders: ['file:///home/me/project'] }));
  assert.notEqual(workspaceKey(WORKSPACE), workspaceKey({ folders: ['file:///home/me/other'] }));
  assert.notEqual(workspaceKey(WORKSPACE), workspaceKey({ folders: ['file:///home/me/project', 'file:///home/me/other'] }));
  const file = { workspaceFile: 'file:///home/me/both.code-workspace' };
  assert.equal(workspaceKey({ ...file, folders: ['file:///a'] }), workspaceKey({ ...file, folders: ['file:///a', 'file:///b'] }), 'a saved workspace keeps its models when a folder is added');
});

test('every storage folder VS Code may hand a window of the workspace finds the same home and its model', () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  const run = newRunFolder(home, undefined);
  saveModel(run, 'trained', new Date());
  for (const folder of ['0a1b2c-1', '0a1b2c-2', '0a1b2c']) {
    const again = resolveModelHome(data.global, data.storage(folder), WORKSPACE);
    assert.equal(again, home, folder);
    assert.equal(modelName(currentModelDir(again)), 'trained', folder);
  }
  assert.equal(resolveModelHome(data.global, undefined, WORKSPACE), home, 'a window without storage (no folder yet saved) too');
});

test('models saved in the storage folders, numbered siblings included, are moved in once; the newest answers and none is lost', () => {
  const data = userData();
  saveModel(path.join(data.storage('0a1b2c'), 'model'), 'plain', new Date(2026, 0, 1));
  saveModel(path.join(data.storage('0a1b2c-2'), 'model'), 'numbered', new Date(2026, 0, 3));
  saveModel(path.join(data.storage('ffff00'), 'model'), 'another workspace', new Date(2026, 0, 5));
  const log: string[] = [];
  const home = resolveModelHome(data.global, data.storage('0a1b2c-1'), WORKSPACE, (line) => log.push(line));
  assert.equal(modelName(currentModelDir(home)), 'numbered');
  assert.deepEqual(runs(home).map((r) => modelName(path.join(home, r))).sort(), ['numbered', 'plain']);
  assert.ok(!fs.existsSync(path.join(data.storage('0a1b2c'), 'model')) && !fs.existsSync(path.join(data.storage('0a1b2c-2'), 'model')), 'moved, not copied');
  assert.equal(modelName(path.join(data.storage('ffff00'), 'model')), 'another workspace', "another workspace's storage is not touched");
  assert.equal(log.length, 2);
  const weights = runs(home).map((r) => fs.readFileSync(path.join(home, r, 'weights.0123456789abcdef.bin'), 'utf8')).sort();
  assert.deepEqual(weights, ['numbered', 'plain'], 'with their weights');

  resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE, (line) => log.push(line));
  assert.equal(runs(home).length, 2, 'a second window moves nothing again');
  assert.equal(log.length, 2);
});

test('a model moved in from an older storage folder does not displace a newer one the home already has', () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  saveModel(newRunFolder(home, undefined), 'home', new Date(2026, 5, 1));
  saveModel(path.join(data.storage('0a1b2c-1'), 'model'), 'old window', new Date(2026, 0, 1));
  resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  assert.equal(modelName(currentModelDir(home)), 'home');
  assert.equal(runs(home).length, 2, 'the older one is kept beside it');
});

test('a replacing run takes over at its first checkpoint, and the replaced model is removed only then', () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  const old = newRunFolder(home, undefined);
  saveModel(old, 'old', new Date(Date.now() - 60_000));
  const next = newRunFolder(home, currentModelDir(home));
  assert.equal(modelName(currentModelDir(home)), 'old', 'before its first checkpoint the new run is not the model');
  resolveModelHome(data.global, data.storage('0a1b2c-1'), WORKSPACE);
  assert.ok(fs.existsSync(path.join(old, 'model.json')), 'another window leaves both alone meanwhile');
  saveModel(next, 'new', new Date());
  assert.equal(modelName(currentModelDir(home)), 'new', 'its first checkpoint makes it the model');
  settleRun(next);
  assert.ok(!fs.existsSync(old), 'the replaced model is removed');
  assert.deepEqual(runs(home), [path.basename(next)]);
});

test('a replacement is finished by the next window when the one that trained is gone', () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  const old = newRunFolder(home, undefined);
  saveModel(old, 'old', new Date(Date.now() - 60_000));
  const next = newRunFolder(home, old);
  saveModel(next, 'new', new Date());
  resolveModelHome(data.global, data.storage('0a1b2c-1'), WORKSPACE);
  assert.ok(!fs.existsSync(old));
  assert.equal(modelName(currentModelDir(home)), 'new');
});

test('a replacing run that ends before its first checkpoint is removed and the old model is kept whole', () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  const old = newRunFolder(home, undefined);
  saveModel(old, 'old', new Date());
  const next = newRunFolder(home, old);
  fs.mkdirSync(path.join(next, 'resume'));
  settleRun(next);
  assert.ok(!fs.existsSync(next));
  assert.equal(currentModelDir(home), old);
  assert.equal(fs.readFileSync(path.join(old, 'weights.0123456789abcdef.bin'), 'utf8'), 'old');
});

test("runs that never saved are removed once their window's process is gone, not while it runs", () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const abandoned = path.join(home, `model-${Date.now()}-${gone}`);
  const running = path.join(home, `model-${Date.now()}-${process.ppid}`);
  const ours = newRunFolder(home, undefined);
  for (const dir of [abandoned, running]) fs.mkdirSync(dir);
  resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  assert.ok(!fs.existsSync(abandoned));
  assert.ok(fs.existsSync(running) && fs.existsSync(ours));
});

test('the home remembers for every window; a damaged state file is read as far as it is whole, and rewritten whole', () => {
  const data = userData();
  const home = resolveModelHome(data.global, data.storage('0a1b2c'), WORKSPACE);
  assert.deepEqual(readHomeState(home).workspace, WORKSPACE, 'it says which workspace it is');
  updateHomeState(home, { lastTraining: { include: ['**/*.c'] } });
  updateHomeState(home, { loaded: { dir: '/models/picked', at: 5 } });
  assert.deepEqual(readHomeState(home).lastTraining, { include: ['**/*.c'], options: {} });
  assert.deepEqual(readHomeState(home).loaded, { dir: '/models/picked', at: 5 });
  fs.writeFileSync(path.join(home, 'workspace.json'), JSON.stringify({ workspace: WORKSPACE, loaded: { dir: 5 }, lastTraining: { include: '**/*.c', options: { maxSteps: 9 } } }));
  assert.deepEqual(readHomeState(home), { workspace: WORKSPACE, lastTraining: { include: undefined, options: { maxSteps: 9 } } }, 'what is not of its shape is left out');
  fs.writeFileSync(path.join(home, 'workspace.json'), '{"lastTr');
  assert.deepEqual(readHomeState(home), {});
  updateHomeState(home, { loaded: { dir: '/models/other', at: 6 } });
  assert.deepEqual(readHomeState(home), { loaded: { dir: '/models/other', at: 6 } });
});

test('a model in storage on another file system is copied in whole, keeping when it was saved, and only then removed', (t) => {
  const data = userData();
  const storageRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-storage-'));
  t.after(() => fs.rmSync(storageRoot, { recursive: true, force: true }));
  // Another file system, as the kernel reports it: renaming out of the storage folder fails with EXDEV.
  const nodeFs: typeof fs = require('fs');
  const rename = nodeFs.renameSync;
  t.mock.method(nodeFs, 'renameSync', (from: fs.PathLike, to: fs.PathLike) => {
    if (String(from).startsWith(storageRoot)) throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}'`), { code: 'EXDEV' });
    return rename(from, to);
  });
  const storage = (folder: string) => path.join(storageRoot, folder, EXTENSION);
  const savedAt = new Date(2026, 2, 3);
  saveModel(path.join(storage('0a1b2c'), 'model'), 'elsewhere', savedAt);
  const home = resolveModelHome(data.global, storage('0a1b2c-1'), WORKSPACE);
  const dir = currentModelDir(home)!;
  assert.equal(modelName(dir), 'elsewhere');
  assert.equal(fs.readFileSync(path.join(dir, 'weights.0123456789abcdef.bin'), 'utf8'), 'elsewhere');
  assert.equal(fs.statSync(path.join(dir, 'model.json')).mtimeMs, savedAt.getTime());
  assert.ok(!fs.existsSync(path.join(storage('0a1b2c'), 'model')));
  assert.deepEqual(fs.readdirSync(home).filter((n) => n.startsWith('.')), [], 'no temporary folder left');
});

test('a message names the workspace where it had a path in the model home, and leaves other paths alone', () => {
  const home = '/home/me/.local/share/code-server/User/globalStorage/charlens.charlens/models/3f2a9c';
  assert.equal(
    nameModelHome(`Resuming the 1x16 LSTM of ${home}/model-1733-42 at step 10 on wasm. ${home}/model-1733-42/resume has no training state: see /tmp/x.log. Moved to ${home}.`, home, 'kernel'),
    'Resuming the 1x16 LSTM of the model of workspace "kernel" at step 10 on wasm. the model of workspace "kernel" has no training state: see /tmp/x.log. Moved to the model of workspace "kernel".',
  );
  assert.equal(nameModelHome(`${home}-1/model is another workspace's`, home, 'kernel'), `${home}-1/model is another workspace's`);
});
