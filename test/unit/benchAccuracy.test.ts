import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { CommandArgs, parseCommand } from '../../src/cli/args';
import { benchAccuracy } from '../../src/cli/benchAccuracy';
import { commandSpec } from '../../src/cli/commandSpecs';
import { saveCheckpoint } from '../../src/core/model/checkpoint';
import { initialWeights } from '../../src/core/model/lstmInit';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { structuredText, tempDir } from './helpers';

/** Runs bench accuracy on a small corpus and an untrained model with `extra` arguments; what --json wrote. */
async function runBench(t: Parameters<typeof tempDir>[0], extra: string[] = []) {
  const dir = tempDir(t);
  const train = structuredText(400, 1);
  const testText = structuredText(80, 2);
  const vocabulary = Vocabulary.fromText(train + testText);
  const config = { vocabSize: vocabulary.size, embeddingSize: 8, hiddenSize: 16, layers: 1, dropout: 0 };
  const model = path.join(dir, 'model');
  saveCheckpoint(model, config, vocabulary, initialWeights(config, new Random(3)));
  fs.writeFileSync(path.join(dir, 'train.c'), train);
  fs.writeFileSync(path.join(dir, 'test.c'), testText);
  const json = path.join(dir, 'accuracy.json');
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    await benchAccuracy(parseCommand(commandSpec('bench'), ['accuracy', path.join(dir, 'train.c'), path.join(dir, 'test.c'), '--model', model, '--cursors', '40', '--json', json, ...extra]) as CommandArgs);
  } finally {
    process.stdout.write = write;
  }
  return { result: JSON.parse(fs.readFileSync(json, 'utf8')), train, testText };
}

test('bench accuracy --json writes every predictor, static and online, for the README tables', async (t) => {
  const { result, train, testText } = await runBench(t);
  assert.equal(result.cursors, 40);
  assert.equal(result.testChars, Array.from(testText).length);
  assert.ok(result.ngram.diskBytes > 0 && result.ngram.trainChars === Array.from(train).length);
  const by = Object.fromEntries(result.predictors.map((p: { name: string }) => [p.name, p]));
  assert.deepEqual(Object.keys(by), ['LSTM', 'n-gram', 'mixture', 'mixer', 'LSTM dyn', 'mixer dyn']);
  // The LSTM's weights are fixed (no online row); dynamic evaluation only adapts online (no static row).
  assert.equal(by.LSTM.online, null);
  assert.equal(by['LSTM dyn'].static, null);
  for (const p of result.predictors) for (const f of [p.static, p.online].filter(Boolean)) assert.ok(f.exact >= 0 && f.exact <= 1 && f.chars >= 0 && f.nats > 0, JSON.stringify(p));
  // Reading the test text helps the n-gram; an untrained LSTM adapting to it beats itself static.
  assert.ok(by['n-gram'].online.nats < by['n-gram'].static.nats);
  assert.ok(by['LSTM dyn'].online.nats < by.LSTM.static.nats);
  assert.ok(result.fullNetworkNats > 0);
});

test('bench accuracy --predictors measures only those named, online only for dynamic evaluation, without the full-network line', async (t) => {
  const { result } = await runBench(t, ['--predictors', 'mixer-dyn']);
  assert.deepEqual(result.predictors.map((p: { name: string }) => p.name), ['mixer dyn']);
  const [p] = result.predictors;
  assert.equal(p.static, null);
  assert.ok(p.online.nats > 0 && p.online.decoders.suggestion.shown >= 0, JSON.stringify(p));
  // The bound is the longest right cut: always right, and no rule for choosing a cut accepts more.
  const { suggestion, bound } = p.online.decoders;
  assert.ok(bound.shown > 0 && bound.right === 1, JSON.stringify(bound));
  assert.ok(bound.accepted >= suggestion.accepted && bound.length >= 1, JSON.stringify(p.online.decoders));
  assert.equal(result.fullNetworkNats, null);
  await assert.rejects(runBench(t, ['--predictors', 'mixer-dyn,lstm-dyn,gru']), /--predictors takes .*not gru/);
});
