/// <reference types="mocha" />
// Issue 14's views in a real VS Code: Show Where Cell Fires lists the chosen
// cell's places with their files and opens one on a click; the explorer's
// labels carry the precision at the cell's top 1%.
import assert from 'node:assert/strict';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FoundCells } from '../../../src/extension/commands/findCellsForSelection';
import type { CellFiringPanel } from '../../../src/extension/panels/cellFiringPanel';
import type { NeuronPanel } from '../../../src/extension/panels/neuronPanel';
import { api, openFixture, until, useShippedModel } from './helpers';

suite('Where cells fire and what they do', function () {
  this.timeout(120_000);
  // The shipped model's layer 1 cell 95 tracks comments (README, "Inside the shipped model").
  const commentCell = { layer: 0, index: 95, kind: 'c' as const };

  suiteSetup(() => useShippedModel(commentCell));

  test('Show Where Cell Fires lists the comment cell\'s places, drawn in the page, and a click opens the file there', async () => {
    const panel = (await vscode.commands.executeCommand('charlens.showWhereCellFires')) as CellFiringPanel;
    await until(() => panel.lastShown !== undefined && panel.drawnSnippets > 0);
    const { result, neuron } = panel.lastShown!;
    assert.deepEqual([neuron.layer, neuron.index], [0, 95]);
    assert.equal(panel.drawnSnippets, result.snippets.length);
    // The 1st percentile's place is within the 10th's snippet here: that text is listed once.
    assert.deepEqual(result.snippets.filter((s) => s.kind === 'quantile').map((s) => s.quantile), [0.99, 0.9, 0.5, 0.1]);
    assert.match(result.label ? `${result.label.feature} ${result.label.precision}` : '', /^insideComment 0\.9\d*/);
    // r < 0: the cell is lowest inside comments, so its lowest places are in comment text.
    const lowest = result.snippets.filter((s) => s.kind === 'lowest');
    assert.equal(lowest.length, 8);
    assert.equal(new Set(lowest.map((s) => s.path)).size, 8, 'the strongest places come from 8 of the sample\'s 11 files, not one');
    for (const s of lowest) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(result.folder, s.path)));
      const line = doc.lineAt(s.line).text;
      assert.equal(line[s.column] ?? '\n', s.chars[s.focus], `${s.path}:${s.line + 1}`);
      assert.ok(/\/\/|\/\*|^\s*\*/.test(doc.getText(new vscode.Range(Math.max(0, s.line - 40), 0, s.line, s.column + 1))), `${s.path}:${s.line + 1} is in or after a comment`);
    }
    const s = lowest[0];
    await panel.open(path.join(result.folder, s.path), s.line, s.column);
    await until(() => vscode.window.activeTextEditor?.document.uri.fsPath === path.join(result.folder, s.path));
    assert.equal(vscode.window.activeTextEditor!.selection.active.line, s.line);

    // The second time the pass is in memory: only the snippets are read again.
    await panel.refresh();
    assert.ok(panel.lastShown!.result.ms < 2000, `${panel.lastShown!.result.ms} ms`);
    panel.dispose();
  });

  test('the explorer\'s labels carry the precision at the cell\'s top 1%', async () => {
    const charlens = await api();
    const result = await charlens.charlens.engine.request(charlens.protocol.ExploreNeurons, { folder: path.join(charlens.charlens.extension.extensionPath, 'models', 'corpus') });
    const best = result.cells[0];
    assert.ok(best.precision !== undefined && best.precision > 0.9, `layer ${best.layer + 1} cell ${best.cell}: ${best.precision}`);
    for (const f of result.features) assert.ok(f.baseRate >= 0 && f.baseRate <= 1);
    // The neuron view's list of labelled cells (as Pick Neuron's) shows it.
    await openFixture('main.c');
    const view = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => view.lastCells.length > 0);
    assert.match(view.lastCells[0].label ?? '', /^inside comment, r = -?0\.\d\d, top-1% precision 0\.9\d$/);
    view.dispose();
  });

  test('Find Cells for Selection ranks comment cells first for a comment, picks one for the overlays, and lists similar places at their files\' lines', async () => {
    const charlens = await api();
    const explored = await charlens.charlens.engine.request(charlens.protocol.ExploreNeurons, { folder: path.join(charlens.charlens.extension.extensionPath, 'models', 'corpus') });
    const commentR = (c: { layer: number; cell: number }) => explored.features.find((f) => f.feature === 'insideComment')!.top.find((t) => t.layer === c.layer && t.cell === c.cell)?.r ?? 0;
    const editor = await openFixture('main.c');
    const line = editor.document.lineAt(11); // "/* Reads the whole stream in chunks and feeds every chunk to the counters. */"
    assert.match(line.text, /^\/\* Reads/);
    editor.selection = new vscode.Selection(11, 0, 11, line.text.length);
    const found = (await vscode.commands.executeCommand('charlens.findCellsForSelection', 0)) as FoundCells;
    assert.equal(found.cells.length, 10);
    const shown = found.cells.slice(0, 5).map((c) => `layer ${c.layer + 1} cell ${c.cell} d ${c.separation.toFixed(2)} r ${commentR(c).toFixed(2)}`).join('; ');
    assert.ok(Math.abs(commentR(found.cells[0])) > 0.6, `the first cell tracks comments: ${shown}`);
    assert.deepEqual([charlens.lens.neuron.current.layer, charlens.lens.neuron.current.index], [found.picked!.layer, found.picked!.cell]);

    const similar = ((await vscode.commands.executeCommand('charlens.findCellsForSelection', 'similar')) as FoundCells).similar!;
    assert.ok(similar.matches.length >= 3, `${similar.matches.length} matches`);
    for (const m of similar.matches.slice(0, 10)) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(similar.folder, m.path)));
      assert.equal(doc.getText(new vscode.Range(new vscode.Position(m.line, m.column), doc.positionAt(doc.offsetAt(new vscode.Position(m.line, m.column)) + m.text.length))), m.text);
    }
    await vscode.commands.executeCommand('charlens.pickNeuron', commentCell);
  });
});
