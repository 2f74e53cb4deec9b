import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CorpusError, defaultIncludeGlobs, formatCorpusReport, readCorpus, scanCorpus, scanFile, streamCorpusFile } from '../../../src/core/text/corpus';

// Each test gets its own temp folder, removed afterwards even if the test fails.
function withTree(files: Record<string, string | Buffer>, fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-corpus-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      const abs = path.join(dir, rel);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, content);
    }
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const paths = (c: { report: { files: { path: string }[] } }): string[] => c.report.files.map((f) => f.path);

test('default globs pick only the languages present', () => {
  withTree({ 'a.c': 'int a;\n', 'inc/b.h': 'int b;\n', 'README.md': '# hi\n', 'notes.txt': 'x\n' }, (dir) => {
    const d = defaultIncludeGlobs(dir);
    assert.deepEqual(d.languages, ['C', 'C/C++ header']);
    assert.deepEqual(d.include, ['**/*.c', '**/*.h', '**/*.hpp', '**/*.hh']);
    const c = readCorpus(dir);
    assert.deepEqual(paths(c), ['a.c', 'inc/b.h']);
    assert.deepEqual(c.report.languages, ['C', 'C/C++ header']);
    assert.deepEqual(c.report.include, d.include);
    assert.equal(c.text, 'int a;\nint b;\n');
  });
});

test('root and nested .gitignore, .git and node_modules are honoured', () => {
  withTree(
    {
      '.gitignore': 'build/\n*.gen.c\n!keep.gen.c\n',
      'main.c': 'm\n',
      'only_here.c': 'o\n',
      'build/out.c': 'x\n',
      'build/tool.py': 'x\n',
      'x.gen.c': 'x\n',
      'keep.gen.c': 'k\n',
      'sub/.gitignore': 'local.c\n/only_here.c\n',
      'sub/local.c': 'x\n',
      'sub/deeper/local.c': 'x\n',
      'sub/only_here.c': 'x\n',
      'sub/deeper/only_here.c': 'd\n',
      'sub/kept.c': 's\n',
      'node_modules/dep/index.js': 'x\n',
      '.git/hooks/x.sh': 'x\n',
    },
    (dir) => {
      // Python and JavaScript/Shell appear only in ignored places, so they are not detected.
      assert.deepEqual(defaultIncludeGlobs(dir).languages, ['C']);
      const c = readCorpus(dir);
      assert.deepEqual(paths(c), ['keep.gen.c', 'main.c', 'only_here.c', 'sub/deeper/only_here.c', 'sub/kept.c']);
    },
  );
});

test('exclude wins over include and prunes directories', () => {
  withTree({ 'a.c': 'a\n', 'test/t.c': 't\n', 'src/b.c': 'b\n', 'src/b_test.c': 'bt\n' }, (dir) => {
    const c = readCorpus(dir, { include: ['**/*.c'], exclude: ['test/**', '**/*_test.c'] });
    assert.deepEqual(paths(c), ['a.c', 'src/b.c']);
    assert.deepEqual(c.report.exclude, ['test/**', '**/*_test.c']);
    assert.deepEqual(c.report.languages, ['C']);
  });
});

test('deterministic code-unit order, trailing newline added, bytes and chars counted', () => {
  withTree({ 'b.c': 'b', 'a.c': 'a\n', 'B.c': 'é', 'a/z.c': '😀z' }, (dir) => {
    const c = readCorpus(dir);
    assert.deepEqual(paths(c), ['B.c', 'a.c', 'a/z.c', 'b.c']);
    assert.equal(c.text, 'é\na\n😀z\nb\n');
    assert.equal(c.report.bytes, Buffer.byteLength(c.text));
    assert.equal(c.report.bytes, 3 + 2 + 6 + 2);
    assert.equal(c.report.chars, 2 + 2 + 3 + 2);
    assert.deepEqual(c.report.files.map((f) => f.bytes), [3, 2, 6, 2]);
    assert.equal(readCorpus(dir).text, c.text);
  });
});

test('CRLF and lone CR become LF, BOM stripped', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  withTree({ 'a.py': Buffer.concat([bom, Buffer.from('x = 1\r\ny = 2\rz = 3\r\n')]), 'b.py': bom }, (dir) => {
    const c = readCorpus(dir);
    assert.equal(c.text, 'x = 1\ny = 2\nz = 3\n');
    assert.deepEqual(c.report.skipped, [{ path: 'b.py', reason: 'empty' }]);
  });
});

test('binary, invalid UTF-8, oversized and empty files are skipped with reasons', () => {
  withTree(
    {
      'ok.c': 'int ok;\n',
      'bin.c': Buffer.from([0x69, 0x00, 0x6e]),
      'bad.c': Buffer.from([0x69, 0xff, 0xfe, 0x0a]),
      'big.c': 'x'.repeat(150),
      'empty.c': '',
    },
    (dir) => {
      const c = readCorpus(dir, { maxFileBytes: 100 });
      assert.deepEqual(paths(c), ['ok.c']);
      assert.deepEqual(c.report.skipped, [
        { path: 'bad.c', reason: 'not valid UTF-8' },
        { path: 'big.c', reason: 'larger than 100 bytes (150 bytes)' },
        { path: 'bin.c', reason: 'binary (NUL byte)' },
        { path: 'empty.c', reason: 'empty' },
      ]);
      const text = formatCorpusReport(c.report);
      assert.match(text, /^Corpus: 1 file, 8 bytes, 8 chars \(C\) from /);
      assert.match(text, /skipped 4: 1 not valid UTF-8, 1 larger than 100 bytes, 1 binary \(NUL byte\), 1 empty/);
      assert.match(text, /big\.c: larger than 100 bytes \(150 bytes\)/);
    },
  );
});

test('report lists at most 10 skipped paths', () => {
  const files: Record<string, string> = { 'ok.c': 'x\n' };
  for (let i = 0; i < 13; i++) files[`e${String(i).padStart(2, '0')}.c`] = '';
  withTree(files, (dir) => {
    const text = formatCorpusReport(readCorpus(dir).report);
    assert.match(text, /skipped 13: 13 empty/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('  skipped ')).length, 10);
    assert.match(text, /\.\.\. and 3 more skipped$/);
  });
});

test('errors: empty folder, binary-only folder, nothing matched, missing folder, not a directory', () => {
  withTree({}, (dir) => {
    assert.throws(() => readCorpus(dir), (e: unknown) => e instanceof CorpusError && /No source files/.test(e.message) && /--include/.test(e.message));
    assert.deepEqual(defaultIncludeGlobs(dir), { include: [], languages: [] });
    assert.throws(() => readCorpus(path.join(dir, 'nope')), (e: unknown) => e instanceof CorpusError && /not found/.test(e.message));
  });
  withTree({ 'a.c': Buffer.from([0, 1]), 'b.h': Buffer.from([1, 0]), 'r.txt': 'x' }, (dir) => {
    assert.throws(
      () => readCorpus(dir),
      (e: unknown) =>
        e instanceof CorpusError &&
        e.message.includes(`No usable text in ${dir} matching **/*.c, **/*.h, **/*.hpp, **/*.hh: 2 files skipped (2 binary (NUL byte))`),
    );
    assert.throws(() => readCorpus(dir, { include: ['**/*.go'] }), (e: unknown) => e instanceof CorpusError && /\*\*\/\*\.go: no files matched/.test(e.message));
    assert.throws(() => readCorpus(path.join(dir, 'r.txt')), (e: unknown) => e instanceof CorpusError && /Not a directory/.test(e.message));
  });
});

test('maxTotalBytes stops adding files once reached', () => {
  withTree({ 'a.c': '123456789\n', 'b.c': '123456789\n', 'c.c': '123456789\n' }, (dir) => {
    const c = readCorpus(dir, { maxTotalBytes: 15 });
    assert.deepEqual(paths(c), ['a.c', 'b.c']);
    assert.equal(c.report.bytes, 20);
    assert.deepEqual(c.report.skipped, [{ path: 'c.c', reason: 'corpus size limit reached' }]);
  });
});

test('symlinked directories are not followed', () => {
  withTree({ 'src/a.c': 'a\n' }, (dir) => {
    try {
      fs.symlinkSync(dir, path.join(dir, 'src', 'loop'), 'dir');
      fs.symlinkSync(path.join(dir, 'src', 'a.c'), path.join(dir, 'link.c'));
    } catch {
      return; // platforms without symlink permission
    }
    const c = readCorpus(dir);
    assert.deepEqual(paths(c), ['link.c', 'src/a.c']);
  });
});

/** A file outside the corpus folder, as ~/.aws/credentials or /etc/passwd would be. */
function withSecret(fn: (secret: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-secret-'));
  try {
    const secret = path.join(dir, 'credentials');
    fs.writeFileSync(secret, 'aws_secret_access_key = SECRET-OUTSIDE\n');
    fn(secret);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a symlinked file whose real path lies outside the folder is never read, and the report says so', () => {
  withSecret((secret) =>
    withTree({ 'src/a.c': 'int a;\n', 'notes.txt': 'x\n' }, (dir) => {
      fs.symlinkSync(secret, path.join(dir, 'config.c'));
      fs.symlinkSync(secret, path.join(dir, 'src', 'keys.c'));
      // A .gitignore that leads outside is not read either: its rules would come from another file.
      fs.symlinkSync(secret, path.join(dir, '.gitignore'));
      // A link that stays inside is read as the file it leads to.
      fs.symlinkSync(path.join(dir, 'src', 'a.c'), path.join(dir, 'same.c'));
      const c = readCorpus(dir);
      assert.deepEqual(paths(c), ['same.c', 'src/a.c']);
      assert.doesNotMatch(c.text, /SECRET/);
      assert.deepEqual(c.report.skipped.map((s) => s.path), ['config.c', 'src/keys.c']);
      assert.match(c.report.skipped[0].reason, /^outside the workspace \(it leads to .*credentials\)$/);
      assert.match(formatCorpusReport(c.report), /skipped 2: 2 outside the workspace/);
    }),
  );
});

test('a corpus folder reached through a symlink reads its own files', () => {
  withTree({ 'a.c': 'int a;\n' }, (dir) => {
    const link = `${dir}-link`;
    fs.symlinkSync(dir, link);
    try {
      assert.deepEqual(paths(readCorpus(link)), ['a.c']);
    } finally {
      fs.rmSync(link);
    }
  });
});

test('a file swapped for a symlink to outside after it was listed is refused when it is opened', () => {
  withSecret((secret) =>
    withTree({ 'a.c': 'int a;\n', 'b.c': 'int b;\n' }, (dir) => {
      // The listing is done by the time the first file's text is handed on; b.c is swapped then.
      const report = scanCorpus(dir, {}, (text) => {
        if (!text.includes('int a;')) return;
        fs.rmSync(path.join(dir, 'b.c'));
        fs.symlinkSync(secret, path.join(dir, 'b.c'));
      });
      assert.deepEqual(report.files.map((f) => f.path), ['a.c']);
      assert.deepEqual(report.skipped.map((s) => [s.path, s.reason.split(' (')[0]]), [['b.c', 'outside the workspace']]);
      // Read again later (as eval streams a scanned corpus): a file swapped since the scan is refused too.
      fs.rmSync(path.join(dir, 'a.c'));
      fs.symlinkSync(secret, path.join(dir, 'a.c'));
      let read = '';
      assert.throws(() => streamCorpusFile(report, report.files[0], (piece) => (read += piece)), /a\.c changed while it was read: it is now outside the workspace/);
      assert.equal(read, '');
    }),
  );
});

test('what the reader of the pieces throws comes out as it was, not as the file changing', () => {
  withTree({ 'hash.c': 'int h;\n' }, (dir) => {
    const report = scanCorpus(dir, {});
    const damaged = new Error('pickNext needs finite probabilities');
    assert.throws(
      () =>
        streamCorpusFile(report, report.files[0], () => {
          throw damaged;
        }),
      (err) => err === damaged,
    );
  });
});

test('a file named alone is read without listing or reading anything else in its folder', () => {
  withTree({ 'a.c': 'int a;\n', 'big.c': 'x'.repeat(200), 'sub/deep/b.c': 'int b;\n', '.gitignore': 'a.c\n' }, (dir) => {
    const listed: string[] = [];
    // The module object itself (an import's namespace is read-only), which corpus.ts reads at each call.
    const nodeFs = require('fs') as { readdirSync: typeof fs.readdirSync };
    const readdirSync = nodeFs.readdirSync;
    nodeFs.readdirSync = ((...args: Parameters<typeof fs.readdirSync>) => {
      listed.push(String(args[0]));
      return readdirSync(...args);
    }) as typeof fs.readdirSync;
    let text = '';
    try {
      scanCorpus(dir, {});
      assert.ok(listed.length >= 3, 'a folder scan is seen listing its folders');
      listed.length = 0;
      const report = scanFile(path.join(dir, 'a.c'), (t) => (text += t));
      assert.deepEqual(report.files.map((f) => f.path), ['a.c']);
      assert.equal(report.folder, fs.realpathSync(dir));
      assert.deepEqual(report.languages, ['C']);
    } finally {
      nodeFs.readdirSync = readdirSync;
    }
    assert.deepEqual(listed, [], 'no folder was listed');
    assert.equal(text, 'int a;\n', 'a .gitignore naming it does not apply to a file named alone');
    // Whatever its size: the caps guard folder scans.
    assert.equal(scanFile(path.join(dir, 'big.c'), undefined).bytes, 201);
    assert.throws(() => scanFile(path.join(dir, 'missing.c')), /Cannot read .*missing\.c: not found/);
  });
});
