import * as vscode from 'vscode';
import { describeOwner, requestStop, trainingLockOwner } from '../core/train/trainingLock';

/** What to do when another window (or a terminal) trains into the model folder; a caller may choose ahead of the question. */
export type FolderTakenChoice = 'Stop It' | 'Wait';

const POLL_MS = 500;

/**
 * Before training into `dir`: when another trainer holds it, says which one
 * and offers to stop it (it saves first, as its own Stop would) or to wait
 * for it to end. Resolves true once the folder is free, false when the user
 * declines or cancels the wait.
 */
export async function whenTrainingFolderFree(dir: string, preset?: FolderTakenChoice): Promise<boolean> {
  const owner = trainingLockOwner(dir);
  if (!owner) return true;
  const choice = preset ?? (await vscode.window.showWarningMessage(`CharLens: ${describeOwner(owner)} is training into this workspace's model. Stop that training, or wait until it ends?`, 'Stop It', 'Wait'));
  if (!choice) return false;
  if (choice === 'Stop It') requestStop(dir, owner);
  const title = `CharLens: ${choice === 'Stop It' ? 'stopping' : 'waiting for'} the training of ${owner.label}`;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (_progress, token) => {
    while (trainingLockOwner(dir)) {
      if (token.isCancellationRequested) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return true;
  });
}
