import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeFrom } from '../../src/core/predict/completion';
import { InstantModel } from '../../src/engine/instantModel';
import { DocumentNgrams, MAX_DOCUMENT_CHARS } from '../../src/core/ngram/documentNgram';
import { RecentIndex } from '../../src/core/ngram/recentIndex';
import { SuffixNgram } from '../../src/core/ngram/suffixNgram';
import { Branching, ngramBranching, stepperOf } from '../../src/core/predict/predictor';
import { Random } from '../../src/core/random';
import { Vocabulary } from '../../src/core/text/vocabulary';
import { structuredText } from './helpers';

const training = structuredText(300);
const vocabulary = Vocabulary.fromText(training + 'abcdefghijklmnopqrstuvwxyz_();\n');
const model = () => SuffixNgram.build(vocabulary.encode(training), { vocabSize: vocabulary.size });
const greedy = (predictor: Branching) => completeFrom(stepperOf(predictor), vocabulary, { maxChars: 40, temperature: 0, multiline: false, seed: 0 });
const complete = (ngram: Parameters<typeof ngramBranching>[0], prefix: string) => greedy(ngramBranching(ngram, vocabulary, prefix));

test('truncating the recent index undoes its adds exactly', () => {
  const rng = new Random(2);
  const text = Array.from({ length: 3000 }, () => Math.floor(rng.next() * 3));
  const matches = (index: RecentIndex, end: number) => {
    const found: number[] = [];
    index.matches(text, text, end, 64, (length, j) => found.push(length, j));
    return found;
  };
  const grown = new RecentIndex(0, 8);
  for (let j = 0; j < 3000; j++) grown.add(text, j);
  grown.truncate(text, 1200);
  const fresh = new RecentIndex(0, 8);
  for (let j = 0; j < 1200; j++) fresh.add(text, j);
  assert.equal(grown.filed, 1200);
  for (const end of [1200, 900, 333]) assert.deepEqual(matches(grown, end), matches(fresh, end));
});

test('an identifier defined earlier in the document is completed later, and the saved model does not change', () => {
  const ngram = model();
  const saved = ngram.toBuffer();
  const documents = new DocumentNgrams(ngram, vocabulary);
  const line = '  frobnicate_widget_counter = total + 1;\n';
  const doc = training.slice(0, 400) + line + training.slice(400, 700) + line + training.slice(700, 900);
  const prefix = doc + '  frobnicate_widg';
  const context = vocabulary.encode(prefix);
  const d = vocabulary.idOf('e');
  assert.ok(documents.at('a.c', prefix).probability(context, d) > 5 * ngram.probability(context, d));
  assert.notEqual(complete(ngram, prefix), 'et_counter = total + 1;');
  assert.equal(complete(documents.at('a.c', prefix), prefix), 'et_counter = total + 1;');
  // Another document has not read it.
  assert.notEqual(complete(documents.at('b.c', training.slice(0, 900) + '  frobnicate_widg'), prefix), 'et_counter = total + 1;');
  assert.deepEqual(ngram.toBuffer(), saved);
});

test('while the LSTM trains, the workspace n-gram reads the document too: completions and the overlay', () => {
  const instant = new InstantModel(model(), vocabulary);
  const line = '  frobnicate_widget_counter = total + 1;\n';
  const doc = training.slice(0, 400) + line + training.slice(400, 900);
  const prefix = doc + '  frobnicate_widg';
  assert.equal(greedy(instant.predictorAt('a.c', prefix)), 'et_counter = total + 1;');
  assert.notEqual(greedy(instant.predictorAt('b.c', training.slice(0, 900) + '  frobnicate_widg')), 'et_counter = total + 1;');
  // The second occurrence of the line is far likelier in the overlay of a document that has read the first.
  const twice = doc + line;
  const at = twice.length - line.length + 14;
  const seen = instant.probabilities('c.c', twice, at, at + 10).probability;
  const unseen = instant.probabilities('d.c', training.slice(0, 900) + line, 900 + 14, 900 + 24).probability;
  assert.ok(seen.reduce((a, b) => a + Math.log(b), 0) > unseen.reduce((a, b) => a + Math.log(b), 0) + 5);
});

test('edits re-read the document from the edit: nothing is counted twice', () => {
  const ngram = model();
  const edited = new DocumentNgrams(ngram, vocabulary);
  const base = training.slice(0, 2000);
  // Typing, a backspace, an edit above the cursor, a jump up: each time what is read is the current text.
  for (const text of [base, base + 'frob_x = 1;\n', base + 'frob_x = 1', base.slice(0, 500) + 'qq' + base.slice(500) + 'frob_x = 1;\n', base.slice(0, 300)]) {
    const reader = edited.at('a.c', text);
    const fresh = new DocumentNgrams(ngram, vocabulary).at('a.c', text);
    for (const context of [text, text + 'frob_', text + '  if (']) {
      const ids = vocabulary.encode(context).slice(-ngram.order);
      assert.deepEqual(reader.distribution(ids), fresh.distribution(ids));
    }
  }
});

test('a long document is read in a bounded window', () => {
  const documents = new DocumentNgrams(model(), vocabulary);
  const long = structuredText(12000, 3);
  assert.ok(long.length > 2 * MAX_DOCUMENT_CHARS);
  for (let end = 1000; end < long.length; end += 20000) documents.at('long.c', long, end);
  const reader = documents.at('long.c', long);
  const fresh = new DocumentNgrams(model(), vocabulary).at('long.c', long);
  const ids = vocabulary.encode(long.slice(-600)).slice(-257);
  // Both read the same window's worth of the end (the start of the window may differ), and both predict from it.
  assert.equal(reader.distribution(ids).length, fresh.distribution(ids).length);
});
