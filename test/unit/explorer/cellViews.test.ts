// What the views read of a GRU's or vanilla RNN's units: h, all of their state (an LSTM's views read tanh(c)).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeFeatures } from '../../../src/core/explorer/codeFeatures';
import { clampEffect } from '../../../src/core/explorer/clampEffect';
import { cellsForSelection } from '../../../src/core/explorer/selectionCells';
import { InferenceModel } from '../../../src/core/model/inference';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { ModelConfig } from '../../../src/core/model/modelConfig';
import { Random } from '../../../src/core/random';
import { DocumentTrace, neuronValue } from '../../../src/core/predict/documentTrace';
import { cellRank } from '../../../src/core/predict/modelLens';
import { config, vocabulary } from '../tinyModel';

const text = 'if (a < b) { x = "yes"; } // note\n\tcount = (a + b);\n'.repeat(4);

for (const cell of ['gru', 'rnn'] as const) {
  const shape: ModelConfig = { ...config, hiddenSize: 6, cell };
  const weights = initialWeights(shape, new Random(4));
  for (const a of weights.values()) for (let i = 0; i < a.length; i++) a[i] *= 10;
  const model = new InferenceModel(shape, weights);
  /** Every layer's h after each character of `t` (code points), read plainly. */
  const hs = (t: string) => {
    const state = model.zeroState();
    return Array.from(t, (ch) => model.advance(state, vocabulary.idOf(ch)).h.map((h) => Array.from(h)));
  };

  test(`${cell}: the overlays, hover and cell rank read h for a cell`, () => {
    const neuron = { layer: 1, index: 4, kind: 'c' as const };
    const trace = new DocumentTrace(model, vocabulary, { interval: 16, warmup: 10_000 });
    const slice = trace.trace(text, 0, text.length, neuron);
    const read = hs(text);
    read.forEach((layers, i) => assert.ok(Math.abs(slice.activation[i] - layers[1][4]) < 1e-6, `offset ${i}`));
    assert.ok(read.some((layers) => Math.abs(layers[1][4]) > 0.1), 'h moves');
    const state = model.zeroState();
    for (const ch of text.slice(0, 30)) model.advance(state, vocabulary.idOf(ch));
    assert.equal(neuronValue(cell, state, neuron), state.h[1][4]);
    const above = state.h.flatMap((h) => Array.from(h)).filter((v) => Math.abs(v) > Math.abs(state.h[1][4])).length;
    assert.equal(cellRank(cell, state, neuron).rank, above + 1);
  });

  test(`${cell}: Find Cells for Selection scores h inside the selection against around it`, () => {
    const from = text.indexOf('"yes"') + 1;
    const to = from + 3;
    const cells = cellsForSelection(model, vocabulary, model.zeroState(), text, 0, from, to, 3);
    assert.ok(cells.length > 0);
    const read = hs(text.slice(0, to + 10));
    for (const c of cells) {
      const inside = read.slice(from, to).reduce((s, layers) => s + layers[c.layer][c.cell], 0) / (to - from);
      assert.ok(Math.abs(c.inside - inside) < 1e-5, `layer ${c.layer} cell ${c.cell}: ${c.inside} vs ${inside}`);
    }
  });

  test(`${cell}: clamping holds h at 0 and at its mean`, async () => {
    const effect = await clampEffect(model, vocabulary, { kind: 'sample', text, features: codeFeatures(text) }, { layer: 0, index: 2, meanTanh: 0.5 });
    assert.deepEqual(effect.runs.map((r) => r.c), [undefined, 0, 0.5], 'held in h, not atanh of it');
    assert.notEqual(effect.runs[2].bitsPerChar, effect.runs[0].bitsPerChar, 'holding the unit changes the predictions');
  });
}
