import * as vscode from 'vscode';
import { formatCorpusReport, SOURCE_LANGUAGES } from '../../core/text/corpus';
import type { TrainOptions } from '../../core/train/options';
import { StartTraining, TrainFinished, TrainParams } from '../../engine/protocol';
import { Notifier } from '../notifier';
import { DashboardPanel } from '../panels/dashboardPanel';
import { offerToExcludeDataFiles } from './dataFilesPrompt';
import { CharLens, lastTraining, remember } from '../context';
import { readSettings } from '../settings';
import { showPreparing, showTrainingProgress, trainingEnd } from '../trainingProgress';
import { trustedFor } from '../trust';
import { FolderTakenChoice, whenTrainingFolderFree } from '../trainingFolderLock';
import { nameModelHome, runFolders } from '../modelHome';
import { chooseTrainingTarget } from './trainingTarget';

/** Arguments a caller (a test, a keybinding) may pass to skip the pickers. */
export interface TrainArgs {
  include?: string[];
  options?: Partial<TrainOptions>;
  /** When another window trains into the model folder: stop it or wait for it, without asking. */
  whenFolderTaken?: FolderTakenChoice;
}

/** What the command resolves to, once training has ended (or could not start), with the plan it announced. */
export type TrainOutcome = (TrainFinished & { plan?: string }) | { busy: true };

let running = false;

export async function trainOnWorkspace(charlens: CharLens, args: TrainArgs = {}, resume = false): Promise<TrainOutcome | undefined> {
  if (!trustedFor(resume ? 'Resume Training' : 'Train on Workspace', charlens.notify)) return undefined;
  if (running) {
    charlens.notify.warn('training is already running. Stop it first ("CharLens: Stop Training").');
    return { busy: true };
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    charlens.notify.error('open a folder to train on its code.');
    return undefined;
  }
  const settings = readSettings();
  const target = await chooseTrainingTarget(charlens, resume);
  if (!target) return undefined;
  resume = target.resume;
  const last = lastTraining(charlens, target.home);
  const include = (resume ? last?.include : undefined) ?? args.include ?? (settings.include.length > 0 ? settings.include : await pickLanguages(charlens.notify));
  if (!include) return undefined;
  // A resume's own options (a later maxSteps) add to the run's: the next resume needs its batch size too.
  const options = { ...(resume ? last?.options : {}), ...args.options };
  const workspaceName = vscode.workspace.name ?? folder.name;
  // Notifications name the workspace instead of the model's storage path; the log keeps the path.
  const shown = (message: string): string => {
    const named = nameModelHome(message, target.home, workspaceName);
    if (named !== message) charlens.output.appendLine(`[train] ${message}`);
    return named;
  };
  const params: TrainParams = {
    folder: folder.uri.fsPath,
    include,
    exclude: settings.exclude,
    threads: settings.threads,
    options: { ...settings.training, ...options, out: target.open(), resume },
    owner: `the VS Code window of "${workspaceName}"`,
  };
  running = true;
  const preparing = showPreparing(resume);
  try {
    // Another window may be training any run of this workspace's model (a replacing run trains into a folder of its own).
    for (const run of runFolders(target.home)) if (!(await whenTrainingFolderFree(run, args.whenFolderTaken))) return undefined;
    if (!resume) {
      let exclude;
      try {
        exclude = await offerToExcludeDataFiles(charlens, params);
      } catch (err) {
        charlens.notify.error((err as Error).message);
        return { error: (err as Error).message };
      }
      if (!exclude) return undefined;
      params.exclude = exclude;
    }
    const end = trainingEnd(charlens.engine);
    // Before the request: progress starts arriving as soon as the engine has it.
    charlens.history.start(params.options.out, resume);
    let started;
    try {
      started = await charlens.engine.request(StartTraining, params);
    } catch (err) {
      end.cancel();
      charlens.notify.error(shown((err as Error).message));
      return { error: (err as Error).message };
    } finally {
      preparing();
    }
    const kb = Math.round(started.report.bytes / 1024);
    // At once, before anything is awaited: steps are arriving, and a Stop from now on must show.
    // The plan (model, backend, budget, epochs) is known before the first step: the title says it.
    const plan = nameModelHome(started.model, target.home, workspaceName);
    showTrainingProgress(charlens, `CharLens: ${resume ? 'resuming' : 'training'} on ${started.report.files.length} files (${kb} KB): ${plan}`, end.finished);
    if (settings.showDashboard) DashboardPanel.show(charlens.extension.extensionUri, charlens.history, true);
    charlens.output.appendLine(formatCorpusReport(started.report));
    charlens.output.appendLine(`[train] ${started.model}`);
    charlens.output.appendLine(`[train] ${started.instant}`);
    remember(charlens, { lastTraining: { include, options } });
    const finished = await end.finished;
    charlens.history.finish(finished);
    if (finished.error) {
      charlens.notify.error(shown(finished.error));
    } else {
      const bits = finished.bestValLoss !== undefined ? `; validation ${(finished.bestValLoss / Math.LN2).toFixed(3)} bits/char` : '';
      charlens.output.appendLine(`[train] ${finished.stopReason} after ${finished.steps} steps${bits}`);
      const stopped = finished.stopReason === 'cancelled' ? 'Training stopped; "Resume Training" continues it' : 'Training finished';
      charlens.notify.info(`${stopped}${bits}.`);
    }
    if (finished.model) charlens.statusBar.setModel(finished.model);
    else charlens.statusBar.showIdle();
    return { ...finished, plan };
  } finally {
    preparing();
    running = false;
    target.settle();
  }
}

/** Offers the languages present in the workspace, all preselected, and returns their globs. */
async function pickLanguages(notify: Notifier): Promise<string[] | undefined> {
  const counts = await Promise.all(
    SOURCE_LANGUAGES.map(async (lang) => {
      const glob = `**/*{${lang.extensions.join(',')}}`;
      const files = await vscode.workspace.findFiles(glob, '**/node_modules/**', 5000);
      return { lang, count: files.length };
    }),
  );
  const present = counts.filter((c) => c.count > 0);
  if (present.length === 0) {
    notify.error(`no source files found in this workspace (looked for ${SOURCE_LANGUAGES.map((l) => l.name).join(', ')}).`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    present.map((c) => ({ label: c.lang.name, description: `${c.count} files`, picked: true, extensions: c.lang.extensions })),
    { canPickMany: true, title: 'CharLens: train on which files?', placeHolder: 'Languages found in this workspace' },
  );
  if (!picked || picked.length === 0) return undefined;
  return picked.flatMap((p) => p.extensions.map((e) => `**/*${e}`));
}
