// Find Cells for Selection and "find similar" on a model trained in the test
// whose string cell is known (the explorer finds it).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { InferenceModel } from '../../../src/core/model/inference';
import { explore } from '../../../src/core/explorer/explore';
import { explorerSample } from '../../../src/core/explorer/explorerSample';
import { SURROUNDINGS, cellsForSelection, findSimilar } from '../../../src/core/explorer/selectionCells';
import { feed } from '../../../src/core/predict/sampling';
import { tempDir, useWasm } from '../helpers';
import { quotedCode, trainQuotedModel } from '../quotedCode';

before(useWasm);

test('selecting a quoted string ranks the string cells first, and their on/off pattern is found in other strings', async (t) => {
  const out = tempDir(t);
  await trainQuotedModel(out);
  const checkpoint = loadCheckpoint(out);
  const model = InferenceModel.of(checkpoint);
  const sample = explorerSample([{ path: 'held-out.c', text: quotedCode(300, 1001) }]);
  const { ranking } = await explore(checkpoint, sample);
  const stringCell = ranking.features.find((f) => f.feature === 'insideString')!.top[0];

  const text = quotedCode(60, 77);
  // A long string well inside the text: its contents, without the quotes.
  const strings = [...text.matchAll(/"([^"]{20,})"/g)].filter((m) => m.index! > 200);
  const chosen = strings[0];
  const from = chosen.index! + 1;
  const to = from + chosen[1].length;
  const start = from - SURROUNDINGS;
  const state = feed(model, checkpoint.vocabulary, model.zeroState(), text.slice(0, start));
  const cells = cellsForSelection(model, checkpoint.vocabulary, state, text, start, from, to, 5);
  // The model grows several string cells (the explorer finds four with |r| > 0.75): the selection ranks them first, the best first of all.
  const stringCells = ranking.features.find((f) => f.feature === 'insideString')!.top;
  const r = (c: { layer: number; cell: number }) => stringCells.find((s) => s.layer === c.layer && s.cell === c.cell)?.r ?? 0;
  for (const c of cells.slice(0, 3)) assert.ok(Math.abs(r(c)) > 0.75 && Math.sign(r(c)) === Math.sign(c.separation), `layer ${c.layer} cell ${c.cell}: r = ${r(c)}, d = ${c.separation}`);
  assert.ok(Math.abs(r(cells[0])) > 0.8, `the first is a string cell with |r| > 0.8 (the best has r = ${stringCell.r.toFixed(2)})`);
  assert.ok(Math.abs(cells[0].separation) > 1.5);

  const chars = Array.from(sample.text);
  const places = await findSimilar(model, checkpoint.vocabulary, { chars, parts: sample.parts }, cells.slice(0, 1), to - from);
  assert.ok(places.length >= 5, `${places.length} places`);
  const insideStrings = places.filter((p) => sample.features.insideString[p.at + Math.floor(p.chars / 2)] === 1);
  assert.ok(insideStrings.length >= 0.8 * places.length, `${insideStrings.length} of ${places.length} places are inside strings`);
  for (const p of places) assert.ok(p.chars >= (to - from) / 2 && p.chars <= 2 * (to - from));
});
