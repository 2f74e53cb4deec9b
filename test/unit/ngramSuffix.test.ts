import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanNats } from '../../src/core/predict/mixture';
import { buildSuffixArray } from '../../src/core/ngram/suffixArray';
import { NgramModel } from '../../src/core/ngram/kneserNey';
import { BASE_ORDER, DISCOUNT_COUNT, MAX_MATCH, SuffixNgram, discountIndex } from '../../src/core/ngram/suffixNgram';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { structuredText } from './helpers';

function bruteSuffixArray(s: number[]): number[] {
  const key = (i: number) => s.slice(i);
  return s.map((_, i) => i).sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k] - y[k];
    return x.length - y.length;
  });
}

test('SA-IS sorts the suffixes of random and repetitive texts as brute force does', () => {
  const rng = new Random(5);
  for (const [n, alphabet] of [[1, 1], [2, 2], [15, 3], [40, 2], [300, 4], [500, 30], [700, 1]]) {
    const s = Array.from({ length: n }, () => Math.floor(rng.next() * alphabet));
    assert.deepEqual(Array.from(buildSuffixArray(s, alphabet - 1)), bruteSuffixArray(s), `n ${n}, alphabet ${alphabet}`);
  }
  const periodic = Array.from({ length: 400 }, (_, i) => [0, 1, 0, 2][i % 4]);
  assert.deepEqual(Array.from(buildSuffixArray(periodic, 2)), bruteSuffixArray(periodic));
});

/** The model's smoothing, written out from scratch over occurrence sets found by scanning the text. */
function bruteProbability(text: number[], V: number, d: Float64Array, context: number[], symbol: number, root = baseTable(text, V)): number {
  const disc = (depth: number, c: number) => d[discountIndex(depth, c)];
  // The root: the Kneser-Ney table of short contexts (tested on its own in ngram.test.ts).
  let p = root.probability(context, symbol);
  for (let depth = BASE_ORDER; depth <= Math.min(MAX_MATCH - 1, context.length); depth++) {
    // Every occurrence of the context's last `depth` symbols with a symbol after it: each (symbol before, symbol after) pair once.
    const pairs = new Set<string>();
    for (let i = depth; i < text.length; i++) {
      let ok = true;
      for (let t = 1; t <= depth && ok; t++) ok = text[i - t] === context[context.length - t];
      if (ok) pairs.add(`${i - depth - 1 >= 0 ? text[i - depth - 1] : -1},${text[i]}`);
    }
    const counts = new Map<number, number>();
    for (const pair of pairs) {
      const w = Number(pair.split(',')[1]);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    let backoff = 0;
    counts.forEach((c) => (backoff += disc(depth, c)));
    const c = counts.get(symbol) ?? 0;
    p = (c > 0 ? c - disc(depth, c) : 0) / total + (backoff / total) * p;
  }
  return p;
}

const baseTable = (text: ArrayLike<number>, V: number) => NgramModel.build(text, { order: BASE_ORDER + 1, vocabSize: V, continuationRoot: true });

const vocabulary = Vocabulary.fromText(structuredText(300, 1) + 'xyzXYZ_');
const train = Array.from(vocabulary.encode(structuredText(60, 1)));

test('probabilities match a brute-force count of every matching context, sum to 1, and distribution() agrees', () => {
  const model = SuffixNgram.build(train, { vocabSize: vocabulary.size });
  const heldOut = Array.from(vocabulary.encode(structuredText(10, 2)));
  const contexts = [[], train.slice(0, 1), train.slice(0, 137), heldOut.slice(0, 61), heldOut.slice(0, 200), train.slice(0, 40).concat(Array.from(vocabulary.encode('XYZ')))];
  for (const [n, context] of contexts.entries()) {
    const dist = model.distribution(context);
    let sum = 0;
    for (let w = 0; w < vocabulary.size; w++) {
      const p = model.probability(context, w);
      const expected = bruteProbability(train, vocabulary.size, model.discounts, context, w);
      assert.ok(Math.abs(p - expected) < 1e-9, `context ${n}, symbol ${w}: ${p} vs brute force ${expected}`);
      assert.ok(Math.abs(dist[w] - p) < 1e-6);
      assert.ok(p > 0);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-9, `context ${n}: sums to ${sum}`);
  }
});

test('online reading predicts new identifiers, stays normalised, and equals a model built on all the text, before saving and after', () => {
  const names = ['xy_zz', 'zap_yy', 'yaz_x'];
  let fresh = '';
  for (let i = 0; i < 30; i++) fresh += `  ${names[i % 3]} = ${names[(i + 1) % 3]} + 1;\n`;
  const ids = vocabulary.encode(fresh);
  const model = SuffixNgram.build(train, { vocabSize: vocabulary.size });
  const staticNats = meanNats(model.score(ids));
  const onlineNats = meanNats(model.score(ids, { online: true }));
  assert.ok(onlineNats < 0.5 * staticNats, `online ${onlineNats} vs static ${staticNats}`);
  let sum = 0;
  model.distribution(ids.subarray(0, 100)).forEach((p) => (sum += p));
  assert.ok(Math.abs(sum - 1) < 1e-5);
  // Read online, the text continues the training text: the short-context table counts them as one.
  const all = train.concat(Array.from(ids));
  const root = baseTable(all, vocabulary.size);
  const check = (m: SuffixNgram, when: string) => {
    for (const context of [Array.from(ids.subarray(0, 77)), Array.from(ids.subarray(0, 300)), train.slice(0, 90).concat(Array.from(ids.subarray(0, 20)))]) {
      for (const w of [0, 3, ids[77], ids[300]]) {
        const expected = bruteProbability(all, vocabulary.size, m.discounts, context, w, root);
        assert.ok(Math.abs(m.probability(context, w) - expected) < 1e-9, `${when}: ${m.probability(context, w)} vs brute force ${expected}`);
      }
    }
  };
  check(model, 'read online');
  const loaded = SuffixNgram.fromBuffer(model.toBuffer());
  assert.equal(loaded.entries, all.length);
  check(loaded, 'saved and loaded');
  assert.throws(() => SuffixNgram.fromBuffer(new Uint8Array(12)), /Not a CharLens suffix-array n-gram/);
});

test('fitting the discounts on held-out text lowers its loss', () => {
  const model = SuffixNgram.build(train, { vocabSize: vocabulary.size, discounts: new Array(DISCOUNT_COUNT).fill(0.3) });
  const heldOut = vocabulary.encode(structuredText(20, 3));
  const { before, after } = model.fitDiscounts(heldOut);
  assert.ok(after < before - 0.01, `${before} -> ${after}`);
  assert.ok(Math.abs(meanNats(model.score(heldOut)) - after) < 1e-4);
});
