// The engine at its protocol boundary: what a client sends is checked before
// it reaches the model, a failed training setup leaves the engine free,
// completions a newer one replaced (or the editor cancelled) are not
// computed, and errors nothing caught are reported instead of killing it.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { CancellationTokenSource, MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import * as rpc from '../../src/engine/protocol';
import { startEngine, tiny, trainingFinished } from './engineProcess';
import { structuredText, tempDir } from './helpers';

const SHIPPED = path.resolve(__dirname, '../../../models/default');

async function withShippedModel(t: Parameters<typeof startEngine>[0]): Promise<ReturnType<typeof startEngine>> {
  const engine = startEngine(t);
  const init = await engine.connection.sendRequest(rpc.Initialize, { backend: 'cpu', models: [{ dir: SHIPPED, source: 'default' }] });
  assert.equal(init.model?.source, 'default');
  return engine;
}

/** The request's error, which must be a JSON-RPC error response with `code`. */
async function failure(request: Promise<unknown>, code: number): Promise<string> {
  const err = await request.then(
    () => assert.fail('the request was answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ResponseError, String(err));
  assert.equal(err.code, code, err.message);
  return err.message;
}

/** The default prefix is one the shipped model is sure how to go on from ("++){"), so that a suggestion comes back. */
const completion = (documentId: string, prefix = 'int main(void) {\n  int i;\n  for (i = 0; i < n; i', extra: object = {}): rpc.CompleteParams =>
  ({ documentId, prefix, maxChars: 20, temperature: 0, multiline: false, ...extra }) as rpc.CompleteParams;

test('a training whose setup fails leaves the engine free to train, change backend and stop', async (t) => {
  const workspace = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), structuredText(200));
  const corrupt = tempDir(t);
  fs.writeFileSync(path.join(corrupt, 'model.json'), '{ not json');
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { backend: 'wasm', models: [] });
  const idle = async () => {
    assert.equal((await connection.sendRequest(rpc.Status)).training, false, 'the engine does not think it is training');
    assert.equal(await connection.sendRequest(rpc.StopTraining), false, 'Stop says nothing runs');
    assert.equal((await connection.sendRequest(rpc.SetBackend, { backend: 'cpu' })).backend, 'cpu');
  };

  // Resuming from a corrupt model fails while the run is set up.
  await failure(connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { ...tiny, out: corrupt, resume: true } }), rpc.ErrorCodes.userError);
  await idle();
  // Fractions that leave nothing to train on.
  const out = path.join(tempDir(t), 'model');
  const message = await failure(connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { ...tiny, out, valFrac: 0.6, testFrac: 0.5 } }), rpc.ErrorCodes.userError);
  assert.match(message, /less than 1/);
  await idle();

  const finished = trainingFinished(connection);
  await connection.sendRequest(rpc.StartTraining, { folder: workspace, options: { ...tiny, out, maxSteps: 3 } });
  assert.equal((await finished).stopReason, 'finished', 'a new training runs');
  await idle();
});

test('requests that do not match their schema are refused with a message naming the field', async (t) => {
  const { connection } = await withShippedModel(t);
  // Sent as a client with a bug would: the types are deliberately wrong.
  const bad = <P, R>(type: rpc.CheckedRequest<P, R>, params: unknown) => failure(connection.sendRequest(type, params as P), rpc.ErrorCodes.invalidParams);
  assert.match(await bad(rpc.Complete, completion('a', 42 as never)), /prefix must be a string/);
  assert.match(await bad(rpc.Complete, completion('a', 'int ', { temperature: 'hot' })), /temperature must be a number from 0 to 2, got "hot"/);
  assert.match(await bad(rpc.Complete, completion('a', 'int ', { maxChars: 100_000 })), /maxChars must be an integer from 1 to 400/);
  assert.match(await bad(rpc.Complete, completion('a', 'int ', { precision: 2 })), /precision must be a number from 0 to 1/);
  assert.match(await bad(rpc.Complete, completion('a', 'int ', { beamWidth: 0 })), /beamWidth must be an integer from 1 to 16/);
  assert.match(await bad(rpc.Complete, { documentId: 'a' }), /prefix must be/);
  assert.match(await bad(rpc.Complete, null), /must be an object, got null/);
  assert.match(await bad(rpc.Sample, { temperature: 0.8, length: 1e12, prime: '', seed: 1 }), /length must be an integer from 1 to 100,?000/);
  assert.match(await bad(rpc.Sample, { temperature: 0, length: 10, prime: '', seed: 1 }), /temperature must be a number from 0.01/);
  const neuron = { layer: 0, index: 0, kind: 'c' };
  assert.match(await bad(rpc.Trace, { documentId: 'a', text: 'abc', from: 2, to: 1, neuron }), /from <= to/);
  assert.match(await bad(rpc.Trace, { documentId: 'a', text: 'abc', from: 0, to: 3, neuron: { ...neuron, kind: 'x' } }), /neuron.kind must be one of c, h/);
  assert.match(await bad(rpc.Inspect, { documentId: 'a', text: 'abc', offset: 1.5, neuron, topK: 5 }), /offset must be an integer/);
  assert.match(await bad(rpc.Predict, { documentId: 'a', prefix: 'x', topK: -1 }), /topK must be an integer from 1 to 100/);
  assert.match(await bad(rpc.StartTraining, { folder: '/tmp', options: { out: '/tmp/m', hidden: '128' } }), /options.hidden must be an integer/);
  assert.match(await bad(rpc.SetBackend, { backend: 'quantum' }), /backend must be one of auto, tensorflow-gpu/);
  // None of that reached the model, which still answers; a field no schema names is left out, not refused.
  const ok = await connection.sendRequest(rpc.Complete, completion('a', undefined, { stream: true }));
  assert.ok(ok.text.length > 0);
  const traced = await connection.sendRequest(rpc.Trace, { documentId: 'a', text: 'int x;', from: 0, to: 6, neuron: { ...neuron, label: 'inside comment' } } as rpc.TraceParams);
  assert.equal(traced.activation.length, 6);
});

test('of many completions for one document sent at once, only the last is computed', async (t) => {
  const { connection } = await withShippedModel(t);
  const N = 200;
  // As when keystrokes pile up behind a slow request: the engine is busy while
  // they arrive. (One that arrives alone at an idle engine is the newest there
  // is, and is computed.)
  const busy = connection.sendRequest(rpc.Sample, { temperature: 1, length: 5000, prime: '', seed: 1 });
  const requests = Array.from({ length: N }, (_, i) => connection.sendRequest(rpc.Complete, completion('doc', `int main(void) {\n  int x${i} = `, { maxChars: 40 })));
  await busy;
  const t0 = performance.now();
  const results = await Promise.allSettled(requests);
  const ms = performance.now() - t0;
  const answered = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  assert.deepEqual(answered, [N - 1], 'only the newest request was answered');
  for (const r of results.slice(0, -1)) {
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof ResponseError && err.code === rpc.ErrorCodes.cancelled && /superseded/.test(err.message), String(err));
  }
  assert.ok(ms < 2000, `all ${N} settled ${ms.toFixed(0)} ms after the engine was free`);
  // Another document's completion is not superseded by these.
  const [a, b] = await Promise.all([connection.sendRequest(rpc.Complete, completion('one')), connection.sendRequest(rpc.Complete, completion('two'))]);
  assert.ok(a.text.length > 0 && b.text.length > 0);
});

test('a completion is the suggestion, then the beam\'s lines; at a temperature above 0 a sampled line joins them, and where the model is unsure nothing comes', async (t) => {
  const { connection } = await withShippedModel(t);
  const beam = await connection.sendRequest(rpc.Complete, completion('a', 'int main(void) {\n  int i;\n  for (i = 0; i < n; i+', { candidates: 3 }));
  assert.equal(beam.text, beam.items[0]);
  assert.ok(beam.items.length >= 2 && beam.items.length <= 3 && new Set(beam.items).size === beam.items.length, JSON.stringify(beam.items));
  const sampled = await connection.sendRequest(rpc.Complete, completion('b', 'int main(void) {\n  int i;\n  for (i = 0; i < n; i+', { candidates: 3, temperature: 2 }));
  assert.deepEqual(sampled.items.slice(0, -1), beam.items);
  assert.ok(!beam.items.includes(sampled.items[sampled.items.length - 1]), JSON.stringify(sampled.items));
  const unsure = await connection.sendRequest(rpc.Complete, completion('c', 'int main(void) {\n  int i;\n  for (i = 0; i < '));
  assert.deepEqual([unsure.text, unsure.items], ['', []]);
});

test('a completion the client cancelled while it waited is not computed', async (t) => {
  const { connection } = await withShippedModel(t);
  // Keeps the engine busy so that the completion and its cancellation both wait in the queue.
  const busy = connection.sendRequest(rpc.Sample, { temperature: 1, length: 20_000, prime: '', seed: 1 });
  const source = new CancellationTokenSource();
  const cancelledCompletion = connection.sendRequest(rpc.Complete, completion('doc'), source.token);
  source.cancel();
  assert.match(await failure(cancelledCompletion, rpc.ErrorCodes.cancelled), /cancelled/);
  assert.equal((await busy).text.length, 20_000);
});

test('an error nothing in the engine caught is logged with its stack and reported, and the engine goes on', async (t) => {
  const dir = tempDir(t);
  const faulty = path.join(dir, 'faulty.js');
  // Preloaded into the engine's process: a throw in a timer and a promise no one awaits.
  fs.writeFileSync(faulty, `setTimeout(() => { throw new Error('thrown in a timer'); }, 200);
setTimeout(() => { Promise.reject(new Error('rejected with no one waiting')); }, 300);
`);
  const { connection, log } = startEngine(t, ['--require', faulty]);
  const faults = collectFaults(connection, 2);
  const seen = await faults;
  assert.deepEqual(seen.map((f) => [f.kind, f.message]), [
    ['uncaughtException', 'thrown in a timer'],
    ['unhandledRejection', 'rejected with no one waiting'],
  ]);
  assert.match(seen[0].stack ?? '', /faulty\.js/);
  const status = await connection.sendRequest(rpc.Status);
  assert.equal(status.training, false, 'the engine still answers');
  assert.match(log(), /uncaughtException: Error: thrown in a timer\n\s+at .*faulty\.js/);
});

function collectFaults(connection: MessageConnection, n: number): Promise<rpc.EngineFaultParams[]> {
  const seen: rpc.EngineFaultParams[] = [];
  return new Promise((resolve) =>
    connection.onNotification(rpc.EngineFault, (f) => {
      seen.push(f);
      if (seen.length === n) resolve(seen);
    }),
  );
}
