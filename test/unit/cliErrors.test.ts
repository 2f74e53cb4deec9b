// Issue 13: what the CLI says when the user gets something wrong. Needs `npm run build` (it runs dist/cli.js).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { saveCheckpoint } from '../../src/core/model/checkpoint';
import { initialWeights } from '../../src/core/model/lstmInit';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { COMMANDS } from '../../src/cli/commandSpecs';
import { commandHelp } from '../../src/cli/help';
import { missingGpuDriver } from '../../src/core/train/webgpu/device';
import { charlens, structuredText, tempDir } from './helpers';

/** A JavaScript stack frame (Dawn's native warnings print C++ frames, which are not ours). */
const STACK_LINE = /^ {4}at .*\.js:\d+:\d+\)?$/m;

/** Exit 2, the message, and no stack trace: what every user error gets. */
function assertUserError(r: ReturnType<typeof charlens>, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, STACK_LINE, 'no stack trace');
}

function savedModel(t: Parameters<typeof tempDir>[0], scale = 1): string {
  const dir = path.join(tempDir(t), 'model');
  const vocabulary = Vocabulary.fromText(structuredText(20));
  const config = { vocabSize: vocabulary.size, embeddingSize: 4, hiddenSize: 8, layers: 1, dropout: 0 };
  const weights = initialWeights(config, new Random(1));
  if (scale !== 1) for (const w of weights.values()) w.fill(scale);
  saveCheckpoint(dir, config, vocabulary, weights);
  return dir;
}

test('bad train options exit 2 with a message, before the corpus is read', (t) => {
  const missing = path.join(tempDir(t), 'no-such-folder'); // an option error must come first
  const cases: Array<[string[], RegExp]> = [
    [['--layers', '0'], /--layers must be a positive integer, got 0/],
    [['--lr', '0'], /--lr must be > 0, got 0/],
    [['--dropout', '1'], /--dropout must be in \[0, 1\), got 1/],
    [['--val-frac', '1'], /--val-frac \(1\) and --test-frac \(0\) must add up to less than 1/],
    [['--val-frac', '0.5', '--test-frac', '0.5'], /must add up to less than 1/],
    [['--optimizer', 'sgd'], /--optimizer must be one of adam, rmsprop, got 'sgd'/],
    [['--optimizer', 'adma'], /did you mean adam\?/],
    [['--ngram-order', '1.5'], /--ngram-order must be a whole number from 0 to 64, or 257, got 1\.5/],
    [['--ngram-order', '-1'], /--ngram-order must be a whole number from 0 to 64, or 257, got -1/],
    [['--ngram-order', '65'], /--ngram-order must be a whole number from 0 to 64, or 257, got 65/],
    [['--ngram-order', '1e9'], /--ngram-order must be a whole number from 0 to 64, or 257, got 1e9/],
    [['--max-file-bytes', '0'], /--max-file-bytes must be a whole number from 1 to 2,147,483,648, got 0/],
    [['--max-file-bytes', '-1'], /--max-file-bytes must be a whole number from 1 to 2,147,483,648, got -1/],
    [['--threads', '0'], /--threads must be a whole number from 1 to 256, got 0/],
    [['--threads', '257'], /--threads must be a whole number from 1 to 256, got 257/],
    [['--minutes', '0.0001'], /--minutes must be 0 or a number from 0\.1 to 1,000,000, got 0\.0001/],
    [['--resume', '--force'], /--resume and --force contradict each other/],
    [['--lr', 'fast'], /--lr must be a number, got 'fast'/],
    [['--batch-size'], /--batch-size needs a value/],
    [['--out', '--force'], /--out needs a value \(dir\); got the option --force/],
    [['--force=yes'], /--force is a switch and takes no value/],
    [['--hiden', '10'], /Unknown option --hiden for train; did you mean --hidden\?/],
    [['--hidden', '-5'], /--hidden must be a whole number of units, or 0 to choose it from the corpus size; got -5/],
    [['--hidden', '2.5'], /--hidden must be a whole number/],
  ];
  for (const [options, message] of cases) assertUserError(charlens('train', missing, '--out', path.join(tempDir(t), 'm'), ...options), message);
  // --hidden 0 is the automatic size: it passes the option check and meets the missing folder.
  assertUserError(charlens('train', missing, '--out', path.join(tempDir(t), 'm'), '--hidden', '0'), /Cannot read folder .*no-such-folder: not found/);
});

test('an unknown command is named with the nearest one, and every command has --help', () => {
  const typo = charlens('smaple', 'model');
  assertUserError(typo, /unknown command 'smaple'; did you mean sample\?/);
  assert.match(typo.stderr, /Commands:\n  train/, 'the overview follows');
  for (const plain of [charlens(), charlens('--help'), charlens('help')]) {
    assert.equal(plain.code, 0);
    for (const c of COMMANDS) assert.match(plain.stdout, new RegExp(`^  ${c.name} +${c.summary}`, 'm'));
  }
  for (const c of COMMANDS) {
    for (const help of [charlens(c.name, '--help'), charlens(c.name, 'some/path', '-h'), charlens('help', c.name)]) {
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stdout, `${commandHelp(c)}\n`);
    }
    for (const o of c.options) assert.match(commandHelp(c), new RegExp(`^  --${o.name}\\b`, 'm'), `${c.name} --help lists --${o.name}`);
  }
  assert.match(charlens('train', '--help').stdout, /--ngram-order <k> +n-gram fitted[^]*Default: 257 \(the suffix-array n-gram\)/);
  assert.match(charlens('train', '--help').stdout, /--hidden <n> +units per layer \(0 or left out: chosen/);
  assert.match(charlens('sample', '--help').stdout, /--stop <strings>/);
  assert.match(charlens('bench', '--help').stdout, /^charlens bench \[train\|completion\|overlay\|event-loop\|lens\] \| accuracy/);
  assertUserError(charlens('bench', 'lense'), /bench has no mode 'lense'; did you mean lens\?/);
});

test('a wrong corpus path fails before the backend is probed, and a refused run leaves no --out folder', (t) => {
  const out = path.join(tempDir(t), 'new', 'model');
  const r = charlens('train', path.join(tempDir(t), 'no-such-folder'), '--out', out);
  assertUserError(r, /Cannot read folder .*no-such-folder: not found/);
  assert.doesNotMatch(r.stderr, /Backend:|Vulkan/, 'no backend probe');
  assert.ok(!fs.existsSync(path.dirname(out)), '--out is not made');
});

test('choosing a backend on a machine without a Vulkan driver prints one line, not Dawn\'s warning', (t) => {
  const src = tempDir(t);
  fs.writeFileSync(path.join(src, 'loop.c'), structuredText(200));
  const r = charlens('train', src, '--out', path.join(tempDir(t), 'm'), '--hidden', '8', '--layers', '1', '--batch-size', '4', '--seq-length', '16', '--max-steps', '1', '--ngram-order', '0');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Couldn't load Vulkan|BackendVk\.cpp/);
  if (missingGpuDriver()) assert.match(r.stderr, /^Backend: .*webgpu: no Vulkan driver \(libvulkan\.so\.1 not found\); WebGPU unavailable/m);
});

test('bad sample options exit 2 with a message', (t) => {
  const model = savedModel(t);
  const cases: Array<[string[], RegExp]> = [
    [['--temperature', '0'], /--temperature must be > 0, got 0/],
    [['--top-p', '0'], /--top-p must be in \(0, 1\], got 0/],
    [['--length', '-1'], /--length must be a whole number from 0 to 1,000,000, got -1/],
    [['--length', '1e12'], /--length must be a whole number from 0 to 1,000,000, got 1000000000000/],
  ];
  for (const [options, message] of cases) {
    const r = charlens('sample', model, '--prime', 'PRIME', ...options);
    assertUserError(r, message);
    assert.equal(r.stdout, '', 'nothing printed before the check');
  }
  const long = charlens('sample', model, '--length', '5000', '--seed', '3');
  assert.equal(long.code, 0, long.stderr);
  assert.equal([...long.stdout].length, 5001);
});

test('train refuses to replace a model in --out unless told to, and checks --out before anything else', (t) => {
  const model = savedModel(t);
  const empty = tempDir(t); // no source files: getting as far as the corpus shows the out check passed
  assertUserError(charlens('train', empty, '--out', model), new RegExp(`${model} already holds a model .*Add --resume to continue training it, or --force to replace it`));
  assertUserError(charlens('train', empty, '--out', model, '--force'), /No source files found/);
  assert.ok(fs.existsSync(path.join(model, 'model.json')), 'the refused run left the model alone');

  const file = path.join(tempDir(t), 'a-file');
  fs.writeFileSync(file, 'x');
  assertUserError(charlens('train', empty, '--out', file), new RegExp(`${file} is a file, not a folder`));
  assertUserError(charlens('train', empty, '--out', path.join(file, 'sub')), /Cannot write .*a-file.sub: a part of the path is a file, not a folder/);
  const created = path.join(tempDir(t), 'new', 'model');
  assertUserError(charlens('train', empty, '--out', created), /No source files found/);
  assert.ok(!fs.existsSync(path.dirname(created)), 'the folders made for the run are removed with it');
  const kept = tempDir(t);
  assertUserError(charlens('train', empty, '--out', kept), /No source files found/);
  assert.deepEqual(fs.readdirSync(kept), [], 'a folder that was there stays, without the probe');
  if (process.getuid?.() !== 0) {
    const locked = tempDir(t);
    fs.chmodSync(locked, 0o555);
    assertUserError(charlens('train', empty, '--out', locked), /Cannot write .*: permission denied/);
  }
});

test('a model whose weights overflow is an error naming it, in eval and in sample', (t) => {
  const model = savedModel(t, 3e38);
  const target = path.join(tempDir(t), 'held-out.c');
  fs.writeFileSync(target, structuredText(40));
  assertUserError(charlens('eval', model, target), new RegExp(`Model ${model} gives non-finite probabilities`));
  const r = charlens('sample', model, '--length', '50');
  assertUserError(r, new RegExp(`Model ${model} gives non-finite probabilities`));
  assert.doesNotMatch(r.stdout, /~~~/);
});

test('eval on a missing file or a symlink loop gives the real reason', (t) => {
  const model = savedModel(t);
  const dir = tempDir(t);
  fs.symlinkSync(path.join(dir, 'loop.c'), path.join(dir, 'loop.c'));
  assertUserError(charlens('eval', model, path.join(dir, 'gone.c')), /Cannot read .*gone\.c: not found/);
  assertUserError(charlens('eval', model, path.join(dir, 'loop.c')), /Cannot read .*loop\.c: a symlink loop/);
  assertUserError(charlens('eval', model, '/dev/null'), /Cannot read \/dev\/null: not a file or a folder/);
});
