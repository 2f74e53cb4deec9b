/// <reference types="mocha" />
// Issue 14's causal check and the paper's analyses in a real VS Code: the
// neuron view's "Does this cell matter?" measures the shipped model with a
// cell clamped, on the validation split of its corpus, and draws the table.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { NeuronPanel } from '../../../src/extension/panels/neuronPanel';
import { openFixture, until, useShippedModel } from './helpers';

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
    // The shipped model was trained on 5% held out of models/corpus (374,114 characters).
    assert.equal(result.chars, Math.floor(374_114 * 0.05) - 1);
    assert.equal(result.label?.feature, 'insideComment');
    assert.ok(result.featureChars > 1000 && result.featureChars < result.chars);
    assert.deepEqual(result.runs.map((r) => r.clamp), ['none', 'zero', 'mean']);
    // As trained, the LSTM's validation loss is what fitting the mixture measured (1.729 nats/char).
    assert.ok(Math.abs(result.runs[0].bitsPerChar * Math.LN2 - 1.729) < 0.01, `${result.runs[0].bitsPerChar} bits/char`);
    for (const r of result.runs) assert.ok(r.featureBitsPerChar! > 0 && r.otherBitsPerChar! > 0);
    assert.equal(result.completion.texts.length, 3);
    assert.ok(result.completion.prime.endsWith('/*') || result.completion.prime.endsWith('//'), 'the prime ends where a comment opens');
    await until(() => view.clampRows === 3);
    assert.ok(result.ms < 15_000, `${result.ms} ms`);
    view.dispose();
  });
});
