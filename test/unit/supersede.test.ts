// The engine's record of the newest completion per document (supersede.ts):
// it ends with the request's response, whatever the response is, and with
// the document.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Message, RequestMessage, ResponseMessage } from 'vscode-jsonrpc/node';
import { LatestPerDocument } from '../../src/engine/supersede';

const METHOD = 'charlens/complete';
const request = (id: number, documentId: string): RequestMessage => ({ jsonrpc: '2.0', id, method: METHOD, params: { documentId, prefix: 'int ' } });
const answer = (id: number): ResponseMessage => ({ jsonrpc: '2.0', id, result: { text: 'x' } });
const refusal = (id: number): ResponseMessage => ({ jsonrpc: '2.0', id, error: { code: -32602, message: 'maxChars must be an integer' } });

test('a newer request for a document supersedes an older one, and the record ends with the newest one answered', () => {
  const latest = new LatestPerDocument(METHOD);
  const older = request(1, 'doc');
  const newer = request(2, 'doc');
  latest.observe(older);
  latest.observe(newer);
  assert.equal(latest.superseded('doc', older.params), true);
  assert.equal(latest.superseded('doc', newer.params), false);
  // The older one's answer does not end the newer one's record.
  latest.answered(answer(1));
  assert.equal(latest.superseded('doc', older.params), true);
  latest.answered(answer(2));
  assert.equal(latest.size, 0);
});

test('a request answered by an error or a cancellation before it ran leaves no record', () => {
  const latest = new LatestPerDocument(METHOD);
  for (let id = 0; id < 1000; id++) {
    latest.observe(request(id, `doc${id}`));
    latest.answered(id % 2 ? refusal(id) : { jsonrpc: '2.0', id, error: { code: -32800, message: 'Request cancelled.' } });
  }
  assert.equal(latest.size, 0);
});

test('closing a document ends its record; other methods and other messages are not recorded', () => {
  const latest = new LatestPerDocument(METHOD);
  latest.observe(request(1, 'a'));
  latest.observe(request(2, 'b'));
  latest.observe({ jsonrpc: '2.0', id: 3, method: 'charlens/trace', params: { documentId: 'c' } } as Message);
  latest.observe({ jsonrpc: '2.0', method: METHOD, params: { documentId: 'd' } } as Message);
  assert.equal(latest.size, 2);
  latest.forget('a');
  assert.equal(latest.size, 1);
  assert.equal(latest.superseded('a', {}), false);
  // An answer to a forgotten request changes nothing.
  latest.answered(answer(1));
  assert.equal(latest.size, 1);
});
