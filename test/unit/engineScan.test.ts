// Before a training starts, the engine reads the workspace once and names
// the files that look like data and would dominate the corpus.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as rpc from '../../src/engine/protocol';
import { startEngine, testFolders } from './engineProcess';
import { structuredText, tempDir } from './helpers';

test('ScanCorpus reports the files a training would read and the data files among them, reading nothing else', async (t) => {
  const workspace = tempDir(t);
  fs.writeFileSync(path.join(workspace, 'a.c'), structuredText(100));
  fs.writeFileSync(path.join(workspace, 'vectors.h'), Array.from({ length: 2000 }, (_, i) => `0x${i.toString(16)}, 0x${(i * 7).toString(16)},`).join('\n'));
  const { connection } = startEngine(t);
  await connection.sendRequest(rpc.Initialize, { backend: 'cpu', models: [], folders: testFolders(t) });
  const scan = await connection.sendRequest(rpc.ScanCorpus, { folder: workspace, include: ['**/*.c', '**/*.h'] });
  assert.deepEqual(scan.report.files.map((f) => f.path).sort(), ['a.c', 'vectors.h']);
  assert.deepEqual(scan.dataFiles.map((w) => [w.path, w.kind]), [['vectors.h', 'hex tables']]);
  const excluded = await connection.sendRequest(rpc.ScanCorpus, { folder: workspace, include: ['**/*.c', '**/*.h'], exclude: ['vectors.h'] });
  assert.deepEqual(excluded.dataFiles, []);
  await assert.rejects(connection.sendRequest(rpc.ScanCorpus, { folder: 'relative/folder' }), /folder/);
});
