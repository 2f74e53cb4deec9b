import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Vocabulary, codePointCount } from '../../../src/core/text/vocabulary';

const tricky = ['', 'int x;', 'a\u{1F600}b', '\uD800', '\uD800x', 'x\uDC00', '\u{1F600}\u{1F600}', 'é中\u{10348}\n'];

test('code points are counted as the string iterator sees them, lone surrogates included', () => {
  for (const text of tricky) assert.equal(codePointCount(text), [...text].length, JSON.stringify(text));
});

test('encoding gives one id per code point, unknown characters as 0', () => {
  const vocabulary = Vocabulary.fromText(tricky.join(''));
  for (const text of tricky) assert.deepEqual(Array.from(vocabulary.encode(text)), [...text].map((ch) => vocabulary.idOf(ch)), JSON.stringify(text));
  assert.deepEqual(Array.from(Vocabulary.fromText('ab').encode('abz')), [1, 2, 0]);
});
