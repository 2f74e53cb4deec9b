import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK_CHARS, BatchStreams, heldOutBlocks, splitIds, spreadSample, storedSplit } from '../../../src/core/text/batches';
import { Vocabulary } from '../../../src/core/text/vocabulary';

test('B streams advance T characters per batch, targets shifted by one', () => {
  const ids = Int32Array.from({ length: 41 }, (_, i) => i);
  const streams = new BatchStreams(ids, 2, 5); // streams of 20: [0..19], [20..39]
  assert.equal(streams.batchesPerEpoch, 4);
  const second = streams.batch(1);
  assert.deepEqual(Array.from(second.x), [5, 6, 7, 8, 9, 25, 26, 27, 28, 29]);
  assert.deepEqual(Array.from(second.y), [6, 7, 8, 9, 10, 26, 27, 28, 29, 30]);
});

test('the tail split (checkpoints from before blocks) is contiguous and honours the fractions', () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => i);
  const { train, val, test: testPart } = splitIds(ids, { valFrac: 0.1, testFrac: 0.05, scheme: 'tail' });
  assert.deepEqual([train.length, val.length, testPart.length], [85, 10, 5]);
  assert.equal(val[0], 85);
  assert.throws(() => splitIds(ids, { valFrac: 0.6, testFrac: 0.5, scheme: 'blocks' }), /sum to less than 1/);
});

test('validation and test are blocks spread over the whole corpus, in the asked shares', () => {
  const n = 4_000_000;
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const blocks = heldOutBlocks(n, { valFrac: 0.05, testFrac: 0.02, scheme: 'blocks' });
  const chars = (part: string) => blocks.filter((b) => b.part === part).reduce((s, b) => s + b.to - b.from, 0);
  assert.ok(Math.abs(chars('val') - 0.05 * n) <= BLOCK_CHARS, `val ${chars('val')}`);
  assert.ok(Math.abs(chars('test') - 0.02 * n) <= BLOCK_CHARS, `test ${chars('test')}`);
  // Spread: held-out text in every tenth of the corpus, none of it at the very start.
  for (let tenth = 0; tenth < 10; tenth++) {
    assert.ok(blocks.some((b) => b.from < ((tenth + 1) * n) / 10 && b.to > (tenth * n) / 10), `nothing held out in tenth ${tenth}`);
  }
  assert.ok(blocks[0].from > 0);
  const { train, val, test: testPart } = splitIds(ids, { valFrac: 0.05, testFrac: 0.02, scheme: 'blocks' });
  assert.equal(train.length + val.length + testPart.length, n);
  // Every id lands in exactly one part, each part in corpus order.
  const seen = new Uint8Array(n);
  for (const part of [train, val, testPart]) for (let i = 0; i < part.length; i++) seen[part[i]]++, assert.ok(i === 0 || part[i] > part[i - 1]);
  assert.ok(seen.every((c) => c === 1));
});

test('blocks end at file ends where one is near, and the same corpus is always cut the same way', () => {
  // 300 files of 10,000 characters: nominal block ends (multiples of 20,000 here) fall on file ends, and odd lengths move them.
  const fileChars = Array.from({ length: 300 }, (_, i) => 9_000 + ((i * 7919) % 2_000));
  const n = fileChars.reduce((s, c) => s + c, 0);
  const ends = new Set<number>();
  fileChars.reduce((at, c) => (ends.add(at + c), at + c), 0);
  const how = { valFrac: 0.05, testFrac: 0, scheme: 'blocks' as const, fileChars };
  const blocks = heldOutBlocks(n, how);
  assert.ok(blocks.length >= 5);
  for (const b of blocks) assert.ok(ends.has(b.to) && (b.from === 0 || ends.has(b.from)), `block [${b.from}, ${b.to}) cuts a file`);
  assert.deepEqual(heldOutBlocks(n, how), blocks);
});

test('a checkpoint is cut as it was trained: blocks when it says so, its tail when it predates blocks', () => {
  const fileChars = [50_000, 50_000];
  assert.equal(storedSplit({ valFrac: 0.1, testFrac: 0, split: 'blocks' }, fileChars).scheme, 'blocks');
  const old = storedSplit({ valFrac: 0.1 }, fileChars);
  assert.deepEqual(heldOutBlocks(100_000, old), [{ from: 90_000, to: 100_000, part: 'val' }]);
  // Too small for a block of each part: the tail.
  assert.deepEqual(heldOutBlocks(300, { valFrac: 0.05, testFrac: 0, scheme: 'blocks' }), [{ from: 285, to: 300, part: 'val' }]);
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

test('a spread sample takes runs from all over the ids and leaves the rest, each id once', () => {
  const ids = Int32Array.from({ length: 1000 }, (_, i) => i);
  const { sample, rest } = spreadSample(ids, 80, 8);
  assert.equal(sample.length, 80);
  assert.deepEqual(Array.from(sample.subarray(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(sample[79], 884);
  assert.deepEqual([...sample, ...rest].sort((a, b) => a - b), Array.from(ids));
  assert.equal(spreadSample(ids, 2000).sample, ids);
});
