// Per-line surprisal: mean bits/char per line from the trace's per-offset
// probabilities, and on a model trained in the test a line unlike its
// training text is the most surprising of the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { DocumentTrace } from '../../../src/core/predict/documentTrace';
import { InferenceModel } from '../../../src/core/model/inference';
import { lineSurprisal, mostSurprising } from '../../../src/core/predict/lineSurprisal';
import { quotedCode, useTrainedQuotedModel } from '../quotedCode';

test('mean bits per character per line, newlines and blank lines left out, a surrogate pair counted once', () => {
  const text = 'ab\n\n😀c\nd';
  // Offsets: a b \n \n 😀(2 units) c \n d
  const p = [0.5, 0.25, 0.9, 0.9, 0.125, 0.7, 0.5, 0.9, 1];
  const lines = lineSurprisal(text, 0, p, 10);
  assert.deepEqual(lines, [
    { line: 10, chars: 2, bitsPerChar: 1.5 },
    { line: 12, chars: 2, bitsPerChar: 2 },
    { line: 13, chars: 1, bitsPerChar: 0 },
  ]);
  assert.deepEqual(lineSurprisal(text, 3, p.slice(3), 11).map((l) => l.line), [12, 13]);
  assert.deepEqual(mostSurprising(lines, 2).map((l) => l.line), [12, 10]);
});

const trained = useTrainedQuotedModel();

test('on the trained quoted-code model, a line unlike the code it learnt is the most surprising', () => {
  const checkpoint = loadCheckpoint(trained());
  const lines = quotedCode(40, 9).split('\n');
  lines.splice(20, 0, 'while (x->y) { return 0x7f; }');
  const text = lines.join('\n');
  const trace = new DocumentTrace(InferenceModel.of(checkpoint), checkpoint.vocabulary);
  const slice = trace.trace(text, 0, text.length, { layer: 0, index: 0, kind: 'c' });
  const surprise = lineSurprisal(text, 0, slice.probability, 0);
  assert.equal(surprise.length, 41);
  assert.equal(mostSurprising(surprise, 1)[0].line, 20, JSON.stringify(mostSurprising(surprise, 3)));
});
