import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { StagedFile, stageFile } from '../atomicFile';

/**
 * The files a model folder holds beside its checkpoint (the n-gram, the
 * mixture, the explorer's caches) are bound to the weights they were made
 * for: each carries the fingerprint of those weights (the hash that names
 * the weight file) and a checksum of its content. A file of other weights
 * (left by an earlier model in the folder) or a damaged one is refused on
 * load with the reason, and the next checkpoint saved into the folder
 * removes the ones that are not its own.
 *
 * Binary files: a 64-byte header (magic, version, content length, the
 * weights' fingerprint, sha256 of the content), then the content. JSON
 * files stay JSON: {"boundTo": {"weights", "sha256"}, "content"}, the
 * checksum taken over the content as JSON.stringify writes it.
 */
const MAGIC = 0x46424c43; // 'CLBF' little-endian
const VERSION = 1;
const HEADER_BYTES = 64;

/** Why a bound file is not used: it belongs to other weights, or it is damaged. */
export class BoundFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: 'other-weights' | 'damaged',
    detail: string,
  ) {
    super(`${path.basename(file)} ${detail}`);
  }
}

const sha256 = (bytes: Uint8Array | string): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** A binary file's bytes bound to `weights` (a checkpoint's fingerprint), staged for commit. */
export function stageBoundBytes(file: string, content: Uint8Array, weights: string): StagedFile {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeDoubleLE(content.byteLength, 8);
  header.write(weights.padEnd(16, '0').slice(0, 16), 16, 'latin1');
  Buffer.from(sha256(content), 'hex').copy(header, 32);
  return stageFile(file, Buffer.concat([header, content]));
}

/** A JSON value bound to `weights`, staged for commit; `indent` for a file people read. */
export function stageBoundJson(file: string, content: unknown, weights: string, indent?: number): StagedFile {
  return stageFile(file, JSON.stringify({ boundTo: { weights, sha256: sha256(JSON.stringify(content)) }, content }, null, indent));
}

/** The content of a binary bound file, when it is whole and bound to `weights`; else BoundFileError says why. */
export function readBoundBytes(file: string, weights: string): Uint8Array {
  const bytes = readFile(file);
  if (bytes.byteLength < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC) throw new BoundFileError(file, 'damaged', 'is not a CharLens model file (it may be from an older CharLens)');
  if (bytes.readUInt32LE(4) !== VERSION) throw new BoundFileError(file, 'damaged', `has model file version ${bytes.readUInt32LE(4)}; this CharLens reads version ${VERSION}`);
  const length = bytes.readDoubleLE(8);
  if (length !== bytes.byteLength - HEADER_BYTES) throw new BoundFileError(file, 'damaged', `is truncated or damaged (${bytes.byteLength - HEADER_BYTES} bytes of content, its header says ${length})`);
  const bound = bytes.toString('latin1', 16, 32);
  if (bound !== weights) throw new BoundFileError(file, 'other-weights', `belongs to other weights (${bound}) than the model's (${weights})`);
  const content = bytes.subarray(HEADER_BYTES);
  if (sha256(content) !== bytes.toString('hex', 32, 64)) throw new BoundFileError(file, 'damaged', 'is damaged (its content does not match its checksum)');
  return content;
}

/** The content of a JSON bound file, when it is whole and bound to `weights`; else BoundFileError says why. */
export function readBoundJson(file: string, weights: string): unknown {
  let json: { boundTo?: { weights?: unknown; sha256?: unknown }; content?: unknown };
  try {
    json = JSON.parse(readFile(file).toString('utf8'));
  } catch (err) {
    throw new BoundFileError(file, 'damaged', `is damaged (not JSON: ${(err as Error).message})`);
  }
  const bound = json?.boundTo?.weights;
  if (typeof bound !== 'string' || typeof json.boundTo?.sha256 !== 'string') throw new BoundFileError(file, 'damaged', 'names no weights it belongs to (it may be from an older CharLens)');
  if (bound !== weights) throw new BoundFileError(file, 'other-weights', `belongs to other weights (${bound}) than the model's (${weights})`);
  if (json.content === undefined || sha256(JSON.stringify(json.content)) !== json.boundTo.sha256) throw new BoundFileError(file, 'damaged', 'is damaged (its content does not match its checksum)');
  return json.content;
}

/**
 * Removes the bound files in `dir` that belong to other weights than
 * `weights`, or are damaged: a new checkpoint makes them stale. Files that
 * are not bound files (model.json, the weights, the user's own) stay.
 */
export function removeFilesBoundToOthers(dir: string, weights: string): void {
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!isBoundFile(file)) continue;
    try {
      if (name.endsWith('.json')) readBoundJson(file, weights);
      else readBoundBytes(file, weights);
    } catch (err) {
      if (err instanceof BoundFileError) fs.rmSync(file, { force: true });
    }
  }
}

/** Whether `file` was written as a bound file: its magic, or for JSON its "boundTo" at the start. */
function isBoundFile(file: string): boolean {
  let fd: number | undefined;
  try {
    if (!fs.statSync(file).isFile()) return false;
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(32);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return (n >= 4 && head.readUInt32LE(0) === MAGIC) || /^\{\s*"boundTo"/.test(head.toString('utf8', 0, n));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new BoundFileError(file, 'damaged', `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
