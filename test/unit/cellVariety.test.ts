// Which labelled cell the overlays show first (issue 26 item 4): the
// explorer's strongest that varies on the text in view, not one that paints
// every character the same colour.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ONE_COLOUR_SHARE, oneColourShare, varyingCell } from '../../src/extension/lens/cellVariety';

// Ten bins of 0.2 over [-1, 1]: bins 4 and 5 ([-0.2, 0.2)) are uncoloured, bin 9 is the strongest red.
const bins = (counts: Record<number, number>) => Array.from({ length: 10 }, (_, k) => counts[k] ?? 0);

test("a cell's share in its most common overlay colour counts the two bins about 0 as one colour, no colour", () => {
  assert.equal(oneColourShare(bins({ 9: 100 })), 1);
  assert.equal(oneColourShare(bins({ 4: 30, 5: 30, 9: 40 })), 0.6);
  assert.equal(oneColourShare(bins({ 0: 25, 3: 25, 6: 25, 9: 25 })), 0.25);
  assert.equal(oneColourShare(bins({})), 1);
});

test('the first candidate that varies in view is preselected, else the one that varies most', () => {
  const saturated = bins({ 9: 95, 8: 5 }); // "{ } depth" inside a function: +1 everywhere
  const flat = bins({ 4: 60, 5: 38, 0: 2 }); // a comment cell on code without comments
  const varied = bins({ 9: 40, 5: 30, 0: 30 });
  const moreVaried = bins({ 9: 25, 5: 25, 0: 25, 2: 25 });
  assert.equal(varyingCell(['depth', 'comment', 'string', 'quote'], [saturated, flat, varied, moreVaried]), 'string');
  assert.equal(varyingCell(['depth', 'comment'], [saturated, bins({ 4: 75, 9: 25 })]), 'comment', `${MAX_ONE_COLOUR_SHARE} is the bound: 0.75 in one colour is not varied, but the least flat`);
  assert.equal(varyingCell([], []), undefined);
});
