import * as vscode from 'vscode';
import { Notifier } from './notifier';

/**
 * Training reads the workspace's files into a model and Load Model opens
 * any folder: in Restricted Mode both wait for the user to trust the
 * workspace (package.json declares `untrustedWorkspaces: limited`), while
 * completions and overlays go on with the model CharLens already has.
 */
export function trustedFor(action: string, notify: Notifier): boolean {
  if (vscode.workspace.isTrusted) return true;
  notify.warn(`${action} needs a trusted workspace; this one is in Restricted Mode. Completions and overlays still work with the current model. To trust it, run "Workspaces: Manage Workspace Trust".`);
  return false;
}
