// Issue 25 item 1: the GPU check. The rehearsal runs scripts/gpu-check.sh --quick end to end (it runs
// dist/gpuCheck.js: npm test builds dist/ first) on this machine's adapter, the software one where there is
// no GPU; the other tests hold the script's start on a machine without Node, and the report's judging.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { GpuCheckReport, ShapeResult, TARGET_SHAPE, dispatchAim, formatReport, judgeTargets } from '../../src/cli/gpuCheckReport';
import { QUICK_SHAPES } from '../../src/cli/gpuCheck';
import { REPO_ROOT, structuredText, tempDir } from './helpers';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'gpu-check.sh');

test('the --quick rehearsal runs every part on this adapter, prints one table and writes it as JSON', async (t) => {
  const dir = tempDir(t);
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus);
  fs.writeFileSync(path.join(corpus, 'train.c'), structuredText(4000, 1));
  fs.writeFileSync(path.join(corpus, 'test.c'), structuredText(300, 2));
  const json = path.join(dir, 'out', 'gpu-check.json');
  const started = Date.now();
  const r = spawnSync('bash', [SCRIPT, '--quick', '--corpus', corpus, '--json', json], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as GpuCheckReport;
  assert.equal(report.quick, true);
  assert.deepEqual(
    report.shapes.map((s) => s.shape),
    QUICK_SHAPES,
  );
  for (const s of report.shapes) {
    assert.ok(s.wgsl && s.wgsl.msPerStep > 0 && s.wgsl.dispatches > 0, `WGSL trainer at ${JSON.stringify(s.shape)}: ${JSON.stringify(s)}`);
    assert.equal(s.wgsl.submits, 1);
    assert.ok(s.gradient && s.gradient.worstRelative <= 1e-4, `gradients at ${JSON.stringify(s.shape)}: ${JSON.stringify(s.gradient)}`);
    // Measured, or the table says why not (no PyTorch here, say).
    assert.ok(s.tfjsMsPerStep !== undefined || s.missing.tfjs, 'tfjs column');
    assert.ok(s.torchMsPerStep !== undefined || s.missing.torch, 'PyTorch column');
    assert.match(r.stdout, new RegExp(`\\| \\(${s.shape.B},${s.shape.T},${s.shape.H},${s.shape.L},${s.shape.V}\\) +\\| +[\\d.]+ \\| +${s.wgsl.dispatches} \\(${dispatchAim(s.shape)}\\) \\|`));
  }
  const training = report.training!;
  assert.ok(training.steps > 0 && training.minutes > 0, JSON.stringify(report.training));
  // Whatever the load made of 20 seconds, the model learned something: better than uniform over the characters.
  const uniform = Math.log(new Set(fs.readFileSync(path.join(corpus, 'train.c'), 'utf8')).size);
  assert.ok(training.testLoss! > 0 && training.testLoss! < uniform, `test loss ${training.testLoss} against uniform ${uniform}`);
  assert.equal(report.targets.find((g) => g.what.startsWith('gradients'))?.met, true);
  assert.ok(report.targets.filter((g) => !g.what.startsWith('gradients')).every((g) => g.met === undefined), 'a rehearsal judges no speed or quality target');
  assert.match(r.stdout, /\| shape \(B,T,H,L,V\) +\| WGSL ms\/step \|/);
  assert.match(r.stdout, /kernel\/ training: .* test [\d.]+ nats\/char/);
  console.log(`  rehearsal: ${((Date.now() - started) / 1000).toFixed(1)} s wall, ${report.seconds.toFixed(1)} s in the check`);
});

/** A copy of the script alone in `root`, run with only the named tools on PATH (and no Node). */
function runWithout(root: string, tools: string[], ...args: string[]) {
  fs.mkdirSync(path.join(root, 'scripts'), { recursive: true });
  fs.copyFileSync(SCRIPT, path.join(root, 'scripts', 'gpu-check.sh'));
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  for (const tool of tools) fs.symlinkSync(spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  return spawnSync('/bin/bash', [path.join(root, 'scripts', 'gpu-check.sh'), ...args], { encoding: 'utf8', env: { PATH: bin }, timeout: 60_000 });
}

test('without Node and without a pack, gpu-check.sh says how the pack step provides one', (t) => {
  const r = runWithout(tempDir(t), [], '--quick');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no Node here, and no packed one \(\.gpu\/node\.xz\)/);
  assert.match(r.stderr, /bash scripts\/gpu-pack\.sh/);
  assert.match(r.stderr, /carry \["\.gpu"\]/);
});

test('with no Node on PATH, gpu-check.sh unpacks the packed Node and runs the packed bundle with the pack\'s commit', (t) => {
  const root = tempDir(t);
  const pack = path.join(root, '.gpu');
  fs.mkdirSync(path.join(pack, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(pack, 'corpus'));
  // A stand-in for Node that says how it was started.
  fs.writeFileSync(path.join(pack, 'node'), '#!/bin/sh\necho "started: $0 $*"\n');
  fs.writeFileSync(path.join(pack, 'corpus', 'test.c'), 'int x;\n');
  for (const file of ['node', 'corpus/test.c']) assert.equal(spawnSync('xz', [path.join(pack, file)]).status, 0);
  fs.writeFileSync(path.join(pack, 'dist', 'gpuCheck.js'), '');
  fs.writeFileSync(path.join(pack, 'BUILT_FROM'), 'abc1234, packed 2026-12-07T10:00Z\n');
  const r = runWithout(root, ['xz', 'chmod'], '--quick', '--json', '/tmp/x.json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `started: ${pack}/node .gpu/dist/gpuCheck.js --built-from abc1234, packed 2026-12-07T10:00Z --quick --json /tmp/x.json`);
  assert.equal(fs.readFileSync(path.join(pack, 'corpus', 'test.c'), 'utf8'), 'int x;\n');
});

function shapeResult(shape: ShapeResult['shape'], wgslMs: number, tfjsMs?: number, torchMs?: number): ShapeResult {
  const gradient = { shape, gpuLoss: 4.6, cpuLoss: 4.6, worstRelative: 2e-6, worstTensor: 'dense/kernel' };
  return { shape, wgsl: { msPerStep: wgslMs, dispatches: 423, submits: 1 }, tfjsMsPerStep: tfjsMs, torchMsPerStep: torchMs, gradient, missing: torchMs === undefined ? { torch: 'PyTorch: no CUDA' } : {} };
}

function fullReport(shapes: ShapeResult[], testLoss: number, seconds: number): GpuCheckReport {
  const training = { plan: '2x512 LSTM on webgpu.', minutes: 5, steps: 4000, stopReason: 'time-limit', bestValLoss: 1.1, testLoss, testChars: 584_036 };
  const partial = { quick: false, startedAt: '2026-12-07T10:00:00Z', builtFrom: 'abc1234', adapter: 'NVIDIA H100', node: 'v20', cpu: 'x', torch: '2.11 on cuda', shapes, training, seconds };
  return { ...partial, targets: judgeTargets(partial) };
}

test('outside a rehearsal the targets are judged: 1.5x cuDNN, 100x tfjs, the gradients, 1.095 nats/char, 9 minutes', () => {
  const small = { B: 50, T: 50, H: 128, L: 2, V: 65 };
  const met = fullReport([shapeResult(small, 3, 1200, 2.6), shapeResult(TARGET_SHAPE, 19, 2739, 12.9)], 1.09, 500);
  assert.deepEqual(
    met.targets.map((g) => [g.figure, g.met]),
    [
      ['1.47x', true],
      ['144x', true],
      ['2.00e-6', true],
      ['1.090', true],
      ['8.3', true],
    ],
  );
  const missed = fullReport([shapeResult(TARGET_SHAPE, 20, 1900, 12.9)], 1.1, 545);
  assert.deepEqual(
    missed.targets.map((g) => g.met),
    [false, false, true, false, false],
  );
  const text = formatReport(missed);
  assert.match(text, /MISSED {2}WGSL trainer at \(100,100,512,2,100\), x PyTorch cuDNN's ms\/step \(at most 1\.5x\): 1\.55x/);
  assert.match(text, /\| \(100,100,512,2,100\) \| +20\.00 \| +423 \(236\) \| +1 \| +1900\.0 \| +12\.90 \| +1\.55x \| +95x \|/);
});

test('a column with no figure points to a note that says why, once for all its rows', () => {
  const report = fullReport([shapeResult({ B: 50, T: 50, H: 128, L: 2, V: 65 }, 3, 1200), shapeResult(TARGET_SHAPE, 19, 2739)], 1.09, 500);
  const text = formatReport(report);
  assert.equal(text.match(/^\[1\] PyTorch: no CUDA$/gm)?.length, 1);
  assert.ok(!/^\[2\]/m.test(text));
  assert.match(text, /\| \(50,50,128,2,65\) +\| +3\.00 \| +423 \(136\) \| +1 \| +1200\.0 \| +\[1\] \| +\[1\] \| +400x \|/);
  assert.equal(report.targets[0].met, undefined, 'no PyTorch figure: the cuDNN target is not judged');
});
