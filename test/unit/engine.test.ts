import assert from 'node:assert/strict';
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, MessageConnection } from 'vscode-jsonrpc/node';
import * as rpc from '../../src/engine/protocol';
import { structuredText, tempDir } from './helpers';

/** The bundled engine process, driven over IPC exactly as the extension drives it. */
const ENGINE = path.resolve(__dirname, '../../../dist/engine.js');

function startEngine(t: { after: (fn: () => void) => void }): { child: ChildProcess; connection: MessageConnection } {
  const child = fork(ENGINE, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  t.after(() => {
    connection.dispose();
    child.kill();
  });
  return { child, connection };
}

function trainingFinished(connection: MessageConnection): Promise<rpc.TrainFinished> {
  return new Promise((resolve) => connection.onNotification(rpc.TrainingFinished, resolve));
}

const tiny = { hidden: 24, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, patience: 0 };

test('the engine trains in the background, answers completions meanwhile, and serves the new model', async (t) => {
  const workspace = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), structuredText(300));
  const out = path.join(tempDir(t), 'model');
  const { connection } = startEngine(t);
  const init = await connection.sendRequest(rpc.Initialize, { backend: 'wasm', models: [{ dir: out, source: 'workspace' }] });
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

  const done = await finished;
  assert.equal(done.stopReason, 'finished');
  assert.equal(done.model?.source, 'workspace');
  assert.ok(progressDuringQueries > 0);
  const completion = await connection.sendRequest(rpc.Complete, { documentId: 'doc', prefix: '  if (count < ', maxChars: 20, temperature: 0, multiline: false });
  assert.equal(completion.model, 'workspace');
  assert.ok(completion.text.length > 0 && !completion.text.includes('\n'), JSON.stringify(completion.text));
});

test('a corrupt saved model is reported and the next candidate answers', async (t) => {
  const broken = tempDir(t);
  fs.writeFileSync(path.join(broken, 'model.json'), '{ not json');
  const shipped = path.resolve(__dirname, '../../../models/default');
  const { connection } = startEngine(t);
  const init = await connection.sendRequest(rpc.Initialize, {
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
  await connection.sendRequest(rpc.Initialize, { backend: 'wasm', models: [] });
  await assert.rejects(connection.sendRequest(rpc.StartTraining, { folder: empty, options: { out: path.join(empty, 'm') } }), /No source files found/);
  fs.writeFileSync(path.join(empty, 'x.c'), Buffer.from([0, 1, 2, 3]));
  await assert.rejects(connection.sendRequest(rpc.StartTraining, { folder: empty, options: { out: path.join(empty, 'm') } }), /binary/);
  assert.equal(fs.existsSync(path.join(empty, 'm')), false);
});
