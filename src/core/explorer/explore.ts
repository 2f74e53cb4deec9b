import { Checkpoint } from '../model/checkpoint';
import { InferenceModel } from '../model/inference';
import { ExplorerCacheKey, readExplorerCache, writeExplorerCache } from './explorerCache';
import { ExplorerSample } from './explorerSample';
import { DEFAULT_TOP, RankOptions } from './neuronRanking';
import { ExplorerPass, passOverSample } from './samplePass';

export interface ExploreResult extends ExplorerPass {
  fromCache: boolean;
  /** Why the result could not be cached (a read-only model folder, say); the result is good all the same. */
  cacheError?: string;
  /** Why a cache that was there was not used (damaged, say): it was computed again and rewritten. */
  cacheDropped?: string;
}

/** The model's pass over `sample` (ranking, firing places, states): from the model folder's cache when it is fresh, else computed and cached. */
export async function explore(checkpoint: Checkpoint, sample: ExplorerSample, options: RankOptions = {}): Promise<ExploreResult> {
  const key: ExplorerCacheKey = { weights: checkpoint.fingerprint, sample: sample.fingerprint, top: options.top ?? DEFAULT_TOP };
  let cacheDropped: string | undefined;
  const cached = readExplorerCache(checkpoint.dir, key, { layers: checkpoint.config.layers, hiddenSize: checkpoint.config.hiddenSize }, (why) => (cacheDropped = why));
  if (cached) return { ...cached, fromCache: true };
  const model = InferenceModel.of(checkpoint);
  const pass = await passOverSample(model, checkpoint.vocabulary, sample.text, sample.features, { ...options, top: key.top });
  try {
    writeExplorerCache(checkpoint.dir, key, pass);
    return { ...pass, fromCache: false, cacheDropped };
  } catch (err) {
    return { ...pass, fromCache: false, cacheDropped, cacheError: (err as Error).message };
  }
}
