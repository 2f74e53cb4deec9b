import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { charlens, structuredText, tempDir } from './helpers';


test('train, sample and eval from the command line', (t) => {
  const src = tempDir(t);
  const out = path.join(tempDir(t), 'model');
  fs.writeFileSync(path.join(src, 'loop.c'), structuredText(300));
  fs.writeFileSync(path.join(src, 'notes.md'), 'not code\n');
  const trained = charlens('train', src, '--out', out, '--hidden', '32', '--layers', '1', '--batch-size', '8', '--seq-length', '32', '--max-steps', '30', '--eval-every', '10', '--backend', 'wasm');
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /Corpus: 1 file/);
  assert.match(trained.stderr, /Backend: wasm/);
  assert.match(trained.stdout, /Best validation loss: \d+\.\d{3} nats\/char, \d+\.\d{3} bits\/char/);
  assert.match(trained.stdout, /Sample \(temperature 0\.8\)/);

  const a = charlens('sample', out, '--length', '80', '--seed', '5', '--prime', 'if (');
  assert.equal(a.code, 0, a.stderr);
  assert.ok(a.stdout.startsWith('if ('));
  assert.equal(a.stdout, charlens('sample', out, '--length', '80', '--seed', '5', '--prime', 'if (').stdout);

  const evaluated = charlens('eval', out, path.join(src, 'loop.c'));
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /^\d+\.\d{3} nats\/char, \d+\.\d{3} bits\/char/);
});

test('an empty folder and a folder of binaries get a message naming the globs', (t) => {
  const empty = tempDir(t);
  const r = charlens('train', empty, '--out', path.join(empty, 'm'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /No source files found/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');

  const binary = tempDir(t);
  fs.writeFileSync(path.join(binary, 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
  const b = charlens('train', binary, '--out', path.join(binary, 'm'));
  assert.equal(b.code, 2);
  assert.match(b.stderr, /No usable text in .* matching \*\*\/\*\.c.*binary/);
});

test('a corrupt model and a bad option are reported, not thrown', (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'model.json'), '{"format": "layers-mo');
  const r = charlens('sample', dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /corrupt: model.json is not valid JSON/);
  const bad = charlens('train', dir, '--hiden', '10');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown option --hiden/);
});

test('train never reads a file whose real path lies outside the folder, and says it skipped it', (t) => {
  const src = tempDir(t);
  const out = path.join(tempDir(t), 'model');
  const secret = path.join(tempDir(t), 'passwd');
  fs.writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash SECRET-OUTSIDE\n'.repeat(50));
  fs.writeFileSync(path.join(src, 'loop.c'), structuredText(300));
  fs.symlinkSync(secret, path.join(src, 'config.c'));
  const trained = charlens('train', src, '--out', out, '--hidden', '16', '--layers', '1', '--batch-size', '4', '--seq-length', '16', '--max-steps', '3', '--eval-every', '3', '--backend', 'wasm', '--ngram-order', '257');
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /Corpus: 1 file, .*; skipped 1: 1 outside the workspace\n {2}skipped config\.c: outside the workspace/);
  // The n-gram keeps its training text verbatim: none of the secret may be in any file of the model.
  for (const file of fs.readdirSync(out, { recursive: true }) as string[]) {
    const abs = path.join(out, file);
    if (fs.statSync(abs).isFile()) assert.ok(!fs.readFileSync(abs).includes('SECRET-OUTSIDE'), `${file} holds the secret`);
  }
  assert.ok(fs.existsSync(path.join(out, 'ngram.bin')), 'the n-gram was saved (and checked)');
});
