import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SuffixNgram } from '../../../src/core/ngram/suffixNgram';
import { Stretches } from '../../../src/core/ngram/leftOut';
import { Vocabulary } from '../../../src/core/text/vocabulary';
import { structuredText } from '../helpers';

// Three "files": the middle one has identifiers and lines the others never have, so some contexts occur only in it.
const fileA = structuredText(40, 1);
const fileF = `/* only here */\nstatic int zyx_quux(int w) {\n  w = w * 7 + 3; /* unique */\n  return w;\n}\n` + structuredText(25, 2) + `  zyx_quux(total);\n`;
const fileB = structuredText(40, 3) + `  zyx_quux(size);\n`;
const vocabulary = Vocabulary.fromText(fileA + fileF + fileB + 'Q');
const enc = (s: string) => Array.from(vocabulary.encode(s));

/** Every symbol's probability after each context from both models, equal to within float rounding. */
function assertSameModel(view: (context: number[], w: number) => number, viewDist: (context: number[]) => Float32Array, fresh: SuffixNgram, contexts: number[][], what: string): void {
  for (const [n, context] of contexts.entries()) {
    const dist = viewDist(context);
    const freshDist = fresh.distribution(context);
    for (let w = 0; w < vocabulary.size; w++) {
      const expected = fresh.probability(context, w);
      const p = view(context, w);
      assert.ok(Math.abs(p - expected) <= 1e-9 * Math.max(1, expected), `${what}, context ${n}, symbol ${JSON.stringify(vocabulary.symbols[w])}: left out ${p}, fresh ${expected}`);
      assert.ok(Math.abs(dist[w] - freshDist[w]) < 1e-6, `${what}, context ${n}: distributions differ at ${w}`);
    }
  }
}

/** Contexts from each file's text and across the seams, the ones from F occurring nowhere else. */
function contextsOf(...texts: string[]): number[][] {
  const all: number[][] = [];
  for (const t of texts) {
    const ids = enc(t);
    for (const end of [5, 17, 40, 61, 120, ids.length - 3, ids.length]) if (end > 0 && end <= ids.length) all.push(ids.slice(0, end), ids.slice(Math.max(0, end - 300), end));
  }
  return all;
}

test('leaving a file out gives the probabilities of an n-gram built without it, on contexts from it, around it and elsewhere', () => {
  const model = SuffixNgram.build(enc(fileA + fileF + fileB), { vocabSize: vocabulary.size });
  const fresh = SuffixNgram.build(enc(fileA + fileB), { vocabSize: vocabulary.size, discounts: model.discounts });
  const a = enc(fileA).length;
  const leftOut = model.leaveOut([{ from: a, to: a + enc(fileF).length }]);
  assert.equal(leftOut.stretches.chars, enc(fileF).length);
  const only = enc('static int zyx_quux(int w) {\n  w = w * 7');
  const contexts = [...contextsOf(fileF, fileA, fileB), only, enc(fileA.slice(-30) + fileB.slice(0, 30)), enc(fileA.slice(-200) + fileF.slice(0, 40))];
  assertSameModel(
    (c, w) => model.probability(c, w, undefined, leftOut),
    (c) => model.distribution(c, undefined, undefined, leftOut),
    fresh,
    contexts,
    'middle file',
  );
  // Without the view the model still knows the file (completions go on using it): a context only in F predicts what followed there.
  const next = enc(' * 7 + 3')[0];
  assert.ok(model.probability(only.slice(0, -4), next) > 0.5);
  assert.ok(model.probability(only.slice(0, -4), next, undefined, leftOut) < 0.5 * model.probability(only.slice(0, -4), next));
});

test('leave-one-out equals a fresh n-gram for stretches at the text start, at its end, and several close together', () => {
  const text = fileF + fileA + fileB;
  const ids = enc(text);
  const f = enc(fileF).length;
  const cases: Array<{ what: string; ranges: Array<{ from: number; to: number }> }> = [
    { what: 'at the start', ranges: [{ from: 0, to: f }] },
    { what: 'at the end', ranges: [{ from: ids.length - 500, to: ids.length }] },
    // Pieces of one file split by held-out blocks, within a window of each other: the seams' windows overlap.
    { what: 'three close stretches', ranges: [{ from: 300, to: 420 }, { from: 500, to: 650 }, { from: 700, to: 710 }] },
  ];
  const model = SuffixNgram.build(ids, { vocabSize: vocabulary.size });
  for (const { what, ranges } of cases) {
    const kept = ids.filter((_, i) => !ranges.some((r) => i >= r.from && i < r.to));
    const fresh = SuffixNgram.build(kept, { vocabSize: vocabulary.size, discounts: model.discounts });
    const leftOut = model.leaveOut(ranges);
    const seamContexts = ranges.map((r) => kept.slice(Math.max(0, r.from - 150 - ranges.filter((q) => q.to <= r.from).reduce((s, q) => s + q.to - q.from, 0)), r.from + 40));
    assertSameModel(
      (c, w) => model.probability(c, w, undefined, leftOut),
      (c) => model.distribution(c, undefined, undefined, leftOut),
      fresh,
      [...contextsOf(fileF, fileA, fileB), ...seamContexts, kept.slice(0, 60), kept.slice(-80)],
      what,
    );
  }
});

test('textRuns finds where a document repeats the model text, edited or not', () => {
  const model = SuffixNgram.build(enc(fileA + fileF + fileB), { vocabSize: vocabulary.size });
  const a = enc(fileA).length;
  const f = enc(fileF).length;
  const whole = model.textRuns(enc(fileF), 32);
  assert.deepEqual(whole, [{ at: 0, from: a, to: a + f }]);
  // Edited: a line inserted in the middle; the runs around it map to the file's place.
  const lines = fileF.split('\n');
  const edited = [...lines.slice(0, 20), '  brand_new_line(Q);', ...lines.slice(20)].join('\n');
  const runs = model.textRuns(enc(edited), 32);
  assert.ok(runs.length >= 2);
  for (const r of runs) assert.ok(r.from >= a && r.to <= a + f, `run ${JSON.stringify(r)} outside the file's place`);
  const covered = new Stretches(runs).chars;
  assert.ok(covered > 0.9 * f, `covered ${covered} of ${f}`);
});

test('short contexts that occur hundreds of times (big ranges) read the same through two views that share the model counts, each equal to an n-gram built without its file', () => {
  const files = [structuredText(500, 11), fileF, structuredText(500, 12), structuredText(200, 13) + '  zyx_quux(size);\n', structuredText(500, 14)];
  const ids = enc(files.join(''));
  const starts = files.reduce<number[]>((at, f) => [...at, at[at.length - 1] + enc(f).length], [0]);
  const model = SuffixNgram.build(ids, { vocabSize: vocabulary.size });
  const views = [1, 3].map((k) => {
    const range = { from: starts[k], to: starts[k + 1] };
    const fresh = SuffixNgram.build([...ids.slice(0, range.from), ...ids.slice(range.to)], { vocabSize: vocabulary.size, discounts: model.discounts });
    return { k, fresh, leftOut: model.leaveOut([range]) };
  });
  // Also contexts that run from a file left out into the next one: their last characters occur right after it.
  const across = [1, 2, 3, 4].flatMap((k) => [20, 45, 70].map((n) => ids.slice(starts[k] - 30, starts[k] + n)));
  const contexts = [...contextsOf(...files), ...[1, 3].map((k) => ids.slice(starts[k] - 100, starts[k] + 60)), ...across, ids.slice(starts[2] + 3000, starts[2] + 3400)];
  // Each view reads after the other has: the second finds the model's counts of big ranges made for the first.
  for (const { k, fresh, leftOut } of [...views, ...views]) {
    assertSameModel(
      (c, w) => model.probability(c, w, undefined, leftOut),
      (c) => model.distribution(c, undefined, undefined, leftOut),
      fresh,
      contexts,
      `file ${k} left out`,
    );
  }
});
