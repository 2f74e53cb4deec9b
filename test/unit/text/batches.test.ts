import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchStreams, splitIds } from '../../../src/core/text/batches';
import { Vocabulary } from '../../../src/core/text/vocabulary';

test('B streams advance T characters per batch, targets shifted by one', () => {
  const ids = Int32Array.from({ length: 41 }, (_, i) => i);
  const streams = new BatchStreams(ids, 2, 5); // streams of 20: [0..19], [20..39]
  assert.equal(streams.batchesPerEpoch, 4);
  const second = streams.batch(1);
  assert.deepEqual(Array.from(second.x), [5, 6, 7, 8, 9, 25, 26, 27, 28, 29]);
  assert.deepEqual(Array.from(second.y), [6, 7, 8, 9, 10, 26, 27, 28, 29, 30]);
});

test('the split is contiguous and honours the fractions', () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => i);
  const { train, val, test: testPart } = splitIds(ids, 0.1, 0.05);
  assert.deepEqual([train.length, val.length, testPart.length], [85, 10, 5]);
  assert.equal(val[0], 85);
  assert.throws(() => splitIds(ids, 0.6, 0.5), /sum to less than 1/);
});

test('fit shrinks the batch to what a short text allows', () => {
  const ids = new Int32Array(100);
  assert.equal(BatchStreams.fit(ids, 50, 30)?.batchSize, 3);
  assert.equal(BatchStreams.fit(ids, 50, 200), undefined);
});

test('vocabulary keeps characters seen often enough, in code-point order', () => {
  const v = Vocabulary.fromText('bbaac€', 2);
  assert.deepEqual(v.symbols.slice(1), ['a', 'b']);
  assert.equal(v.idOf('c'), 0);
  assert.equal(v.decode(v.encode('abz')), 'ab\uFFFD');
});
