import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { InferenceModel } from '../../src/core/model/inference';
import { GATE_INPUTS, GATE_VERSION, GATE_WEIGHTS, fitGate, fitMixtureWeight, gateInputs, gatedProbabilities, meanNats, mixProbabilities } from '../../src/core/predict/mixture';
import { SuffixNgram } from '../../src/core/ngram/suffixNgram';
import { NGRAM_FILE } from '../../src/core/ngram/workspaceNgram';
import { MIXTURE_FILE, answeringLabel, fitAndSaveMixture, loadMixture, scoreWithGateInputs } from '../../src/core/predict/workspaceMixture';
import { Branching, mixedBranching, ngramBranching } from '../../src/core/predict/predictor';
import { Random } from '../../src/core/random';
import { readBoundBytes, stageBoundBytes, stageBoundJson } from '../../src/core/model/boundFile';
import { tempDir } from './helpers';
import { config, vocabulary, weights } from './tinyModel';

/** Rows whose band says which predictor is right there: band 0 the LSTM, band 1 (a match of 5) the n-gram. */
function twoBands(n: number) {
  const rng = new Random(3);
  const rows = new Float32Array(n * GATE_INPUTS);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const lstmRight = i % 2 === 0;
    rows[i * GATE_INPUTS] = lstmRight ? 0 : GATE_INPUTS;
    rows[i * GATE_INPUTS + 1] = rng.next();
    a[i] = lstmRight ? 0.6 + 0.2 * rng.next() : 0.02;
    b[i] = lstmRight ? 0.02 : 0.6 + 0.2 * rng.next();
  }
  return { rows, a, b };
}

test('the gate learns which predictor to trust per band of match lengths, beating one global weight', () => {
  const { rows, a, b } = twoBands(2000);
  const gate = fitGate(rows, a, b);
  assert.equal(gate.version, GATE_VERSION);
  assert.equal(gate.weights.length, GATE_WEIGHTS);
  const mixed = gatedProbabilities(gate, rows, a, b);
  const global = mixProbabilities(a, b, fitMixtureWeight(a, b));
  assert.ok(meanNats(mixed) < meanNats(global) - 0.3, `gated ${meanNats(mixed)} vs global ${meanNats(global)}`);
  // Band 0 trusts the LSTM, band 1 the n-gram.
  assert.ok(mixed[0] > 0.9 * a[0] && mixed[1] > 0.9 * b[1]);
});

test('with no matches (an order-k table) the gate is the global weight', () => {
  const n = 500;
  const rows = new Float32Array(n * GATE_INPUTS);
  const rng = new Random(4);
  const a = Float32Array.from({ length: n }, () => rng.next());
  const b = Float32Array.from({ length: n }, () => rng.next());
  const w = fitMixtureWeight(a, b);
  const mixed = gatedProbabilities(fitGate(rows, a, b), rows, a, b);
  for (let i = 0; i < n; i += 50) assert.ok(Math.abs(mixed[i] - (w * a[i] + (1 - w) * b[i])) < 1e-3);
});

const fixed = (p: Float32Array): Branching => ({ rows: 1, distribution: () => p, branch: () => undefined });

test("the mixed stepper takes its weight from the gate at the n-gram's match", () => {
  const text = 'the quick brown fox jumps over the lazy dog; '.repeat(20);
  const ngram = SuffixNgram.build(vocabulary.encode(text), { vocabSize: vocabulary.size });
  const uniform = new Float32Array(vocabulary.size).fill(1 / vocabulary.size);
  // All n-gram below a match of 5 characters' band, all LSTM in it and above.
  const weights = new Array<number>(GATE_WEIGHTS).fill(0);
  for (let band = 0; band < GATE_WEIGHTS / GATE_INPUTS; band++) weights[band * GATE_INPUTS] = band === 0 ? -30 : 30;
  const gate = { version: GATE_VERSION, weights } as const;
  const stepper = (prefix: string) => mixedBranching(fixed(uniform), ngramBranching(ngram, vocabulary, prefix), { gate, ngram });
  assert.deepEqual(Array.from(stepper('the quick brown f').distribution(0)), Array.from(uniform));
  const row = new Float64Array(GATE_INPUTS);
  const unmatched = stepper('zq').distribution(0);
  gateInputs(ngram.path, row);
  assert.equal(row[0], 0);
  assert.notDeepEqual(Array.from(unmatched), Array.from(uniform));
});

test('fitAndSaveMixture saves a gate that loads back; files from before gates and unknown gate versions mean the global weight', (t) => {
  const dir = tempDir(t);
  const owner = { dir, fingerprint: '0123456789abcdef', config };
  const rng = new Random(9);
  const words = ['alpha', 'beta', 'gamma(', ');', '{', '}', '\n'];
  const text = Array.from({ length: 6000 }, () => words[Math.floor(rng.next() * words.length)]).join(' ');
  const ids = vocabulary.encode(text);
  const ngram = SuffixNgram.build(ids.subarray(0, 12000), { vocabSize: vocabulary.size });
  const info = fitAndSaveMixture(owner, new InferenceModel(config, weights), vocabulary, ngram, { val: ids.subarray(12000, 15000), test: ids.subarray(15000) });
  assert.equal(info.gate?.weights.length, GATE_WEIGHTS);
  assert.ok(info.online && info.online.gated <= info.online.mixture + 1e-3, JSON.stringify(info.online));
  const loaded = loadMixture(owner);
  assert.deepEqual(loaded?.info.gate, info.gate);
  assert.match(answeringLabel(loaded?.info), /mixed by how the n-gram matched/);

  const file = path.join(dir, MIXTURE_FILE);
  const { gate: _gate, online: _online, ...old } = info;
  stageBoundJson(file, old, owner.fingerprint).commit();
  assert.equal(loadMixture(owner)?.info.gate, undefined);
  assert.doesNotMatch(answeringLabel(loadMixture(owner)?.info), /mixed by/);
  stageBoundJson(file, { ...info, gate: { version: GATE_VERSION + 1, weights: info.gate?.weights } }, owner.fingerprint).commit();
  assert.equal(loadMixture(owner)?.info.gate, undefined);
  assert.ok(fs.existsSync(path.join(dir, NGRAM_FILE)));

  // An n-gram saved by an older CharLens is not read as if it were this one's: the LSTM answers alone, and the log says why.
  const ngramFile = path.join(dir, NGRAM_FILE);
  const bytes = Buffer.from(readBoundBytes(ngramFile, owner.fingerprint));
  bytes.writeUInt32LE(1, 4);
  stageBoundBytes(ngramFile, bytes, owner.fingerprint).commit();
  const heard: string[] = [];
  assert.equal(loadMixture(owner, (why) => heard.push(why)), undefined);
  assert.match(heard.join(), /suffix-array n-gram version 1; this CharLens reads version 2/);
});

test('scoring with gate inputs gives the n-gram scores, static and online', () => {
  const ids = vocabulary.encode('int main() { return count + count; }\n'.repeat(8));
  const build = () => SuffixNgram.build(ids.subarray(0, 100), { vocabSize: vocabulary.size });
  const rest = ids.subarray(100);
  for (const online of [false, true]) {
    const { probs, rows } = scoreWithGateInputs(build(), rest, online);
    const reference = build().score(rest, { online });
    for (let i = 0; i < rest.length; i++) assert.ok(Math.abs(probs[i] - reference[i]) < 1e-6, `online ${online} at ${i}`);
    assert.equal(rows.length, rest.length * GATE_INPUTS);
  }
});
