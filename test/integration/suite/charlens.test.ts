/// <reference types="mocha" />
// CharLens inside a real VS Code extension host, on the fixture workspace:
// the shipped model answers first, Train on Workspace trains a tiny model
// with progress, completions then come from it, Sample and Load Model work,
// and a killed engine is restarted with the last checkpoint.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CharLensApi } from '../../../src/extension/extension';
import type { TrainOutcome } from '../../../src/extension/commands/trainOnWorkspace';
import * as rpc from '../../../src/engine/protocol';
import type { TrainFinished } from '../../../src/engine/protocol';
import { workspaceModelHome, workspaceTrainingHistory } from '../../../src/extension/context';
import { DashboardPanel } from '../../../src/extension/panels/dashboardPanel';
import { describeOutcome, HISTORY_FILE, TrainingHistory } from '../../../src/extension/trainingHistory';
import { currentModelDir } from '../../../src/extension/modelHome';
import { api, openFixture, until } from './helpers';

const TINY = { hidden: 16, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, valFrac: 0.1, patience: 0 };

/** Asks the registered provider for ghost text at the end of `line`, as the editor would. */
async function completionAt(charlens: CharLensApi, editor: vscode.TextEditor, line: number): Promise<string> {
  const position = editor.document.lineAt(line).range.end;
  const source = new vscode.CancellationTokenSource();
  const items = await charlens.completions.provideInlineCompletionItems(
    editor.document,
    position,
    { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined },
    source.token,
  );
  const first = items?.[0]?.insertText;
  return typeof first === 'string' ? first : '';
}

/** The provider's last result, read afresh (a test resets it before asking). */
const lastResult = (charlens: CharLensApi) => charlens.completions.lastResult;

suite('CharLens in VS Code', function () {
  this.timeout(180_000);
  // Training again replaces the model trained before: the modal question is answered here (from the first training on).
  const questions: string[] = [];
  suiteTeardown(async () => {
    (await api()).charlens.notify.answerWith = undefined;
  });

  test('activates on a C file and the shipped model answers completions', async () => {
    const editor = await openFixture('main.c');
    const charlens = await api();
    await charlens.charlens.engine.whenReady();
    const text = await completionAt(charlens, editor, 10);
    assert.ok(text.length > 0, 'a completion came back');
    assert.ok(!text.includes('\n'), 'single-line by default');
    assert.equal(charlens.completions.lastResult?.model, 'default');
  });

  test('typing into a shown suggestion reuses it without asking the model again', async () => {
    const charlens = await api();
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: 'int main(void) {\n  int i;\n  for (i' });
    const editor = await vscode.window.showTextDocument(doc);
    const shown = await completionAt(charlens, editor, 2);
    assert.ok(shown.length >= 2, `a suggestion of at least two characters: ${JSON.stringify(shown)}`);
    const asked = charlens.completions.lastResult;
    await editor.edit((b) => b.insert(doc.lineAt(2).range.end, shown[0]));
    const rest = await completionAt(charlens, editor, 2);
    assert.equal(rest, shown.slice(1));
    assert.equal(charlens.completions.lastResult, asked, 'the engine was not asked again');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('a candidate that writes the auto-closed bracket right of the cursor comes first and replaces it', async () => {
    const charlens = await api();
    // As VS Code leaves it after typing `sqlite3_free(`: the paren it closed is right of the cursor.
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: 'int main(void) {\n  int i;\n  sqlite3_free()' });
    const editor = await vscode.window.showTextDocument(doc);
    const line = doc.lineAt(2).text;
    const cursor = new vscode.Position(2, line.length - 1);
    // The editor may ask for the same document meanwhile, and the engine then answers only the newer request: ask again until one is answered.
    let items: vscode.InlineCompletionItem[] | undefined;
    for (let attempt = 0; attempt < 5 && !items; attempt++) {
      items = await charlens.completions.provideInlineCompletionItems(doc, cursor, { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined }, new vscode.CancellationTokenSource().token);
    }
    const item = items?.[0];
    assert.ok(item && typeof item.insertText === 'string', JSON.stringify(lastResult(charlens)?.items));
    const text = item.insertText;
    // The model is sure of the argument, "p"; its line "p);" goes on through the paren already there, so it is shown.
    assert.equal(charlens.completions.lastResult?.items[0], 'p', JSON.stringify(charlens.completions.lastResult?.items));
    assert.equal(text, 'p);');
    assert.deepEqual([item.range?.start, item.range?.end], [cursor, cursor.translate(0, 1)], 'the item replaces the ")"');
    // Accepting applies the item's range: the paren is not left behind the completion.
    await editor.edit((b) => b.replace(item.range!, text));
    assert.equal(doc.lineAt(2).text, '  sqlite3_free(p);');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('where the model is sure, ghost text appears and Tab accepts it; Alt+] shows the next candidate; where it is unsure, none', async () => {
    const charlens = await api();
    await charlens.charlens.engine.whenReady();
    const content = 'int main(void) {\n  int i;\n  for (i = 0; i < n; i+';
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content });
    const editor = await vscode.window.showTextDocument(doc);
    const end = () => (editor.selection = new vscode.Selection(doc.lineAt(2).range.end, doc.lineAt(2).range.end));
    const shown = async (next = 0) => {
      end();
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await until(() => lastResult(charlens) !== undefined);
      // The editor shows the items a little after the provider returns them.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < next; i++) await vscode.commands.executeCommand('editor.action.inlineSuggest.showNext');
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      return doc.lineAt(2).text;
    };
    charlens.completions.lastResult = undefined;
    const accepted = await shown();
    const items = lastResult(charlens)!.items;
    assert.ok(items.length >= 2, `a suggestion and another candidate: ${JSON.stringify(items)}`);
    assert.equal(accepted, `  for (i = 0; i < n; i+${items[0]}`, 'Tab accepted the suggestion');
    await vscode.commands.executeCommand('undo');
    await until(() => doc.getText() === content);
    charlens.completions.lastResult = undefined;
    assert.equal(await shown(1), `  for (i = 0; i < n; i+${items[1]}`, 'Alt+] showed the second candidate, and Tab accepted it');
    // Unsure what a loop's variable is, right after `for (`: nothing is shown, so Tab accepts nothing.
    await editor.edit((b) => b.replace(doc.lineAt(2).range, '  for ('));
    charlens.completions.lastResult = undefined;
    assert.equal(await shown(), '  for (');
    assert.deepEqual(lastResult(charlens)!.items, []);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('after an accept the next suggestion is asked for at once, and is there without the debounce wait', async () => {
    const charlens = await api();
    await charlens.charlens.engine.whenReady();
    const settings = vscode.workspace.getConfiguration('charlens');
    await settings.update('completion.debounceMs', 2000, vscode.ConfigurationTarget.Global);
    try {
      const doc = await vscode.workspace.openTextDocument({ language: 'c', content: 'int main(void) {\n  int i;\n  for (i = 0; i < n; i' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(doc.lineAt(2).range.end, doc.lineAt(2).range.end);
      await editor.edit((b) => b.insert(doc.lineAt(2).range.end, '++'));
      // What accepting an item does after inserting it.
      await vscode.commands.executeCommand('charlens.suggestionAccepted');
      const t0 = Date.now();
      const items = await charlens.completions.provideInlineCompletionItems(doc, doc.lineAt(2).range.end, { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined }, new vscode.CancellationTokenSource().token);
      assert.ok(Date.now() - t0 < 1000, `answered in ${Date.now() - t0} ms, not after the 2000 ms debounce`);
      assert.ok(items && items.length > 0, 'the prefetched suggestion is shown');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      await settings.update('completion.debounceMs', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Train on Workspace trains with progress, and completions then come from the new model', async () => {
    const charlens = await api();
    charlens.charlens.notify.answerWith = (question) => (questions.push(question), 'Replace');
    let steps = 0;
    const sub = charlens.charlens.engine.onTrainingProgress((p) => p.kind === 'step' && steps++);
    const outcome = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', {
      include: ['**/*.c', '**/*.h'],
      options: { ...TINY, maxSteps: 30 },
    })) as TrainOutcome;
    sub.dispose();
    assert.ok(!('busy' in outcome), 'training ran');
    assert.equal((outcome as TrainFinished).stopReason, 'finished');
    assert.ok(steps >= 30, `progress reported ${steps} steps`);
    const history = charlens.charlens.history;
    assert.ok(history.points.length >= 30 && history.samples.length >= 3, `the dashboard's history holds the run (${history.points.length} points, ${history.samples.length} samples)`);
    const dir = currentModelDir(workspaceModelHome(charlens.charlens));
    assert.ok(dir && fs.existsSync(path.join(dir, 'model.json')), "the model was saved in the workspace's model home");
    assert.deepEqual(questions, [], 'a workspace without a model of its own trains without asking');

    // Inside a name the workspace defines: the new model answers (a model trained 30 steps may be sure of nothing there, and then shows nothing).
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: '#include "stats.h"\n\nvoid stats_re' });
    const editor = await vscode.window.showTextDocument(doc);
    charlens.completions.lastResult = undefined;
    const text = await completionAt(charlens, editor, 2);
    assert.equal(lastResult(charlens)?.model, 'workspace');
    assert.equal(text, lastResult(charlens)?.items[0] ?? '');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('training started twice is refused with a message', async () => {
    const charlens = await api();
    // Wait for the engine's first step, not a fixed time: Stop must reach a training that runs.
    const stepped = new Promise<void>((resolve) => {
      const sub = charlens.charlens.engine.onTrainingProgress((p) => p.kind === 'step' && (sub.dispose(), resolve()));
    });
    const first = vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: { ...TINY, maxSteps: 400 } });
    await stepped;
    const second = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: TINY })) as TrainOutcome;
    assert.deepEqual(second, { busy: true });
    assert.match(charlens.charlens.notify.recent.at(-1)!.message, /already running/);
    const stop = vscode.commands.executeCommand('charlens.stopTraining');
    assert.match(charlens.charlens.statusBar.text, /stopping/, 'Stop says so at once');
    await stop;
    const outcome = (await first) as TrainFinished & { plan: string };
    assert.equal(outcome.stopReason, 'cancelled');
    assert.ok(outcome.bestValLoss !== undefined, 'the stop validated the steps since the last validation');
    const resumeState = JSON.parse(fs.readFileSync(path.join(currentModelDir(workspaceModelHome(charlens.charlens))!, 'resume', 'model.json'), 'utf8'));
    assert.equal(resumeState.userDefinedMetadata.charlens.metrics.step, outcome.steps, 'the resume state has every step');

    // Another size asked for: the checkpoint's shape wins, and the plan says so.
    const resumed = (await vscode.commands.executeCommand('charlens.resumeTraining', { options: { hidden: 48, maxSteps: (outcome.steps ?? 0) + 10 } })) as TrainFinished & { plan: string };
    assert.equal(resumed.stopReason, 'finished', JSON.stringify({ resumed, told: charlens.charlens.notify.recent }));
    assert.equal(resumed.steps, (outcome.steps ?? 0) + 10, 'resumed from the step where it stopped');
    assert.match(resumed.plan, /^Resuming the 1x16 LSTM .*of the model of workspace "workspace" at step \d+/, 'the notification names the workspace; the storage path is in the log');
    assert.ok(!resumed.plan.includes(workspaceModelHome(charlens.charlens)), resumed.plan);
  });

  test('training into a model folder another window trains names that window, and Stop It stops it before this one trains', async () => {
    const charlens = await api();
    const dir = currentModelDir(workspaceModelHome(charlens.charlens))!;
    // The other window's training, as its engine holds the folder: it stops when asked, as its own Stop would.
    const script = `
      const lock = require(${JSON.stringify(require.resolve('../../../src/core/train/trainingLock'))}).acquireTrainingLock(${JSON.stringify(dir)}, 'the VS Code window of "other"');
      process.stdout.write('holding');
      const poll = setInterval(() => { if (lock.stopRequested()) { lock.release(); clearInterval(poll); process.stdout.write(' stopped'); } }, 50);
      setTimeout(() => process.exit(3), 60000);`;
    const other = require('node:child_process').spawn(process.execPath, ['-e', script]);
    let said = '';
    other.stdout.on('data', (d: Buffer) => (said += d));
    await new Promise<void>((resolve) => other.stdout.once('data', () => resolve()));
    const outcome = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: { ...TINY, maxSteps: 10 }, whenFolderTaken: 'Stop It' })) as TrainFinished;
    assert.equal(said, 'holding stopped', 'the other training was asked to stop');
    assert.equal(outcome.stopReason, 'finished', JSON.stringify(outcome));
    assert.ok(!fs.existsSync(path.join(dir, 'training.lock')), 'and this one gave the folder up when it ended');
  });

  test('a time budget chooses the model, says so before the first step, and ends training when it is up', async () => {
    const outcome = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', {
      include: ['**/*.c', '**/*.h'],
      options: { ...TINY, hidden: undefined, maxSteps: 0, epochs: 100_000, minutes: 0.1 },
    })) as TrainFinished & { plan: string };
    assert.equal(outcome.stopReason, 'time-limit', JSON.stringify(outcome));
    assert.match(outcome.plan, /^1x\d+ LSTM.* on wasm.*, about 6 s, ~[0-9.]+ epochs/);
    assert.ok(outcome.bestValLoss !== undefined, 'the run validated and saved before the budget ran out');
    // The counter and the share done follow the budget, not the 100,000-epoch cap.
    const timing = (await api()).charlens.history.timing!;
    assert.equal(timing.endsBy, 'budget');
    assert.match(timing.counter, /^step \d+\/~\d+$/);
    assert.ok(timing.fraction > 0.5, `${timing.fraction}`);
  });

  test('when a time budget ends training the dashboard says so, and shows the same run after a reload from the history kept with the model', async () => {
    const charlens = (await api()).charlens;
    assert.equal(charlens.history.outcome?.stopReason, 'time-limit', 'the time-budget run above ended');
    const dashboard = (await vscode.commands.executeCommand('charlens.showDashboard')) as DashboardPanel;
    // The dashboard may be open since training started: its last drawing, not an earlier one, says how the run ended.
    await until(() => dashboard.drawn?.status.startsWith('finished') === true);
    const live = dashboard.drawn!;
    assert.match(live.status, /^finished: time budget reached after \d+ steps, validation \d+\.\d{3} bits\/char$/);
    assert.equal(live.points, charlens.history.points.length);
    assert.ok(live.samples > 0 && live.samples === charlens.history.samples.length, `${live.samples} samples`);
    dashboard.dispose();

    // After a reload the window's history is read from the model's run folder.
    const dir = currentModelDir(workspaceModelHome(charlens))!;
    assert.ok(fs.existsSync(path.join(dir, HISTORY_FILE)), 'the history is kept beside the model');
    const reloaded = workspaceTrainingHistory(charlens);
    try {
      assert.deepEqual(reloaded.points, charlens.history.points);
      const again = DashboardPanel.show(charlens.extension.extensionUri, reloaded);
      await until(() => again.drawn !== undefined);
      assert.deepEqual(again.drawn, live, 'the reopened dashboard shows the same curve, samples and final state');
      again.dispose();
    } finally {
      reloaded.dispose();
    }

    // A history saved mid-run (the window closed before the run ended) says so instead of a stale time left.
    const saved = JSON.parse(fs.readFileSync(path.join(dir, HISTORY_FILE), 'utf8'));
    const midRun = fs.mkdtempSync(path.join(charlens.extension.globalStorageUri.fsPath, 'mid-run-'));
    fs.writeFileSync(path.join(midRun, HISTORY_FILE), JSON.stringify({ ...saved, outcome: undefined }));
    const interrupted = new TrainingHistory();
    interrupted.load(midRun);
    assert.equal(describeOutcome(interrupted.outcome!), `not finished: the window closed during training after ${saved.points.at(-1).step} steps; "Resume Training" continues it`);
    interrupted.dispose();
    fs.rmSync(midRun, { recursive: true });
  });

  test('Select Backend marks the one in use, sets apart those that cannot load with why, and asks before a software adapter', async () => {
    const charlens = (await api()).charlens;
    const menus: vscode.QuickPickItem[][] = [];
    let choose = 'cpu';
    charlens.notify.pickWith = (items) => (menus.push([...items]), items.find((i) => i.label.replace('$(check) ', '') === choose));
    const asked: string[] = [];
    const answerer = charlens.notify.answerWith;
    charlens.notify.answerWith = (message) => (asked.push(message), undefined);
    try {
      assert.equal(await vscode.commands.executeCommand('charlens.selectBackend'), 'cpu');
      choose = 'tensorflow-gpu';
      assert.equal(await vscode.commands.executeCommand('charlens.selectBackend'), undefined, 'one that cannot load is refused');
      assert.match(charlens.notify.recent.at(-1)!.message, /^backend tensorflow-gpu is not available here: .*tfjs-node-gpu is not installed/);
      const menu = menus.at(-1)!;
      assert.deepEqual(
        menu.filter((i) => i.label.startsWith('$(check)')).map((i) => [i.label, i.description]),
        [['$(check) cpu', 'in use: cpu (plain JavaScript)']],
        'the backend in use, and only it, is checked',
      );
      const apart = menu.findIndex((i) => i.kind === vscode.QuickPickItemKind.Separator);
      assert.equal(menu[apart].label, 'not available here');
      const unavailable = menu.slice(apart + 1);
      assert.ok(unavailable.some((i) => i.label === 'tensorflow-gpu' && /tfjs-node-gpu is not installed/.test(i.detail ?? '')), JSON.stringify(unavailable));
      assert.ok(unavailable.some((i) => i.label === 'tensorflow' && /tfjs-node is not installed/.test(i.detail ?? '')), JSON.stringify(unavailable));
      assert.ok(menu.slice(0, apart).some((i) => i.label === 'wasm'), 'wasm loads here and is offered above the separator');
      assert.equal((await charlens.engine.request0(rpc.Status)).backend, 'cpu', 'the refused pick left the backend alone');

      // This machine has no GPU: webgpu is Mesa's software adapter, or does not load at all.
      const webgpu = menu.find((i) => i.label === 'webgpu')!;
      if (menu.indexOf(webgpu) < apart) {
        assert.match(webgpu.detail ?? '', /software adapter/);
        choose = 'webgpu';
        assert.equal(await vscode.commands.executeCommand('charlens.selectBackend'), undefined, 'declining the warning keeps the backend');
        assert.match(asked.at(-1)!, /^webgpu would run on webgpu \(llvmpipe.*software adapter .* slower than wasm/);
        assert.equal((await charlens.engine.request0(rpc.Status)).backend, 'cpu');
      } else {
        assert.ok(webgpu.detail, 'the reason webgpu cannot load');
      }
      assert.equal(await vscode.commands.executeCommand('charlens.selectBackend', 'auto'), 'wasm');
    } finally {
      charlens.notify.pickWith = undefined;
      charlens.notify.answerWith = answerer;
    }
  });

  test('Sample opens an untitled editor with text from the model', async () => {
    const doc = (await vscode.commands.executeCommand('charlens.sample', { temperature: 0.8, length: 300, prime: 'int ' })) as vscode.TextDocument;
    assert.ok(doc.isUntitled);
    assert.ok(doc.getText().startsWith('int '));
    assert.ok(doc.getText().length >= 300);
  });

  test('Load Model loads a model folder; a corrupt one is reported', async () => {
    const charlens = await api();
    const shipped = path.join(charlens.charlens.extension.extensionPath, 'models', 'default');
    const loaded = await vscode.commands.executeCommand('charlens.loadModel', shipped);
    assert.ok(loaded, 'the shipped model loads');
    assert.match(charlens.charlens.notify.recent.at(-1)!.message, /^loaded the 2x128 LSTM of models\/default \(step [\d,]+, validation [0-9.]+ bits\/char\)\.$/);
    const broken = fs.mkdtempSync(path.join(require('os').tmpdir(), 'charlens-broken-'));
    fs.writeFileSync(path.join(broken, 'model.json'), '{');
    assert.equal(await vscode.commands.executeCommand('charlens.loadModel', broken), undefined);
    assert.match(charlens.charlens.notify.recent.at(-1)!.message, /corrupt/);
  });

  test('an engine killed mid-training is restarted, the user is told, and the last checkpoint answers', async () => {
    const charlens = await api();
    const engine = charlens.charlens.engine;
    let validated!: () => void;
    const firstValidation = new Promise<void>((resolve) => (validated = resolve));
    const sub = engine.onTrainingProgress((p) => p.kind === 'validation' && validated());
    const training = vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: { ...TINY, maxSteps: 5000 } });
    await firstValidation;
    sub.dispose();
    const pid = engine.pid!;
    process.kill(pid, 'SIGKILL');
    const outcome = (await training) as TrainFinished;
    assert.match(outcome.error ?? '', /engine stopped/);
    await engine.whenReady();
    assert.notEqual(engine.pid, pid, 'a new engine process runs');
    assert.ok(charlens.charlens.notify.recent.some((n) => /stopped unexpectedly/.test(n.message)));
    const editor = await openFixture('main.c');
    await completionAt(charlens, editor, 5);
    assert.equal(charlens.completions.lastResult?.model, 'workspace', 'the saved workspace model was reloaded');
  });
});
