import * as crypto from 'crypto';
import { LruMap } from '../lruMap';
import { Vocabulary } from '../text/vocabulary';
import { LeftOut } from './leftOut';
import type { SuffixNgram } from './suffixNgram';

/** Runs of at least this many characters place a document in the model's text; shorter ones are code any file may share. */
const MIN_RUN = 32;
/** A document is one of the files the model was built from when such runs cover at least this share of it. */
const TRAINING_SHARE = 0.5;
/** Model text between two runs that follow each other in the document and in that text, at most this long, is the file's too: lines edited since. */
const EDITED_GAP = 1024;

/**
 * Memory the views kept may hold together (LeftOut.bytes), checked whenever
 * one is made; the view just made is kept whatever its size. A view holds
 * 50 to 70 bytes per character of its file once read (on the shipped model:
 * 0.5 MB for sqlite's hash.c, 3.4 MB for date.c, 7 MB for 146k characters),
 * so this keeps the views of files of about 500k characters in all.
 */
export const MAX_LEFT_OUT_BYTES = 32 << 20;
/** Files whose place in the model's text is remembered by their text's SHA-256 (a few numbers each). */
const MAX_PLACES = 64;

/**
 * Where the model's text holds the file `ids` is (or was when the model
 * was built), if it is one of its files: the runs of the model's text it
 * repeats, with what lies between two consecutive ones (lines edited since).
 * A file of the model is in its text in up to a few pieces (the held-out
 * blocks are read after the training text), each found on its own.
 */
export function trainingFileStretches(model: SuffixNgram, ids: ArrayLike<number>): Array<{ from: number; to: number }> | undefined {
  const runs = model.textRuns(ids, MIN_RUN);
  const covered = runs.reduce((sum, r) => sum + r.to - r.from, 0);
  if (ids.length === 0 || covered < TRAINING_SHARE * ids.length) return undefined;
  const stretches = runs.map((r) => ({ from: r.from, to: r.to }));
  // The runs come from the document's end back: run k + 1 is before run k in the document.
  for (let k = 0; k + 1 < runs.length; k++) {
    const [later, earlier] = [runs[k], runs[k + 1]];
    const gap = later.from - earlier.to;
    if (gap > 0 && gap <= EDITED_GAP && later.at - (earlier.at + earlier.to - earlier.from) <= EDITED_GAP) stretches.push({ from: earlier.to, to: later.from });
  }
  return stretches;
}

/**
 * The views of one model that leave one of its training files out
 * (LeftOut), made once per file and shared by every document, read and
 * view of it (the overlays, surprise, Surprising Lines): a view is named by
 * the file's place in the model's text, which is all it depends on, so an
 * edit to a document keeps its view, a document opened again (or a second
 * one with the same text) finds its file's place by the text's fingerprint
 * without searching the model again, and a new model has views of its own
 * (one DocumentNgrams per model). Views are dropped least recently used
 * first once they hold more than `maxBytes` together.
 */
export class LeftOutViews {
  /** By place (see fileOf); bounded by bytes, not by count. */
  private readonly views = new LruMap<string, LeftOut>(Infinity);
  private readonly places = new LruMap<string, string | null>(MAX_PLACES);
  /** How many views have been made: each file's once while it is kept. */
  made = 0;

  constructor(
    private readonly model: SuffixNgram,
    private readonly vocabulary: Vocabulary,
    private readonly maxBytes = MAX_LEFT_OUT_BYTES,
  ) {}

  /** Which of the model's files `text` is, edited or not: its place in the model's text, the name of its view; null when it is none of them. */
  fileOf(text: string): string | null {
    return this.places.obtain(crypto.createHash('sha256').update(text).digest('hex'), () => {
      const stretches = trainingFileStretches(this.model, this.vocabulary.encode(text));
      return stretches ? JSON.stringify(stretches.sort((a, b) => a.from - b.from)) : null;
    });
  }

  /** The view leaving out the file at `place` (from fileOf), made unless it is kept. */
  view(place: string): LeftOut {
    const made = this.made;
    const view = this.views.obtain(place, () => {
      this.made++;
      return this.model.leaveOut(JSON.parse(place) as Array<{ from: number; to: number }>);
    });
    if (this.made > made) this.dropBeyondBytes(view);
    return view;
  }

  /** Drops the least recently used views, never `kept`, until those left hold at most maxBytes. */
  private dropBeyondBytes(kept: LeftOut): void {
    let bytes = 0;
    for (const [, v] of this.views) bytes += v.bytes;
    for (const [oldest, v] of this.views) {
      if (bytes <= this.maxBytes || v === kept) break;
      this.views.delete(oldest);
      bytes -= v.bytes;
    }
  }
}
