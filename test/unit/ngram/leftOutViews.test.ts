import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocumentNgrams } from '../../../src/core/ngram/documentNgram';
import { LeftOutViews } from '../../../src/core/ngram/leftOutViews';
import { SuffixNgram } from '../../../src/core/ngram/suffixNgram';
import { Vocabulary } from '../../../src/core/text/vocabulary';
import { structuredText } from '../helpers';

// Three "files" of a model; F and B have lines no other file has.
const fileA = structuredText(60, 1);
const fileF = `/* only here */\nstatic int zyx_quux(int w) {\n  w = w * 7 + 3;\n  return w;\n}\n` + structuredText(40, 2);
const fileB = `/* only in B */\n` + structuredText(50, 3) + `  qq_frob(size);\n`;
const vocabulary = Vocabulary.fromText(fileA + fileF + fileB + 'Q');
const enc = (s: string) => vocabulary.encode(s);

/** The model of the three files, with its textRuns counted: each search for a document's file in the model's text. */
function counted() {
  const model = SuffixNgram.build(enc(fileA + fileF + fileB), { vocabSize: vocabulary.size });
  const runs = model.textRuns.bind(model);
  const searches = { count: 0 };
  model.textRuns = (ids, minRun) => (searches.count++, runs(ids, minRun));
  return { model, searches };
}

/** What `reading` gives at each end of `text`, as probabilities of the character there. */
function probabilities(documents: DocumentNgrams, id: string, text: string, ends: number[], fileText?: () => string): number[] {
  return ends.map((end) => {
    const { reader } = documents.reading(id, text, end, fileText);
    return reader.probability(Array.from(enc(text.slice(Math.max(0, end - 40), end))), enc(text[end])[0]);
  });
}

test("a file's left-out view is made at its first read and reused by later reads, edits, and other documents of the file; it reads as an n-gram built without the file", () => {
  const { model, searches } = counted();
  const documents = new DocumentNgrams(model, vocabulary);
  const views = documents.leftOutViews!;
  const lines = fileF.split('\n');
  const edited = [...lines.slice(0, 20), '  brand_new_line(Q);', ...lines.slice(20)].join('\n');
  const ends = [fileF.indexOf('* 7'), 300, 700, 1100];

  const first = documents.reading('file:///f.c', fileF, 200, () => fileF);
  assert.equal(first.leftOut, enc(fileF).length);
  assert.deepEqual([views.made, searches.count], [1, 1]);
  const read = probabilities(documents, 'file:///f.c', fileF, ends, () => fileF);
  const afterEdit = probabilities(documents, 'file:///f.c', edited, ends, () => edited);
  // Another document of the same file (or the same one opened again): its place is known by its text, its view is kept.
  documents.forget('file:///f.c');
  const reopened = probabilities(documents, 'file:///f.c', fileF, ends, () => fileF);
  const copy = probabilities(documents, 'untitled:Copy', fileF, ends, () => fileF);
  assert.deepEqual([views.made, searches.count], [1, 1], 'no view made again, no search again');

  // The same reads from an n-gram built without F, which has nothing to leave out.
  const without = new DocumentNgrams(SuffixNgram.build(enc(fileA + fileB), { vocabSize: vocabulary.size, discounts: model.discounts }), vocabulary);
  const expected = probabilities(without, 'file:///f.c', fileF, ends);
  const expectedEdited = probabilities(without, 'edited', edited, ends);
  for (const [what, got, want] of [['read', read, expected], ['edited', afterEdit, expectedEdited], ['reopened', reopened, expected], ['copy', copy, expected]] as const) {
    got.forEach((p, k) => assert.ok(Math.abs(p - want[k]) <= 1e-9 * Math.max(1, want[k]), `${what} at ${ends[k]}: ${p} vs ${want[k]}`));
  }
  // Without the file's text (completions), nothing is left out: the n-gram recalls what followed in F only.
  assert.equal(documents.reading('file:///f.c', fileF, 200).leftOut, undefined);
  assert.ok(probabilities(documents, 'file:///f.c', fileF, ends)[0] > expected[0]);
});

test('views are dropped least recently used first beyond their memory bound, and made again when asked for; a file of no model text has none', () => {
  const { model } = counted();
  const placeOf = (views: LeftOutViews, text: string) => views.fileOf(text)!;
  const roomy = new LeftOutViews(model, vocabulary);
  const [f, b] = [placeOf(roomy, fileF), placeOf(roomy, fileB)];
  for (const place of [f, b, f, b]) roomy.view(place);
  assert.equal(roomy.made, 2);
  const one = roomy.view(f).bytes;
  assert.ok(one > enc(fileF).length, `a view holds ${one} bytes`);

  // Room for one view: each file's view drops the other's.
  const tight = new LeftOutViews(model, vocabulary, one + 1);
  for (const place of [f, f, b, b, f]) tight.view(placeOf(tight, place === f ? fileF : fileB));
  assert.equal(tight.made, 3);
  assert.equal(roomy.fileOf('int main(void) { return 0; }\n'.repeat(3)), null);
});
