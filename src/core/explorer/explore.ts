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

export interface ExploreOptions extends RankOptions {
  /** Where the results are cached: the model's folder unless said (a shipped model's folder is the extension's install, not to be written). */
  cacheDir?: string;
}

/** The model's pass over `sample` (ranking, firing places, states): from the cache when it is fresh, else computed and cached. */
export async function explore(checkpoint: Checkpoint, sample: ExplorerSample, options: ExploreOptions = {}): Promise<ExploreResult> {
  const key: ExplorerCacheKey = { weights: weightsFingerprint(checkpoint.weights), sample: sample.fingerprint, top: options.top ?? DEFAULT_TOP };
  const cacheDir = options.cacheDir ?? checkpoint.dir;
  // A model may carry its own results (the shipped one does), read where it lies; new ones go to the cache folder.
  const cached = readExplorerCache(checkpoint.dir, key) ?? (cacheDir === checkpoint.dir ? undefined : readExplorerCache(cacheDir, key));
  if (cached) return { ...cached, fromCache: true };
  const model = InferenceModel.of(checkpoint);
  const pass = await passOverSample(model, checkpoint.vocabulary, sample.text, sample.features, { ...options, top: key.top });
  try {
    writeExplorerCache(cacheDir, key, pass);
    return { ...pass, fromCache: false };
  } catch (err) {
    return { ...pass, fromCache: false, cacheError: (err as Error).message };
  }
}
