// Why This Prediction through the engine's protocol and the CLI: the same
// figures as core's attribution on the document's reading, bad requests
// refused with what is wrong.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { Attributor, attribute } from '../../src/core/explain/attribution';
import { loadCheckpoint } from '../../src/core/model/checkpoint';
import { InferenceModel } from '../../src/core/model/inference';
import { DocumentTrace } from '../../src/core/predict/documentTrace';
import * as rpc from '../../src/engine/protocol';
import { startEngine, testFolders } from './engineProcess';
import { charlens, tempDir } from './helpers';

const SHIPPED = path.resolve(__dirname, '../../../models/default');
const TEXT = 'static int sum(const int *values, int count)\n{\n    int total = 0;\n    for (int i = 0; i < count; i++)\n        total += values[i];\n    return total;\n}\n';

test('the engine answers Why with core attribution\'s figures for the document; bad offsets and windows are refused', async (t) => {
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { folders: testFolders(t), backend: 'cpu', models: [{ dir: SHIPPED, source: 'default' }] });
  const at = TEXT.indexOf('count)') + 'count'.length;
  const answer = await connection.sendRequest(rpc.Why, { documentId: 'a', text: TEXT, offset: at });
  assert.equal(answer.char, ')');
  assert.equal(answer.window.length, at, 'fewer than the default 500 characters come before it: all of them');
  assert.ok(answer.ms >= 0 && answer.model === 'default');

  const checkpoint = loadCheckpoint(SHIPPED);
  const model = InferenceModel.of(checkpoint);
  const trace = new DocumentTrace(model, checkpoint.vocabulary);
  const direct = attribute(new Attributor(model, checkpoint.weights), model, checkpoint.vocabulary, TEXT, at, (o) => trace.stateBefore(TEXT, o));
  assert.ok(Math.abs(direct.probability - answer.probability) < 1e-6);
  direct.window.forEach((c, i) => assert.ok(Math.abs(c.nats - answer.window[i].nats) < 1e-6 && c.offset === answer.window[i].offset));

  const guess = await connection.sendRequest(rpc.Why, { documentId: 'a', text: TEXT, offset: TEXT.length, guess: true, window: 20 });
  assert.equal(guess.window.length, 20);
  assert.equal(guess.window[0].offset, TEXT.length - 20);

  const refused = async (params: object, code: number, message: RegExp) => {
    const err = await connection.sendRequest(rpc.Why, params as rpc.WhyParams).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ResponseError && err.code === code && message.test(err.message), String(err));
  };
  await refused({ documentId: 'a', text: TEXT, offset: TEXT.length + 1 }, rpc.ErrorCodes.invalidParams, /past the text's end/);
  await refused({ documentId: 'a', text: TEXT, offset: 5, window: 1001 }, rpc.ErrorCodes.invalidParams, /window/);
  await refused({ documentId: 'a', text: TEXT, offset: 0 }, rpc.ErrorCodes.userError, /Nothing comes before/);
  await refused({ documentId: 'a', text: TEXT, offset: TEXT.length }, rpc.ErrorCodes.userError, /top guess/);
});

test('charlens why prints the strongest contributions with their distance and place; an offset past the end is refused', (t) => {
  const file = path.join(tempDir(t), 'sum.c');
  fs.writeFileSync(file, TEXT);
  const at = TEXT.indexOf('count)') + 'count'.length;
  const r = charlens('why', SHIPPED, file, '--at', String(at), '--top', '3');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^The model gives "\)" \d+\.\d% at offset \d+ \(line 1, column 44\)\.$/);
  assert.equal(lines.length, 5);
  for (const line of lines.slice(2)) assert.match(line, /^ {2}the ".+" (just before|\d+ characters back), [+-]\d+\.\d+ nats +line 1, column \d+$/);
  const past = charlens('why', SHIPPED, file, '--at', String(TEXT.length + 1));
  assert.equal(past.code, 2);
  assert.match(past.stderr, /past the end/);
});
