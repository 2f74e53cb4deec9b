import { CharLens, workspaceModelHome } from '../context';
import { currentModelDir, modelSavedAt, newRunFolder, settleRun } from '../modelHome';

const REPLACE = 'Replace';
const RESUME = 'Resume';

/** Where a run trains, and whether it continues the model saved there. */
export interface TrainingTarget {
  home: string;
  resume: boolean;
  /** The folder to train into: the model's own to resume it, else a new run folder. */
  open(): string;
  /** Once the run has ended: a new run that saved no checkpoint is removed, and the old model stays the workspace's. */
  settle(): void;
}

/**
 * Where Train on Workspace or Resume Training trains. A new run asks first
 * when the workspace has a model (Replace / Resume / Cancel), and a
 * replacing run trains into a new run folder: the old model answers, in
 * every window, until the new one's first checkpoint makes it the
 * workspace's model (see modelHome.ts). Undefined when there is nothing
 * to do (cancelled, or nothing to resume, which the user is told).
 */
export async function chooseTrainingTarget(charlens: CharLens, resume: boolean): Promise<TrainingTarget | undefined> {
  let home: string;
  try {
    home = workspaceModelHome(charlens);
  } catch (err) {
    charlens.notify.error(`cannot use this workspace's model folder: ${(err as Error).message}`);
    return undefined;
  }
  const current = currentModelDir(home);
  if (!resume && current) {
    const saved = new Date(modelSavedAt(current) ?? 0).toLocaleString();
    const choice = await charlens.notify.ask(
      `This workspace already has a trained model (last saved ${saved}). Replace it with a new one (it answers until the new one's first checkpoint, and is deleted then), or resume its training?`,
      REPLACE,
      RESUME,
    );
    if (choice === undefined) return undefined;
    resume = choice === RESUME;
  }
  if (resume) {
    if (!current) {
      charlens.notify.info('there is no training to resume in this workspace; run "CharLens: Train on Workspace" first.');
      return undefined;
    }
    return { home, resume, open: () => current, settle: () => undefined };
  }
  let out: string | undefined;
  return {
    home,
    resume,
    open: () => (out = newRunFolder(home, current)),
    settle: () => out && settleRun(out),
  };
}
