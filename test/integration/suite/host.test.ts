/// <reference types="mocha" />
// Smoke test: proves the suite runs inside a real VS Code extension host with
// the fixture workspace open, so later CharLens tests can rely on that.
import assert from 'node:assert/strict';
import * as path from 'path';
import * as vscode from 'vscode';

suite('VS Code test host', () => {
  test('runs inside VS Code', () => {
    assert.equal(typeof vscode.version, 'string');
    assert.ok(vscode.version.length > 0, 'vscode.version is empty');
  });

  test('has the fixture workspace open', () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    assert.ok(folder.uri.path.endsWith('fixtures/workspace'), `unexpected workspace folder ${folder.uri.path}`);
  });

  test('opens main.c as a C document', async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'main.c'));
    assert.equal(doc.languageId, 'c');
    assert.ok(doc.lineCount >= 50, `main.c has only ${doc.lineCount} lines`);
    assert.equal(path.basename(doc.fileName), 'main.c');
  });

  test('receives extensionTestsEnv', () => {
    assert.equal(process.env.CHARLENS_INTEGRATION_TEST, '1');
  });
});
