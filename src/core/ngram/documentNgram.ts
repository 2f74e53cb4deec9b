import { LruMap } from '../lruMap';
import { Vocabulary } from '../text/vocabulary';
import { CharNgram, NgramReader } from './charNgram';
import { RecentIndex } from './recentIndex';
import { SideText, SuffixNgram } from './suffixNgram';
import { LeftOut } from './leftOut';
import { LeftOutViews } from './leftOutViews';

/**
 * Online learning in the editor: the workspace n-gram also searches the
 * text of the document at hand before the cursor (a cache model, as in Tu
 * et al. 2014), so an identifier defined above is completed below, while
 * the model itself, and so the saved file, never changes.
 *
 * What a document has been read is always exactly a stretch of its current
 * text: each request compares it with the text sent, unreads everything
 * from the first difference on (RecentIndex.truncate) and reads the rest.
 * So typing costs one character, an edit above the cursor re-reads from the
 * edit, and nothing is counted twice. Bounded: the last MAX_DOCUMENT_CHARS
 * characters of each of the MAX_DOCUMENTS most recently used documents
 * (7 bytes per character and 256 KB of hash heads each).
 */
export const MAX_DOCUMENT_CHARS = 1 << 16;
const MAX_DOCUMENTS = 16;
const DOCUMENT_HASH_BITS = 16;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** What the n-gram has read of one document: `read`, the document's text from UTF-16 offset `start`, as ids. */
class ReadDocument implements SideText {
  ids = new Uint16Array(1024);
  readonly index = new RecentIndex(0, DOCUMENT_HASH_BITS);
  private start = 0;
  private read = '';
  /** Whether `read` has a character outside the BMP, so that UTF-16 units and ids differ in number. */
  private astral = false;
  /** Its file's place in the model's text (LeftOutViews.fileOf), once asked for (null: it is none of the model's files). */
  file?: string | null;

  constructor(private readonly vocabulary: Vocabulary) {}

  get length(): number {
    return this.index.filed;
  }

  /** Makes what is read text[start..end), re-reading from the first difference with what was read before. */
  readUpTo(text: string, end: number): void {
    if (end < this.start || end - this.start > MAX_DOCUMENT_CHARS) {
      // Keep half the window free, so the window moves every MAX_DOCUMENT_CHARS / 2 characters, not each one.
      let start = Math.max(0, end - MAX_DOCUMENT_CHARS / 2);
      if (start > 0 && isHighSurrogate(text.charCodeAt(start - 1))) start++;
      this.unreadFrom(0);
      this.start = start;
    }
    let keep = commonPrefix(this.read, text, this.start, end - this.start);
    if (keep > 0 && keep < this.read.length && isHighSurrogate(this.read.charCodeAt(keep - 1))) keep--;
    this.unreadFrom(keep);
    this.append(text.slice(this.start + keep, end));
  }

  /** Reads `more`, the document's text right after what was read. */
  append(more: string): void {
    if (more.length === 0) return;
    const ids = this.vocabulary.encode(more);
    let n = this.length;
    if (n + ids.length > this.ids.length) {
      const grown = new Uint16Array(Math.max(2 * this.ids.length, n + ids.length));
      grown.set(this.ids.subarray(0, n));
      this.ids = grown;
    }
    for (const id of ids) {
      this.ids[n] = id;
      this.index.add(this.ids, n++);
    }
    this.read += more;
    this.astral ||= ids.length !== more.length;
  }

  /** Unreads read[keep..). */
  private unreadFrom(keep: number): void {
    if (keep >= this.read.length) return;
    this.index.truncate(this.ids, this.astral ? Array.from(this.read.slice(0, keep)).length : keep);
    this.read = this.read.slice(0, keep);
  }
}

/** The length of the longest common prefix of `read` and text[from..from + max), by binary search on native comparisons. */
function commonPrefix(read: string, text: string, from: number, max: number): number {
  const n = Math.min(read.length, max);
  if (text.startsWith(n === read.length ? read : read.slice(0, n), from)) return n;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (text.startsWith(read.slice(0, mid), from)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A reader of `model` that searches the document's text too, with `leftOut`'s stretches left out if given. */
function readerWith(model: SuffixNgram, document: ReadDocument, leftOut?: LeftOut): NgramReader {
  return {
    vocabSize: model.vocabSize,
    order: model.order,
    path: model.path,
    probability: (context, symbol) => model.probability(context, symbol, document, leftOut),
    distribution: (context, out) => model.distribution(context, out, document, leftOut),
  };
}

/** The workspace n-gram per document; the order-k tables have no side text, so they answer as they are. */
export class DocumentNgrams {
  private readonly documents = new LruMap<string, ReadDocument>(MAX_DOCUMENTS);
  /** The model with one of its files left out, per file (a suffix-array n-gram's only). */
  readonly leftOutViews?: LeftOutViews;

  constructor(
    readonly model: CharNgram,
    private readonly vocabulary: Vocabulary,
  ) {
    if (model instanceof SuffixNgram) this.leftOutViews = new LeftOutViews(model, vocabulary);
  }

  /** The n-gram having read text[0..end) of the document (its last MAX_DOCUMENT_CHARS characters). */
  at(documentId: string, text: string, end = text.length): NgramReader {
    return this.reading(documentId, text, end).reader;
  }

  /**
   * As `at`, and `readOn(more)` reads the document's text right after (what
   * the reader has just predicted), for a pass over a range such as the
   * prediction overlay's. With `fileText` (the document's whole text, asked
   * for once per document), a document that is one of the files the model
   * was built from is read with that file left out of it (see LeftOut):
   * for views of how the model reads a file, which would otherwise see it
   * predicted from itself; `leftOut` then says how many characters. The
   * view is its file's (LeftOutViews): made at the file's first read, and
   * kept for its document's later reads, edits included, and for any other
   * document of the same file.
   */
  reading(documentId: string, text: string, end = text.length, fileText?: () => string): { reader: NgramReader; readOn: (more: string) => void; leftOut?: number } {
    const { model, leftOutViews: views } = this;
    if (!(model instanceof SuffixNgram) || !views) return { reader: model, readOn: () => undefined };
    const document = this.documents.obtain(documentId, () => new ReadDocument(this.vocabulary));
    document.readUpTo(text, end);
    if (fileText && document.file === undefined) document.file = views.fileOf(fileText());
    const leftOut = fileText && document.file ? views.view(document.file) : undefined;
    return { reader: readerWith(model, document, leftOut), readOn: (more) => document.append(more), leftOut: leftOut?.stretches.chars };
  }

  forget(documentId: string): void {
    this.documents.delete(documentId);
  }
}
