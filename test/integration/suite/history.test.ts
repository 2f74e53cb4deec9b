/// <reference types="mocha" />
// Issue 24's history in a real VS Code: a model trained in the workspace keeps
// snapshots of its weights; Show Cell History shows the chosen cell and the
// explorer's labelled cells over them, with the step each learned its label,
// and the chosen cell on the cursor's line at each snapshot; the dashboard
// shows the labels training saw learned.
import assert from 'node:assert/strict';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TrainOutcome } from '../../../src/extension/commands/trainOnWorkspace';
import type { TrainFinished } from '../../../src/engine/protocol';
import { describeLearned } from '../../../src/core/explorer/labelHistory';
import { LEARNED_PRECISION, LEARNED_R } from '../../../src/core/explorer/neuronRanking';
import { readWeightHistory } from '../../../src/core/model/weightHistory';
import { workspaceModelHome } from '../../../src/extension/context';
import { currentModelDir } from '../../../src/extension/modelHome';
import type { CellHistoryPanel } from '../../../src/extension/panels/cellHistoryPanel';
import { DashboardPanel } from '../../../src/extension/panels/dashboardPanel';
import { api, openFixture, until } from './helpers';

const TINY = { hidden: 16, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, valFrac: 0.1, patience: 0 };

suite('How the cells learned', function () {
  this.timeout(180_000);

  test('Show Cell History shows the chosen and the labelled cells at every snapshot of the run, and the chosen cell on the cursor line at each', async () => {
    const charlens = await api();
    await charlens.charlens.engine.whenReady();
    // The workspace may have a model from another suite: Replace it.
    charlens.charlens.notify.answerWith = (_message, choices) => (choices.includes('Replace') ? 'Replace' : undefined);
    try {
      const outcome = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c', '**/*.h'], options: { ...TINY, maxSteps: 40 } })) as TrainOutcome;
      assert.equal((outcome as TrainFinished).stopReason, 'finished', JSON.stringify(outcome));
    } finally {
      charlens.charlens.notify.answerWith = undefined;
    }
    const dir = currentModelDir(workspaceModelHome(charlens.charlens))!;
    const weights = readWeightHistory(dir)!;
    assert.deepEqual(weights.snapshots.map((s) => s.step), [10, 20, 30, 40], 'a snapshot at each validation, in the model folder');
    assert.deepEqual(charlens.charlens.history.learned, weights.learned, "the dashboard's history keeps the labels training saw learned");

    const editor = await openFixture('main.c');
    const line = editor.document.lineAt(11); // "/* Reads the whole stream in chunks and feeds every chunk to the counters. */"
    editor.selection = new vscode.Selection(11, 3, 11, 3);
    await vscode.commands.executeCommand('charlens.pickNeuron', { layer: 0, index: 3, kind: 'c' });
    const panel = (await vscode.commands.executeCommand('charlens.showCellHistory')) as CellHistoryPanel;
    await until(() => panel.drawn !== undefined);
    const { result } = panel.lastShown!;
    assert.equal(panel.lastError, undefined);
    assert.deepEqual(result.snapshots.map((s) => s.step), [10, 20, 30, 40]);
    assert.equal(result.computed, 0, 'training scored every snapshot on the explorer\'s sample of the same corpus');
    assert.deepEqual([result.cells[0].layer, result.cells[0].cell], [0, 3], 'the chosen cell first');
    for (const c of result.cells) {
      assert.equal(c.points.length, 4);
      const first = c.points.find((p) => Math.abs(p.r) >= LEARNED_R && (p.precision ?? 0) >= LEARNED_PRECISION);
      assert.equal(c.learnedAt, first?.step, `layer ${c.layer + 1} cell ${c.cell}: learned at the first snapshot past the threshold`);
    }
    for (const c of result.cells.slice(1)) {
      const last = c.points.at(-1)!;
      assert.ok(Math.abs(last.r) >= LEARNED_R && last.precision! >= LEARNED_PRECISION, 'the labelled cells are past the threshold in the model');
    }
    assert.equal(result.line!.chars.join(''), line.text, "the strip is the cursor's line");
    assert.equal(result.line!.activations.length, 4, 'one strip per snapshot');
    for (const strip of result.line!.activations) assert.ok(strip.length === line.text.length && strip.every((a) => a >= -1 && a <= 1));
    assert.notDeepEqual(result.line!.activations[0], result.line!.activations[3], 'the cell reads the line differently as it trains');
    assert.deepEqual(panel.drawn, { rows: result.cells.length, strips: 4 }, 'the page drew every row and strip');

    const dashboard = DashboardPanel.show(charlens.charlens.extension.extensionUri, charlens.charlens.history);
    await until(() => dashboard.drawn !== undefined);
    assert.equal(dashboard.drawn!.learned, describeLearned(weights.learned));
    dashboard.dispose();
    panel.dispose();
  });

  test('a model trained without snapshots says so', async () => {
    const charlens = await api();
    const shipped = path.join(charlens.charlens.extension.extensionPath, 'models', 'default');
    assert.ok(await vscode.commands.executeCommand('charlens.loadModel', shipped));
    const panel = (await vscode.commands.executeCommand('charlens.showCellHistory')) as CellHistoryPanel;
    assert.match(panel.lastError ?? '', /keeps no history of its weights.*Train it again/);
    panel.dispose();
  });
});
