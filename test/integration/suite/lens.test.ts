/// <reference types="mocha" />
// Seeing inside the model in a real VS Code: the prediction and neuron
// overlays land on the visible range in the right colour buckets, the hover
// shows the values, the read-out follows the cursor, Pick Neuron's fallback,
// the explorer's labelled cells, the neuron view and the dashboard.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ACTIVATION_BUCKETS, PREDICTION_BUCKETS, activationBucket, predictionBucket } from '../../../src/extension/lens/buckets';
import { MAX_ONE_SIDE_SHARE, oneSideShare, sideOf } from '../../../src/extension/lens/cellVariety';
import type { OverlayUpdate } from '../../../src/extension/lens/overlays';
import type { DashboardPanel } from '../../../src/extension/panels/dashboardPanel';
import type { NeuronPanel } from '../../../src/extension/panels/neuronPanel';
import { api, openFixture, until } from './helpers';

/**
 * The first overlay update after `action` that `wanted` accepts: an update
 * already under way for an earlier state (an editor opening, a scroll) may
 * land first, so the test waits for the one it caused, not the next one.
 */
function nextUpdate(charlens: Awaited<ReturnType<typeof api>>, action: () => unknown, wanted: (u: OverlayUpdate) => boolean): Promise<OverlayUpdate> {
  return new Promise((resolve) => {
    const sub = charlens.lens.overlays.onDidUpdate((u) => {
      if (!wanted(u)) return;
      sub.dispose();
      resolve(u);
    });
    void action();
  });
}

const shippedCorpus = (charlens: Awaited<ReturnType<typeof api>>) => path.join(charlens.charlens.extension.extensionPath, 'models', 'corpus');

/** The share of the characters in view that an overlay update's neuron overlay drew on its most common side: blue, plain or red. */
function oneSideInView(editor: vscode.TextEditor, update: OverlayUpdate): number {
  const doc = editor.document;
  const [from, to] = [doc.offsetAt(new vscode.Position(editor.visibleRanges[0].start.line, 0)), doc.offsetAt(editor.visibleRanges[editor.visibleRanges.length - 1].end)];
  const inView = (r: vscode.Range) => Math.max(0, Math.min(to, doc.offsetAt(r.end)) - Math.max(from, doc.offsetAt(r.start)));
  const perSide = { blue: 0, plain: 0, red: 0 };
  update.neuron!.forEach((ranges, bucket) => (perSide[sideOf(bucket)] += ranges.reduce((n, r) => n + inView(r), 0)));
  perSide.plain = to - from - perSide.blue - perSide.red;
  return Math.max(perSide.blue, perSide.plain, perSide.red) / (to - from);
}

suite('Seeing inside the model', function () {
  this.timeout(120_000);

  suiteSetup(async () => {
    const charlens = await api();
    await charlens.charlens.engine.whenReady();
    const shipped = path.join(charlens.charlens.extension.extensionPath, 'models', 'default');
    assert.ok(await vscode.commands.executeCommand('charlens.loadModel', shipped));
    await vscode.commands.executeCommand('charlens.pickNeuron', { layer: 1, index: 5, kind: 'c' });
  });

  test('both overlays colour every visible character, each in the bucket of its value', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    await charlens.lens.overlays.toggle('neuron', true);
    const doc = editor.document;
    const update = await nextUpdate(charlens, () => charlens.lens.overlays.toggle('prediction', true), (u) => u.documentId === doc.uri.toString() && !!u.prediction && !!u.neuron);
    const visible = editor.visibleRanges[0];
    assert.ok(update.from <= doc.offsetAt(visible.start) && update.to >= doc.offsetAt(visible.end), 'the whole visible range is covered');
    // Every character gets a prediction colour; ranges stay inside what was read.
    const covered = update.prediction!.flat().reduce((n, r) => n + doc.offsetAt(r.end) - doc.offsetAt(r.start), 0);
    assert.equal(covered, update.to - update.from);
    for (const r of update.neuron!.flat()) assert.ok(doc.offsetAt(r.start) >= update.from && doc.offsetAt(r.end) <= update.to);
    // The buckets agree with the engine's values for those characters.
    const text = doc.getText(new vscode.Range(doc.positionAt(0), doc.positionAt(update.to)));
    const values = await charlens.charlens.engine.request(charlens.protocol.Trace, { documentId: 'check', text, from: update.from, to: update.to, neuron: { layer: 1, index: 5, kind: 'c' } });
    update.prediction!.forEach((ranges, bucket) => {
      for (const r of ranges) {
        const i = doc.offsetAt(r.start) - update.from;
        assert.equal(predictionBucket(values.probability[i]), bucket, `offset ${i}`);
      }
    });
    update.neuron!.forEach((ranges, bucket) => {
      for (const r of ranges) assert.equal(activationBucket(values.activation[doc.offsetAt(r.start) - update.from]), bucket);
    });
    assert.ok(update.prediction!.filter((b) => b.length > 0).length >= 3, 'a trained model spreads over several buckets');
  });

  test("the overlays' colour keys are status bar items, named and coloured with the overlays' theme colours, shown while an overlay is on", async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    const { legend } = charlens.lens.overlays;
    await nextUpdate(charlens, () => charlens.lens.overlays.refresh(), (u) => u.documentId === editor.document.uri.toString() && !!u.prediction && !!u.neuron);
    const { prediction, neuron } = legend.shown;
    assert.ok(prediction && neuron, 'both keys are shown');
    assert.match(prediction.text, /p\(char\)/);
    assert.match(prediction.tooltip, /Prediction overlay/);
    assert.match(neuron.text, /layer 2 cell 5\b/);
    assert.match(neuron.tooltip, /layer 2 cell 5 tanh\(c\)/);
    // Each chip in the hover is drawn in its overlay's theme colour, named as the workbench's CSS names it.
    for (const b of PREDICTION_BUCKETS) assert.ok(prediction.tooltip.includes(`color:var(--vscode-${b.color.replace(/\./g, '-')});">**${b.label.replace('<', '&lt;').replace('>', '&gt;')}**`), b.color);
    for (const b of ACTIVATION_BUCKETS) assert.ok(neuron.tooltip.includes(`background-color:var(--vscode-${b.color.replace(/\./g, '-')});">&nbsp;${b.label}&nbsp;`), b.color);
    await charlens.lens.overlays.toggle('prediction', false);
    assert.equal(legend.shown.prediction, undefined);
    assert.ok(legend.shown.neuron, 'the neuron overlay is still on');
    await charlens.lens.overlays.toggle('prediction', true);
    assert.ok(legend.shown.prediction);
  });

  test('a one-character edit redraws the overlays for the new text', async () => {
    const charlens = await api();
    const fixture = await openFixture('main.c');
    // An untitled copy, so that nothing can write the edit into the fixture.
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: fixture.document.getText() });
    const editor = await vscode.window.showTextDocument(doc);
    await until(() => charlens.lens.overlays.last?.documentId === doc.uri.toString());
    const before = charlens.lens.overlays.last!;
    const update = await nextUpdate(charlens, () => editor.edit((b) => b.insert(new vscode.Position(3, 0), 'x')), (u) => u.documentId === doc.uri.toString() && u.version > before.version);
    assert.equal(update.version, doc.version);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('the hover shows the cell, its rank, the top 5 guesses and the actual next character', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    const doc = editor.document;
    const line = doc.lineAt([...Array(doc.lineCount).keys()].find((i) => doc.lineAt(i).text.length > 10)!);
    const hover = await charlens.lens.hover.provideHover(editor.document, line.range.start.translate(0, 2), new vscode.CancellationTokenSource().token);
    assert.ok(hover);
    const r = charlens.lens.hover.last!;
    assert.equal(r.guesses.length, 5);
    assert.ok(r.activation >= -1 && r.activation <= 1);
    assert.ok(r.rank >= 1 && r.rank <= r.cells && r.cells === 256);
    assert.equal(r.next?.char, line.text[3]);
    const md = (hover.contents[0] as vscode.MarkdownString).value;
    assert.match(md, /layer 2 cell 5 tanh\(c\)/);
    assert.match(md, /rank \d+ of 256/);
    assert.match(md, /Next character, top 5/);
    assert.match(md, /Actual next/);
  });

  test('the next-character read-out follows the cursor', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    editor.selection = new vscode.Selection(3, 0, 3, 0);
    await charlens.lens.readout.toggle(true);
    await until(() => charlens.lens.readout.lastText !== undefined);
    assert.match(charlens.lens.readout.lastText ?? '', /^next: (\S+ \d+(\.\d)?%\s*){3}$/);
    await charlens.lens.readout.toggle(false);
  });

  test('a neuron outside the model falls back, with a message, to a labelled cell that varies on the text in view', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    await vscode.commands.executeCommand('charlens.pickNeuron', { layer: 0, index: 999, kind: 'c' });
    await until(() => charlens.charlens.notify.recent.some((n) => /cell 999 does not exist/.test(n.message)));
    // It falls back to the cell preselected as when nothing was chosen: one the explorer labelled.
    await until(() => charlens.lens.neuron.current.index !== 999);
    const current = charlens.lens.neuron.current;
    const labelled = (await charlens.charlens.engine.request(charlens.protocol.ExploreNeurons, { folder: shippedCorpus(charlens) })).cells;
    assert.ok(labelled.some((c) => c.layer === current.layer && c.cell === current.index), `${current.layer}/${current.index}`);
    assert.match(current.label ?? '', /r = /);
    const update = await nextUpdate(charlens, () => charlens.lens.overlays.refresh(), (u) => u.documentId === editor.document.uri.toString() && u.cell.index === current.index && !!u.neuron);
    assert.ok(oneSideInView(editor, update) <= MAX_ONE_SIDE_SHARE, `${oneSideInView(editor, update)} of the view on one side`);
  });

  test('where the strongest labelled cell paints the view one colour, the overlay starts on the next one that varies there', async () => {
    const charlens = await api();
    const labelled = (await charlens.charlens.engine.request(charlens.protocol.ExploreNeurons, { folder: shippedCorpus(charlens) })).cells;
    // The shipped model's strongest cell tracks comments (README, Inside the shipped model): a view all inside one
    // comment holds it at one value, as a "{ } depth" cell sits at +1 all through a function.
    const words = fs.readFileSync(path.join(charlens.charlens.extension.extensionPath, 'README.md'), 'utf8').split(/\s+/).filter((w) => /^[a-z]+$/.test(w));
    const lines = Array.from({ length: 60 }, (_, k) => ` * ${words.slice(k * 10, k * 10 + 10).join(' ')}\n`);
    const code = `/*\n${lines.join('')} */\n`;
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: code });
    const editor = await vscode.window.showTextDocument(doc);
    const view = { from: 0, to: doc.offsetAt(editor.visibleRanges[0].end) };
    const strongest = { layer: labelled[0].layer, index: labelled[0].cell, kind: 'c' as const };
    const [histogram] = (await charlens.charlens.engine.request(charlens.protocol.ActivationHistograms, { documentId: 'check', text: code, ...view, neurons: [strongest] })).histograms;
    assert.ok(oneSideShare(histogram) > MAX_ONE_SIDE_SHARE, `the premise: layer ${strongest.layer + 1} cell ${strongest.index} is flat here (${oneSideShare(histogram)})`);
    await charlens.lens.neuron.fallBack();
    const current = charlens.lens.neuron.current;
    assert.notDeepEqual([current.layer, current.index], [strongest.layer, strongest.index]);
    assert.ok(labelled.some((c) => c.layer === current.layer && c.cell === current.index));
    const update = await nextUpdate(charlens, () => charlens.lens.overlays.refresh(), (u) => u.documentId === doc.uri.toString() && u.cell.index === current.index && !!u.neuron);
    assert.ok(oneSideInView(editor, update) <= MAX_ONE_SIDE_SHARE, `${oneSideInView(editor, update)} of the view on one side`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('charlens.pickNeuron', { layer: 1, index: 5, kind: 'c' });
  });

  test('the explorer labels cells of the shipped model, from its cache', async () => {
    const charlens = await api();
    const corpus = path.join(charlens.charlens.extension.extensionPath, 'models', 'corpus');
    const result = await charlens.charlens.engine.request(charlens.protocol.ExploreNeurons, { folder: corpus });
    assert.ok(result.cells.length > 0);
    assert.ok(Math.abs(result.cells[0].r) > 0.5, `strongest cell r = ${result.cells[0].r}`);
    assert.ok(result.fromCache, 'the shipped model carries its explorer cache');
  });

  test('the neuron view shows the visible text for the chosen cell, and the dashboard draws the last run', async () => {
    const charlens = await api();
    await openFixture('main.c');
    const view = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => view.lastShown !== undefined && view.delivered);
    assert.ok(view.lastShown!.chars > 100, `${view.lastShown!.chars} characters shown`);
    assert.equal(view.lastShown!.neuron.index, charlens.lens.neuron.current.index);
    assert.ok(view.lastCells.length > 0 && view.lastCells[0].label?.includes('inside comment'), 'the shipped model is explored on its own corpus');
    // The view's next-cell button, with the view focused (so no text editor is active): the editor's overlay follows.
    await charlens.lens.overlays.toggle('neuron', true);
    const before = view.lastShown!.neuron;
    const moved = nextUpdate(charlens, () => view.step(1), (u) => u.cell.index !== before.index || u.cell.layer !== before.layer);
    assert.equal(vscode.window.activeTextEditor, undefined, 'the neuron view has the focus');
    const update = await moved;
    await until(() => view.lastShown!.neuron.index !== before.index || view.lastShown!.neuron.layer !== before.layer);
    assert.deepEqual({ ...update.cell }, { ...view.lastShown!.neuron }, 'the overlay and the view show the same cell');
    assert.deepEqual({ ...charlens.lens.neuron.current }, { ...update.cell });
    view.dispose();
    const history = charlens.charlens.history;
    assert.ok(history.points.length > 0, `the earlier training runs left a loss curve (${history.points.length} points, ${history.samples.length} samples)`);
    const dashboard = (await vscode.commands.executeCommand('charlens.showDashboard')) as DashboardPanel;
    await until(() => (dashboard.drawn?.points ?? 0) > 0);
    assert.equal(dashboard.drawn!.points, charlens.charlens.history.points.length);
    dashboard.dispose();
    await charlens.lens.overlays.toggle('prediction', false);
    await charlens.lens.overlays.toggle('neuron', false);
  });

  test('closing the neuron view while its refresh waits on the engine ends the refresh quietly', async () => {
    await openFixture('main.c');
    const view = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => view.lastShown !== undefined && view.delivered);
    view.delivered = false;
    // The refresh asks the engine for the view's text; the panel closes before the answer comes.
    const refreshing = view.refresh();
    view.panel.dispose();
    await refreshing;
    assert.equal(view.delivered, false, 'nothing was shown in the closed panel');
  });

  test('CharLens panels open in one column beside the editor: the first adds it, later ones stack there, an open one is revealed', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllGroups');
    const editor = await openFixture('main.c');
    const columns = () => vscode.window.tabGroups.all.length;
    assert.equal(columns(), 1);
    const dashboard = (await vscode.commands.executeCommand('charlens.showDashboard')) as DashboardPanel;
    // The extension host hears of a new panel's column after it is created.
    await until(() => dashboard.panel.viewColumn !== undefined);
    assert.equal(dashboard.panel.viewColumn, vscode.ViewColumn.Two, 'beside the editor');
    // With the dashboard focused, "beside" it would be a third column.
    dashboard.panel.reveal(undefined, false);
    await until(() => dashboard.panel.active);
    const view = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => view.panel.viewColumn !== undefined);
    assert.equal(view.panel.viewColumn, vscode.ViewColumn.Two, 'in the column of the open dashboard');
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    assert.equal(await vscode.commands.executeCommand('charlens.showDashboard'), dashboard, 'the open dashboard is revealed');
    assert.equal(dashboard.panel.viewColumn, vscode.ViewColumn.Two);
    assert.equal(columns(), 2, 'no column was added');
    view.dispose();
    // With the editor now in the panels' column, the next panel goes beside it, not over it.
    const moved = await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.Two);
    const beside = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => beside.panel.viewColumn !== undefined);
    assert.notEqual(beside.panel.viewColumn, moved.viewColumn, 'not over the active editor');
    beside.dispose();
    dashboard.dispose();
  });
});
