import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../atomicFile';
import { WeightArrays } from '../model/modelConfig';
import { ExplorerPass } from './samplePass';

/**
 * Explorer results live in the model folder (or a cache folder of the
 * model's own, when its folder is not to be written), keyed by a hash of
 * the weights they were computed from and of the sample: a retrained model
 * (new weights, same folder) or another sample never reads stale results. Anything unreadable counts as no cache, so the caller
 * recomputes.
 */
export const EXPLORER_FILE = 'explorer.json';
/** The pass's saved states, binary: explorer.json names their hash, so a states file from another pass never passes for them. */
export const EXPLORER_STATES_FILE = 'explorer.states.bin';
// Bump when the features, the ranking or the firing places change meaning, so older files read as stale.
const CACHE_VERSION = 2;

export interface ExplorerCacheKey {
  weights: string;
  sample: string;
  top: number;
}

export function weightsFingerprint(weights: WeightArrays): string {
  const hash = crypto.createHash('sha256');
  for (const [name, values] of weights) {
    hash.update(name);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const hashOf = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);

export function readExplorerCache(cacheDir: string, key: ExplorerCacheKey): ExplorerPass | undefined {
  let json: any;
  let states: Buffer;
  try {
    json = JSON.parse(fs.readFileSync(path.join(cacheDir, EXPLORER_FILE), 'utf8'));
    states = fs.readFileSync(path.join(cacheDir, EXPLORER_STATES_FILE));
  } catch {
    return undefined;
  }
  const fresh = json?.version === CACHE_VERSION && json.key?.weights === key.weights && json.key?.sample === key.sample && json.key?.top === key.top;
  const { ranking, firing, statesShape } = json ?? {};
  const shaped = Array.isArray(ranking?.features) && Array.isArray(ranking?.cells) && Array.isArray(firing) && Number.isInteger(statesShape?.width) && Number.isInteger(statesShape?.interval);
  if (!fresh || !shaped || states.byteLength % 4 !== 0 || hashOf(states) !== statesShape.hash) return undefined;
  const data = new Float32Array(states.buffer.slice(states.byteOffset, states.byteOffset + states.byteLength));
  return { ranking, firing, states: { interval: statesShape.interval, width: statesShape.width, data } };
}

export function writeExplorerCache(cacheDir: string, key: ExplorerCacheKey, pass: ExplorerPass): void {
  const { interval, width, data } = pass.states;
  const bytes = bytesOf(data);
  fs.mkdirSync(cacheDir, { recursive: true });
  // The states first: explorer.json, written last, is what makes them count.
  writeFileAtomic(path.join(cacheDir, EXPLORER_STATES_FILE), bytes);
  writeFileAtomic(path.join(cacheDir, EXPLORER_FILE), JSON.stringify({ version: CACHE_VERSION, key, ranking: pass.ranking, firing: pass.firing, statesShape: { interval, width, hash: hashOf(bytes) } }));
}
