import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/core/backend';
import { InferenceModel } from '../../src/core/model/inference';
import { DEFAULT_TRAIN_OPTIONS, TrainOptions } from '../../src/core/train/options';
import { Random } from '../../src/core/random';
import { TrainHooks, TrainResult, prepareTraining, train } from '../../src/core/train/loop';

export async function useWasm(): Promise<void> {
  await selectBackend('wasm');
}

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** C-like text with a lot of structure (and some randomness so it is not just memorised). */
export function structuredText(lines: number, seed = 7): string {
  const rng = new Random(seed);
  const names = ['count', 'index', 'total', 'value', 'size'];
  let out = '';
  for (let i = 0; i < lines; i++) {
    const a = names[Math.floor(rng.next() * names.length)];
    const b = names[Math.floor(rng.next() * names.length)];
    out += rng.next() < 0.5 ? `  ${a} = ${b} + 1;\n` : `  if (${a} < ${b}) {\n    ${a}++;\n  }\n`;
  }
  return out;
}

/** Unigram entropy of `text` in nats/char: what a model that ignores context achieves at best. */
export function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  let n = 0;
  for (const ch of text) {
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log(c / n);
  return h;
}

export function smallOptions(out: string, overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    ...DEFAULT_TRAIN_OPTIONS,
    out,
    layers: 1,
    hidden: 32,
    embedding: 16,
    seqLength: 32,
    batchSize: 8,
    epochs: 1000,
    maxSteps: 20,
    evalEvery: 10,
    valFrac: 0.1,
    patience: 0,
    ...overrides,
  };
}

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Runs the bundled CLI (npm test builds dist/ first), as a user would. */
export function charlens(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Trains on `text` as one file, as the CLI and the engine do after reading a corpus. */
export function trainText(text: string, options: TrainOptions, hooks?: TrainHooks): Promise<TrainResult> {
  return train(prepareTraining(text, [Array.from(text).length], options), options, hooks);
}

/** The model's probabilities after each of `ids`, from a zero state. */
export function stepProbabilities(model: InferenceModel, ids: Int32Array): Float32Array[] {
  const state = model.zeroState();
  return Array.from(ids, (id) => model.step(state, id).probs.slice());
}

/** Reads a model folder from disk the way tf.loadLayersModel's file loaders do. */
export function folderHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const manifest = json.weightsManifest[0];
      const data = fs.readFileSync(path.join(dir, manifest.paths[0]));
      return {
        modelTopology: json.modelTopology,
        weightSpecs: manifest.weights,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}
