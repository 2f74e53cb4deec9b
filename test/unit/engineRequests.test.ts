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
import { startEngine, testFolders, tiny, trainingFinished } from './engineProcess';
import { structuredText, tempDir } from './helpers';

const SHIPPED = path.resolve(__dirname, '../../../models/default');

async function withShippedModel(t: Parameters<typeof startEngine>[0]): Promise<ReturnType<typeof startEngine>> {
  const engine = startEngine(t);
  const init = await engine.connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'cpu', models: [{ dir: SHIPPED, source: 'default' }] });
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
  await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'wasm', models: [] });
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

test('the backend probe says which backends load here and why the others do not, and leaves the one in use alone', async (t) => {
  const { connection } = await withShippedModel(t);
  const probe = await connection.sendRequest(rpc.ProbeBackends);
  assert.deepEqual([probe.inUse, probe.description], ['cpu', 'cpu (plain JavaScript)']);
  assert.deepEqual(
    probe.backends.map((b) => b.name),
    ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
  );
  const byName = new Map(probe.backends.map((b) => [b.name, b]));
  // Neither tfjs-node package is installed here.
  assert.match(byName.get('tensorflow-gpu')!.unavailable ?? '', /^@tensorflow\/tfjs-node-gpu is not installed \(it needs CUDA/);
  assert.match(byName.get('tensorflow')!.unavailable ?? '', /^@tensorflow\/tfjs-node is not installed/);
  assert.equal(byName.get('wasm')!.unavailable, undefined);
  assert.match(byName.get('wasm')!.description ?? '', /^wasm/);
  // This machine has no GPU: webgpu is the software adapter, or does not load.
  const webgpu = byName.get('webgpu')!;
  assert.ok(webgpu.unavailable ? !webgpu.software : webgpu.software && /software/.test(webgpu.description ?? ''), JSON.stringify(webgpu));
  assert.equal((await connection.sendRequest(rpc.Status)).backend, 'cpu', 'probing switched nothing');
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
  const folder = path.resolve(SHIPPED, '../corpus');
  assert.match(await bad(rpc.CellHistory, { folder, neuron, line: { text: 'x'.repeat(1000), from: 0, to: 1000 } }), /line: need from <= to <= text length and at most 400 characters/);
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
  const unsure = await connection.sendRequest(rpc.Complete, completion('c', 'int main(void) {\n  int i;\n  for ('));
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

test('memory stays flat over 50,000 completions cancelled before they ran or refused by the schema, each for its own document', async (t) => {
  const probe = path.join(tempDir(t), 'heapProbe.js');
  // Preloaded into the engine's process: SIGUSR2 logs the heap after a full collection.
  fs.writeFileSync(probe, `process.on('SIGUSR2', () => { global.gc(); process.stderr.write('heapUsed ' + process.memoryUsage().heapUsed + '\\n'); });\n`);
  const engine = startEngine(t, ['--expose-gc', '--require', probe]);
  await engine.connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'cpu', models: [{ dir: SHIPPED, source: 'default' }] });
  const heapUsed = async (): Promise<number> => {
    const seen = engine.log().length;
    engine.child.kill('SIGUSR2');
    for (;;) {
      const line = /heapUsed (\d+)/.exec(engine.log().slice(seen));
      if (line) return Number(line[1]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const prefix = 'x'.repeat(1000);
  let documents = 0;
  /** `n` requests, half cancelled while the engine was busy, half refused (maxChars 0), each for a new document. */
  const burst = async (n: number) => {
    const busy = engine.connection.sendRequest(rpc.Sample, { temperature: 1, length: 2000, prime: '', seed: 1 });
    const settled: Array<Promise<unknown>> = [busy];
    for (let i = 0; i < n; i += 2) {
      const source = new CancellationTokenSource();
      settled.push(engine.connection.sendRequest(rpc.Complete, completion(`doc${documents++}`, prefix), source.token).catch(() => undefined));
      source.cancel();
      settled.push(engine.connection.sendRequest(rpc.Complete, completion(`doc${documents++}`, prefix, { maxChars: 0 })).catch(() => undefined));
    }
    await Promise.all(settled);
  };
  await burst(2000);
  const before = await heapUsed();
  for (let sent = 0; sent < 50_000; sent += 2000) await burst(2000);
  const grown = (await heapUsed()) - before;
  // Kept, the 50,000 prefixes alone would hold 50 MB.
  assert.ok(grown < 10e6, `the engine's heap grew ${(grown / 1e6).toFixed(1)} MB`);
  assert.ok((await engine.connection.sendRequest(rpc.Complete, completion('after'))).text.length > 0, 'the engine still completes');
});

test('requests that name paths accept only absolute paths in the folders handed over at initialization', async (t) => {
  const storage = tempDir(t);
  const workspace = tempDir(t);
  const elsewhere = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), 'int a;\n'.repeat(50));
  // Another program's files, which a training there would replace or delete.
  fs.writeFileSync(path.join(elsewhere, 'model.json'), '{"theirs": true}');
  fs.symlinkSync(elsewhere, path.join(storage, 'link'));
  const { connection } = startEngine(t);
  const refused = async <P, R>(type: rpc.CheckedRequest<P, R>, params: unknown, message: RegExp) => assert.match(await failure(connection.sendRequest(type, params as P), rpc.ErrorCodes.invalidParams), message);
  const train = (folder: string, out: string) => ({ folder, options: { ...tiny, out, maxSteps: 1 } });
  assert.match(await failure(connection.sendRequest(rpc.StartTraining, train(workspace, path.join(storage, 'model'))), rpc.ErrorCodes.userError), /not initialized/);
  const folders = { storage: [storage], corpora: [workspace, path.dirname(SHIPPED)], models: [path.dirname(SHIPPED)], caches: path.join(storage, 'explorer') };
  await refused(rpc.Initialize, { backend: 'cpu', folders: { ...folders, storage: ['storage'] }, models: [] }, /folders must be an absolute path/);
  await refused(rpc.Initialize, { backend: 'cpu', folders: { ...folders, caches: elsewhere }, models: [] }, /caches must lie in a storage folder/);
  await refused(rpc.Initialize, { backend: 'cpu', folders, models: [{ dir: `${storage}/../x`, source: 'workspace' }] }, /models\[0\]\.dir must be an absolute path without \. or \.\. parts/);
  await connection.sendRequest(rpc.Initialize, { backend: 'cpu', folders, models: [{ dir: SHIPPED, source: 'default' }] });

  await refused(rpc.StartTraining, train(workspace, 'model'), /options\.out must be an absolute path without \. or \.\. parts, got "model"/);
  await refused(rpc.StartTraining, train(workspace, `${storage}/../${path.basename(elsewhere)}`), /options\.out must be an absolute path without/);
  await refused(rpc.StartTraining, train(workspace, elsewhere), /options\.out must lie in the extension's storage/);
  await refused(rpc.StartTraining, train(workspace, path.join(storage, 'link')), /options\.out must lie in the extension's storage/);
  await refused(rpc.StartTraining, train(elsewhere, path.join(storage, 'model')), /folder must lie in the workspace/);
  await refused(rpc.StartTraining, train(`${workspace}/./`, path.join(storage, 'model')), /folder must be an absolute path/);
  await refused(rpc.LoadModel, { dir: 'models/default', source: 'file' }, /dir must be an absolute path/);
  await refused(rpc.LoadModel, { dir: `${SHIPPED}/..`, source: 'file' }, /dir must be an absolute path/);
  await refused(rpc.LoadModel, { dir: SHIPPED, source: 'workspace' }, /dir must lie in the extension's storage/);
  await refused(rpc.LoadModel, { dir: path.join(storage, 'model'), source: 'default' }, /dir must lie in the extension's models/);
  await refused(rpc.ExploreNeurons, { folder: '/etc' }, /folder must lie in the workspace/);
  await refused(rpc.ModelReport, { folder: `${workspace}/../${path.basename(elsewhere)}` }, /folder must be an absolute path/);
  assert.deepEqual(fs.readdirSync(elsewhere), ['model.json'], 'nothing was written elsewhere');
  assert.equal(fs.readFileSync(path.join(elsewhere, 'model.json'), 'utf8'), '{"theirs": true}');

  // What lies in them is served: a model the user picked (anywhere: it is only read), and training into storage.
  assert.equal((await connection.sendRequest(rpc.LoadModel, { dir: SHIPPED, source: 'file' })).source, 'file');
  const finished = trainingFinished(connection);
  await connection.sendRequest(rpc.StartTraining, train(workspace, path.join(storage, 'model')));
  assert.equal((await finished).stopReason, 'finished');
});

test('exploring a model outside storage caches its results in the caches folder, never in the model folder', async (t) => {
  const install = tempDir(t);
  const storage = tempDir(t);
  const shipped = path.join(install, 'default');
  fs.mkdirSync(shipped);
  // The shipped model without its precomputed results, as when they are stale.
  for (const f of fs.readdirSync(SHIPPED)) if (!f.startsWith('explorer')) fs.copyFileSync(path.join(SHIPPED, f), path.join(shipped, f));
  const before = fs.readdirSync(shipped).sort();
  const corpus = path.resolve(SHIPPED, '../corpus');
  const { connection } = startEngine(t);
  const folders = { storage: [storage], corpora: [path.dirname(corpus)], models: [install], caches: path.join(storage, 'explorer') };
  await connection.sendRequest(rpc.Initialize, { backend: 'cpu', folders, models: [{ dir: shipped, source: 'default' }] });
  assert.equal((await connection.sendRequest(rpc.ExploreNeurons, { folder: corpus })).fromCache, false);
  assert.deepEqual(fs.readdirSync(shipped).sort(), before, 'nothing was written into the model folder');
  const [cache] = fs.readdirSync(folders.caches);
  assert.deepEqual(fs.readdirSync(path.join(folders.caches, cache)).sort(), ['explorer.json', 'explorer.states.bin']);
  // A new engine finds them there.
  const again = startEngine(t);
  await again.connection.sendRequest(rpc.Initialize, { backend: 'cpu', folders, models: [{ dir: shipped, source: 'default' }] });
  assert.equal((await again.connection.sendRequest(rpc.ExploreNeurons, { folder: corpus })).fromCache, true);
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
