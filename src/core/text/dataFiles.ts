import type { CorpusFile, CorpusReport } from './corpus';

/**
 * Files that are data rather than code: tables of hex or numbers (crypto
 * test vectors, firmware blobs, lookup tables) and minified or encoded
 * text. A big one dominates what the model learns and what its samples
 * look like (Linux's crypto/testmgr.h is 43% of crypto/ and nearly all hex),
 * so the corpus report names it and a user can leave it out.
 */
const NUMBERS = /0[xX][0-9a-fA-F]+|\\x[0-9a-fA-F]{2}|\b\d+\b/g;
const HEX = /^(0[xX]|\\x)/;
/** Share of a file's non-space characters in number literals above which it is a table. */
const TABLE_SHARE = 0.5;
/** Lines longer than this are not written by hand. */
const LONG_LINE = 500;
/** A data file this big a share of the corpus gets a warning. */
export const DATA_SHARE_WARNING = 0.1;

const MAX_CARRY = 64;
const lastSeparator = (text: string): number => {
  for (let i = text.length - 1; i >= 0; i--) if (/[\s,;{}()"']/.test(text[i])) return i + 1;
  return 0;
};

/** Reads a file's text in pieces and says whether it looks like data, and what kind. */
export class DataSniffer {
  private nonSpace = 0;
  private numeric = 0;
  private hex = 0;
  private inLongLines = 0;
  private chars = 0;
  private lineLength = 0;
  /** The end of the last piece after its last separator: a token may go on in the next. */
  private carry = '';

  add(piece: string): void {
    const text = this.carry + piece;
    const cut = lastSeparator(text);
    this.carry = text.length - cut > MAX_CARRY ? '' : text.slice(cut);
    this.count(this.carry ? text.slice(0, cut) : text);
  }

  private count(piece: string): void {
    this.chars += piece.length;
    this.nonSpace += piece.length - (piece.match(/\s/g)?.length ?? 0);
    for (const [token] of piece.matchAll(NUMBERS)) {
      this.numeric += token.length;
      if (HEX.test(token)) this.hex += token.length;
    }
    let from = 0;
    for (let nl = piece.indexOf('\n'); ; nl = piece.indexOf('\n', from)) {
      const end = nl < 0 ? piece.length : nl;
      this.lineLength += end - from;
      if (nl < 0) break;
      if (this.lineLength > LONG_LINE) this.inLongLines += this.lineLength;
      this.lineLength = 0;
      from = nl + 1;
    }
  }

  /** 'hex tables', 'number tables', 'minified or encoded text', or undefined for code and prose. */
  kind(): string | undefined {
    this.count(this.carry);
    this.carry = '';
    if (this.nonSpace > 0 && this.numeric / this.nonSpace >= TABLE_SHARE) return this.hex * 2 >= this.numeric ? 'hex tables' : 'number tables';
    if (this.chars > 0 && (this.inLongLines + (this.lineLength > LONG_LINE ? this.lineLength : 0)) / this.chars >= 0.5) return 'minified or encoded text';
    return undefined;
  }
}

/** The corpus's largest files, biggest first, with their share of its bytes. */
export function largestFiles(report: CorpusReport, count = 3): Array<{ file: CorpusFile; share: number }> {
  return [...report.files]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count)
    .map((file) => ({ file, share: report.bytes > 0 ? file.bytes / report.bytes : 0 }));
}

export interface DataFileWarning {
  path: string;
  share: number;
  kind: string;
  /** "crypto/testmgr.h is 43% of the corpus and looks like data (hex tables)" */
  message: string;
}

/** A glob that matches exactly this corpus-relative path (its glob characters escaped). */
export function literalGlob(relPath: string): string {
  return relPath.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
}

/** Files that look like data and make up at least DATA_SHARE_WARNING of the corpus, biggest first. */
export function dataFileWarnings(report: CorpusReport): DataFileWarning[] {
  return largestFiles(report, report.files.length)
    .filter(({ file, share }) => file.looksLike && share >= DATA_SHARE_WARNING)
    .map(({ file, share }) => ({
      path: file.path,
      share,
      kind: file.looksLike!,
      message: `${file.path} is ${Math.round(share * 100)}% of the corpus and looks like data (${file.looksLike})`,
    }));
}
