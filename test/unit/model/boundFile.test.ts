import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { BoundFileError, readBoundBytes, readBoundJson, removeFilesBoundToOthers, stageBoundBytes, stageBoundJson } from '../../../src/core/model/boundFile';
import { tempDir } from '../helpers';

const WEIGHTS = '0123456789abcdef';

test('a bound file reads back only for the weights it was written for, and any flipped byte is refused, never misread', (t) => {
  const dir = tempDir(t);
  const binFile = path.join(dir, 'ngram.bin');
  const content = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
  stageBoundBytes(binFile, content, WEIGHTS).commit();
  assert.deepEqual(Uint8Array.from(readBoundBytes(binFile, WEIGHTS)), content);
  assert.throws(() => readBoundBytes(binFile, 'fedcba9876543210'), (e: unknown) => e instanceof BoundFileError && e.reason === 'other-weights');
  const good = fs.readFileSync(binFile);
  for (let at = 0; at < good.length; at++) {
    const flipped = Buffer.from(good);
    flipped[at] ^= 1 << at % 8;
    fs.writeFileSync(binFile, flipped);
    assert.throws(() => readBoundBytes(binFile, WEIGHTS), BoundFileError, `byte ${at} flipped`);
  }
  const jsonFile = path.join(dir, 'mixture.json');
  const value = { weightOfLstm: 0.75, valNats: { lstm: 1.25, ngram: 1.5, mixture: 1.125 }, order: 12, words: ['a', 'b'] };
  stageBoundJson(jsonFile, value, WEIGHTS, 2).commit();
  assert.deepEqual(readBoundJson(jsonFile, WEIGHTS), value);
  const text = fs.readFileSync(jsonFile);
  let refused = 0;
  for (let at = 0; at < text.length; at++) {
    const flipped = Buffer.from(text);
    flipped[at] ^= 1 << at % 8;
    fs.writeFileSync(jsonFile, flipped);
    try {
      // A flip that leaves the same JSON (in the indentation, say) may read; nothing else may.
      assert.deepEqual(readBoundJson(jsonFile, WEIGHTS), value, `byte ${at} flipped`);
    } catch (err) {
      if (!(err instanceof BoundFileError)) throw err;
      refused++;
    }
  }
  assert.ok(refused > text.length / 2, `${refused} of ${text.length} flips refused`);
});

test('removeFilesBoundToOthers removes the files of other weights and damaged ones, and nothing else', (t) => {
  const dir = tempDir(t);
  stageBoundBytes(path.join(dir, 'ngram.bin'), new Uint8Array(8), 'aaaaaaaaaaaaaaaa').commit();
  stageBoundJson(path.join(dir, 'mixture.json'), { x: 1 }, 'aaaaaaaaaaaaaaaa').commit();
  stageBoundJson(path.join(dir, 'explorer.json'), { x: 1 }, WEIGHTS).commit();
  stageBoundBytes(path.join(dir, 'explorer.states.bin'), new Uint8Array(8), WEIGHTS).commit();
  const damaged = Buffer.from(fs.readFileSync(path.join(dir, 'explorer.states.bin')));
  damaged[70] ^= 1;
  fs.writeFileSync(path.join(dir, 'explorer.states.bin'), damaged);
  for (const own of ['model.json', 'weights.0123456789abcdef.bin', 'notes.json', 'data.bin']) fs.writeFileSync(path.join(dir, own), '{"not": "bound"}');
  removeFilesBoundToOthers(dir, WEIGHTS);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['data.bin', 'explorer.json', 'model.json', 'notes.json', 'weights.0123456789abcdef.bin']);
});
