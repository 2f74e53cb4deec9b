import { splitIds, storedSplit } from '../core/text/batches';
import { loadCheckpoint } from '../core/model/checkpoint';
import { readCorpus } from '../core/text/corpus';
import { InferenceModel } from '../core/model/inference';
import { buildWorkspaceNgram } from '../core/ngram/workspaceNgram';
import { fitAndSaveMixture } from '../core/predict/workspaceMixture';

/**
 * Rebuilds a trained model's n-gram and mixture files (ngram.bin,
 * mixture.json) for its LSTM, as training would have, without retraining:
 * the corpus is split as the model's training split it. For the shipped
 * model: `npx tsc -p . && node out/src/cli/refitMixture.js models/default models/corpus`.
 */
function refitMixture(dir: string, folder: string): void {
  const checkpoint = loadCheckpoint(dir);
  const corpus = readCorpus(folder);
  const ids = checkpoint.vocabulary.encode(corpus.text);
  const split = splitIds(ids, storedSplit(checkpoint.metadata.training, corpus.report.files.map((f) => f.chars)));
  const started = performance.now();
  const ngram = buildWorkspaceNgram(split.train, checkpoint.vocabulary.size);
  const built = (performance.now() - started) / 1000;
  const info = fitAndSaveMixture(checkpoint, InferenceModel.of(checkpoint), checkpoint.vocabulary, ngram, split);
  process.stdout.write(`n-gram of ${split.train.length} chars built in ${built.toFixed(1)} s; ${JSON.stringify(info)}\n`);
}

if (require.main === module) {
  const [dir, folder] = process.argv.slice(2);
  if (!dir || !folder) throw new Error('usage: node out/src/cli/refitMixture.js <model dir> <corpus folder>');
  refitMixture(dir, folder);
}
