import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Corpus } from '../../src/core/text/corpus';
import { FeatureName, FeatureOptions, codeFeatures, dialectOf } from '../../src/core/explorer/codeFeatures';
import { corpusFiles, explorerSample } from '../../src/core/explorer/explorerSample';

/** One digit per character, so expectations line up with the text above them. */
function row(text: string, feature: FeatureName, options?: FeatureOptions): string {
  return Array.from(codeFeatures(text, options)[feature]).join('');
}

test('strings: the opening quote is inside, the closing quote outside, escapes never close', () => {
  const text = 'x = "a\\"b" + "\\\\";';
  assert.equal(row(text, 'insideString'), '000011111000011100');
  assert.equal(row("c = '\"'; d = '\\'';", 'insideString'), '000011000000011100', 'character literals count as strings');
});

test('comments: line and block, switching on the delimiter\'s last character; quotes inside them are not strings', () => {
  const text = 'a; // "x\nb /* "y */ c';
  assert.equal(row(text, 'insideComment'), '000011110000111111000');
  assert.equal(row(text, 'insideString'), '0'.repeat(21));
  assert.equal(row('s = "// not a comment";', 'insideComment'), '0'.repeat(23));
});

test('bracket depths nest separately and ignore brackets in strings and comments', () => {
  const text = 'f(a[g(1)], {b}) ")" // (';
  assert.equal(row(text, 'parenDepth'), '011112211111110000000000');
  assert.equal(row(text, 'bracketDepth'), '000111110000000000000000');
  assert.equal(row(text, 'braceDepth'), '000000000001100000000000');
  assert.equal(row('))(', 'parenDepth'), '001', 'depth never goes below zero');
});

test('column, indentation and distance to the line end, with tabs to the next tab stop', () => {
  const text = '  ab\n\t c\n';
  assert.equal(row(text, 'column'), '123401230');
  assert.equal(row(text, 'indentation'), '122204550');
  assert.equal(row(text, 'indentation', { tabWidth: 2 }), '122202330');
  assert.equal(row(text, 'toLineEnd'), '321032100');
  assert.equal(row('ab', 'toLineEnd'), '10', 'the end of the text ends the last line');
});

test('one entry per code point: astral characters count once', () => {
  const text = 's = "😀é";\n';
  assert.equal(row(text, 'insideString'), '0000111000');
  assert.equal(row(text, 'column'), '1234567890');
});

test('dialects: Rust lifetimes stay code, JS quotes strings with single quotes, Python has # comments and triple quotes', () => {
  assert.equal(row("f<'a>(x: &'a u8) 'b'", 'insideString', { dialect: 'c' }), '00000000000000000110');
  assert.equal(row("f('ab', x)", 'insideString', { dialect: 'js' }), '0011100000');
  const py = "s = '''a\n#'''  # x\n";
  assert.equal(row(py, 'insideString', { dialect: 'python' }), '0000001111110000000');
  assert.equal(row(py, 'insideComment', { dialect: 'python' }), '0000000000000001110');
  assert.deepEqual(['a.rs', 'b.TS', 'c.py', 'd.sh', 'e.h'].map(dialectOf), ['c', 'js', 'python', 'python', 'c']);
});

test('an unterminated quote spoils one line at most; backquotes span lines', () => {
  assert.equal(row('a = "x\nb;', 'insideString'), '000011000');
  assert.equal(row('a = `x\nb`;', 'insideString'), '0000111100');
});

function corpusOf(files: Record<string, string>): Corpus {
  const entries = Object.entries(files);
  return {
    text: entries.map(([, text]) => text).join(''),
    report: {
      folder: '/src', include: [], exclude: [], skipped: [], languages: [],
      files: entries.map(([path, text]) => ({ path, bytes: Buffer.byteLength(text), chars: Array.from(text).length })),
      bytes: 0, chars: 0,
    },
  };
}

test('a corpus splits back into its files, multi-byte characters included', () => {
  const files = { 'a.c': 'int é = 1; // 😀\n', 'b.py': '# ü\n', 'c.c': 'x;\n' };
  assert.deepEqual(corpusFiles(corpusOf(files)), Object.entries(files).map(([path, text]) => ({ path, text })));
});

test('a sample takes whole lines from every file, each lexed in its own dialect, and is fingerprinted', () => {
  const files = [
    { path: 'a.c', text: '#define X 1\n\tint x;\n' },
    { path: 'b.py', text: '# a comment\nx = 1\n' },
  ];
  const all = explorerSample(files, 1000);
  assert.equal(all.text.length, 38);
  const sharps = [...all.text].map((ch, i) => (ch === '#' ? all.features.insideComment[i] : -1)).filter((v) => v >= 0);
  assert.deepEqual(sharps.sort(), [0, 1], '# is a comment in Python and not in C');

  const cut = explorerSample(files, 25);
  assert.ok([...cut.text].length <= 25 && cut.text.endsWith('\n'));
  assert.equal(cut.features.column.length, [...cut.text].length);
  assert.notEqual(cut.fingerprint, all.fingerprint);
  assert.equal(explorerSample(files, 1000).fingerprint, all.fingerprint);
  assert.notEqual(explorerSample(files, 1000, 8).fingerprint, all.fingerprint, 'features with another tab width are another sample');
});

test('a window that starts inside a block comment knows it, since its file is lexed from the start', () => {
  const text = '/*\n' + 'a (b) c\n'.repeat(1000) + '*/\n';
  const sample = explorerSample([{ path: 'big.c', text }], 3000);
  assert.ok(!sample.text.startsWith('/*') && [...sample.text].length <= 3000);
  assert.equal(sample.features.insideComment[0], 1);
  assert.equal(Math.max(...sample.features.parenDepth), 0);
});
