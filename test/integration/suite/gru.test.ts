/// <reference types="mocha" />
// Issue 23 in a real VS Code: a small GRU trained on the workspace (on the
// default backend, the wasm trainer here, whose kernels train GRUs) answers
// completions and feeds every view, which read its h where an LSTM's read tanh(c).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import * as rpc from '../../../src/engine/protocol';
import type { TrainOutcome } from '../../../src/extension/commands/trainOnWorkspace';
import type { ModelReportPanel } from '../../../src/extension/panels/modelReportPanel';
import type { FoundCells } from '../../../src/extension/commands/findCellsForSelection';
import { api, openFixture } from './helpers';

suite('A GRU model in the views', function () {
  this.timeout(240_000);
  const neuron = { layer: 0, index: 3, kind: 'c' as const };

  suiteSetup(async () => {
    const charlens = await api();
    await charlens.charlens.engine.whenReady();
    assert.equal((await charlens.charlens.engine.request0(rpc.Status)).backend, 'wasm');
    charlens.charlens.notify.answerWith = () => 'Replace';
    const outcome = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', {
      include: ['**/*.c', '**/*.h'],
      options: { cell: 'gru', hidden: 16, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, valFrac: 0.1, patience: 0, maxSteps: 20 },
    })) as TrainOutcome;
    assert.equal((outcome as rpc.TrainFinished).stopReason, 'finished');
    await vscode.commands.executeCommand('charlens.pickNeuron', neuron);
  });

  test('the trained GRU is loaded, named as one, and says its views show h', async () => {
    const charlens = await api();
    const model = (await charlens.charlens.engine.request0(rpc.Status)).model!;
    assert.equal(model.source, 'workspace');
    assert.equal(model.cell, 'gru');
    assert.equal(model.activation, 'h');
    assert.equal(model.hiddenSize, 16);
  });

  test('completions, the overlay trace and the hover answer from the GRU, the activation being h', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    const doc = editor.document;
    // A model trained 20 steps may be sure of nothing and show nothing: the provider's result says who answered.
    charlens.completions.lastResult = undefined;
    await charlens.completions.provideInlineCompletionItems(doc, doc.lineAt(10).range.end, { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined }, new vscode.CancellationTokenSource().token);
    const answered = () => charlens.completions.lastResult; // read afresh: the provider set it
    assert.equal(answered()?.model, 'workspace');
    const text = doc.getText();
    const trace = await charlens.charlens.engine.request(charlens.protocol.Trace, { documentId: 'gru-check', text, from: 0, to: 200, neuron });
    assert.equal(trace.activation.length, 200);
    assert.ok(trace.activation.every((v) => v >= -1 && v <= 1) && trace.activation.some((v) => v !== 0), 'h moves within [-1, 1]');
    const hover = await charlens.lens.hover.provideHover(doc, doc.lineAt(3).range.start.translate(0, 2), new vscode.CancellationTokenSource().token);
    assert.ok(hover && charlens.lens.hover.last);
    assert.equal(charlens.lens.hover.last.cells, 16);
    const shown = (hover.contents[0] as vscode.MarkdownString).value;
    assert.match(shown, /layer \d+ cell \d+ h\b/, 'the hover names the cell by what a GRU shows, its h');
    assert.doesNotMatch(shown, /tanh\(c\)/);
  });

  test('Find Cells for Selection and the Model Report work on the GRU: its update and reset gates are reported', async () => {
    const editor = await openFixture('main.c');
    const line = editor.document.lineAt(11);
    editor.selection = new vscode.Selection(11, 0, 11, line.text.length);
    const found = (await vscode.commands.executeCommand('charlens.findCellsForSelection', 0)) as FoundCells;
    assert.ok(found.cells.length > 0);
    const panel = (await vscode.commands.executeCommand('charlens.showModelReport')) as ModelReportPanel;
    const report = panel.lastShown!;
    assert.deepEqual(report.saturation.map((s) => `${s.layer} ${s.gate}`), ['0 update', '0 reset']);
    for (const s of report.saturation) assert.equal(s.left.length, 16);
    panel.dispose();
  });
});
