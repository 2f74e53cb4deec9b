// Where Cell Fires shows places that each show something else: the strongest
// of each file first, then the next strongest, never two overlapping windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlaceWindow, distinctPlaces, spreadPlaces } from '../../../src/core/explorer/snippetPlaces';

/** Files of 1000 characters one after another ("f0", "f1", ...), windows 40 before and 20 after a place, cut at the file's ends. */
const windowOf = (at: number): PlaceWindow => {
  const file = Math.floor(at / 1000);
  return { path: `f${file}`, from: Math.max(file * 1000, at - 40), to: Math.min((file + 1) * 1000, at + 21) };
};
const places = (...at: number[]) => at.map((a, i) => ({ at: a, value: 1 - i / 100 }));

test('the strongest place of each file comes first, then the next strongest fill up, listed strongest first', () => {
  // Eight strong places in neighbouring lines of f0, then one in f1 and one in f2.
  const candidates = places(100, 200, 300, 400, 500, 600, 700, 800, 1500, 2500);
  const kept = spreadPlaces(candidates, windowOf, 4);
  assert.deepEqual(kept.map((p) => p.at), [100, 200, 1500, 2500]);
  assert.deepEqual(spreadPlaces(candidates, windowOf, 8).map((p) => p.at), [100, 200, 300, 400, 500, 600, 1500, 2500]);
});

test('two places whose windows overlap are not both kept, though the same file has nothing else', () => {
  const kept = spreadPlaces(places(100, 130, 150, 400, 430), windowOf, 8);
  assert.deepEqual(kept.map((p) => p.at), [100, 400]);
});

test('windows in different files never overlap, even at the files\' common edge', () => {
  assert.deepEqual(spreadPlaces(places(995, 1005), windowOf, 8).map((p) => p.at), [995, 1005]);
});

test('a quantile whose window shows the same place as one before it is dropped', () => {
  const quantiles = [0.99, 0.9, 0.5, 0.1, 0.01].map((q, i) => ({ q, at: [100, 3000, 5000, 7000, 7030][i], value: 0 }));
  assert.deepEqual(distinctPlaces(quantiles, windowOf).map((p) => p.q), [0.99, 0.9, 0.5, 0.1]);
});
