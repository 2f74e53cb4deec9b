import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Checkpoint } from '../../src/core/model/checkpoint';
import { heldOutBlocks } from '../../src/core/text/batches';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/core/train/options';
import { TrainInput, splitForTraining } from '../../src/core/train/loop';
import { Vocabulary } from '../../src/core/text/vocabulary';

const N = 400_000;
const input = (training?: Record<string, unknown>): TrainInput => ({
  vocabulary: Vocabulary.fromText('ab'),
  ids: Int32Array.from({ length: N }, (_, i) => i),
  corpus: { fingerprint: 'f', files: 2, bytes: N, chars: N },
  fileChars: [N / 2, N / 2],
  resumed: training ? ({ metadata: { training } } as unknown as Checkpoint) : undefined,
});

test('a new run holds out blocks spread over the corpus; a resumed run is cut as its checkpoint was', () => {
  const fresh = splitForTraining(input(), DEFAULT_TRAIN_OPTIONS);
  const blocks = heldOutBlocks(N, { ...DEFAULT_TRAIN_OPTIONS, scheme: 'blocks', fileChars: [N / 2, N / 2] });
  assert.ok(blocks.length > 5 && blocks[0].from < N / 4 && blocks.at(-1)!.to > (3 * N) / 4, 'validation from all over the corpus');
  assert.equal(fresh.val[0], blocks[0].from);
  // Resumed: the checkpoint's own split, whatever this run's options say.
  const resumedBlocks = splitForTraining(input({ ...DEFAULT_TRAIN_OPTIONS, split: 'blocks' }), { ...DEFAULT_TRAIN_OPTIONS, valFrac: 0.2, split: 'tail' });
  assert.deepEqual(Array.from(resumedBlocks.val), Array.from(fresh.val));
  // A checkpoint from before blocks: its tail.
  const old = splitForTraining(input({ valFrac: 0.05, testFrac: 0 }), DEFAULT_TRAIN_OPTIONS);
  assert.equal(old.val[0], N - N * 0.05);
  assert.equal(old.train.length, N * 0.95);
});
