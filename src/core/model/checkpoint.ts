import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { StagedFile, ensureWritableFolder, removeStaleTempFiles, stageFile } from '../atomicFile';
import { layersTopology } from './layersTopology';
import { removeFilesBoundToOthers } from './boundFile';
import { UserError, fileErrorReason } from '../userError';
import { ModelConfig, WeightArrays, WeightSpec, specSize, weightSpecs } from './modelConfig';
import { CharLensMetadata, CheckpointError, CheckpointMetrics, FORMAT_VERSION, modelJsonChecksum, parseModelJson } from './modelJson';
import { CorpusInfo } from '../text/corpus';
import { Vocabulary } from '../text/vocabulary';

/**
 * Checkpoints are tfjs LayersModel folders (model.json + weight files), so
 * `tf.loadLayersModel` opens them; CharLens's own data rides along in
 * model.json's userDefinedMetadata. Weight files are named by their content
 * hash and model.json is renamed into place last, so a crash at any moment
 * leaves either the old checkpoint or the new one, whole.
 */
export const MODEL_FILE = 'model.json';

/** Extra tensors and state that only resuming training needs. */
export interface ResumeData {
  tensors: Map<string, Float32Array>;
  state: Record<string, unknown>;
}

export interface Checkpoint {
  dir: string;
  /** The weights' content hash (it names their file): the files bound to this model carry it (boundFile.ts). */
  fingerprint: string;
  config: ModelConfig;
  vocabulary: Vocabulary;
  weights: WeightArrays;
  metadata: CharLensMetadata;
  resume?: ResumeData;
}

export { CheckpointError };

export interface SaveOptions {
  training?: Record<string, unknown>;
  metrics?: CheckpointMetrics;
  corpus?: CorpusInfo;
  backend?: string;
  resume?: ResumeData;
}

export function saveCheckpoint(dir: string, config: ModelConfig, vocabulary: Vocabulary, weights: WeightArrays, options: SaveOptions = {}): void {
  try {
    ensureWritableFolder(dir);
    removeStaleTempFiles(dir);
    writeCheckpoint(dir, config, vocabulary, weights, options);
  } catch (err) {
    // model.json is renamed into place last, so whatever failed left the checkpoint before this one as it was.
    if (err instanceof UserError) throw new CheckpointError(`${err.message}; the previous checkpoint is intact`, err.code);
    throw err;
  }
}

function writeCheckpoint(dir: string, config: ModelConfig, vocabulary: Vocabulary, weights: WeightArrays, options: SaveOptions): void {
  const previous = filesNamedIn(dir);
  const staged: StagedFile[] = [];
  let weightsFile: string;
  try {
    const specs = weightSpecs(config);
    weightsFile = stageBlob(dir, 'weights', concat(specs.map((s) => weights.get(s.name)!)), staged);
    const metadata: CharLensMetadata = {
      version: FORMAT_VERSION,
      vocabulary: [...vocabulary.symbols],
      config,
      training: options.training,
      metrics: options.metrics,
      corpus: options.corpus,
      backend: options.backend,
      savedAt: new Date().toISOString(),
    };
    if (options.resume) {
      const tensorSpecs = [...options.resume.tensors].map(([name, a]) => ({ name, shape: [a.length] }));
      const file = stageBlob(dir, 'resume', concat([...options.resume.tensors.values()]), staged);
      metadata.resume = { file, tensors: tensorSpecs, state: options.resume.state };
    }
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'CharLens',
      convertedBy: null,
      modelTopology: layersTopology(config),
      weightsManifest: [{ paths: [weightsFile], weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: 'float32' })) }],
      userDefinedMetadata: { charlens: metadata },
    };
    metadata.checksum = modelJsonChecksum(modelJson);
    staged.push(stageFile(path.join(dir, MODEL_FILE), JSON.stringify(modelJson)));
  } catch (err) {
    for (const file of staged) file.abort();
    throw err;
  }
  // Everything is written and synced; the renames put the weights in place first and model.json, which names them, last.
  const committed: string[] = [];
  try {
    for (const file of staged) {
      file.commit();
      committed.push(path.basename(file.file));
    }
  } catch (err) {
    for (const file of staged) file.abort();
    // model.json is committed last, so what was committed are weights that nothing names.
    for (const name of committed) if (!previous.includes(name)) fs.rmSync(path.join(dir, name), { force: true });
    throw err;
  }
  // Only what the replaced model.json named goes: a file no model.json of this folder named may be anyone's (or a writer's about to be named).
  const now = filesNamedIn(dir);
  for (const name of previous) if (!now.includes(name)) fs.rmSync(path.join(dir, name), { force: true });
  // The n-gram, mixture and caches of the weights just replaced answer for them no more.
  removeFilesBoundToOthers(dir, fingerprintOf(weightsFile));
}

/** The fingerprint in a weight file's name: `weights.<fingerprint>.bin`. */
const fingerprintOf = (weightsFile: string): string => weightsFile.split('.')[1];

/** The weight and resume files the folder's model.json names; none when there is none or it cannot be read. */
function filesNamedIn(dir: string): string[] {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8'));
    const names: unknown[] = [...(json?.weightsManifest ?? []).flatMap((m: { paths?: unknown[] }) => m?.paths ?? []), json?.userDefinedMetadata?.charlens?.resume?.file];
    return names.filter((n): n is string => typeof n === 'string' && isPlainName(n));
  } catch {
    return [];
  }
}

const isPlainName = (name: string): boolean => name !== '' && !name.includes('/') && !name.includes('\\') && name !== '.' && name !== '..';

export function loadCheckpoint(dir: string): Checkpoint {
  const file = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(file)) throw new CheckpointError(`No CharLens model at ${dir}: ${MODEL_FILE} not found`);
  removeStaleTempFiles(dir);
  // A save in another process may replace model.json and remove the weights it named between our two reads: then read the new one.
  for (let attempt = 1; ; attempt++) {
    const text = readModelFile(file).toString('utf8');
    try {
      return checkpointFrom(dir, file, text);
    } catch (err) {
      const replaced = err instanceof CheckpointError && err.code === MISSING_BLOB && readModelFile(file).toString('utf8') !== text;
      if (!replaced || attempt === 3) throw err;
    }
  }
}

const MISSING_BLOB = 'EMISSINGBLOB';

function checkpointFrom(dir: string, file: string, text: string): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`Checkpoint ${dir} is corrupt: ${MODEL_FILE} is not valid JSON (${(err as Error).message})`);
  }
  const { metadata, weightsFile, weights: got } = parseModelJson(file, json);
  const config = metadata.config;
  let vocabulary: Vocabulary;
  try {
    vocabulary = new Vocabulary(metadata.vocabulary);
  } catch (err) {
    throw new CheckpointError(`Checkpoint ${dir} has an invalid vocabulary: ${(err as Error).message}`);
  }
  if (vocabulary.size !== config.vocabSize) {
    throw new CheckpointError(`Checkpoint ${dir} is inconsistent: vocabulary has ${vocabulary.size} symbols but the model expects ${config.vocabSize}`);
  }
  const expected = weightSpecs(config);
  for (const spec of expected) {
    const found = got.find((w) => w.name === spec.name);
    if (!found) throw new CheckpointError(`Checkpoint ${dir} lacks weight ${spec.name}`);
    if (found.shape.join() !== spec.shape.join()) {
      throw new CheckpointError(`Checkpoint ${dir}: weight ${spec.name} has shape [${found.shape}] but the model config needs [${spec.shape}]`);
    }
  }
  const blob = readBlob(dir, weightsFile, got);
  const weights = split(blob.data, got);
  for (const [name, values] of weights) {
    if (!values.every(Number.isFinite)) throw new CheckpointError(`Checkpoint ${dir} is corrupt: weight ${name} contains NaN or infinity`);
  }
  let resume: ResumeData | undefined;
  if (metadata.resume) {
    const tensors = split(readBlob(dir, metadata.resume.file, metadata.resume.tensors).data, metadata.resume.tensors);
    resume = { tensors, state: metadata.resume.state };
  }
  return { dir, fingerprint: blob.hash, config, vocabulary, weights, metadata, resume };
}

const contentHash = (bytes: Uint8Array): string => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Stages `data` under its content hash, unless a file of that name (the same content) is there already. */
function stageBlob(dir: string, prefix: string, data: Float32Array, staged: StagedFile[]): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const name = `${prefix}.${contentHash(bytes)}.bin`;
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) staged.push(stageFile(file, bytes));
  return name;
}

function readModelFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CheckpointError(`Cannot read ${file}: ${fileErrorReason(err) ?? (err as Error).message}`);
  }
}

/** A weight or resume file's values, and its content hash. */
function readBlob(dir: string, name: string, specs: WeightSpec[]): { data: Float32Array; hash: string } {
  if (!isPlainName(name)) {
    throw new CheckpointError(`Checkpoint ${dir} is corrupt: bad weight file name ${JSON.stringify(name)}`);
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(`Checkpoint ${dir} is incomplete: weight file ${name} is missing`, MISSING_BLOB);
    throw new CheckpointError(`Cannot read ${path.join(dir, name)}: ${fileErrorReason(err) ?? (err as Error).message}`);
  }
  const needed = specs.reduce((n, s) => n + specSize(s), 0) * 4;
  if (bytes.length !== needed) {
    throw new CheckpointError(`Checkpoint ${dir} is corrupt: ${name} is ${bytes.length} bytes but its manifest needs ${needed}`);
  }
  const hash = contentHash(bytes);
  const named = name.match(/\.([0-9a-f]{16})\.bin$/)?.[1];
  if (named && named !== hash) throw new CheckpointError(`Checkpoint ${dir} is corrupt: ${name} does not match its checksum`);
  // Copy into an aligned buffer; Buffer's pool offset need not be a multiple of 4.
  return { data: new Float32Array(new Uint8Array(bytes).buffer), hash };
}

/** The arrays one after another in one array. */
export function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

function split(blob: Float32Array, specs: WeightSpec[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of specs) {
    const n = specSize(spec);
    out.set(spec.name, blob.slice(offset, offset + n));
    offset += n;
  }
  return out;
}
