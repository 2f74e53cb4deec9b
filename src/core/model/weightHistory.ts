import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { StagedFile, ensureWritableFolder, removeStaleTempFiles, stageFile } from '../atomicFile';
import { fileErrorReason } from '../userError';
import { concat } from './checkpoint';
import { CheckpointError } from './modelJson';
import type { InferenceModel } from './inference';
import { ModelConfig, WeightArrays, specSize, weightSpecs } from './modelConfig';
import type { Vocabulary } from '../text/vocabulary';

/**
 * The weights' history of a training run: a few snapshots taken at
 * validations, in `history/` of the model folder (so they go with the
 * model), each a float16 copy of the weights (half the bytes of the model;
 * 1e-3 relative error, far below what a cell's activation strip shows),
 * listed by `history.json` with what the training process measured on them.
 * At most MAX_SNAPSHOTS are kept: when one more comes, the one whose removal
 * leaves the smallest gap between its neighbours goes, so the series stays
 * spread over the whole run (the first and the latest are always kept). So
 * the folder holds at most MAX_SNAPSHOTS x 2 bytes x parameters: 6.0 MB for
 * the shipped 2x128 model (249k parameters), 18 MB for a 2x256 one.
 *
 * Written as checkpoints are: the snapshot's file first (named by its
 * content hash), then history.json renamed into place, then the files it no
 * longer names removed; a crash at any moment leaves a whole series.
 */
export const HISTORY_DIR = 'history';
export const HISTORY_FILE = 'history.json';
export const MAX_SNAPSHOTS = 12;
const HISTORY_VERSION = 1;

/** Every cell's score for every feature on one sample, layer-major (cell k, feature f at k * features.length + f). */
export interface LabelScoreTable {
  /** The explorer sample's fingerprint. */
  sample: string;
  features: string[];
  /** Pearson r; 0 where it is undefined (the cell or the feature constant over the sample), where precision is null. */
  r: number[];
  /** Top-1% precision; null where r is undefined. */
  precision: Array<number | null>;
}

/** A feature some cell tracked past the explorer's threshold, from the step it first did. */
export interface LearnedLabel {
  feature: string;
  step: number;
  layer: number;
  cell: number;
  r: number;
  precision: number;
}

/** What a snapshot's weights score on the explorer's sample, and the labels that are past the explorer's threshold there (the best cell of each feature). */
export interface SnapshotLabels {
  scores: LabelScoreTable;
  over: Array<Omit<LearnedLabel, 'step'>>;
}

/** Scores a snapshot (core/explorer/labelHistory.ts makes one for a corpus): the training loop cannot import the explorer, so it is handed in. */
export type SnapshotScorer = (model: InferenceModel, vocabulary: Vocabulary) => Promise<SnapshotLabels>;

export interface SnapshotEntry {
  step: number;
  file: string;
  valLoss?: number;
  scores?: LabelScoreTable;
}

export interface WeightHistory {
  config: ModelConfig;
  snapshots: SnapshotEntry[];
  learned: LearnedLabel[];
}

export const historyDir = (modelDir: string): string => path.join(modelDir, HISTORY_DIR);

/** The run's history, or undefined when the folder has none; a damaged one is refused with a CheckpointError saying why. */
export function readWeightHistory(modelDir: string): WeightHistory | undefined {
  const file = path.join(historyDir(modelDir), HISTORY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`Cannot read ${file}: ${fileErrorReason(err) ?? (err as Error).message}`);
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CheckpointError(`${file} is damaged: not valid JSON`);
  }
  const snapshots = json?.snapshots;
  const valid =
    json?.version === HISTORY_VERSION &&
    Number.isInteger(json.config?.hiddenSize) &&
    Array.isArray(snapshots) &&
    snapshots.every((s: any, i: number) => Number.isInteger(s?.step) && s.step >= 0 && isPlainName(s.file) && (i === 0 || s.step > snapshots[i - 1].step)) &&
    Array.isArray(json.learned);
  if (!valid) throw new CheckpointError(`${file} is damaged or of another CharLens version`);
  return { config: json.config, snapshots, learned: json.learned };
}

/** One snapshot's weights, checked against the history's model shape and the file's hash. */
export function loadSnapshotWeights(modelDir: string, config: ModelConfig, entry: SnapshotEntry): WeightArrays {
  const file = path.join(historyDir(modelDir), entry.file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new CheckpointError(`Cannot read the snapshot of step ${entry.step} (${file}): ${fileErrorReason(err) ?? (err as Error).message}`);
  }
  const specs = weightSpecs(config);
  const count = specs.reduce((n, s) => n + specSize(s), 0);
  if (bytes.length !== 2 * count || snapshotName(bytes) !== entry.file) throw new CheckpointError(`The snapshot of step ${entry.step} (${file}) is damaged`);
  const halves = new Uint16Array(new Uint8Array(bytes).buffer);
  const weights: WeightArrays = new Map();
  let at = 0;
  for (const spec of specs) {
    const n = specSize(spec);
    weights.set(spec.name, fromHalves(halves.subarray(at, at + n)));
    at += n;
  }
  return weights;
}

/** The weights as a snapshot keeps them: rounded to float16, so what is measured on them now is what is measured on the file later. */
export function snapshotWeights(config: ModelConfig, weights: WeightArrays): WeightArrays {
  return new Map(weightSpecs(config).map((s) => [s.name, fromHalves(toHalves(weights.get(s.name)!))]));
}

/**
 * Starts a run's series: a resumed run keeps the snapshots up to the step it
 * resumes at (written back at once); a new run starts an empty one, which
 * its first snapshot writes over the folder's old series, so until then the
 * folder's model (the old one, also replaced at that validation) keeps its own.
 */
export function startWeightHistory(modelDir: string, config: ModelConfig, resumedAt?: number): WeightHistory {
  let kept: WeightHistory | undefined;
  if (resumedAt !== undefined) {
    try {
      kept = readWeightHistory(modelDir);
    } catch {
      kept = undefined; // a damaged series cannot be continued: the run starts a new one
    }
  }
  const sameModel = kept && JSON.stringify(kept.config) === JSON.stringify(config);
  const history: WeightHistory = sameModel
    ? { config, snapshots: kept!.snapshots.filter((s) => s.step <= resumedAt!), learned: kept!.learned.filter((l) => l.step <= resumedAt!) }
    : { config, snapshots: [], learned: [] };
  if (sameModel) writeHistory(modelDir, history, []);
  return history;
}

/** Adds a snapshot of `weights` (already rounded by snapshotWeights) to the series, thins it, and writes it; returns the new history. */
export function addSnapshot(modelDir: string, history: WeightHistory, weights: WeightArrays, entry: Omit<SnapshotEntry, 'file'>, learned: LearnedLabel[]): WeightHistory {
  const dir = historyDir(modelDir);
  ensureWritableFolder(dir);
  removeStaleTempFiles(dir);
  const halves = toHalves(concat(weightSpecs(history.config).map((s) => weights.get(s.name)!)));
  const bytes = new Uint8Array(halves.buffer);
  const file = snapshotName(bytes);
  const staged = fs.existsSync(path.join(dir, file)) ? [] : [stageFile(path.join(dir, file), bytes)];
  const snapshots = [...history.snapshots.filter((s) => s.step < entry.step), { ...entry, file }];
  while (snapshots.length > MAX_SNAPSHOTS) snapshots.splice(snapshotToDrop(snapshots.map((s) => s.step)), 1);
  const next: WeightHistory = { config: history.config, snapshots, learned };
  writeHistory(modelDir, next, staged);
  return next;
}

/** Of a series longer than it may be, the snapshot to drop: the inner one whose neighbours are closest, the earliest of equals. */
export function snapshotToDrop(steps: readonly number[]): number {
  let best = 1;
  for (let i = 2; i < steps.length - 1; i++) if (steps[i + 1] - steps[i - 1] < steps[best + 1] - steps[best - 1]) best = i;
  return best;
}

function writeHistory(modelDir: string, history: WeightHistory, staged: StagedFile[]): void {
  const dir = historyDir(modelDir);
  try {
    staged.push(stageFile(path.join(dir, HISTORY_FILE), JSON.stringify({ version: HISTORY_VERSION, ...history })));
  } catch (err) {
    for (const f of staged) f.abort();
    throw err;
  }
  for (const f of staged) f.commit();
  const named = new Set([HISTORY_FILE, ...history.snapshots.map((s) => s.file)]);
  for (const name of fs.readdirSync(dir)) if (name.startsWith('snapshot.') && !named.has(name)) fs.rmSync(path.join(dir, name), { force: true });
}

const snapshotName = (bytes: Uint8Array): string => `snapshot.${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.f16`;

const isPlainName = (name: unknown): boolean => typeof name === 'string' && /^snapshot\.[0-9a-f]{16}\.f16$/.test(name);

const float = new Float32Array(1);
const bits = new Uint32Array(float.buffer);
/** The largest finite float16: weights beyond it (none a trained model has) are clamped to it. */
const MAX_HALF = 0x7bff;

/** IEEE float16 bit patterns of `values`, rounded to nearest even. */
export function toHalves(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    float[0] = values[i];
    const x = bits[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = ((x >>> 23) & 0xff) - 127 + 15;
    let mantissa = x & 0x7fffff;
    if (exponent >= 31) {
      out[i] = sign | MAX_HALF;
    } else if (exponent <= 0) {
      if (exponent < -10) {
        out[i] = sign;
        continue;
      }
      mantissa |= 0x800000;
      const shift = 14 - exponent;
      const rest = mantissa & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      let value = mantissa >>> shift;
      if (rest > half || (rest === half && value & 1)) value++;
      out[i] = sign | value;
    } else {
      const rest = mantissa & 0x1fff;
      // A carry out of the mantissa rounds up into the exponent, as it should.
      let value = (exponent << 10) | (mantissa >>> 13);
      if (rest > 0x1000 || (rest === 0x1000 && value & 1)) value++;
      out[i] = sign | Math.min(value, MAX_HALF);
    }
  }
  return out;
}

export function fromHalves(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    out[i] = exponent === 0 ? sign * mantissa * 2 ** -24 : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}
