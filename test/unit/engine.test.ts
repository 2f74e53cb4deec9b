import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as rpc from '../../src/engine/protocol';
import { startEngine, testFolders, tiny, trainingFinished } from './engineProcess';
import { structuredText, tempDir } from './helpers';

test('the engine trains in the background, answers completions meanwhile, and serves the new model', async (t) => {
  const workspace = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), structuredText(300));
  const out = path.join(tempDir(t), 'model');
  const { connection } = startEngine(t);
  const init = await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'wasm', models: [{ dir: out, source: 'workspace' }] });
  assert.equal(init.backend, 'wasm');
  assert.equal(init.model, undefined);
  await assert.rejects(connection.sendRequest(rpc.Complete, { documentId: 'a', prefix: 'int', maxChars: 5, temperature: 0, multiline: false }), /No model is loaded/);

  let progressDuringQueries = 0;
  connection.onNotification(rpc.TrainingProgress, (p) => p.kind === 'step' && progressDuringQueries++);
  const finished = trainingFinished(connection);
  const started = await connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { ...tiny, out, maxSteps: 40 } });
  assert.equal(started.report.files.length, 1);
  await assert.rejects(connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { out } }), /already running/);
  const status = await connection.sendRequest(rpc.Status);
  assert.equal(status.training, true, 'the engine answers while it trains');
  // From the first step on, the workspace n-gram completes: it already knows the corpus's lines.
  const instant = await connection.sendRequest(rpc.Complete, { documentId: 'doc', prefix: '  if (count < index) {\n    count', maxChars: 10, temperature: 0, multiline: false });
  assert.match(instant.answering, /n-gram/);
  assert.equal(instant.text, '++;');
  const text = structuredText(20);
  const overlay = await connection.sendRequest(rpc.Trace, { documentId: 'doc', text, from: 0, to: 100, neuron: { layer: 0, index: 0, kind: 'c' } });
  assert.match(overlay.answering, /n-gram/);
  assert.equal(overlay.probability.length, 100);
  assert.ok(overlay.probability.every((p) => p > 0 && p <= 1));

  const done = await finished;
  assert.equal(done.stopReason, 'finished');
  assert.equal(done.model?.source, 'workspace');
  assert.ok(progressDuringQueries > 0);
  const completion = await connection.sendRequest(rpc.Complete, { documentId: 'doc', prefix: '  if (count < ', maxChars: 20, temperature: 0, multiline: false });
  assert.equal(completion.model, 'workspace');
  // The mixture weight was fitted on the validation split and saved with the model.
  const mixture = JSON.parse(fs.readFileSync(path.join(out, 'mixture.json'), 'utf8')).content;
  assert.ok(mixture.weightOfLstm >= 0 && mixture.weightOfLstm <= 1);
  assert.ok(mixture.valNats.mixture <= Math.min(mixture.valNats.lstm, mixture.valNats.ngram) + 1e-6, JSON.stringify(mixture));
  assert.equal(completion.answering, done.model?.answering);
  assert.ok(completion.text.length > 0 && !completion.text.includes('\n'), JSON.stringify(completion.text));
});

test('a corrupt saved model is reported and the next candidate answers', async (t) => {
  const broken = tempDir(t);
  fs.writeFileSync(path.join(broken, 'model.json'), '{ not json');
  const shipped = path.resolve(__dirname, '../../../models/default');
  const { connection } = startEngine(t);
  const init = await connection.sendRequest(rpc.Initialize, {
    folders: testFolders(t),
    backend: 'cpu',
    models: [
      { dir: broken, source: 'workspace' },
      { dir: shipped, source: 'default' },
    ],
  });
  assert.match(init.modelProblems[0], /corrupt: model.json is not valid JSON/);
  assert.equal(init.model?.source, 'default');
});

test('bad training input is refused with a message and nothing saved is touched', async (t) => {
  const empty = tempDir(t);
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'wasm', models: [] });
  await assert.rejects(connection.sendRequest(rpc.StartTraining, { folder: empty, options: { out: path.join(empty, 'm') } }), /No source files found/);
  fs.writeFileSync(path.join(empty, 'x.c'), Buffer.from([0, 1, 2, 3]));
  await assert.rejects(connection.sendRequest(rpc.StartTraining, { folder: empty, options: { out: path.join(empty, 'm') } }), /binary/);
  assert.equal(fs.existsSync(path.join(empty, 'm')), false);
});

test('huge, binary, non-UTF-8 files and files outside the workspace are skipped with reasons and the rest is trained on', async (t) => {
  const workspace = tempDir(t);
  const secret = path.join(tempDir(t), 'passwd');
  fs.writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash SECRET-OUTSIDE\n'.repeat(100));
  fs.symlinkSync(secret, path.join(workspace, 'config.c'));
  fs.writeFileSync(path.join(workspace, 'good.c'), structuredText(200));
  fs.writeFileSync(path.join(workspace, 'huge.c'), Buffer.alloc(50 * 1024 * 1024, 'a'));
  fs.writeFileSync(path.join(workspace, 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]));
  fs.writeFileSync(path.join(workspace, 'latin1.c'), Buffer.from('/* caf\xe9 */\n', 'latin1'));
  const out = path.join(tempDir(t), 'model');
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'wasm', models: [] });
  const finished = trainingFinished(connection);
  const started = await connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { ...tiny, out, maxSteps: 5 } });
  const reasons = Object.fromEntries(started.report.skipped.map((s) => [s.path, s.reason]));
  assert.deepEqual(started.report.files.map((f) => f.path), ['good.c']);
  assert.match(reasons['huge.c'], /larger than/);
  assert.match(reasons['blob.c'], /binary/);
  assert.match(reasons['latin1.c'], /not valid UTF-8/);
  assert.match(reasons['config.c'], /^outside the workspace/);
  assert.equal((await finished).stopReason, 'finished');
  // The n-gram keeps its text verbatim, and completes from it: nothing of the secret is in the model.
  for (const file of fs.readdirSync(out)) assert.ok(!fs.statSync(path.join(out, file)).isFile() || !fs.readFileSync(path.join(out, file)).includes('SECRET-OUTSIDE'), file);
  const completion = await connection.sendRequest(rpc.Complete, { documentId: 'x', prefix: 'root:x:0:0:', maxChars: 30, temperature: 0, multiline: false });
  assert.doesNotMatch(completion.text, /bin\/bash/);
});

test('a model of another vocabulary completes text full of characters it never saw', async (t) => {
  const workspace = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), 'abab ab ba\n'.repeat(200));
  const out = path.join(tempDir(t), 'model');
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'wasm', models: [] });
  const finished = trainingFinished(connection);
  await connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { ...tiny, out, maxSteps: 10 } });
  await finished;
  // Precision 0: whatever the model gives the lowest threshold is shown, so that a model trained 10 steps shows something.
  const r = await connection.sendRequest(rpc.Complete, { documentId: 'x', prefix: 'ÄÖÜ → λ™ {', maxChars: 10, temperature: 0, multiline: false, precision: 0 });
  assert.ok(r.items.length > 0, JSON.stringify(r));
  for (const item of r.items) assert.match(item, /^[ab \n]*$/, 'only characters from its own vocabulary come out');
});

test('a completion asked while a slow training step runs is answered before that step ends', async (t) => {
  const workspace = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), structuredText(400));
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'wasm', models: [] });
  // A deliberately slow step: a big model on one thread, so a step takes far longer than a completion.
  const slow = { hidden: 384, layers: 2, embedding: 64, batchSize: 32, seqLength: 64, evalEvery: 1000, patience: 0, maxSteps: 2 };
  const events: string[] = [];
  let answered: Promise<void> | undefined;
  connection.onNotification(rpc.TrainingProgress, (p) => {
    if (p.kind !== 'step') return;
    events.push(`step ${p.step}`);
    // Step 2 is running now: ask, and note when the answer comes.
    if (p.step === 1) {
      answered = connection
        .sendRequest(rpc.Complete, { documentId: 'doc', prefix: '  if (count < index) {\n    count', maxChars: 10, temperature: 0, multiline: false })
        .then(() => void events.push('answered'));
    }
  });
  const finished = trainingFinished(connection);
  await connection.sendRequest(rpc.StartTraining, { folder: workspace, threads: 1, options: { ...slow, out: path.join(tempDir(t), 'model') } });
  await finished;
  await answered;
  assert.ok(events.indexOf('answered') >= 0 && events.indexOf('answered') < events.indexOf('step 2'), `answered during step 2: ${events.join(', ')}`);
});
