/**
 * core/text: files in, ids out. corpus.ts gathers the training text from a
 * folder (which files, in what order, what was skipped and why),
 * vocabulary.ts turns characters into ids and back, batches.ts cuts the ids
 * into the train/validation/test split and char-rnn's parallel batch
 * streams. Nothing here knows of a model; everything above reads text
 * through it. Pure Node (no 'vscode') so the CLI and tests can use it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import ignore from 'ignore';
import picomatch from 'picomatch';
import { isInside } from '../pathInside';
import { UserError, fileErrorReason } from '../userError';
import { DataSniffer, dataFileWarnings, largestFiles, literalGlob } from './dataFiles';
import { codePointCount } from './vocabulary';

export interface CorpusOptions {
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  maxTotalBytes?: number;
}
export interface CorpusFile {
  path: string;
  /** UTF-8 bytes of its text as read (line ends normalised). */
  bytes: number;
  /** Code points of its text as read. */
  chars: number;
  /** What kind of data it looks like, when it is not code (see dataFiles.ts). */
  looksLike?: string;
  /** Set when the file was UTF-16 and decoded from it; UTF-8 otherwise. */
  encoding?: Utf16;
}
type Utf16 = 'utf-16le' | 'utf-16be';
export interface SkippedFile { path: string; reason: string }
export interface CorpusReport {
  folder: string; include: string[]; exclude: string[];
  files: CorpusFile[]; skipped: SkippedFile[];
  bytes: number; chars: number; languages: string[];
}
export interface Corpus { text: string; report: CorpusReport }

export class CorpusError extends UserError {}

// Extension-based only: files such as Makefile have no extension to key on.
export const SOURCE_LANGUAGES: ReadonlyArray<{ name: string; extensions: string[] }> = [
  { name: 'C', extensions: ['.c'] },
  { name: 'C/C++ header', extensions: ['.h', '.hpp', '.hh'] },
  { name: 'C++', extensions: ['.cpp', '.cc', '.cxx'] },
  { name: 'TypeScript', extensions: ['.ts', '.tsx'] },
  { name: 'JavaScript', extensions: ['.js', '.jsx', '.mjs', '.cjs'] },
  { name: 'Python', extensions: ['.py', '.pyi'] },
  { name: 'Go', extensions: ['.go'] },
  { name: 'Rust', extensions: ['.rs'] },
  { name: 'Java', extensions: ['.java'] },
  { name: 'Kotlin', extensions: ['.kt', '.kts'] },
  { name: 'C#', extensions: ['.cs'] },
  { name: 'Ruby', extensions: ['.rb'] },
  { name: 'PHP', extensions: ['.php'] },
  { name: 'Swift', extensions: ['.swift'] },
  { name: 'Shell', extensions: ['.sh', '.bash'] },
  { name: 'Lua', extensions: ['.lua'] },
  { name: 'Scala', extensions: ['.scala'] },
  { name: 'Haskell', extensions: ['.hs'] },
  { name: 'OCaml', extensions: ['.ml', '.mli'] },
  { name: 'Zig', extensions: ['.zig'] },
];

const ALWAYS_SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const PM_OPTIONS = { dot: false };
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_TOTAL_BYTES = 200 * 1024 * 1024;

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const fmt = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const globsFor = (exts: string[]): string[] => exts.map((e) => `**/*${e}`);

function matcher(globs: string[]): (rel: string) => boolean {
  // picomatch rejects an empty list; an empty list simply matches nothing.
  return globs.length ? picomatch(globs, PM_OPTIONS) : () => false;
}

interface GitignoreRules { base: string; ig: ignore.Ignore }

// Later (deeper) .gitignore files override earlier ones, as in git.
function isGitIgnored(rules: GitignoreRules[], rel: string, dir: boolean): boolean {
  let ignored = false;
  for (const r of rules) {
    const sub = (r.base ? rel.slice(r.base.length + 1) : rel) + (dir ? '/' : '');
    const res = r.ig.test(sub);
    if (res.ignored) ignored = true;
    else if (res.unignored) ignored = false;
  }
  return ignored;
}

function readGitignore(file: string, realRoot: string): ignore.Ignore | undefined {
  const opened = openInside(file, realRoot);
  if ('reason' in opened) return undefined;
  try { return ignore().add(fs.readFileSync(opened.fd, 'utf8')); } catch { return undefined; } finally { fs.closeSync(opened.fd); }
}

/** Where the files of a corpus must really lie: the folder's real path (itself perhaps reached through a symlink). */
const realFolder = (folder: string): string => fs.realpathSync(folder);

/**
 * The real path of the file open as `fd`: the kernel's own record where
 * there is one (Linux; a file deleted since reads "... (deleted)"), else
 * `abs` resolved, and checked to be that same file (a path resolved after
 * the open may name another).
 */
function realPathOfOpened(fd: number, abs: string, opened: fs.Stats): string | undefined {
  let kernel: string | undefined;
  try {
    kernel = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    // No /proc here.
  }
  if (kernel !== undefined) return kernel.endsWith(' (deleted)') ? undefined : kernel;
  const real = fs.realpathSync(abs);
  const st = fs.statSync(real, { throwIfNoEntry: false });
  return st && st.dev === opened.dev && st.ino === opened.ino ? real : undefined;
}

const OUTSIDE_THE_WORKSPACE = 'outside the workspace';

/**
 * Opens `abs` for reading only if the file opened really lies in
 * `realRoot`. The check is on what was opened, not on the path listed: a
 * file swapped for a symlink to ~/.aws/credentials between the listing and
 * the read is refused all the same. Non-blocking, so a FIFO swapped in
 * cannot hang the scan; only regular files are read.
 */
function openInside(abs: string, realRoot: string): { fd: number; stat: fs.Stats } | { reason: string } {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return { reason: `unreadable: ${errMsg(e)}` };
  }
  try {
    const stat = fs.fstatSync(fd);
    const real = realPathOfOpened(fd, abs, stat);
    if (real === undefined) return close(fd, { reason: 'unreadable: it changed while it was opened' });
    if (!isInside(real, realRoot)) return close(fd, { reason: `${OUTSIDE_THE_WORKSPACE} (it leads to ${real})` });
    if (!stat.isFile()) return close(fd, { reason: 'unreadable: not a regular file' });
    return { fd, stat };
  } catch (e) {
    return close(fd, { reason: `unreadable: ${errMsg(e)}` });
  }
}

function close<T>(fd: number, result: T): T {
  fs.closeSync(fd);
  return result;
}

interface Walked { files: string[]; unreadable: SkippedFile[] }

/** The corpus folder as an absolute path, or the reason it cannot be read. */
export function checkCorpusFolder(folder: string): string {
  const abs = path.resolve(folder);
  let st: fs.Stats;
  try { st = fs.statSync(abs); } catch (e) { throw new CorpusError(`Cannot read folder ${abs}: ${fileErrorReason(e) ?? errMsg(e)}`); }
  if (!st.isDirectory()) throw new CorpusError(`Not a directory: ${abs}`);
  return abs;
}

function walk(root: string, realRoot: string, pruneDir: (rel: string) => boolean): Walked {
  const out: Walked = { files: [], unreadable: [] };
  const visit = (rel: string, inherited: GitignoreRules[]): void => {
    const abs = rel ? path.join(root, rel) : root;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      if (!rel) throw new CorpusError(`Cannot read folder ${root}: ${errMsg(e)}`);
      out.unreadable.push({ path: rel + '/', reason: `unreadable: ${errMsg(e)}` });
      return;
    }
    const ig = readGitignore(path.join(abs, '.gitignore'), realRoot);
    const rules = ig ? [...inherited, { base: rel, ig }] : inherited;
    for (const ent of entries) {
      const child = rel ? `${rel}/${ent.name}` : ent.name;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        // Symlinked directories are never followed (cycles); a dangling link stays a
        // "file" so that, if included, it is reported as unreadable rather than vanishing.
        try { isFile = fs.statSync(path.join(abs, ent.name)).isFile(); } catch { isFile = true; }
        isDir = false;
      }
      if (isDir) {
        if (!ALWAYS_SKIPPED_DIRS.has(ent.name) && !isGitIgnored(rules, child, true) && !pruneDir(child)) {
          visit(child, rules);
        }
      } else if (isFile && !isGitIgnored(rules, child, false)) {
        out.files.push(child);
      }
    }
  };
  visit('', []);
  out.files.sort(byCodeUnit);
  return out;
}

function detectLanguages(files: string[]): { include: string[]; languages: string[] } {
  const include: string[] = [];
  const languages: string[] = [];
  for (const lang of SOURCE_LANGUAGES) {
    const globs = globsFor(lang.extensions);
    const m = matcher(globs);
    if (files.some((f) => m(f))) { include.push(...globs); languages.push(lang.name); }
  }
  return { include, languages };
}

export function defaultIncludeGlobs(folder: string): { include: string[]; languages: string[] } {
  const root = checkCorpusFolder(folder);
  return detectLanguages(walk(root, realFolder(root), () => false).files);
}

/** How many leading bytes the UTF-16 guess looks at. */
const SNIFF_BYTES = 4096;
/** Files are read this many bytes at a time, so a reader that streams never holds a whole file. */
const READ_BYTES = 1 << 20;

/**
 * UTF-16 by its byte-order mark, or without one by its NUL pattern: text in
 * the Latin range has a zero in every other byte, on the same side, where a
 * binary's zeros fall anywhere. `head` is the file's start, `size` its length.
 */
function utf16Encoding(head: Buffer, size: number): { encoding: Utf16; bom: boolean } | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: true };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: true };
  const pairs = Math.floor(Math.min(head.length, SNIFF_BYTES) / 2);
  if (pairs === 0 || size % 2 !== 0) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) evenZeros++;
    if (head[2 * i + 1] === 0) oddZeros++;
  }
  if (oddZeros >= 0.9 * pairs && evenZeros === 0) return { encoding: 'utf-16le', bom: false };
  if (evenZeros >= 0.9 * pairs && oddZeros === 0) return { encoding: 'utf-16be', bom: false };
  return undefined;
}

/** C0 controls other than tab, line feed, vertical tab, form feed and carriage return: text has none. */
const BINARY_CONTROL = /[\0-\x08\x0e-\x1f]/;

/** A file's decoded text, handed on in pieces with \r\n and \r made \n (across piece ends too), counted. */
class TextPieces {
  chars = 0;
  bytes = 0;
  private pendingCr = false;
  private last = '';

  constructor(private readonly onPiece: (piece: string) => void) {}

  add(text: string): void {
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    if (text.length === 0) return;
    this.pendingCr = text.endsWith('\r');
    this.emit(text.replace(/\r\n?/g, '\n'));
  }

  /** Ends the text with a newline, as every file in a corpus does. */
  finish(): void {
    if (this.chars > 0 && this.last !== '\n') this.emit('\n');
  }

  private emit(text: string): void {
    this.chars += countCodePoints(text);
    this.bytes += Buffer.byteLength(text, 'utf8');
    this.last = text[text.length - 1];
    this.onPiece(text);
  }
}

type FileText = { chars: number; bytes: number; encoding?: Utf16 } | { reason: string };

/**
 * Reads a file's text a megabyte at a time and hands it to `onPiece`; or
 * says why it is not text (then the pieces already handed on do not count).
 * UTF-8, or UTF-16 when it looks so; a leading BOM is dropped.
 */
function readFileText(abs: string, realRoot: string, maxFileBytes: number, onPiece: (piece: string) => void): FileText {
  const opened = openInside(abs, realRoot);
  if ('reason' in opened) return opened;
  const { fd } = opened;
  // What the reader of the pieces threw is its own failure (a damaged model scoring them, say), not the file's.
  let failedReader: { error: unknown } | undefined;
  try {
    // Its size before a byte is read, so an oversized file never is.
    const size = opened.stat.size;
    if (size > maxFileBytes) return { reason: `larger than ${fmt(maxFileBytes)} bytes (${fmt(size)} bytes)` };
    if (size === 0) return { reason: 'empty' };
    const buf = Buffer.alloc(Math.min(size, READ_BYTES));
    let n = fs.readSync(fd, buf, 0, buf.length, null);
    const utf16 = utf16Encoding(buf.subarray(0, n), size);
    // Without a BOM, UTF-16 was a guess from the zeros; if it proves wrong, those zeros make the file binary.
    const notText = utf16 ? (utf16.bom ? `binary (NUL character in ${utf16.encoding.toUpperCase()})` : 'binary (NUL byte)') : 'binary (NUL byte)';
    const invalid = utf16 ? (utf16.bom ? `not valid ${utf16.encoding.toUpperCase()}` : 'binary (NUL byte)') : 'not valid UTF-8';
    const decoder = new TextDecoder(utf16?.encoding ?? 'utf-8', { fatal: true });
    const text = new TextPieces((piece) => {
      try {
        onPiece(piece);
      } catch (error) {
        failedReader = { error };
        throw error;
      }
    });
    for (; n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) {
      const chunk = buf.subarray(0, n);
      if (!utf16 && chunk.includes(0)) return { reason: notText };
      let decoded: string;
      try {
        decoded = decoder.decode(chunk, { stream: true });
      } catch {
        return { reason: invalid };
      }
      if (utf16 && (utf16.bom ? decoded.includes('\0') : BINARY_CONTROL.test(decoded))) return { reason: notText };
      text.add(decoded);
    }
    try {
      text.add(decoder.decode());
    } catch {
      return { reason: invalid };
    }
    text.finish();
    if (text.chars === 0) return { reason: 'empty' }; // e.g. a file holding only a BOM
    return utf16 ? { chars: text.chars, bytes: text.bytes, encoding: utf16.encoding } : { chars: text.chars, bytes: text.bytes };
  } catch (e) {
    if (failedReader) throw failedReader.error;
    return { reason: `unreadable: ${errMsg(e)}` };
  } finally {
    fs.closeSync(fd);
  }
}

function countCodePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}

// Groups reasons that carry per-file details (sizes, error messages) under one heading.
function reasonKind(reason: string): string {
  if (reason.startsWith('unreadable')) return 'unreadable';
  if (reason.startsWith(OUTSIDE_THE_WORKSPACE)) return OUTSIDE_THE_WORKSPACE;
  return reason.replace(/ \([\d,]+ bytes\)$/, '');
}

function summariseSkipped(skipped: SkippedFile[]): string {
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(reasonKind(s.reason), (counts.get(reasonKind(s.reason)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

export function readCorpus(folder: string, options: CorpusOptions = {}): Corpus {
  const parts: string[] = [];
  const report = scanCorpus(folder, options, (text) => parts.push(text));
  return { text: parts.join(''), report };
}

/**
 * Reads the corpus one file at a time and hands each file's text to
 * `onText`, in corpus order. Without `onText` nothing is kept: the report
 * alone, for a reader that then streams the files (streamCorpusFile).
 */
export function scanCorpus(folder: string, options: CorpusOptions, onText?: (text: string) => void): CorpusReport {
  const root = checkCorpusFolder(folder);
  const exclude = options.exclude ?? [];
  const isExcluded = matcher(exclude);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;

  const realRoot = realFolder(root);
  const walked = walk(root, realRoot, isExcluded);
  const candidates = walked.files.filter((f) => !isExcluded(f));
  let include = options.include ?? [];
  let languages: string[] | undefined;
  if (include.length === 0) {
    ({ include, languages } = detectLanguages(candidates));
    if (include.length === 0) {
      throw new CorpusError(
        `No source files found in ${root} (no file with a known source extension such as .c, .py, .ts). ` +
          `Use --include to choose files, e.g. --include '**/*.txt'.`,
      );
    }
  }
  const isIncluded = matcher(include);
  const selected = candidates.filter((f) => isIncluded(f));

  const files: CorpusFile[] = [];
  const skipped: SkippedFile[] = [];
  let bytes = 0;
  let chars = 0;
  for (const rel of selected) {
    // The cap is checked before each file, so the corpus may overshoot it by at most one file.
    if (bytes >= maxTotalBytes) { skipped.push({ path: rel, reason: 'corpus size limit reached' }); continue; }
    const pieces: string[] = [];
    const sniffer = new DataSniffer();
    const d = readFileText(path.join(root, rel), realRoot, maxFileBytes, (piece) => {
      sniffer.add(piece);
      if (onText) pieces.push(piece);
    });
    if ('reason' in d) { skipped.push({ path: rel, reason: d.reason }); continue; }
    onText?.(pieces.join(''));
    files.push(corpusFile(rel, d, sniffer));
    bytes += d.bytes;
    chars += d.chars;
  }
  skipped.push(...walked.unreadable);

  if (files.length === 0) {
    const what = skipped.length
      ? `${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped (${summariseSkipped(skipped)})`
      : 'no files matched';
    const excl = exclude.length ? ` (excluding ${exclude.join(', ')})` : '';
    throw new CorpusError(`No usable text in ${root} matching ${include.join(', ')}${excl}: ${what}`);
  }
  return { folder: root, include: [...include], exclude: [...exclude], files, skipped, bytes, chars, languages: languages ?? languagesOf(files) };
}

const languagesOf = (files: CorpusFile[]): string[] =>
  SOURCE_LANGUAGES.filter((l) => files.some((f) => l.extensions.some((e) => f.path.endsWith(e)))).map((l) => l.name);

/**
 * One file the user named, read whatever its size (the size caps guard
 * folder scans), as a corpus of that file alone: nothing else in its folder
 * is listed or read. A symlink is followed to the file it names (the user
 * chose it), which the report then holds.
 */
export function scanFile(file: string, onText?: (text: string) => void): CorpusReport {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    throw new CorpusError(`Cannot read ${file}: ${fileErrorReason(e) ?? errMsg(e)}`);
  }
  const folder = path.dirname(real);
  const pieces: string[] = [];
  const sniffer = new DataSniffer();
  const d = readFileText(real, folder, Infinity, (piece) => {
    sniffer.add(piece);
    if (onText) pieces.push(piece);
  });
  if ('reason' in d) throw new CorpusError(`No usable text in ${file}: ${d.reason}`);
  onText?.(pieces.join(''));
  const name = path.basename(real);
  const files = [corpusFile(name, d, sniffer)];
  return { folder, include: [name], exclude: [], files, skipped: [], bytes: d.bytes, chars: d.chars, languages: languagesOf(files) };
}

/** A read file's entry in the corpus report. */
function corpusFile(rel: string, d: { bytes: number; chars: number; encoding?: Utf16 }, sniffer: DataSniffer): CorpusFile {
  const file: CorpusFile = { path: rel, bytes: d.bytes, chars: d.chars };
  if (d.encoding) file.encoding = d.encoding;
  const looksLike = sniffer.kind();
  if (looksLike) file.looksLike = looksLike;
  return file;
}

/** Reads a file of a scanned corpus again, handing its text on in pieces (at most a megabyte each), never whole. */
export function streamCorpusFile(report: CorpusReport, file: CorpusFile, onPiece: (piece: string) => void): void {
  const abs = path.join(report.folder, file.path);
  const d = readFileText(abs, realFolder(report.folder), Infinity, onPiece);
  if ('reason' in d) throw new CorpusError(`${abs} changed while it was read: it is now ${d.reason}`);
}

const MAX_LISTED_SKIPPED = 10;

export function formatCorpusReport(report: CorpusReport): string {
  const n = report.files.length;
  const langs = report.languages.length ? ` (${report.languages.join(', ')})` : '';
  let head = `Corpus: ${fmt(n)} file${n === 1 ? '' : 's'}, ${fmt(report.bytes)} bytes, ${fmt(report.chars)} chars${langs} from ${report.folder}`;
  const utf16 = report.files.filter((f) => f.encoding).length;
  if (utf16) head += `; ${fmt(utf16)} decoded from UTF-16`;
  if (report.skipped.length) head += `; skipped ${fmt(report.skipped.length)}: ${summariseSkipped(report.skipped)}`;
  const lines = [head];
  for (const s of report.skipped.slice(0, MAX_LISTED_SKIPPED)) lines.push(`  skipped ${s.path}: ${s.reason}`);
  if (report.skipped.length > MAX_LISTED_SKIPPED) lines.push(`  ... and ${fmt(report.skipped.length - MAX_LISTED_SKIPPED)} more skipped`);
  if (n > 1) {
    const largest = largestFiles(report).map(({ file, share }) => `${file.path} ${percent(share)}${file.looksLike ? ` (${file.looksLike})` : ''}`);
    lines.push(`  largest: ${largest.join(', ')}`);
  }
  for (const w of dataFileWarnings(report)) lines.push(`  warning: ${w.message}; leave it out with --exclude '${literalGlob(w.path)}' (or charlens.training.exclude)`);
  return lines.join('\n');
}

const percent = (share: number): string => `${share >= 0.1 ? Math.round(share * 100) : (share * 100).toFixed(1)}%`;

export interface CorpusInfo {
  fingerprint: string;
  files: number;
  bytes: number;
  chars: number;
}

/** Fingerprint that tells whether a resumed run sees the same corpus. */
export function corpusInfo(text: string, files: number): CorpusInfo {
  return {
    fingerprint: crypto.createHash('sha256').update(text).digest('hex').slice(0, 16),
    files,
    bytes: Buffer.byteLength(text),
    chars: codePointCount(text),
  };
}
