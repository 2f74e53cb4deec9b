// Scrolling fast sends the engine one overlay request per view; only the
// view on screen now is worth tracing, so the ones a newer view of the same
// document replaced while they waited are answered as cancelled, unrun.
import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import * as rpc from '../../src/engine/protocol';
import { startEngine, testFolders } from './engineProcess';
import { structuredText } from './helpers';

const SHIPPED = path.resolve(__dirname, '../../../models/default');
const neuron = { layer: 0, index: 0, kind: 'c' } as const;

test('overlay requests a newer view replaced are dropped; the newest is traced, and other documents are not affected', async (t) => {
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { backend: 'cpu', models: [{ dir: SHIPPED, source: 'default' }], folders: testFolders(t) });
  const text = structuredText(3000);
  const view = (k: number) => ({ documentId: 'scrolled.c', text, from: k * 1500, to: k * 1500 + 1500, neuron });
  // A burst sent at once, as key repeats arrive faster than a trace takes.
  const burst = Array.from({ length: 12 }, (_, k) => connection.sendRequest(rpc.Trace, view(k)).then((r) => r, (e: unknown) => e));
  const other = connection.sendRequest(rpc.Trace, { documentId: 'other.c', text, from: 0, to: 500, neuron });
  const answers = await Promise.all(burst);
  const dropped = answers.filter((a) => a instanceof ResponseError && a.code === rpc.ErrorCodes.cancelled);
  // The first views may start before the rest arrive; most wait, and those are dropped.
  assert.ok(dropped.length >= 4, `${dropped.length} of 12 replaced views dropped`);
  assert.ok(!(answers.at(-1) instanceof ResponseError), 'the newest view is traced');
  assert.equal((answers.at(-1) as rpc.TraceResult).probability.length, 1500);
  assert.equal((await other).probability.length, 500, 'a request for another document is not replaced');
});

test('the validation figures the editor shows are in bits/char', () => {
  const text = rpc.describeValidation({ answering: Math.LN2, lstm: 2 * Math.LN2, ngram: 1.5 * Math.LN2, online: true, dynamic: { lstm: 1.25 * Math.LN2, enabled: false } });
  assert.equal(text, 'validation 1.000 bits/char online (LSTM 2.000, dynamically evaluated 1.250 (off in the settings), n-gram 1.500)');
});
