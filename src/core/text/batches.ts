/**
 * char-rnn batching: the text is cut into B contiguous streams read side by
 * side, T characters at a time (truncated BPTT). Batch k of an epoch holds
 * characters [k*T, (k+1)*T) of every stream, so the LSTM state at the end
 * of one batch is the right initial state for the next.
 */
export interface Batch {
  batchSize: number;
  seqLength: number;
  /** [B*T] inputs, row-major by stream. */
  x: Int32Array;
  /** [B*T] targets: the character after each input. */
  y: Int32Array;
}

export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/** The share of the corpus held out for validation and for test unless asked otherwise. */
export const DEFAULT_SPLIT = { valFrac: 0.05, testFrac: 0 } as const;

/**
 * How the corpus is cut. 'blocks' holds out blocks spread over the whole
 * corpus, so validation sees every part of a workspace and not just the
 * files that sort last (in Linux's crypto/, the last files are hex test
 * vectors); 'tail' is the contiguous end, which checkpoints from before
 * blocks were cut by. Stored with the checkpoint (training.split).
 */
export type SplitScheme = 'blocks' | 'tail';

export interface SplitOptions {
  valFrac: number;
  testFrac: number;
  scheme: SplitScheme;
  /** Characters of each file in corpus order: a block ends at a file's end where one is near. */
  fileChars?: readonly number[];
}

/** A held-out range of the corpus's ids, [from, to). */
export interface HeldOutBlock {
  from: number;
  to: number;
  part: 'val' | 'test';
}

/** Blocks are this long (fewer characters in a small corpus, so that it still has MIN_BLOCKS of them). */
export const BLOCK_CHARS = 65_536;
const MIN_BLOCKS = 200;
const MIN_BLOCK_CHARS = 64;

/**
 * How a checkpoint's corpus was cut, from its stored training options: its
 * fractions (the defaults where absent) and scheme ('tail' for checkpoints
 * from before blocks).
 */
export function storedSplit(training: Record<string, unknown> | undefined, fileChars: readonly number[]): SplitOptions {
  const fraction = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
  return {
    valFrac: fraction(training?.valFrac, DEFAULT_SPLIT.valFrac),
    testFrac: fraction(training?.testFrac, DEFAULT_SPLIT.testFrac),
    scheme: training?.split === 'blocks' ? 'blocks' : 'tail',
    fileChars,
  };
}

/**
 * The held-out blocks of a corpus of `n` ids, in order. Deterministic in n,
 * the fractions and the file lengths, so a resume and the views cut what
 * training cut. A corpus too small for a block of each asked part is cut
 * at its tail instead.
 */
export function heldOutBlocks(n: number, o: SplitOptions): HeldOutBlock[] {
  const { valFrac, testFrac } = o;
  if (!(valFrac >= 0 && testFrac >= 0 && valFrac + testFrac < 1)) {
    throw new Error(`val-frac (${valFrac}) and test-frac (${testFrac}) must be >= 0 and sum to less than 1`);
  }
  if (o.scheme === 'blocks') {
    const blocks = spreadBlocks(n, o);
    const has = (part: HeldOutBlock['part']) => blocks.some((b) => b.part === part);
    if ((valFrac === 0 || has('val')) && (testFrac === 0 || has('test'))) return blocks;
  }
  const nTest = Math.floor(n * testFrac);
  const nVal = Math.floor(n * valFrac);
  const nTrain = n - nVal - nTest;
  const tail: HeldOutBlock[] = [
    { from: nTrain, to: nTrain + nVal, part: 'val' },
    { from: nTrain + nVal, to: n, part: 'test' },
  ];
  return tail.filter((b) => b.to > b.from);
}

function spreadBlocks(n: number, o: SplitOptions): HeldOutBlock[] {
  const held = o.valFrac + o.testFrac;
  if (held === 0 || n === 0) return [];
  const blockChars = Math.min(BLOCK_CHARS, Math.max(MIN_BLOCK_CHARS, Math.floor(n / MIN_BLOCKS)));
  const bounds = blockBounds(n, blockChars, fileEnds(o.fileChars));
  const testShare = o.testFrac / held;
  const out: HeldOutBlock[] = [];
  // Bresenham's spread: every 1/held-th block is held out, the first one mid-way into the first 1/held blocks; of those, every 1/testShare-th is test.
  const crosses = (k: number, rate: number) => Math.floor((k + 1) * rate + 0.5) > Math.floor(k * rate + 0.5);
  for (let i = 0, j = 0; i + 1 < bounds.length; i++) {
    if (!crosses(i, held)) continue;
    out.push({ from: bounds[i], to: bounds[i + 1], part: crosses(j++, testShare) ? 'test' : 'val' });
  }
  return out;
}

function fileEnds(fileChars: readonly number[] | undefined): number[] {
  let at = 0;
  return (fileChars ?? []).map((c) => (at += c));
}

/**
 * Block boundaries every `blockChars`, each moved to the nearest file end
 * within half a block where there is one (keeping blocks at least half a
 * block long), so held-out text is mostly whole files.
 */
function blockBounds(n: number, blockChars: number, ends: number[]): number[] {
  const bounds = [0];
  const reach = blockChars >> 1;
  let e = 0;
  for (let at = blockChars; at < n; at += blockChars) {
    const floor = Math.max(at - reach, bounds[bounds.length - 1] + reach);
    while (e < ends.length && ends[e] < floor) e++;
    let nearest: number | undefined;
    for (let k = e; k < ends.length && ends[k] <= at + reach; k++) {
      if (nearest === undefined || Math.abs(ends[k] - at) < Math.abs(nearest - at)) nearest = ends[k];
    }
    const cut = nearest ?? at;
    if (cut > bounds[bounds.length - 1] && cut < n) bounds.push(cut);
  }
  bounds.push(n);
  return bounds;
}

/** The corpus's ids cut into train, validation and test by heldOutBlocks; the training part is the rest, joined. */
export function splitIds(ids: Int32Array, o: SplitOptions): Split {
  const blocks = heldOutBlocks(ids.length, o);
  const join = (ranges: Array<{ from: number; to: number }>): Int32Array => {
    if (ranges.length === 1) return ids.subarray(ranges[0].from, ranges[0].to);
    const out = new Int32Array(ranges.reduce((s, r) => s + r.to - r.from, 0));
    let at = 0;
    for (const r of ranges) {
      out.set(ids.subarray(r.from, r.to), at);
      at += r.to - r.from;
    }
    return out;
  };
  return {
    train: join(trainRanges(ids.length, blocks)),
    val: join(blocks.filter((b) => b.part === 'val')),
    test: join(blocks.filter((b) => b.part === 'test')),
  };
}

/** The ranges between held-out blocks: what trains. */
export function trainRanges(n: number, blocks: readonly HeldOutBlock[]): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  let at = 0;
  for (const b of blocks) {
    if (b.from > at) ranges.push({ from: at, to: b.from });
    at = b.to;
  }
  if (n > at) ranges.push({ from: at, to: n });
  return ranges;
}

/**
 * At most `maxChars` of `ids` as `pieces` runs spread evenly over them, and
 * the rest; all of `ids` when it is short enough. Fitting on a spread
 * sample of the validation blocks judges on the whole workspace, not on
 * the first blocks.
 */
export function spreadSample(ids: Int32Array, maxChars: number, pieces = 8): { sample: Int32Array; rest: Int32Array } {
  if (ids.length <= maxChars) return { sample: ids, rest: ids.subarray(ids.length) };
  const run = Math.floor(maxChars / pieces);
  const runs = spreadRuns(ids.length, run, pieces);
  const sample = new Int32Array(run * pieces);
  const rest = new Int32Array(ids.length - sample.length);
  for (const [k, { from, to }] of runs.entries()) {
    const gapEnd = k + 1 < pieces ? runs[k + 1].from : ids.length;
    sample.set(ids.subarray(from, to), k * run);
    rest.set(ids.subarray(to, gapEnd), from - k * run);
  }
  return { sample, rest };
}

/** `pieces` runs of `run` positions spread evenly over [0, length), one a stride after the other (run <= length / pieces). */
export function spreadRuns(length: number, run: number, pieces: number): Array<{ from: number; to: number }> {
  const stride = Math.floor(length / pieces);
  return Array.from({ length: pieces }, (_, k) => ({ from: k * stride, to: k * stride + run }));
}

export class BatchStreams {
  readonly streamLength: number;
  readonly batchesPerEpoch: number;

  constructor(
    private readonly ids: Int32Array,
    readonly batchSize: number,
    readonly seqLength: number,
  ) {
    // Each stream needs one extra character for the last target.
    this.streamLength = Math.floor((ids.length - 1) / batchSize);
    this.batchesPerEpoch = Math.floor(this.streamLength / seqLength);
  }

  /** The largest batch size (<= wanted) that gives at least one batch of T steps. */
  static fit(ids: Int32Array, wantedBatch: number, seqLength: number): BatchStreams | undefined {
    const maxB = Math.floor((ids.length - 1) / seqLength);
    if (maxB < 1) return undefined;
    return new BatchStreams(ids, Math.min(wantedBatch, maxB), seqLength);
  }

  batch(k: number): Batch {
    const { batchSize: B, seqLength: T, streamLength } = this;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = b * streamLength + k * T;
      x.set(this.ids.subarray(start, start + T), b * T);
      y.set(this.ids.subarray(start + 1, start + T + 1), b * T);
    }
    return { batchSize: B, seqLength: T, x, y };
  }
}
