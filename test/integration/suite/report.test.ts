/// <reference types="mocha" />
// Issue 14's causal check and the paper's analyses in a real VS Code: the
// neuron view's "Does this cell matter?" measures the shipped model with a
// cell clamped, on the validation split of its corpus, and draws the table;
// Show Model Report draws the paper's three figures with their tables; the
// surprise overlay marks lines and Show Surprising Lines ranks them.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelReportPanel } from '../../../src/extension/panels/modelReportPanel';
import type { NeuronPanel } from '../../../src/extension/panels/neuronPanel';
import type { SurprisingLines } from '../../../src/extension/commands/showSurprisingLines';
import { api, openFixture, until, useShippedModel } from './helpers';

suite('Whether cells matter, and the model report', function () {
  this.timeout(120_000);
  // The shipped model's layer 1 cell 95 tracks comments (README, "Inside the shipped model").
  const commentCell = { layer: 0, index: 95, kind: 'c' as const };

  suiteSetup(() => useShippedModel(commentCell));

  test("the neuron view's clamp comparison measures the comment cell on the shipped validation split and draws it", async () => {
    await openFixture('main.c');
    const view = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => view.delivered);
    const result = await view.measureClamp();
    assert.ok(result, 'the engine answered');
    assert.deepEqual([view.lastClamp!.neuron.layer, view.lastClamp!.neuron.index], [0, 95]);
    assert.equal(result.measured, 'validation');
    // The shipped model was trained on 5% held out of models/corpus (374,114 characters); the clamp reads a fixed sample of it.
    assert.equal(result.textChars, Math.floor(374_114 * 0.05));
    // 8 windows of 768 scored characters (core/explorer/clampEffect.ts: CLAMP_WINDOWS, SCORED_CHARS).
    assert.deepEqual([result.windows, result.chars], [8, 8 * 768]);
    assert.ok(view.clampProgress > 0, 'the page was told how far the reading had got');
    assert.equal(result.label?.feature, 'insideComment');
    assert.ok(result.featureChars > 300 && result.featureChars < result.chars);
    assert.deepEqual(result.runs.map((r) => r.clamp), ['none', 'zero', 'mean']);
    // As trained, near the LSTM's loss on the whole split that fitting the mixture measured (1.729 nats/char, 2.494 bits/char).
    assert.ok(Math.abs(result.runs[0].bitsPerChar - 2.494) < 0.25, `${result.runs[0].bitsPerChar} bits/char`);
    for (const r of result.runs) assert.ok(r.featureBitsPerChar! > 0 && r.otherBitsPerChar! > 0);
    assert.equal(result.completion.texts.length, 3);
    assert.ok(result.completion.prime.endsWith('/*') || result.completion.prime.endsWith('//'), 'the prime ends where a comment opens');
    await until(() => view.clampRows === 3);
    // Under the completions the page says where they part and why equal losses can still part.
    const { parting, texts } = result.completion;
    if (parting) {
      assert.ok(view.clampNote.includes(`part at their character ${parting.at + 1}`), view.clampNote);
      for (const c of parting.choices) assert.ok(view.clampNote.includes(`${(c.first.probability * 100).toFixed(1)}%`), view.clampNote);
    }
    const same = result.runs[1].bitsPerChar.toFixed(3) === result.runs[2].bitsPerChar.toFixed(3) && texts[1] !== texts[2];
    assert.equal(view.clampNote.includes('Both clamps cost the same'), same, view.clampNote);
    assert.ok(result.ms < 15_000, `${result.ms} ms`);
    view.dispose();
  });

  test('Show Model Report draws gate saturation, loss by character class and the n-gram error breakdown for the shipped model', async () => {
    const panel = (await vscode.commands.executeCommand('charlens.showModelReport')) as ModelReportPanel;
    const report = panel.lastShown;
    assert.ok(report, 'the engine answered');
    assert.equal(report.measured, 'validation');
    assert.equal(report.chars, Math.floor(374_114 * 0.05) - 1);
    // 2 layers x 3 gates x 128 cells, each fraction in [0, 1] and left + right at most 1.
    assert.deepEqual(report.saturation.map((s) => `${s.layer} ${s.gate}`), ['0 input', '0 forget', '0 output', '1 input', '1 forget', '1 output']);
    for (const s of report.saturation) {
      assert.equal(s.left.length, 128);
      s.left.forEach((l, j) => assert.ok(l >= 0 && s.right[j] >= 0 && l + s.right[j] <= 1 + 1e-9));
    }
    assert.equal(report.classes.reduce((n, c) => n + c.chars, 0), report.chars);
    // The shipped corpus is C with long comments: more comment characters than any other class.
    const byChars = [...report.classes].sort((a, b) => b.chars - a.chars);
    assert.equal(byChars[0].charClass, 'comment');
    assert.ok(report.classes.find((c) => c.charClass === 'whitespace')!.bitsPerChar < report.bitsPerChar, 'whitespace is easier than the average character');
    const ngram = report.ngram!;
    assert.deepEqual(ngram.map((g) => g.order), [1, 2, 3, 5, 8]);
    assert.ok(ngram[0].errorRate > ngram[ngram.length - 1].errorRate, 'a longer n-gram context makes fewer errors');
    assert.ok(ngram[0].fixedByLstm > ngram[ngram.length - 1].fixedByLstm, "the LSTM fixes more of the short n-gram's errors");
    // Three scatters and two bar charts; a table row per layer and gate, class, and order, with their headers.
    await until(() => panel.drawn.figures === 5);
    assert.equal(panel.drawn.rows, 1 + 6 + 1 + report.classes.filter((c) => c.chars > 0).length + 1 + 5);
    assert.ok(report.ms < 20_000, `${report.ms} ms`);
    panel.dispose();
  });

  test('the surprise overlay scores the visible lines and Show Surprising Lines ranks the file the same way and reveals the top one', async () => {
    const { lens } = await api();
    const editor = await openFixture('stats.c');
    await vscode.commands.executeCommand('charlens.toggleSurpriseOverlay', true);
    await until(() => lens.surprise.last?.documentId === editor.document.uri.toString());
    const shown = lens.surprise.last!;
    // The shipped model's validation loss, 1.739 nats/char, in bits: the bands are multiples of it.
    assert.ok(Math.abs(shown.reference - 1.739 / Math.LN2) < 0.01, `${shown.reference}`);
    assert.ok(shown.lines.length > 10);
    for (const l of shown.lines) assert.ok(Number.isFinite(l.bitsPerChar) && l.bitsPerChar >= 0 && editor.document.lineAt(l.line).text.length > 0 === l.chars > 0);
    for (const line of shown.marked.flat()) assert.ok(shown.lines.find((l) => l.line === line)!.bitsPerChar >= 1.5 * shown.reference);
    assert.equal(shown.fileLeftOut, false, 'stats.c is none of the files the n-gram was built from');

    const ranked = (await vscode.commands.executeCommand('charlens.showSurprisingLines', 0)) as SurprisingLines;
    const nonBlank = Array.from({ length: editor.document.lineCount }, (_, i) => editor.document.lineAt(i).text).filter((t) => t.length > 0).length;
    assert.equal(ranked.scored, nonBlank);
    for (let k = 1; k < ranked.lines.length; k++) assert.ok(ranked.lines[k - 1].bitsPerChar >= ranked.lines[k].bitsPerChar);
    // Both read the file from its start: the same line has the same figure.
    for (const l of shown.lines) {
      const same = ranked.lines.find((r) => r.line === l.line);
      if (same) assert.ok(Math.abs(same.bitsPerChar - l.bitsPerChar) < 1e-6, `line ${l.line + 1}`);
    }
    assert.equal(ranked.fileLeftOut, false);
    await until(() => vscode.window.activeTextEditor?.selection.active.line === ranked.lines[0].line);
    await vscode.commands.executeCommand('charlens.toggleSurpriseOverlay', false);
  });

  test('a file of the corpus the n-gram was built from is read with it left out, and the legend, the hover and the list say so', async () => {
    const { lens, charlens } = await api();
    // sqlite's hash.c is in the shipped model's corpus; an untitled copy of it is found by its text.
    const text = fs.readFileSync(path.join(charlens.extension.extensionPath, 'models', 'corpus', 'sqlite', 'hash.c'), 'utf8');
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: text });
    await vscode.window.showTextDocument(doc);
    await lens.overlays.toggle('prediction', true);
    await until(() => lens.overlays.last?.documentId === doc.uri.toString());
    assert.match(lens.overlays.last!.answering, /, this file left out of the n-gram$/);
    await vscode.commands.executeCommand('charlens.toggleSurpriseOverlay', true);
    await until(() => lens.surprise.last?.documentId === doc.uri.toString());
    assert.equal(lens.surprise.last!.fileLeftOut, true);
    const ranked = (await vscode.commands.executeCommand('charlens.showSurprisingLines', 0)) as SurprisingLines;
    assert.equal(ranked.fileLeftOut, true);
    // Left out, the file's lines are not all near-certain: the top one costs bits, not the hundredths recalled text costs.
    assert.ok(ranked.lines[0].bitsPerChar > 2, `${ranked.lines[0].bitsPerChar} bits/char`);
    await lens.overlays.toggle('prediction', false);
    await vscode.commands.executeCommand('charlens.toggleSurpriseOverlay', false);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('turned on where no line in view is surprising, the surprise overlay says so instead of showing nothing', async () => {
    const { lens, charlens } = await api();
    // A view of blank lines: nothing to be surprised by.
    // Named, not Untitled-N: opened with content right after the hash.c copy was reverted and closed, Untitled-1 came back with that copy's text.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'untitled', path: `/blank-${Date.now()}.c` }));
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), '\n'.repeat(40)));
    assert.equal(doc.getText(), '\n'.repeat(40));
    await vscode.commands.executeCommand('charlens.toggleSurpriseOverlay', true);
    await until(() => lens.surprise.last?.documentId === doc.uri.toString());
    assert.deepEqual(lens.surprise.last!.marked.flat(), [], 'nothing marked');
    assert.match(charlens.notify.recent.at(-1)!.message, /^no line in view is surprising: none reaches 1\.5 times the model's mean of [0-9.]+ bits\/char/);
    await vscode.commands.executeCommand('charlens.toggleSurpriseOverlay', false);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
