import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beamSearch } from '../../../src/core/predict/beam';
import { InferenceModel } from '../../../src/core/model/inference';
import { initialWeights } from '../../../src/core/model/lstmInit';
import { lstmBranching } from '../../../src/core/predict/predictor';
import { Random } from '../../../src/core/random';
import { Vocabulary } from '../../../src/core/text/vocabulary';

/** Three symbols (and the unknown one, which is never written): 'a', 'b' and the line end. */
const vocabulary = new Vocabulary(['\uFFFD', 'a', 'b', '\n']);
const config = { vocabSize: vocabulary.size, embeddingSize: 3, hiddenSize: 6, layers: 2, dropout: 0 };
const MAX_CHARS = 4;

function tinyModel(seed: number): InferenceModel {
  const weights = initialWeights(config, new Random(seed));
  // Larger weights: distributions far from uniform, so the lines' probabilities differ clearly.
  for (const a of weights.values()) for (let i = 0; i < a.length; i++) a[i] *= 4;
  return new InferenceModel(config, weights);
}

/** Every line the search can end with, and its probability, by stepping the model one character at a time through each. */
function enumerate(model: InferenceModel): { text: string; p: number; prefixes: number[] }[] {
  const out: { text: string; p: number; prefixes: number[] }[] = [];
  const visit = (text: string, p: number, prefixes: number[]) => {
    const state = model.zeroState();
    for (const ch of text) model.advance(state, vocabulary.idOf(ch));
    const probs = model.probabilities(state);
    if (text.length === MAX_CHARS) {
      out.push({ text, p, prefixes });
      return;
    }
    out.push({ text, p: p * probs[vocabulary.idOf('\n')], prefixes });
    for (const ch of ['a', 'b']) {
      const q = p * probs[vocabulary.idOf(ch)];
      visit(text + ch, q, [...prefixes, q]);
    }
  };
  visit('', 1, []);
  return out.sort((x, y) => y.p - x.p);
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

test('a beam as wide as the tree returns the most probable lines of an exhaustive enumeration, with their probabilities and every prefix\'s', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const model = tinyModel(seed);
    const all = enumerate(model);
    const result = beamSearch(lstmBranching(model, model.zeroState()), vocabulary, { beamWidth: 16, lines: 5, maxChars: MAX_CHARS, multiline: false, floor: 0 });
    assert.equal(result.lines.length, 5);
    result.lines.forEach((line, i) => {
      assert.equal(line.text, all[i].text, `seed ${seed}, line ${i}`);
      assert.ok(close(line.p, all[i].p), `seed ${seed}: ${line.p} vs ${all[i].p}`);
      assert.equal(line.prefixes.length, line.text.length);
      line.prefixes.forEach((p, j) => assert.ok(close(p, all[i].prefixes[j])));
    });
  }
});

test('a narrow beam may miss the best line, but every line it returns has its true probability, most probable first', () => {
  const model = tinyModel(7);
  const truth = new Map(enumerate(model).map((l) => [l.text, l.p]));
  const { lines } = beamSearch(lstmBranching(model, model.zeroState()), vocabulary, { beamWidth: 2, lines: 3, maxChars: MAX_CHARS, multiline: false, floor: 0 });
  assert.ok(lines.length > 0);
  for (const line of lines) assert.ok(close(line.p, truth.get(line.text)!));
  for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1].p >= lines[i].p);
});

test('with a floor, the tree holds exactly the hypotheses of a search with a lower one that are at least that probable, whatever the lines asked', () => {
  const model = tinyModel(3);
  const search = (floor: number, lines = 1) => beamSearch(lstmBranching(model, model.zeroState()), vocabulary, { beamWidth: 3, lines, maxChars: 6, multiline: false, floor }).nodes;
  const key = (nodes: ReturnType<typeof search>, n: number): string => (n <= 0 ? '' : key(nodes, nodes[n].parent) + nodes[n].char);
  const withFloor = search(0.05);
  const lower = search(0.001);
  const held = (nodes: ReturnType<typeof search>) => new Set(nodes.map((node, n) => (n > 0 && node.p >= 0.05 ? key(nodes, n) : '')).filter((k) => k));
  assert.deepEqual(held(withFloor), held(lower));
  // The lines ended do not prune the tree: asking for more of them holds the same hypotheses.
  assert.deepEqual(held(search(0.05, 3)), held(withFloor));
});

test('with minChars 1 the lines are the most probable non-empty ones: the empty line, even where it is the most probable, is no candidate', () => {
  let sawEmptyFirst = false;
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const model = tinyModel(seed);
    const all = enumerate(model);
    sawEmptyFirst ||= all[0].text === '';
    const nonEmpty = all.filter((l) => l.text.length > 0);
    const result = beamSearch(lstmBranching(model, model.zeroState()), vocabulary, { beamWidth: 16, lines: 3, maxChars: MAX_CHARS, multiline: false, floor: 0, minChars: 1 });
    result.lines.forEach((line, i) => {
      assert.equal(line.text, nonEmpty[i].text, `seed ${seed}, line ${i}`);
      assert.ok(close(line.p, nonEmpty[i].p));
    });
  }
  // Else the test would not tell minChars from its absence.
  assert.ok(sawEmptyFirst, 'no seed makes the empty line the most probable');
});
