import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ensureWritableFolder, removeStaleTempFiles, writeFileAtomic } from '../atomicFile';
import { layersTopology } from './layersTopology';
import { UserError, fileErrorReason } from '../userError';
import { ModelConfig, WeightArrays, WeightSpec, specSize, weightSpecs } from './modelConfig';
import { CharLensMetadata, CheckpointError, CheckpointMetrics, FORMAT_VERSION, parseModelJson } from './modelJson';
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
  const specs = weightSpecs(config);
  const weightsFile = writeBlob(dir, 'weights', concat(specs.map((s) => weights.get(s.name)!)));
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
    const file = writeBlob(dir, 'resume', concat([...options.resume.tensors.values()]));
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
  writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(modelJson));
  removeUnreferenced(dir, [weightsFile, metadata.resume?.file]);
}

export function loadCheckpoint(dir: string): Checkpoint {
  const file = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(file)) throw new CheckpointError(`No CharLens model at ${dir}: ${MODEL_FILE} not found`);
  removeStaleTempFiles(dir);
  const text = readModelFile(file).toString('utf8');
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
  const weights = split(blob, got);
  for (const [name, values] of weights) {
    if (!values.every(Number.isFinite)) throw new CheckpointError(`Checkpoint ${dir} is corrupt: weight ${name} contains NaN or infinity`);
  }
  let resume: ResumeData | undefined;
  if (metadata.resume) {
    const tensors = split(readBlob(dir, metadata.resume.file, metadata.resume.tensors), metadata.resume.tensors);
    resume = { tensors, state: metadata.resume.state };
  }
  return { dir, config, vocabulary, weights, metadata, resume };
}

function writeBlob(dir: string, prefix: string, data: Float32Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const name = `${prefix}.${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`;
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) writeFileAtomic(file, bytes);
  return name;
}

function readModelFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CheckpointError(`Cannot read ${file}: ${fileErrorReason(err) ?? (err as Error).message}`);
  }
}

function readBlob(dir: string, name: string, specs: WeightSpec[]): Float32Array {
  if (name.includes('/') || name.includes('\\')) {
    throw new CheckpointError(`Checkpoint ${dir} is corrupt: bad weight file name ${JSON.stringify(name)}`);
  }
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new CheckpointError(`Checkpoint ${dir} is incomplete: weight file ${name} is missing`);
  const bytes = readModelFile(file);
  const needed = specs.reduce((n, s) => n + specSize(s), 0) * 4;
  if (bytes.length !== needed) {
    throw new CheckpointError(`Checkpoint ${dir} is corrupt: ${name} is ${bytes.length} bytes but its manifest needs ${needed}`);
  }
  const hash = name.match(/\.([0-9a-f]{16})\.bin$/)?.[1];
  if (hash && crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16) !== hash) {
    throw new CheckpointError(`Checkpoint ${dir} is corrupt: ${name} does not match its checksum`);
  }
  // Copy into an aligned buffer; Buffer's pool offset need not be a multiple of 4.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

function concat(arrays: Float32Array[]): Float32Array {
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

/** Deletes weight files an older checkpoint in this folder left behind. */
function removeUnreferenced(dir: string, keep: Array<string | undefined>): void {
  for (const name of fs.readdirSync(dir)) {
    if (/^(weights|resume)\.[0-9a-f]{16}\.bin$/.test(name) && !keep.includes(name)) fs.rmSync(path.join(dir, name), { force: true });
  }
}
