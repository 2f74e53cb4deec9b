import * as path from 'path';
import * as vscode from 'vscode';
import { ForgetDocument, Initialize } from '../engine/protocol';
import { loadModel } from './commands/loadModel';
import { sampleToEditor } from './commands/sample';
import { selectBackend } from './commands/selectBackend';
import { stopTraining } from './commands/stopTraining';
import { trainOnWorkspace } from './commands/trainOnWorkspace';
import { CompletionProvider } from './completionProvider';
import { CharLens, defaultModelDir, workspaceModelDir } from './context';
import { EngineClient } from './engineClient';
import { Notifier } from './notifier';
import { readSettings } from './settings';
import { StatusBar } from './statusBar';

/** Languages the extension offers completions in (those the corpus reader knows). */
export const LANGUAGES = ['c', 'cpp', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust', 'java', 'kotlin', 'csharp', 'ruby', 'php', 'swift', 'shellscript', 'lua', 'scala', 'haskell', 'ocaml', 'zig'];

/** What activate() returns: used by the integration tests, and by other extensions if they wish. */
export interface CharLensApi {
  charlens: CharLens;
  completions: CompletionProvider;
}

export async function activate(extension: vscode.ExtensionContext): Promise<CharLensApi> {
  const output = vscode.window.createOutputChannel('CharLens');
  const statusBar = new StatusBar();
  const notify = new Notifier(output);
  const engine = new EngineClient(path.join(extension.extensionPath, 'dist', 'engine.js'), output, notify, async (client) => {
    const init = await client.request(Initialize, {
      backend: readSettings().backend,
      models: [
        { dir: workspaceModelDir(extension), source: 'workspace' },
        { dir: defaultModelDir(extension), source: 'default' },
      ],
    });
    output.appendLine(`[engine] backend ${init.backend}${init.backendNotes.length ? ` (passed over ${init.backendNotes.join('; ')})` : ''}`);
    for (const problem of init.modelProblems) {
      output.appendLine(`[engine] ${problem}`);
      notify.warn(`a saved model could not be loaded: ${problem}`);
    }
    output.appendLine(init.model ? `[engine] answering with the ${init.model.source} model (${init.model.dir})` : '[engine] no model yet');
    statusBar.setEngine(init.backend, init.model);
  });
  const charlens: CharLens = { extension, engine, statusBar, output, notify };
  const completions = new CompletionProvider(engine);

  extension.subscriptions.push(
    output,
    statusBar,
    engine,
    vscode.languages.registerInlineCompletionItemProvider(
      LANGUAGES.map((language) => ({ language })),
      completions,
    ),
    vscode.workspace.onDidCloseTextDocument((doc) => engine.notify(ForgetDocument, { documentId: doc.uri.toString() })),
    vscode.commands.registerCommand('charlens.trainOnWorkspace', (args?) => trainOnWorkspace(charlens, args)),
    vscode.commands.registerCommand('charlens.resumeTraining', (args?) => trainOnWorkspace(charlens, args, true)),
    vscode.commands.registerCommand('charlens.stopTraining', () => stopTraining(charlens)),
    vscode.commands.registerCommand('charlens.loadModel', (dir?: string) => loadModel(charlens, dir)),
    vscode.commands.registerCommand('charlens.sample', (args?) => sampleToEditor(charlens, args)),
    vscode.commands.registerCommand('charlens.selectBackend', (backend?) => selectBackend(charlens, backend)),
    vscode.commands.registerCommand('charlens.showOutput', () => output.show()),
  );
  try {
    await engine.start();
  } catch (err) {
    notify.error(`the engine failed to start: ${(err as Error).message}`);
  }
  return { charlens, completions };
}

export function deactivate(): void {
  // Everything is in extension.subscriptions.
}
