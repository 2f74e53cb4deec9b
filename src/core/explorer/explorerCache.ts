import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../atomicFile';
import { WeightArrays } from '../modelConfig';
import { NeuronRanking } from './neuronRanking';

/**
 * Explorer results live in the model folder, next to the weights they were
 * computed from, keyed by a hash of those weights and of the sample: a
 * retrained model (new weights, same folder) or another sample never reads
 * stale results. Anything unreadable counts as no cache, so the caller
 * recomputes.
 */
export const EXPLORER_FILE = 'explorer.json';
// Bump when the features or the ranking change meaning, so older files read as stale.
const CACHE_VERSION = 1;

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

export function readExplorerCache(modelDir: string, key: ExplorerCacheKey): NeuronRanking | undefined {
  let json: any;
  try {
    json = JSON.parse(fs.readFileSync(path.join(modelDir, EXPLORER_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const fresh = json?.version === CACHE_VERSION && json.key?.weights === key.weights && json.key?.sample === key.sample && json.key?.top === key.top;
  const ranking = json?.ranking;
  return fresh && Array.isArray(ranking?.features) && Array.isArray(ranking?.cells) ? (ranking as NeuronRanking) : undefined;
}

export function writeExplorerCache(modelDir: string, key: ExplorerCacheKey, ranking: NeuronRanking): void {
  writeFileAtomic(path.join(modelDir, EXPLORER_FILE), JSON.stringify({ version: CACHE_VERSION, key, ranking }));
}
