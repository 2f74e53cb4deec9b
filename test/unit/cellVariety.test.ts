// Which labelled cell the overlays show first (issue 26 item 4): the
// explorer's strongest that varies on the text in view, not one that paints
// every character the same colour.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ONE_SIDE_SHARE, oneSideShare, varyingCell } from '../../src/extension/lens/cellVariety';

// Ten bins of 0.2 over [-1, 1]: bins 0-3 are blue, 4 and 5 ([-0.2, 0.2)) plain, 6-9 red.
const bins = (counts: Record<number, number>) => Array.from({ length: 10 }, (_, k) => counts[k] ?? 0);

test("a cell's share on the overlay's most common side counts every shade of one colour as that colour, and the two bins about 0 as plain", () => {
  assert.equal(oneSideShare(bins({ 9: 100 })), 1);
  assert.equal(oneSideShare(bins({ 6: 25, 7: 25, 8: 25, 9: 25 })), 1, 'four shades of red are red');
  assert.equal(oneSideShare(bins({ 4: 30, 5: 30, 9: 40 })), 0.6);
  assert.equal(oneSideShare(bins({ 0: 30, 3: 10, 5: 20, 9: 40 })), 0.4);
  assert.equal(oneSideShare(bins({})), 1);
});

test('the first candidate that varies in view is preselected, else the one that varies most', () => {
  const saturated = bins({ 9: 95, 8: 5 }); // "{ } depth" inside a function: +1 everywhere
  const shades = bins({ 6: 30, 7: 30, 9: 30, 4: 10 }); // a comment cell over code: shades of red
  const flat = bins({ 4: 60, 5: 38, 0: 2 }); // plain nearly everywhere
  const varied = bins({ 9: 40, 5: 30, 0: 30 });
  const moreVaried = bins({ 9: 34, 5: 33, 0: 33 });
  assert.equal(varyingCell(['depth', 'comment', 'flat', 'string', 'quote'], [saturated, shades, flat, varied, moreVaried]), 'string');
  assert.equal(varyingCell(['depth', 'comment'], [saturated, bins({ 4: 75, 9: 25 })]), 'comment', `${MAX_ONE_SIDE_SHARE} is the bound: 0.75 plain is not varied, but the least flat`);
  assert.equal(varyingCell([], []), undefined);
});
