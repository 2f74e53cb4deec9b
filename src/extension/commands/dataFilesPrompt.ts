import * as vscode from 'vscode';
import { literalGlob } from '../../core/text/dataFiles';
import { ScanCorpus, TrainParams } from '../../engine/protocol';
import { CharLens } from '../context';

const KEPT_KEY = 'charlens.keptDataFiles';
export const EXCLUDE = 'Exclude';
export const KEEP = 'Keep';

/**
 * Before a new training: files that look like data and would dominate the
 * corpus (hex tables, minified text) are named and offered for exclusion.
 * Excluding adds them to charlens.training.exclude in the workspace's
 * settings; keeping is remembered for this workspace; either way the
 * question is not asked again. Resolves to the exclude globs to train with,
 * or undefined when the user cancels.
 */
export async function offerToExcludeDataFiles(charlens: CharLens, params: TrainParams): Promise<string[] | undefined> {
  const exclude = params.exclude ?? [];
  const scan = await charlens.engine.request(ScanCorpus, { folder: params.folder, include: params.include, exclude, maxFileBytes: params.maxFileBytes });
  const kept = charlens.extension.workspaceState.get<string[]>(KEPT_KEY, []);
  const asked = scan.dataFiles.filter((w) => !kept.includes(w.path));
  if (asked.length === 0) return exclude;
  const what = asked.length === 1 ? `${asked[0].message}. Exclude it from training?` : `${asked.map((w) => w.message).join('; ')}. Exclude them from training?`;
  const answer = await charlens.notify.ask(what, EXCLUDE, KEEP);
  if (answer === KEEP) {
    await charlens.extension.workspaceState.update(KEPT_KEY, [...kept, ...asked.map((w) => w.path)]);
    return exclude;
  }
  if (answer !== EXCLUDE) return undefined;
  const globs = asked.map((w) => literalGlob(w.path));
  const settings = vscode.workspace.getConfiguration('charlens.training');
  const configured = settings.get<string[]>('exclude', []);
  await settings.update('exclude', [...configured, ...globs.filter((g) => !configured.includes(g))], vscode.ConfigurationTarget.Workspace);
  charlens.output.appendLine(`[train] left out of training (charlens.training.exclude): ${globs.join(', ')}`);
  return [...exclude, ...globs];
}
