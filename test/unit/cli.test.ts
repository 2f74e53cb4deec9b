import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commandSpecs';
import { optionTable } from '../../src/cli/help';
import { CLI, REPO_ROOT, charlens, structuredText, tempDir } from './helpers';


test('train, sample and eval from the command line', (t) => {
  const src = tempDir(t);
  const out = path.join(tempDir(t), 'model');
  fs.writeFileSync(path.join(src, 'loop.c'), structuredText(300));
  fs.writeFileSync(path.join(src, 'notes.md'), 'not code\n');
  const trained = charlens('train', src, '--out', out, '--hidden', '32', '--layers', '1', '--batch-size', '8', '--seq-length', '32', '--max-steps', '30', '--eval-every', '10', '--backend', 'wasm');
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /Corpus: 1 file/);
  assert.match(trained.stderr, /Backend: wasm/);
  // Each figure says what it is measured on, and the last names what answers completions.
  assert.match(trained.stdout, /Best validation loss \(LSTM, whole validation split, [\d,]+ chars\): \d+\.\d{3} nats\/char \(\d+\.\d{3} bits\)/);
  assert.match(trained.stdout, /On [\d,]+ validation chars \(a sample spread over the split/);
  assert.match(trained.stdout, /Completions in the editor: .*: \d+\.\d{3} nats\/char \(\d+\.\d{3} bits\) on those chars\./);
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

test('--resume continues with the options the run was started with, unless given again, and says which', (t) => {
  const src = tempDir(t);
  const out = path.join(tempDir(t), 'model');
  fs.writeFileSync(path.join(src, 'loop.c'), structuredText(300));
  const first = charlens('train', src, '--out', out, '--hidden', '16', '--layers', '1', '--batch-size', '8', '--seq-length', '32', '--lr', '0.004', '--max-steps', '10', '--eval-every', '5', '--ngram-order', '0', '--backend', 'wasm');
  assert.equal(first.code, 0, first.stderr);
  const resumed = charlens('train', src, '--out', out, '--resume', '--max-steps', '20', '--ngram-order', '0', '--backend', 'wasm');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /Resuming the 1x16 LSTM of .* at step 10 .*\. Training options from the checkpoint: --seq-length 32, --batch-size 8, --lr 0\.004, --eval-every 5; given again: --max-steps 20 \(was 10\)\./);
  assert.match(resumed.stdout, /Stopped: finished after 20 steps/);
});

test('closing the terminal (SIGHUP) stops training as Ctrl+C does: validated, saved and resumable', async (t) => {
  const src = tempDir(t);
  const out = path.join(tempDir(t), 'model');
  fs.writeFileSync(path.join(src, 'loop.c'), structuredText(300));
  const child = spawn(process.execPath, [CLI, 'train', src, '--out', out, '--hidden', '16', '--layers', '1', '--batch-size', '8', '--seq-length', '32', '--max-steps', '100000', '--eval-every', '100000', '--ngram-order', '0', '--backend', 'wasm']);
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/step [1-9]\d*\//.test(stderr)) resolve();
    }),
  );
  child.kill('SIGHUP');
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /SIGHUP: stopping after this step/);
  assert.match(stdout, /Stopped: cancelled after \d+ steps/);
  assert.match(stdout, /Resume with: charlens train .* --resume/);
  assert.ok(fs.existsSync(path.join(out, 'model.json')) && fs.existsSync(path.join(out, 'resume', 'model.json')), 'the model and its resume state are saved');
});

test("README's CLI option tables are the ones the option definitions write", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const c of COMMANDS) {
    const section = `<!-- options:${c.name} -->\n${optionTable(c)}\n<!-- /options:${c.name} -->`;
    assert.ok(readme.includes(section), `README.md's ${c.name} options differ from src/cli/commandSpecs.ts: npm run readme:options rewrites them`);
  }
});

test('bench leaves no temp folder behind, and its engine prints nothing after the command has finished', async (t) => {
  const tmp = tempDir(t);
  const child = spawn(process.execPath, [CLI, 'bench', 'event-loop'], { env: { ...process.env, TMPDIR: tmp } });
  let exited = false;
  let afterExit = '';
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (d) => {
      output += d;
      if (exited) afterExit += d;
    });
  }
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => ((exited = true), resolve(c))));
  await new Promise((resolve) => setTimeout(resolve, 2000)); // an engine left running would save and log in this time
  assert.equal(code, 0, output);
  assert.match(output, /event-loop delay over 20 s of training/);
  assert.equal(afterExit, '', 'nothing printed after the command finished');
  assert.deepEqual(fs.readdirSync(tmp), [], 'no temp folder left behind');
});
