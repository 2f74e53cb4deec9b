import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const CORE = path.resolve(__dirname, '../../../src/core');

/**
 * What each folder of core/ may import besides itself and core's root
 * utilities (design: explain/ -> train/; explorer/ and train/ -> predict/ -> model/ and ngram/ -> text/).
 */
const MAY_IMPORT: Record<string, string[]> = {
  text: [],
  ngram: ['text'],
  model: ['text', 'kernels'],
  kernels: [],
  predict: ['model', 'ngram', 'text', 'kernels'],
  train: ['predict', 'model', 'ngram', 'text', 'kernels'],
  explorer: ['predict', 'model', 'ngram', 'text', 'kernels'],
  // Attribution runs the CPU trainer's backward kernels, so that the LSTM's gradient math exists once.
  explain: ['train', 'predict', 'model', 'ngram', 'text', 'kernels'],
};
const ROOT_FILES = ['atomicFile.ts', 'backend.ts', 'backendNames.ts', 'lruMap.ts', 'pathInside.ts', 'random.ts', 'userError.ts'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('core/ holds only its folders and the shared utilities at its root', () => {
  const loose = fs.readdirSync(CORE, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
  assert.deepEqual(loose, ROOT_FILES);
});

test("core's folders import one way: explorer/ and train/ -> predict/ -> model/ and ngram/ -> text/", () => {
  const wrong: string[] = [];
  for (const file of sources(CORE)) {
    const folder = path.relative(CORE, file).split(path.sep)[0];
    const allowed = MAY_IMPORT[folder];
    if (!allowed) continue; // a root utility
    for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']*)'/g)) {
      const target = path.relative(CORE, path.resolve(path.dirname(file), spec));
      assert.ok(!target.startsWith('..'), `${path.relative(CORE, file)} reaches outside core/: ${spec}`);
      const targetFolder = target.includes(path.sep) ? target.split(path.sep)[0] : undefined;
      if (targetFolder && targetFolder !== folder && !allowed.includes(targetFolder)) wrong.push(`${path.relative(CORE, file)} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('core never imports vscode', () => {
  const offenders = sources(CORE).filter((f) => /from 'vscode'|require\('vscode'\)/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});
