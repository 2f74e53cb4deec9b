/// <reference types="mocha" />
// Train on Workspace names a data file that would dominate the corpus and
// offers to leave it out; the choice lands in the workspace's settings.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TrainOutcome } from '../../../src/extension/commands/trainOnWorkspace';
import { api } from './helpers';

const TINY = { hidden: 16, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, valFrac: 0.1, patience: 0, maxSteps: 3 };

/** A C file that is nearly all hex, like crypto/testmgr.h: larger than the rest of the fixture together. */
function hexTable(): string {
  const rows = Array.from({ length: 200 }, (_, i) => `\t0x${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}, 0x${(i * 40503).toString(16).padStart(8, '0')},`);
  return `static const unsigned int vectors[] = {\n${rows.join('\n')}\n};\n`;
}

suite('Data files before training', function () {
  this.timeout(180_000);

  test('a hex table that dominates the corpus is named, and Exclude leaves it out and remembers it in the settings', async () => {
    const charlens = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const table = path.join(folder, 'vectors.c');
    const dotVscode = path.join(folder, '.vscode');
    const hadSettings = fs.existsSync(dotVscode);
    fs.writeFileSync(table, hexTable());
    const asked: string[] = [];
    // The workspace has a model already: Replace it; the question under test is the data file's.
    charlens.charlens.notify.answerWith = (message, choices) => (choices.includes('Replace') ? 'Replace' : (asked.push(message), choices.includes('Exclude') ? 'Exclude' : undefined));
    try {
      const outcome = (await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: TINY })) as TrainOutcome;
      assert.ok(outcome && !('busy' in outcome) && !outcome.error, JSON.stringify(outcome));
      assert.equal(asked.length, 1);
      assert.match(asked[0], /^vectors\.c is \d+% of the corpus and looks like data \(hex tables\)\. Exclude it from training\?$/);
      assert.deepEqual(vscode.workspace.getConfiguration('charlens.training').get('exclude'), ['vectors.c']);
      // Excluded now: a second training asks nothing.
      await vscode.commands.executeCommand('charlens.trainOnWorkspace', { include: ['**/*.c'], options: TINY });
      assert.equal(asked.length, 1);
    } finally {
      charlens.charlens.notify.answerWith = undefined;
      await vscode.workspace.getConfiguration('charlens.training').update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(table, { force: true });
      if (!hadSettings) fs.rmSync(dotVscode, { recursive: true, force: true });
    }
  });
});
