import { Checkpoint } from '../checkpoint';
import { InferenceModel } from '../inference';
import { ExplorerCacheKey, readExplorerCache, weightsFingerprint, writeExplorerCache } from './explorerCache';
import { ExplorerSample } from './explorerSample';
import { DEFAULT_TOP, NeuronRanking, RankOptions, rankNeurons } from './neuronRanking';

export interface ExploreResult {
  ranking: NeuronRanking;
  fromCache: boolean;
  /** Why the result could not be cached (a read-only model folder, say); the ranking is good all the same. */
  cacheError?: string;
}

/** The model's neuron ranking on `sample`: from the model folder's cache when it is fresh, else computed and cached. */
export async function explore(checkpoint: Checkpoint, sample: ExplorerSample, options: RankOptions = {}): Promise<ExploreResult> {
  const key: ExplorerCacheKey = { weights: weightsFingerprint(checkpoint.weights), sample: sample.fingerprint, top: options.top ?? DEFAULT_TOP };
  const cached = readExplorerCache(checkpoint.dir, key);
  if (cached) return { ranking: cached, fromCache: true };
  const model = InferenceModel.of(checkpoint);
  const ranking = await rankNeurons(model, checkpoint.vocabulary, sample.text, sample.features, { ...options, top: key.top });
  try {
    writeExplorerCache(checkpoint.dir, key, ranking);
    return { ranking, fromCache: false };
  } catch (err) {
    return { ranking, fromCache: false, cacheError: (err as Error).message };
  }
}
