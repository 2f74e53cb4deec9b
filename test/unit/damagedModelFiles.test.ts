// Issue 20 items 5 and 9: every file of a model folder is bound to its weights and checked on load;
// a bad part is dropped with the reason logged, and the rest answers.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { explore } from '../../src/core/explorer/explore';
import { EXPLORER_FILE, EXPLORER_STATES_FILE } from '../../src/core/explorer/explorerCache';
import { explorerSample } from '../../src/core/explorer/explorerSample';
import { readBoundBytes, readBoundJson, stageBoundBytes, stageBoundJson } from '../../src/core/model/boundFile';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/model/checkpoint';
import { InferenceModel } from '../../src/core/model/inference';
import { NGRAM_FILE, buildWorkspaceNgram } from '../../src/core/ngram/workspaceNgram';
import { MIXTURE_FILE, fitAndSaveMixture } from '../../src/core/predict/workspaceMixture';
import { ModelHost } from '../../src/engine/modelHost';
import { tempDir, structuredText } from './helpers';
import { config, vocabulary, weights } from './tinyModel';

const text = structuredText(400).replace(/[^a-z (){};=+<>\n\t]/g, ' ');

/** A trained-looking model folder: checkpoint, n-gram and mixture bound to its weights. */
function modelFolder(t: Parameters<typeof tempDir>[0], w = weights) {
  const dir = tempDir(t);
  saveCheckpoint(dir, config, vocabulary, w);
  const checkpoint = loadCheckpoint(dir);
  const ids = vocabulary.encode(text);
  fitAndSaveMixture(checkpoint, InferenceModel.of(checkpoint), vocabulary, buildWorkspaceNgram(ids.subarray(0, 8000), vocabulary.size), { val: ids.subarray(8000, 10000), test: ids.subarray(10000) });
  return { dir, checkpoint };
}

/** Loads as the engine does, with what it logs. */
function loadHost(dir: string): { host: ModelHost; log: string } {
  let log = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => ((log += chunk), true)) as typeof process.stderr.write;
  try {
    return { host: ModelHost.load(dir, 'workspace'), log };
  } finally {
    process.stderr.write = write;
  }
}

test('a new model never answers with the n-gram and mixture of the model it replaced: its first save removes them', (t) => {
  const { dir } = modelFolder(t);
  const retrained = new Map([...weights].map(([name, w]) => [name, w.map((v) => v * 0.5)]));
  // As a killed retraining leaves the folder: its first checkpoint, beside the old model's files.
  const files = { ngram: fs.readFileSync(path.join(dir, NGRAM_FILE)), mixture: fs.readFileSync(path.join(dir, MIXTURE_FILE)) };
  saveCheckpoint(dir, config, vocabulary, retrained);
  assert.ok(!fs.existsSync(path.join(dir, NGRAM_FILE)) && !fs.existsSync(path.join(dir, MIXTURE_FILE)), 'the save removed them');
  // Put back (copied from elsewhere, say): refused by the fingerprint, with the reason in the log.
  fs.writeFileSync(path.join(dir, NGRAM_FILE), files.ngram);
  fs.writeFileSync(path.join(dir, MIXTURE_FILE), files.mixture);
  const { host, log } = loadHost(dir);
  assert.equal(host.answering, 'LSTM');
  assert.match(log, /its n-gram is not used \(mixture\.json belongs to other weights \([0-9a-f]{16}\) than the model's \([0-9a-f]{16}\)\); the LSTM answers alone/);
});

test('a damaged n-gram, a mixture without its figures, or a NaN discount drops the mixture with the reason, and the LSTM answers', (t) => {
  const { dir, checkpoint } = modelFolder(t);
  assert.match(loadHost(dir).host.answering, /n-gram/, 'whole, the mixture answers');
  const ngramFile = path.join(dir, NGRAM_FILE);
  const mixtureFile = path.join(dir, MIXTURE_FILE);
  const ngramBytes = fs.readFileSync(ngramFile);
  const mixture = readBoundJson(mixtureFile, checkpoint.fingerprint) as Record<string, unknown>;

  const flipped = Buffer.from(ngramBytes);
  flipped[100] ^= 0x40; // a discount of the suffix-array model
  fs.writeFileSync(ngramFile, flipped);
  let loaded = loadHost(dir);
  assert.equal(loaded.host.answering, 'LSTM');
  assert.match(loaded.log, /ngram\.bin is damaged \(its content does not match its checksum\)/);
  assert.ok(loaded.host.sample({ prime: 'int ', length: 20, temperature: 1, seed: 1 }).length > 0, 'the LSTM answers');

  // The same damage written with a good checksum (by a bug, say): the reader's range check refuses it.
  fs.writeFileSync(ngramFile, ngramBytes);
  const payload = Buffer.from(readBoundBytes(ngramFile, checkpoint.fingerprint));
  payload.writeDoubleLE(NaN, 16); // the first discount, after the suffix-array model's 16-byte header
  stageBoundBytes(ngramFile, payload, checkpoint.fingerprint).commit();
  loaded = loadHost(dir);
  assert.equal(loaded.host.answering, 'LSTM');
  assert.match(loaded.log, /suffix-array n-gram is corrupt \(discount 0 is NaN\)/);

  fs.writeFileSync(ngramFile, ngramBytes);
  const { valNats: _dropped, ...withoutFigures } = mixture;
  stageBoundJson(mixtureFile, withoutFigures, checkpoint.fingerprint, 2).commit();
  loaded = loadHost(dir);
  assert.equal(loaded.host.answering, 'LSTM');
  assert.match(loaded.log, /mixture\.json lacks its validation figures \(valNats\)/);
  assert.equal(loaded.host.info.validation, undefined, 'the model info is whole, without the figures');
});

test('an explorer cache with no firing places or damaged states is refused with the reason, computed again and rewritten', async (t) => {
  const { dir, checkpoint } = modelFolder(t);
  const sample = explorerSample([{ path: 'a.c', text: text.slice(0, 3000) }]);
  const first = await explore(checkpoint, sample);
  const file = path.join(dir, EXPLORER_FILE);
  const cache = readBoundJson(file, checkpoint.fingerprint) as Record<string, unknown>;
  stageBoundJson(file, { ...cache, firing: [] }, checkpoint.fingerprint).commit();
  const again = await explore(checkpoint, sample);
  assert.equal(again.fromCache, false);
  assert.match(again.cacheDropped!, /explorer\.json is unusable: it holds firing places of 0 cells, not 32; the explorer's pass is computed again/);
  assert.deepEqual(again.firing, first.firing);
  assert.equal((await explore(checkpoint, sample)).fromCache, true, 'the rebuilt cache is read');
  const states = path.join(dir, EXPLORER_STATES_FILE);
  const bytes = fs.readFileSync(states);
  bytes[bytes.length - 3] ^= 0x10;
  fs.writeFileSync(states, bytes);
  const third = await explore(checkpoint, sample);
  assert.match(third.cacheDropped!, /explorer\.states\.bin is damaged \(its content does not match its checksum\)/);
  assert.deepEqual(third.states, first.states);
});
