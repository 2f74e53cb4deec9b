import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { pathToFileURL } from 'url';
import { AllowedFolders } from '../../src/engine/allowedFolders';
import { documentFileText } from '../../src/engine/documentFile';
import { tempDir } from './helpers';

test("a document's whole text for placing it in the n-gram: its saved file when in the workspace, else the text sent", (t) => {
  const root = fs.realpathSync(tempDir(t));
  const [workspace, storage, elsewhere] = ['workspace', 'storage', 'elsewhere'].map((name) => path.join(root, name));
  for (const dir of [workspace, storage, elsewhere]) fs.mkdirSync(dir);
  const folders = AllowedFolders.of({ storage: [storage], corpora: [workspace], models: [], caches: path.join(storage, 'caches') });
  fs.writeFileSync(path.join(workspace, 'a.c'), 'int a;\r\nint b;\r\n');
  fs.writeFileSync(path.join(elsewhere, 'b.c'), 'secret');
  const uri = (file: string) => pathToFileURL(file).toString();
  // Read as the corpus reads it (line ends normalised), the whole file though only its start was sent.
  assert.equal(documentFileText(uri(path.join(workspace, 'a.c')), 'int a;', folders), 'int a;\nint b;\n');
  assert.equal(documentFileText(uri(path.join(elsewhere, 'b.c')), 'sent', folders), 'sent', 'outside the workspace nothing is read');
  assert.equal(documentFileText(uri(path.join(workspace, 'gone.c')), 'sent', folders), 'sent', 'a file deleted since it was opened');
  assert.equal(documentFileText('untitled:Untitled-1', 'sent', folders), 'sent');
  assert.equal(documentFileText('doc1.c', 'sent', folders), 'sent');
  assert.equal(documentFileText(uri(path.join(workspace, 'a.c')), 'sent', undefined), 'sent', 'before the engine knows its folders');
});
