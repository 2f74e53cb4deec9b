/// <reference types="mocha" />
// Why This Prediction in a real VS Code: at the cursor, from the hover's
// link and from a click in the neuron view; the overlay's ranges hold the
// engine's figures, and an edit or Escape's command takes it away.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { NeuronPanel } from '../../../src/extension/panels/neuronPanel';
import type { WhyShown } from '../../../src/extension/lens/whyOverlay';
import { api, openFixture, until, useShippedModel } from './helpers';

const offsetOf = (doc: vscode.TextDocument, r: vscode.Range) => doc.offsetAt(r.start);

/** Every decorated range is one character before the place explained, and the strongest contribution is at the top level of its sign. */
function checkRanges(doc: vscode.TextDocument, shown: WhyShown): void {
  const all = [...shown.raised.flat(), ...shown.lowered.flat()];
  assert.ok(all.length >= 3, `${all.length} characters marked`);
  const byOffset = new Map(shown.result.window.map((c) => [shown.base + c.offset, c]));
  for (const r of all) {
    const c = byOffset.get(offsetOf(doc, r));
    assert.ok(c && offsetOf(doc, r) < shown.offset && doc.offsetAt(r.end) - offsetOf(doc, r) === c.char.length, `a range at ${offsetOf(doc, r)}`);
  }
  shown.raised.forEach((level) => level.forEach((r) => assert.ok(byOffset.get(offsetOf(doc, r))!.nats > 0)));
  shown.lowered.forEach((level) => level.forEach((r) => assert.ok(byOffset.get(offsetOf(doc, r))!.nats < 0)));
  const strongest = shown.result.window.reduce((a, b) => (Math.abs(b.nats) > Math.abs(a.nats) ? b : a));
  const top = (strongest.nats > 0 ? shown.raised : shown.lowered).at(-1)!;
  assert.ok(top.some((r) => offsetOf(doc, r) === shown.base + strongest.offset), 'the strongest is drawn at the top level');
}

suite('Why This Prediction', function () {
  this.timeout(120_000);

  suiteSetup(() => useShippedModel({ layer: 1, index: 5, kind: 'c' }));

  test('at the cursor: the top guess explained by the 500 characters before it, the strongest three listed with their distance', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    const doc = editor.document;
    // Just before the `)` that closes "sizeof buf, in": the model's guess there owes to the call's `(`.
    const offset = doc.getText().indexOf('sizeof buf, in)') + 'sizeof buf, in'.length;
    editor.selection = new vscode.Selection(doc.positionAt(offset), doc.positionAt(offset));
    const shown = (await vscode.commands.executeCommand('charlens.whyThisPrediction')) as WhyShown;
    assert.ok(shown, 'the command returns what it drew');
    assert.equal(shown.offset, offset);
    assert.equal(shown.result.window.length, Math.min(500, offset), 'all of the 500 characters before the cursor (fewer near the start)');
    assert.equal(shown.result.window.at(-1)!.back, 1);
    assert.match(shown.summary, /^why top guess `.` \d+\.\d%: (the `.+` (just before|\d+ characters back), [+-]\d+\.\d+ nats( · )?){3}$/u);
    checkRanges(doc, shown);
    // The figures are the engine's for this text and place.
    const again = await charlens.charlens.engine.request(charlens.protocol.Why, { documentId: 'check', text: doc.getText().slice(shown.base, offset + 2), offset: offset - shown.base, guess: true });
    assert.equal(again.char, shown.result.char);
    again.window.forEach((c, t) => assert.ok(Math.abs(c.nats - shown.result.window[t].nats) < 1e-4, `position ${t}`));
    // Escape's command hides it; so does the next edit.
    await vscode.commands.executeCommand('charlens.hideWhy');
    assert.equal(charlens.lens.why.shown, undefined);
  });

  test("the hover's link explains the hovered character's probability; an edit takes the overlay away", async () => {
    const charlens = await api();
    const fixture = await openFixture('main.c');
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: fixture.document.getText() });
    const editor = await vscode.window.showTextDocument(doc);
    const offset = doc.getText().indexOf('return ferror') + 'return'.length;
    const hover = await charlens.lens.hover.provideHover(doc, doc.positionAt(offset), new vscode.CancellationTokenSource().token);
    const md = (hover!.contents[0] as vscode.MarkdownString).value;
    const link = md.match(/\]\(command:charlens\.whyThisPrediction\?([^ )]+)/);
    assert.ok(link, md);
    const [target] = JSON.parse(decodeURIComponent(link[1]));
    assert.deepEqual(target, { uri: doc.uri.toString(), offset });
    const shown = (await vscode.commands.executeCommand('charlens.whyThisPrediction', target)) as WhyShown;
    assert.equal(shown.result.char, ' ', 'the character hovered, not a guess');
    assert.ok(Math.abs(shown.result.probability - charlens.lens.hover.last!.probability) < 1e-4, 'the probability the hover gave it');
    assert.match(shown.summary, /^why `·` /);
    checkRanges(doc, shown);
    await editor.edit((b) => b.insert(doc.positionAt(0), ' '));
    await until(() => charlens.lens.why.shown === undefined);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('a click on a character in the neuron view explains it, in the editor and on the page', async () => {
    const charlens = await api();
    const editor = await openFixture('main.c');
    const view = (await vscode.commands.executeCommand('charlens.showNeuronView')) as NeuronPanel;
    await until(() => view.lastShown !== undefined && view.delivered);
    const offset = editor.document.getText().indexOf('{', view.lastShown!.from + 10);
    const shown = await view.explain(offset);
    assert.ok(shown && view.lastWhy === shown && charlens.lens.why.shown === shown);
    assert.equal(shown.result.char, '{');
    checkRanges(editor.document, shown);
    view.dispose();
    charlens.lens.why.hide();
  });
});
