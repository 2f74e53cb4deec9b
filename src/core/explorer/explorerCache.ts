import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { BoundFileError, readBoundBytes, readBoundJson, stageBoundBytes, stageBoundJson } from '../model/boundFile';
import { ExplorerPass } from './samplePass';

/**
 * Explorer results live in the model folder (or a cache folder of the
 * model's own, when its folder is not to be written), next to the weights
 * they were computed from and bound to them (boundFile.ts: a retrained model
 * never reads stale results, and its first save removes those in its
 * folder), keyed by the sample: another sample never reads them either. A
 * cache that is there but unusable (damaged, or of another shape than the
 * model) is refused with the reason; the caller recomputes and writes it
 * again.
 */
export const EXPLORER_FILE = 'explorer.json';
/** The pass's saved states, binary: explorer.json names their hash, so a states file from another pass never passes for them. */
export const EXPLORER_STATES_FILE = 'explorer.states.bin';
// Bump when the features, the ranking or the firing places change meaning, so older files read as stale (4: firing keeps candidates, each file's strongest among them).
const CACHE_VERSION = 4;

export interface ExplorerCacheKey {
  /** The checkpoint's fingerprint. */
  weights: string;
  sample: string;
  top: number;
}

/** The model's shape, which a cached pass must have. */
export interface ExplorerShape {
  layers: number;
  hiddenSize: number;
}

const hashOf = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** The cached pass for `key`, if there is a usable one; `unusable` hears why a cache that is there is not used. */
export function readExplorerCache(cacheDir: string, key: ExplorerCacheKey, shape: ExplorerShape, unusable?: (why: string) => void): ExplorerPass | undefined {
  const file = path.join(cacheDir, EXPLORER_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    const json = readBoundJson(file, key.weights) as any;
    if (json?.version !== CACHE_VERSION) throw new BoundFileError(file, 'damaged', 'is of an older CharLens');
    if (json.key?.sample !== key.sample || json.key?.top !== key.top) return undefined; // another sample or ranking size: not an error
    const states = readBoundBytes(path.join(cacheDir, EXPLORER_STATES_FILE), key.weights);
    const problem = shapeProblem(json, shape, states);
    if (problem) throw new BoundFileError(file, 'damaged', `is unusable: ${problem}`);
    const data = new Float32Array(states.buffer.slice(states.byteOffset, states.byteOffset + states.byteLength));
    return { ranking: json.ranking, firing: json.firing, states: { interval: json.statesShape.interval, width: json.statesShape.width, data } };
  } catch (err) {
    if (!(err instanceof BoundFileError)) throw err;
    unusable?.(`${err.message}; the explorer's pass is computed again`);
    return undefined;
  }
}

export function writeExplorerCache(cacheDir: string, key: ExplorerCacheKey, pass: ExplorerPass): void {
  const { interval, width, data } = pass.states;
  fs.mkdirSync(cacheDir, { recursive: true });
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const states = stageBoundBytes(path.join(cacheDir, EXPLORER_STATES_FILE), bytes, key.weights);
  const cache = { version: CACHE_VERSION, key: { sample: key.sample, top: key.top }, ranking: pass.ranking, firing: pass.firing, statesShape: { interval, width, hash: hashOf(bytes) } };
  let json;
  try {
    json = stageBoundJson(path.join(cacheDir, EXPLORER_FILE), cache, key.weights);
  } catch (err) {
    states.abort();
    throw err;
  }
  // The states first: explorer.json, committed last, is what makes them count.
  states.commit();
  json.commit();
}

/** What makes a cached pass unusable for a model of `shape`, in words; undefined when it is usable. */
function shapeProblem(json: any, shape: ExplorerShape, states: Uint8Array): string | undefined {
  const { layers, hiddenSize } = shape;
  const cells = layers * hiddenSize;
  const { ranking, firing, statesShape } = json;
  if (ranking?.layers !== layers || ranking?.hiddenSize !== hiddenSize) return `its ranking is of a ${ranking?.layers}x${ranking?.hiddenSize} model, not ${layers}x${hiddenSize}`;
  if (!Array.isArray(ranking.features) || !Array.isArray(ranking.cells)) return 'its ranking has no features or cells';
  if (!ranking.cells.every((c: any) => isCell(c, layers, hiddenSize) && Number.isFinite(c.r))) return 'its ranking names cells the model does not have';
  if (!Array.isArray(firing) || firing.length !== cells) return `it holds firing places of ${Array.isArray(firing) ? firing.length : 'no'} cells, not ${cells}`;
  const places = (list: unknown) => Array.isArray(list) && list.every((p: any) => Number.isInteger(p?.at) && p.at >= 0 && Number.isFinite(p.value));
  const wrong = firing.findIndex((f: any, i: number) => !(f?.layer * hiddenSize + f?.cell === i && isCell(f, layers, hiddenSize) && Number.isFinite(f.mean) && places(f.highest) && places(f.lowest) && places(f.quantiles)));
  if (wrong >= 0) return `the firing places of cell ${wrong} are damaged`;
  if (statesShape?.width !== 2 * cells || !(Number.isInteger(statesShape.interval) && statesShape.interval > 0)) return 'its states are of another shape';
  if (states.byteLength % (4 * statesShape.width) !== 0 || hashOf(states) !== statesShape.hash) return `${EXPLORER_STATES_FILE} is of another pass`;
  return undefined;
}

const isCell = (c: any, layers: number, hiddenSize: number): boolean => Number.isInteger(c?.layer) && c.layer >= 0 && c.layer < layers && Number.isInteger(c.cell) && c.cell >= 0 && c.cell < hiddenSize;
