import * as vscode from 'vscode';
import { BACKENDS, BackendRequest } from '../../core/backendNames';
import { SetBackend } from '../../engine/protocol';
import { CharLens } from '../context';

export async function selectBackend(charlens: CharLens, backend?: BackendRequest): Promise<string | undefined> {
  if (!backend) {
    const picked = await vscode.window.showQuickPick(['auto', ...BACKENDS], { title: 'CharLens: compute backend' });
    if (!picked) return undefined;
    backend = picked as BackendRequest;
  }
  try {
    const result = await charlens.engine.request(SetBackend, { backend });
    await vscode.workspace.getConfiguration('charlens').update('backend', backend, vscode.ConfigurationTarget.Global);
    charlens.output.appendLine(`[engine] backend ${result.description}${result.notes.length ? ` (passed over ${result.notes.join('; ')})` : ''}`);
    charlens.statusBar.setBackend(result.description);
    charlens.notify.info(`training on ${result.description}.`);
    return result.backend;
  } catch (err) {
    charlens.notify.error(`backend ${backend} is not available: ${(err as Error).message}`);
    return undefined;
  }
}
