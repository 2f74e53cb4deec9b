// The histograms the preselection of a cell reads: one pass over a range
// counts, for each cell asked about, where its activation falls after each
// character, the same values the neuron view's Detail reads one by one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceModel } from '../../../src/core/model/inference';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { neuronValue } from '../../../src/core/predict/documentTrace';
import { ACTIVATION_BINS, activationHistograms } from '../../../src/core/predict/modelLens';
import { Random } from '../../../src/core/random';
import { Vocabulary } from '../../../src/core/text/vocabulary';
import { useWasm } from '../helpers';

test('activation histograms count each character of the range once per cell, in the bin of its activation', async () => {
  await useWasm();
  const text = 'int main(void) {\n  return "a" + 1; /* done */\n}\n';
  const vocabulary = Vocabulary.fromText(text);
  const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 2, dropout: 0 };
  const model = new InferenceModel(config, initialWeights(config, new Random(4)));
  const neurons = [{ layer: 0, index: 3, kind: 'c' as const }, { layer: 1, index: 7, kind: 'h' as const }];
  const [from, to] = [5, 40];
  const start = model.zeroState();
  for (const ch of text.slice(0, from)) model.advance(start, vocabulary.idOf(ch));
  const histograms = activationHistograms(model, vocabulary, model.cloneState(start), text, from, to, neurons);
  // One character at a time, as Detail reads them.
  const expected = neurons.map(() => new Array<number>(ACTIVATION_BINS).fill(0));
  for (const ch of text.slice(from, to)) {
    model.advance(start, vocabulary.idOf(ch));
    neurons.forEach((n, k) => expected[k][Math.min(ACTIVATION_BINS - 1, Math.floor(((neuronValue(model.cell, start, n) + 1) / 2) * ACTIVATION_BINS))]++);
  }
  assert.deepEqual(histograms, expected);
  for (const h of histograms) assert.equal(h.reduce((a, b) => a + b, 0), to - from);
  assert.ok(histograms.some((h) => h.filter((n) => n > 0).length > 1), 'a random model spreads some cell over several bins');
});
