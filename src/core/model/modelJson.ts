import * as crypto from 'crypto';
import { ModelConfig, WeightSpec, validateModelConfig } from './modelConfig';
import { CorpusInfo } from '../text/corpus';
import { UserError } from '../userError';

export class CheckpointError extends UserError {}

export interface CheckpointMetrics {
  step: number;
  epoch: number;
  trainLoss?: number;
  valLoss?: number;
  bestValLoss?: number;
}

/** CharLens's own data in model.json's userDefinedMetadata. */
export interface CharLensMetadata {
  version: number;
  vocabulary: string[];
  config: ModelConfig;
  training?: Record<string, unknown>;
  metrics?: CheckpointMetrics;
  corpus?: CorpusInfo;
  backend?: string;
  savedAt: string;
  resume?: { file: string; tensors: WeightSpec[]; state: Record<string, unknown> };
  /** sha256 of the whole model.json as written without this field (modelJsonChecksum); from version 2 on. */
  checksum?: string;
}

/** What CharLens reads from a model.json: its metadata and weight manifest, every field checked. */
export interface ModelJson {
  metadata: CharLensMetadata;
  weightsFile: string;
  weights: WeightSpec[];
}

/** 2: model.json carries its own checksum. Version 1 files (without one) are read still. */
export const FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];

type JsonObject = Record<string, unknown>;

/**
 * Checks the whole parsed model.json in one place, so a truncated or
 * hand-edited file gets a message that names the file and the field, and
 * nothing after this meets a missing field as a TypeError.
 */
export function parseModelJson(file: string, json: unknown): ModelJson {
  const fail = (field: string, problem: string): never => {
    throw new CheckpointError(`${file} is not a usable CharLens model: ${field} ${problem}`);
  };
  const present = (value: unknown, field: string): unknown => (value === undefined || value === null ? fail(field, 'is missing') : value);
  const object = (value: unknown, field: string): JsonObject => {
    const v = present(value, field);
    return typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : fail(field, `must be an object, got ${typeof v}`);
  };
  const array = (value: unknown, field: string): unknown[] => {
    const v = present(value, field);
    return Array.isArray(v) ? v : fail(field, `must be a list, got ${typeof v}`);
  };
  const string = (value: unknown, field: string): string => {
    const v = present(value, field);
    return typeof v === 'string' ? v : fail(field, `must be a string, got ${typeof v}`);
  };
  const specs = (value: unknown, field: string): WeightSpec[] =>
    array(value, field).map((entry, i) => {
      const spec = object(entry, `${field}[${i}]`);
      const shape = array(spec.shape, `${field}[${i}].shape`);
      if (!shape.every((n) => Number.isInteger(n) && (n as number) >= 0)) fail(`${field}[${i}].shape`, 'must be a list of whole numbers');
      return { name: string(spec.name, `${field}[${i}].name`), shape: shape as number[] };
    });

  const root = object(json, 'the file');
  if (root.format !== 'layers-model' || typeof root.userDefinedMetadata !== 'object' || !(root.userDefinedMetadata as JsonObject | null)?.charlens) {
    throw new CheckpointError(`${file} is not a CharLens model (no CharLens metadata in a tfjs layers-model)`);
  }
  const meta = object((root.userDefinedMetadata as JsonObject).charlens, 'userDefinedMetadata.charlens');
  if (!READABLE_VERSIONS.includes(meta.version as number)) {
    throw new CheckpointError(`${file} has CharLens format version ${meta.version}; this CharLens reads versions ${READABLE_VERSIONS.join(' and ')}`);
  }
  const config = object(meta.config, 'userDefinedMetadata.charlens.config');
  try {
    validateModelConfig(config as unknown as CharLensMetadata['config']);
  } catch (err) {
    fail('userDefinedMetadata.charlens.config', `is invalid: ${(err as Error).message}`);
  }
  const vocabulary = array(meta.vocabulary, 'userDefinedMetadata.charlens.vocabulary');
  if (!vocabulary.every((s) => typeof s === 'string')) fail('userDefinedMetadata.charlens.vocabulary', 'must be a list of strings');
  if (meta.resume !== undefined) {
    const resume = object(meta.resume, 'userDefinedMetadata.charlens.resume');
    string(resume.file, 'userDefinedMetadata.charlens.resume.file');
    specs(resume.tensors, 'userDefinedMetadata.charlens.resume.tensors');
    object(resume.state, 'userDefinedMetadata.charlens.resume.state');
  }
  const manifest = object(array(root.weightsManifest, 'weightsManifest')[0], 'weightsManifest[0]');
  const weightsFile = string(array(manifest.paths, 'weightsManifest[0].paths')[0], 'weightsManifest[0].paths[0]');
  const weights = specs(manifest.weights, 'weightsManifest[0].weights');
  // After the fields, so a hand-edited file hears which field is wrong. A file that names a checksum is held to it, and from version 2 on every file names one (one flipped byte can drop neither).
  if (meta.checksum !== undefined || (meta.version as number) >= 2) {
    if (typeof meta.checksum !== 'string' || meta.checksum !== modelJsonChecksum(root)) {
      throw new CheckpointError(`${file} is damaged: its content does not match its checksum`);
    }
  }
  return { metadata: meta as unknown as CharLensMetadata, weightsFile, weights };
}

/**
 * The checksum a model.json carries in userDefinedMetadata.charlens.checksum:
 * sha256 of the file as JSON.stringify writes it without that field (a
 * parsed file stringifies back to the same text, so it is checked after
 * parsing).
 */
export function modelJsonChecksum(json: unknown): string {
  const charlens = (json as { userDefinedMetadata?: { charlens?: unknown } }).userDefinedMetadata?.charlens;
  const text = JSON.stringify(json, function (this: unknown, key: string, value: unknown) {
    return this === charlens && key === 'checksum' ? undefined : value;
  });
  return crypto.createHash('sha256').update(text).digest('hex');
}
