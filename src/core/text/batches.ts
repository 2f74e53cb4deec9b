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

/** Contiguous split: first train, then validation, then test. */
export function splitIds(ids: Int32Array, valFrac: number, testFrac: number): Split {
  if (!(valFrac >= 0 && testFrac >= 0 && valFrac + testFrac < 1)) {
    throw new Error(`val-frac (${valFrac}) and test-frac (${testFrac}) must be >= 0 and sum to less than 1`);
  }
  const n = ids.length;
  const nTest = Math.floor(n * testFrac);
  const nVal = Math.floor(n * valFrac);
  const nTrain = n - nVal - nTest;
  return {
    train: ids.subarray(0, nTrain),
    val: ids.subarray(nTrain, nTrain + nVal),
    test: ids.subarray(nTrain + nVal),
  };
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
