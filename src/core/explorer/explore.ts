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

export interface ExploreOptions extends RankOptions {
  /** Where the results are cached: the model's folder unless said (a shipped model's folder is the extension's install, not to be written). */
  cacheDir?: string;
}

/** The model's pass over `sample` (ranking, firing places, states): from the cache when it is fresh, else computed and cached. */
export async function explore(checkpoint: Checkpoint, sample: ExplorerSample, options: ExploreOptions = {}): Promise<ExploreResult> {
  const key: ExplorerCacheKey = { weights: checkpoint.fingerprint, sample: sample.fingerprint, top: options.top ?? DEFAULT_TOP };
  const cacheDir = options.cacheDir ?? checkpoint.dir;
  const shape = { layers: checkpoint.config.layers, hiddenSize: checkpoint.config.hiddenSize };
  let cacheDropped: string | undefined;
  const dropped = (why: string) => (cacheDropped = why);
  // A model may carry its own results (the shipped one does), read where it lies; new ones go to the cache folder.
  const cached = readExplorerCache(checkpoint.dir, key, shape, dropped) ?? (cacheDir === checkpoint.dir ? undefined : readExplorerCache(cacheDir, key, shape, dropped));
  if (cached) return { ...cached, fromCache: true };
  const model = InferenceModel.of(checkpoint);
  const pass = await passOverSample(model, checkpoint.vocabulary, sample.text, sample.features, { ...options, top: key.top, partStarts: sample.parts.map((p) => p.at) });
  try {
    writeExplorerCache(cacheDir, key, pass);
    return { ...pass, fromCache: false, cacheDropped };
  } catch (err) {
    return { ...pass, fromCache: false, cacheDropped, cacheError: (err as Error).message };
  }
}
