// Issue 13 item 12: eval scores in pieces, and the pieces add up to the whole text. Needs `npm run build`.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/model/checkpoint';
import { InferenceModel } from '../../src/core/model/inference';
import { initialWeights } from '../../src/core/model/lstmInit';
import { fitMixtureWeight, meanNats, mixProbabilities, scoreWithLstm } from '../../src/core/predict/mixture';
import { NgramModel } from '../../src/core/ngram/kneserNey';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { charlens, structuredText, tempDir } from './helpers';

test('eval of a file longer than one piece prints what scoring the whole text at once gives, with progress', (t) => {
  const dir = tempDir(t);
  const text = structuredText(9000, 3) + '// 😀 astral characters straddle piece ends 😀\n'.repeat(2000);
  assert.ok(text.length > 3 * 65536, 'several pieces');
  const target = path.join(dir, 'held-out.c');
  fs.writeFileSync(target, text);
  const vocabulary = Vocabulary.fromText(text);
  const config = { vocabSize: vocabulary.size, embeddingSize: 4, hiddenSize: 8, layers: 1, dropout: 0 };
  saveCheckpoint(path.join(dir, 'model'), config, vocabulary, initialWeights(config, new Random(1)));

  const r = charlens('eval', path.join(dir, 'model'), target, '--order', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\] 100% Scoring [\d,]+\/[\d,]+ chars/);

  const ids = vocabulary.encode(text);
  const lstm = scoreWithLstm(InferenceModel.of(loadCheckpoint(path.join(dir, 'model'))), ids);
  const online = NgramModel.create({ order: 4, vocabSize: vocabulary.size }).score(ids, { online: true });
  const from = Math.floor(ids.length * 0.1);
  const weight = fitMixtureWeight(lstm.subarray(0, from), online.subarray(0, from));
  const f = (x: number) => x.toFixed(3);
  assert.ok(r.stdout.startsWith(`${f(meanNats(lstm))} nats/char`), r.stdout);
  assert.match(r.stdout, new RegExp(`^LSTM +${f(meanNats(lstm, from))} `, 'm'));
  assert.match(r.stdout, new RegExp(`^n-gram order 4 +- +${f(meanNats(online, from))} `, 'm'));
  assert.match(r.stdout, new RegExp(`^LSTM \\+ n-gram mixture +- +${f(meanNats(mixProbabilities(lstm, online, weight), from))} `, 'm'));
  assert.match(r.stdout, new RegExp(`^  LSTM weight +- +${f(weight)}$`, 'm'));
  assert.match(r.stdout, new RegExp(`${(ids.length - from).toLocaleString('en-US')} characters scored`));
});
