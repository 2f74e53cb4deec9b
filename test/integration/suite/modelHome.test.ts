/// <reference types="mocha" />
// Where the workspace's model lives, in a real VS Code extension host: a
// model trained in one window answers and resumes in a window that VS Code
// gave another storage folder (a reload while the old window still held the
// plain one), older models in storage folders are moved in, a model picked
// with Load Model is remembered; and Train on Workspace asks before it
// replaces a trained model, which stays until the new one's first checkpoint.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TrainFinished } from '../../../src/engine/protocol';
import type { CharLensApi } from '../../../src/extension/extension';
import { modelCandidates, workspaceModelHome } from '../../../src/extension/context';
import { currentModelDir } from '../../../src/extension/modelHome';
import { api, until } from './helpers';

const TINY = { hidden: 16, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, valFrac: 0.1, patience: 0 };

/** A window's workspaceState as VS Code gives a storage folder it never used: empty. */
class FreshMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return (this.values.has(key) ? this.values.get(key) : defaultValue) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

/** CharLens's storage in the window storage folder `<id>-<n>` of this workspace (`.../workspaceStorage/<id>-<n>/charlens.charlens`). */
function numberedStorage(real: vscode.ExtensionContext, n: number): string {
  const storage = real.storageUri!.fsPath;
  const windowFolder = path.dirname(storage);
  return path.join(path.dirname(windowFolder), `${path.basename(windowFolder)}-${n}`, path.basename(storage));
}

/** The extension context a window of this workspace gets in storage folder `<id>-<n>`: its own storage and workspaceState. */
function contextIn(real: vscode.ExtensionContext, n: number): vscode.ExtensionContext {
  return Object.create(real, { storageUri: { value: vscode.Uri.file(numberedStorage(real, n)) }, workspaceState: { value: new FreshMemento() } });
}

/** Kills the engine: it is started again, as after a reload, finding its model from `charlens.extension`. */
async function restartEngine(charlens: CharLensApi): Promise<void> {
  const engine = charlens.charlens.engine;
  const pid = engine.pid!;
  process.kill(pid, 'SIGKILL');
  await until(() => engine.pid !== undefined && engine.pid !== pid);
  await engine.whenReady();
}

async function answering(charlens: CharLensApi): Promise<{ source?: string; dir?: string }> {
  const status = await charlens.charlens.engine.request0(charlens.protocol.Status);
  return { source: status.model?.source, dir: status.model?.dir };
}

/** The home's run folders (see modelHome.ts). */
const runFolders = (home: string): string[] => fs.readdirSync(home).filter((n) => /^model-\d+-\d+$/.test(n));

const savedStep = (dir: string): number => JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).userDefinedMetadata.charlens.metrics.step;

suite('The workspace model across windows, reloads and retraining', function () {
  this.timeout(180_000);
  let charlens: CharLensApi;
  let real: vscode.ExtensionContext;
  const questions: string[] = [];
  let answer: string | undefined;

  suiteSetup(async () => {
    charlens = await api();
    await charlens.charlens.engine.whenReady();
    real = charlens.charlens.extension;
    charlens.charlens.notify.answerWith = (question) => (questions.push(question), answer);
  });
  suiteTeardown(() => {
    charlens.charlens.extension = real;
    charlens.charlens.notify.answerWith = undefined;
  });

  test('a model trained in one window answers and resumes after a reload into another storage folder; older ones there are moved in', async () => {
    answer = 'Replace';
    const trained = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c', '**/*.h'], options: { ...TINY, maxSteps: 30 } })) as TrainFinished;
    assert.equal(trained.stopReason, 'finished', JSON.stringify(trained));
    questions.length = 0; // an earlier suite's model was replaced
    const home = workspaceModelHome(charlens.charlens);
    const dir = currentModelDir(home)!;
    assert.equal(savedStep(dir), 30);
    // A model an older CharLens saved in a numbered storage folder of this workspace, before this one was trained.
    const old = path.join(numberedStorage(real, 7), 'model');
    fs.cpSync(path.join(real.extensionPath, 'models', 'default'), old, { recursive: true });
    fs.utimesSync(path.join(old, 'model.json'), new Date(2026, 0, 1), new Date(2026, 0, 1));

    charlens.charlens.extension = contextIn(real, 1);
    await restartEngine(charlens);
    assert.notEqual(charlens.charlens.extension.storageUri!.fsPath, real.storageUri!.fsPath);
    assert.deepEqual(await answering(charlens), { source: 'workspace', dir }, 'the trained model answers in the reloaded window');
    const completion = await charlens.charlens.engine.request(charlens.protocol.Complete, { documentId: 'untitled:reloaded', prefix: '#include "stats.h"\n\nvoid stats_', maxChars: 20, temperature: 0.5, multiline: false });
    assert.equal(completion.model, 'workspace', 'completions come from it');
    assert.ok(!fs.existsSync(old), 'the older model was moved out of the old storage folder');
    const moved = runFolders(home).filter((n) => path.join(home, n) !== dir);
    assert.equal(moved.length, 1, `the older model is kept in the home: ${moved}`);
    assert.equal(currentModelDir(home), dir, 'and does not displace the newer one');

    // Resume Training in the reloaded window: its workspaceState is empty, the home remembers the run.
    const resumed = (await vscode.commands.executeCommand('charlens.resumeTraining', { options: { maxSteps: 40 } })) as TrainFinished & { plan: string };
    assert.equal(resumed.stopReason, 'finished', JSON.stringify({ resumed, told: charlens.charlens.notify.recent.slice(-3) }));
    assert.equal(resumed.steps, 40, 'resumed at step 30');
    assert.match(resumed.plan, /^Resuming/);
    assert.equal(savedStep(dir), 40, 'into the same model');
    assert.deepEqual(questions, [], 'Resume Training asks nothing');
  });

  test('a model picked with Load Model is the one a reloaded window starts with, until the workspace model is saved again', async () => {
    const shipped = path.join(real.extensionPath, 'models', 'default');
    assert.ok(await vscode.commands.executeCommand('charlens.loadModel', shipped));
    const reloaded = { ...charlens.charlens, extension: contextIn(real, 2) };
    const trained = currentModelDir(workspaceModelHome(reloaded))!;
    assert.deepEqual(modelCandidates(reloaded).map((m) => m.source), ['file', 'workspace', 'default']);
    assert.equal(modelCandidates(reloaded)[0].dir, shipped);
    answer = 'Resume';
    const resumed = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { options: { maxSteps: 50 } })) as TrainFinished;
    assert.equal(resumed.steps, 50, JSON.stringify({ resumed, told: charlens.charlens.notify.recent.slice(-3) }));
    assert.deepEqual(modelCandidates(reloaded)[0], { dir: trained, source: 'workspace' }, 'training saved it after the pick');
  });

  test('Train on Workspace asks before replacing the model: Cancel keeps it, Resume continues it, and a replacing run that ends before its first checkpoint leaves it whole', async () => {
    const home = workspaceModelHome(charlens.charlens);
    const dir = currentModelDir(home)!;
    const step = savedStep(dir);
    const savedAt = fs.statSync(path.join(dir, 'model.json')).mtimeMs;
    questions.length = 0;

    answer = undefined; // Cancel
    assert.equal(await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: TINY }), undefined);
    assert.equal(questions.length, 1);
    assert.match(questions[0], /already has a trained model .*Replace it with a new one .*, or resume its training\?/);
    assert.equal(fs.statSync(path.join(dir, 'model.json')).mtimeMs, savedAt, 'cancelled: nothing trained');

    answer = 'Resume';
    const resumed = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: { ...TINY, maxSteps: step + 10 } })) as TrainFinished & { plan: string };
    assert.equal(resumed.steps, step + 10, JSON.stringify(resumed));
    assert.match(resumed.plan, /^Resuming/);
    assert.equal(currentModelDir(home), dir);

    // Replace, and the window goes away (the engine is killed) before the new run's first checkpoint.
    answer = 'Replace';
    const engine = charlens.charlens.engine;
    const stepped = new Promise<void>((resolve) => {
      const sub = engine.onTrainingProgress((p) => p.kind === 'step' && (sub.dispose(), resolve()));
    });
    const replacing = vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: { ...TINY, maxSteps: 1_000_000, epochs: 100_000, evalEvery: 1_000_000 } });
    await stepped;
    assert.equal(currentModelDir(home), dir, 'while the new run has no checkpoint, the old model is the workspace model');
    const runs = runFolders(home);
    await restartEngine(charlens);
    assert.match(((await replacing) as TrainFinished).error ?? '', /engine stopped/);
    assert.equal(currentModelDir(home), dir);
    assert.equal(savedStep(dir), step + 10, 'whole, with every step');
    assert.deepEqual(await answering(charlens), { source: 'workspace', dir }, 'and it answers');
    assert.equal(runFolders(home).length, runs.length - 1, 'the new run without a checkpoint is removed');
  });

  test('a replacing run becomes the workspace model at its first checkpoint, and the replaced one is removed then', async () => {
    const home = workspaceModelHome(charlens.charlens);
    const old = currentModelDir(home)!;
    answer = 'Replace';
    const replaced = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: { ...TINY, maxSteps: 20 } })) as TrainFinished;
    assert.equal(replaced.stopReason, 'finished');
    const dir = currentModelDir(home)!;
    assert.notEqual(dir, old);
    assert.equal(savedStep(dir), 20, 'a new model, trained from the start');
    assert.ok(!fs.existsSync(old), 'the replaced model is gone');
    assert.deepEqual(await answering(charlens), { source: 'workspace', dir });
  });
});
