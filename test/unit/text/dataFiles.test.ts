import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatCorpusReport, readCorpus } from '../../../src/core/text/corpus';
import { DataSniffer, dataFileWarnings, literalGlob } from '../../../src/core/text/dataFiles';
import { tempDir } from '../helpers';

const C_CODE = 'static int add(int a, int b)\n{\n\treturn a + b; /* 2 args */\n}\n';
const HEX_VECTORS = Array.from({ length: 50 }, (_, i) => `\t.key = "\\x${(i % 256).toString(16).padStart(2, '0')}\\x01\\x02\\x03\\xff\\x10",\n\t.len = 0x${i.toString(16)},\n`).join('');

function kindOf(text: string, pieceLength = 7): string | undefined {
  const sniffer = new DataSniffer();
  // In small pieces, as the corpus reader hands them on: lines and tokens cross piece ends.
  for (let i = 0; i < text.length; i += pieceLength) sniffer.add(text.slice(i, i + pieceLength));
  return sniffer.kind();
}

test('code is code; test vectors are hex tables; lookup tables of decimals are number tables; one long line is minified', () => {
  assert.equal(kindOf(C_CODE.repeat(20)), undefined);
  assert.equal(kindOf(HEX_VECTORS), 'hex tables');
  assert.equal(kindOf(Array.from({ length: 200 }, (_, i) => `${i * 37}, ${i * 101},`).join('\n')), 'number tables');
  assert.equal(kindOf(`var a=${'b(c,d);'.repeat(400)}\n`), 'minified or encoded text');
});

test('a data file that is a big share of the corpus is named in the report with the exclude that leaves it out', (t) => {
  const folder = tempDir(t);
  fs.mkdirSync(path.join(folder, 'crypto'));
  fs.writeFileSync(path.join(folder, 'crypto', 'testmgr[1].h'), HEX_VECTORS);
  fs.writeFileSync(path.join(folder, 'add.c'), C_CODE.repeat(30));
  fs.writeFileSync(path.join(folder, 'tiny_table.c'), 'int t[] = { 0x1, 0x2 };\n');
  const { report } = readCorpus(folder);
  const warnings = dataFileWarnings(report);
  assert.deepEqual(warnings.map((w) => [w.path, w.kind]), [['crypto/testmgr[1].h', 'hex tables']], 'a small table is no warning');
  assert.match(warnings[0].message, /^crypto\/testmgr\[1\]\.h is \d+% of the corpus and looks like data \(hex tables\)$/);
  const text = formatCorpusReport(report);
  assert.match(text, /largest: crypto\/testmgr\[1\]\.h \d+% \(hex tables\), add\.c/);
  assert.match(text, /warning: .*--exclude 'crypto\/testmgr\\\[1\\\]\.h'/);
  // The printed exclude leaves exactly that file out.
  const without = readCorpus(folder, { exclude: [literalGlob('crypto/testmgr[1].h')] }).report;
  assert.deepEqual(without.files.map((f) => f.path).sort(), ['add.c', 'tiny_table.c']);
});
