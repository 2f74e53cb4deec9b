import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { beamSearch } from '../../../src/core/predict/beam';
import { AnsweringPredictor } from '../../../src/core/predict/answering';
import { pickCursors, restOfLine } from '../../../src/core/predict/completionAccuracy';
import { loadCheckpoint } from '../../../src/core/model/checkpoint';
import { InferenceModel } from '../../../src/core/model/inference';
import { Branching } from '../../../src/core/predict/predictor';
import { Random } from '../../../src/core/random';
import { SuggestionCut, WORD_END, bestCut, checkSuggestionFit, cutFor, cutsOf, suggest } from '../../../src/core/predict/suggestion';
import { CUT_FEATURES, CutScorer } from '../../../src/core/predict/cutScorer';
import { fitSuggestions } from '../../../src/core/predict/suggestionFit';
import { readCorpus } from '../../../src/core/text/corpus';
import { isWordChar } from '../../../src/core/predict/tokens';
import { Vocabulary } from '../../../src/core/text/vocabulary';

const vocabulary = Vocabulary.fromText('ab_x(); \n');

/** A predictor whose next-character distribution is a function of the text each row has written. */
function scripted(next: (text: string) => Float32Array): Branching {
  let texts = [''];
  return {
    get rows() {
      return texts.length;
    },
    distribution: (row) => next(texts[row]),
    branch: (parents, ids) => {
      texts = parents.map((p, i) => texts[p] + vocabulary.symbols[ids[i]]);
    },
  };
}

/** Sure of `line` up to `sureFor` characters, then torn between two characters. */
function sureOf(line: string, sureFor: number): (text: string) => Float32Array {
  return (text) => {
    const p = new Float32Array(vocabulary.size).fill(0.001);
    const n = text.length;
    if (line.startsWith(text) && n < line.length) {
      if (n < sureFor) p[vocabulary.idOf(line[n])] = 1;
      else {
        p[vocabulary.idOf(line[n])] = 0.5;
        p[vocabulary.idOf(line[n] === 'x' ? 'a' : 'x')] = 0.5;
      }
    } else p[vocabulary.idOf('\n')] = 1;
    const sum = p.reduce((a, b) => a + b, 0);
    return p.map((v) => v / sum);
  };
}

const search = (branching: Branching, floor = 0.05) => beamSearch(branching, vocabulary, { beamWidth: 4, lines: 3, maxChars: 30, multiline: false, floor });
/** The suggestion cut from a search at `threshold`, rightWorth 0 unless given. */
const shownAt = (branching: Branching, threshold: number, rightWorth = 0) => bestCut(cutsOf(search(branching)), { threshold, rightWorth });

test('the suggestion stops before an identifier the model is unsure how to finish, not inside it', () => {
  // Sure of "ab(" then of "xab_b" for three more characters: "ab(xab" is sure, "ab(xab_" not.
  assert.equal(shownAt(scripted(sureOf('ab(xab_b);', 6)), 0.6)?.text, 'ab(');
  // Sure to the end of the identifier and of what follows it: the cut is after the bracket.
  assert.equal(shownAt(scripted(sureOf('ab(xab_b);', 9)), 0.6)?.text, 'ab(xab_b)');
  // Sure of nothing: nothing is shown.
  assert.equal(shownAt(scripted(sureOf('ab(xab_b);', 0)), 0.6), undefined);
});

/** A scorer that reads only log(length) (cutFeatures: index 1): chance sigmoid(bias + weight * log(length)). */
const lengthScorer = (weight: number, bias = 2): CutScorer => ({ mean: new Array(CUT_FEATURES).fill(0), scale: new Array(CUT_FEATURES).fill(1), weights: [bias, 0, weight, 0, 0, 0, 0] });

test('the cut never splits an identifier: a suggestion that ends inside a word is one the model thinks ends there, whatever the scorer', () => {
  const rng = new Random(5);
  const symbols = vocabulary.symbols;
  for (let trial = 0; trial < 40; trial++) {
    // A random peaked distribution per written text, the same every time that text is asked about.
    const memo = new Map<string, Float32Array>();
    const next = (text: string) => {
      let p = memo.get(text);
      if (!p) {
        p = Float32Array.from(symbols, (_, i) => (i === 0 ? 0 : Math.pow(rng.next(), 6)));
        const sum = p.reduce((a, b) => a + b, 0);
        p = p.map((v) => v / sum);
        memo.set(text, p);
      }
      return p;
    };
    const result = search(scripted(next));
    const cuts = [0.1, 0.3, 0.5].flatMap((threshold) => [0, 3, 20].map((rightWorth): SuggestionCut => ({ threshold, rightWorth })));
    // A scorer that likes long cuts would cut anywhere if the tree offered it.
    for (const cut of [...cuts, ...cuts.map((c) => ({ ...c, scorer: lengthScorer(3) }))]) {
      const threshold = cut.scorer ? 0 : cut.threshold;
      for (const s of [bestCut(cutsOf(result), cut)].filter((c) => c !== undefined)) {
        const last = s.text[s.text.length - 1];
        if (!isWordChar(last)) continue;
        // P(the text, then a character that ends the word), straight from the distributions.
        let p = 1;
        for (let i = 0; i < s.text.length; i++) p *= next(s.text.slice(0, i))[vocabulary.idOf(s.text[i])];
        const after = next(s.text);
        const ending = symbols.reduce((sum, ch, id) => (id > 0 && !isWordChar(ch) ? sum + after[id] : sum), 0);
        assert.ok(p * ending >= threshold - 1e-6, `"${s.text}" ends inside a word: P(it, then the word ends) ${p * ending} < ${threshold}`);
        assert.ok(ending >= WORD_END - 1e-6, `"${s.text}" ends inside a word that the model thinks goes on: P(word ends | text) ${ending}`);
      }
    }
  }
});

/** Sure of "ab(", then "x" with probability px (else "a" or "b", ending the line), then sure of ");". */
function forkAfterBracket(px: number): (text: string) => Float32Array {
  return (text) => {
    const p = new Float32Array(vocabulary.size);
    const set = (ch: string, v: number) => (p[vocabulary.idOf(ch)] = v);
    if ('ab('.startsWith(text) && text.length < 3) set('ab('[text.length], 1);
    else if (text === 'ab(') {
      set('x', px);
      set('a', (1 - px) / 2);
      set('b', (1 - px) / 2);
    } else if ('ab(x);'.startsWith(text) && text.length < 6) set('ab(x);'[text.length], 1);
    else set('\n', 1);
    return p;
  };
}

test('the suggestion shown is the cut worth most: expected characters, plus rightWorth for being right at all, not the longest sure enough', () => {
  // "ab(" is sure (3 characters); "ab(x);" has probability px (6 characters).
  assert.equal(shownAt(scripted(forkAfterBracket(0.4)), 0.3)?.text, 'ab(', '0.4 * 6 < 1 * 3');
  assert.equal(shownAt(scripted(forkAfterBracket(0.6)), 0.3)?.text, 'ab(x);', '0.6 * 6 > 1 * 3');
  assert.equal(shownAt(scripted(forkAfterBracket(0.6)), 0.3, 3)?.text, 'ab(', '0.6 * (6 + 3) < 1 * (3 + 3)');
  // Below the threshold a cut is not shown, whatever it is worth.
  assert.equal(shownAt(scripted(forkAfterBracket(0.6)), 0.7)?.text, 'ab(');
});

test('with a learned scorer, the cut shown is the one the scorer expects most accepted characters of, not q', () => {
  // q: "ab" and "ab(" 1, "ab(x);" 0.6, so q shows "ab(x);" (0.6 * 6 > 3).
  const result = search(scripted(forkAfterBracket(0.6)));
  assert.equal(bestCut(cutsOf(result), { threshold: 0.3, rightWorth: 0 })?.text, 'ab(x);');
  // A scorer that distrusts length (chance 0.96 at 2 characters, 0.27 at 3) shows the shortest cut; one that trusts it, the longest.
  const distrusting = lengthScorer(-10, 10);
  assert.equal(bestCut(cutsOf(result), { threshold: 0.3, rightWorth: 0, scorer: distrusting })?.text, 'ab');
  assert.equal(bestCut(cutsOf(result), { threshold: 0.3, rightWorth: 0, scorer: lengthScorer(3) })?.text, 'ab(x);');
  // Its chance is held to the threshold too: sure of nothing, it shows nothing.
  assert.equal(bestCut(cutsOf(result), { threshold: 0.99, rightWorth: 0, scorer: distrusting }), undefined);
});

test('the best cut for a precision is the fitted one with the most accepted characters among those precise enough; a model saved before it keeps its threshold', () => {
  const point = (threshold: number, rightWorth: number, precision: number, accepted: number) => ({ threshold, rightWorth, shown: 0.5, precision, accepted });
  const fit = { version: 2 as const, beamWidth: 4, cursors: 100, curve: [point(0.05, 0, 0.55, 3), point(0.05, 2, 0.72, 2.5), point(0.1, 0, 0.71, 2.8), point(0.3, 0, 0.9, 1)] };
  assert.deepEqual(cutFor(fit, 0.7), { threshold: 0.1, rightWorth: 0 });
  assert.deepEqual(cutFor(fit, 0.95), { threshold: 0.3, rightWorth: 0 });
  const old = { version: 1 as const, beamWidth: 4, cursors: 100, curve: [{ threshold: 0.05, shown: 0.9, precision: 0.5, accepted: 3 }, { threshold: 0.2, shown: 0.7, precision: 0.71, accepted: 2.5 }] };
  assert.deepEqual(cutFor(checkSuggestionFit(old), 0.7), { threshold: 0.2, rightWorth: 0 });
  assert.deepEqual(cutFor(undefined, 0.7), { threshold: 0.7, rightWorth: 0 });
  // From version 3 the cut comes with the scorer it was fitted with; a fit that lost its scorer is not read.
  const scorer = lengthScorer(1);
  const learned = checkSuggestionFit(JSON.parse(JSON.stringify({ ...fit, version: 3, scorer })));
  assert.deepEqual(cutFor(learned, 0.7), { threshold: 0.1, rightWorth: 0, scorer });
  assert.equal(checkSuggestionFit({ ...fit, version: 3 }), undefined);
});

test('the items are the suggestion first, then the beam\'s lines, distinct; none where the model is unsure', () => {
  const cut = { threshold: 0.6, rightWorth: 0 };
  const sure = suggest(scripted(sureOf('ab(xab_b);', 6)), vocabulary, { beamWidth: 4, candidates: 3, maxChars: 30, multiline: false, cut });
  assert.equal(sure[0], 'ab(');
  assert.ok(sure.length >= 2 && sure.length <= 3, JSON.stringify(sure));
  assert.equal(new Set(sure).size, sure.length);
  assert.ok(sure.slice(1).every((line) => line.startsWith('ab(xab')), JSON.stringify(sure));
  assert.deepEqual(suggest(scripted(sureOf('ab(xab_b);', 0)), vocabulary, { beamWidth: 4, candidates: 3, maxChars: 30, multiline: false, cut }), []);
});

test('the threshold fitted for a precision gives that precision, within 5 points, on the text it was fitted on', () => {
  const dir = path.join(__dirname, '..', '..', '..', '..', 'models', 'default');
  const checkpoint = loadCheckpoint(dir);
  const model = InferenceModel.of(checkpoint);
  const text = readCorpus(path.join(dir, '..', 'corpus')).text.slice(-30_000);
  const fit = fitSuggestions(new AnsweringPredictor(model, checkpoint.vocabulary, undefined), text);
  const chars = Array.from(text);
  for (const precision of [0.6, 0.75]) {
    const cut = cutFor(fit, precision);
    // Measured again the editor's way, at the fit's cursors: suggest() at that threshold.
    const answering = new AnsweringPredictor(model, checkpoint.vocabulary, undefined);
    let shown = 0;
    let right = 0;
    for (const at of pickCursors(chars, fit.cursors, 1)) {
      const [item] = suggest(answering.at('doc', chars.slice(0, at).join('')), checkpoint.vocabulary, { beamWidth: fit.beamWidth, candidates: 1, maxChars: 200, multiline: false, cut });
      if (!item) continue;
      shown++;
      if (restOfLine(chars, at).join('').startsWith(item)) right++;
    }
    assert.ok(shown >= 20, `${shown} suggestions shown at ${JSON.stringify(cut)}`);
    assert.ok(Math.abs(right / shown - precision) <= 0.05, `asked ${precision}, got ${right}/${shown} at ${JSON.stringify(cut)}`);
  }
});
