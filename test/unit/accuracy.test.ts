import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccuracyTally, greedyLine, pickCursors, restOfLine } from '../../src/core/predict/completionAccuracy';
import { Stepper } from '../../src/core/predict/predictor';
import { Vocabulary } from '../../src/core/text/vocabulary';

const chars = Array.from('int a = b;\n  x++;\n\nfoo(bar);\n');

test('cursors sit right after a non-space character with more of the line to come, ascending, distinct and seeded', () => {
  const all = pickCursors(chars, 1000, 3);
  const brute = chars.map((_, i) => i).filter((i) => i > 0 && !/\s/.test(chars[i - 1]) && chars[i] !== '\n');
  assert.deepEqual(all, brute, 'fewer eligible places than asked: all of them');
  const some = pickCursors(chars, 5, 3);
  assert.equal(some.length, 5);
  assert.deepEqual(some, [...new Set(some)].sort((a, b) => a - b));
  assert.ok(some.every((i) => brute.includes(i)));
  assert.deepEqual(pickCursors(chars, 5, 3), some, 'same seed, same cursors');
  assert.notDeepEqual(pickCursors(chars, 5, 4), some);
});

test('the rest of the line stops before the newline; exact match and correct characters count against it', () => {
  assert.equal(restOfLine(chars, 3).join(''), ' a = b;');
  assert.deepEqual(restOfLine(chars, 10), []);
  const tally = new AccuracyTally();
  tally.add(Array.from(' a = b;'), restOfLine(chars, 3)); // exact, 7 right
  tally.add(Array.from(' a = c;'), restOfLine(chars, 3)); // 5 right
  tally.add(Array.from(' a = b;;'), restOfLine(chars, 3)); // too long: not exact, 7 right
  assert.equal(tally.exactRate, 1 / 3);
  assert.equal(tally.meanCorrectChars, 19 / 3);
});

test('greedy completion takes the most likely character and stops at the end of the line', () => {
  const vocabulary = Vocabulary.fromText('ab\n');
  const script = 'ab\nb';
  let at = 0;
  const scripted: Stepper = {
    probabilities: () => {
      const p = new Float32Array(vocabulary.size).fill(0.1);
      p[vocabulary.idOf(script[at])] = 0.7;
      return p;
    },
    advance: () => void at++,
  };
  assert.deepEqual(greedyLine(scripted, vocabulary), ['a', 'b']);
});
