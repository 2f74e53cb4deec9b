import { Checkpoint } from '../model/checkpoint';
import { InferenceModel } from '../model/inference';
import { ExplorerCacheKey, readExplorerCache, weightsFingerprint, writeExplorerCache } from './explorerCache';
import { ExplorerSample } from './explorerSample';
import { DEFAULT_TOP, RankOptions } from './neuronRanking';
import { ExplorerPass, passOverSample } from './samplePass';

export interface ExploreResult extends ExplorerPass {
  fromCache: boolean;
  /** Why the result could not be cached (a read-only model folder, say); the result is good all the same. */
  cacheError?: string;
}

/** The model's pass over `sample` (ranking, firing places, states): from the model folder's cache when it is fresh, else computed and cached. */
export async function explore(checkpoint: Checkpoint, sample: ExplorerSample, options: RankOptions = {}): Promise<ExploreResult> {
  const key: ExplorerCacheKey = { weights: weightsFingerprint(checkpoint.weights), sample: sample.fingerprint, top: options.top ?? DEFAULT_TOP };
  const cached = readExplorerCache(checkpoint.dir, key);
  if (cached) return { ...cached, fromCache: true };
  const model = InferenceModel.of(checkpoint);
  const pass = await passOverSample(model, checkpoint.vocabulary, sample.text, sample.features, { ...options, top: key.top });
  try {
    writeExplorerCache(checkpoint.dir, key, pass);
    return { ...pass, fromCache: false };
  } catch (err) {
    return { ...pass, fromCache: false, cacheError: (err as Error).message };
  }
}
