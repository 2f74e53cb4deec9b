/**
 * Where a workspace's trained models live: a folder in the extension's
 * global storage named by a hash of the workspace, so every window of the
 * workspace finds the same models. The per-window storage folder VS Code
 * hands out is not that place: a second window (or a reload while the old
 * window's storage is still held) gets a numbered sibling, `<id>-1`, with
 * none of the first one's files.
 *
 * A home holds run folders (`model-<ms>-<pid>`), each a model folder as the
 * trainer writes it. The workspace's model is the run whose model.json was
 * written last: a run that replaces the model becomes the answer at the
 * moment its first checkpoint lands (model.json is renamed into place last),
 * with nobody left to flip a pointer after it; until then the old run is
 * the answer and stays whole.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomicFile';
import { MODEL_FILE } from '../core/model/checkpoint';
import type { TrainOptions } from '../core/train/options';
import { array, number, object, optional, Schema, string } from '../engine/schema';

export interface WorkspaceIdentity {
  /** The saved .code-workspace file's URI, when there is one: it names a multi-root workspace. */
  workspaceFile?: string;
  /** The workspace folders' URIs. */
  folders: string[];
}

/** What the home remembers for every window of the workspace (workspaceState is per storage folder, so per window). */
export interface HomeState {
  /** The workspace, as it was hashed: for a person looking into the folder. */
  workspace?: WorkspaceIdentity;
  /** The last Train on Workspace's file globs and options, for Resume Training. */
  lastTraining?: { include?: string[]; options?: Partial<TrainOptions> };
  /** The model last picked with Load Model, and when: it answers until the workspace's model is saved again. */
  loaded?: { dir: string; at: number };
}

const MAX_PATH = 4096;
const MAX_LIST = 1000;
const RUN_PATTERN = /^model-(\d+)-(\d+)$/;
const STATE_FILE = 'workspace.json';
/** Beside a run folder (`<run>.replaces`, outside it: the run folder stays a plain model folder): the run it replaces. */
const REPLACES_SUFFIX = '.replaces';
/** A folder being removed: renamed out of the way first. */
const REMOVING = '.removing-';
/** The folder, under a storage folder, where models were saved before the home existed. */
const LEGACY_MODEL_FOLDER = 'model';

/** The workspace file when it is saved, else the folders: what VS Code itself keys a workspace's storage by. */
export function workspaceKey(identity: WorkspaceIdentity): string {
  const name = identity.workspaceFile ?? (identity.folders.length > 0 ? identity.folders.join('\n') : 'no workspace');
  return crypto.createHash('sha256').update(name).digest('hex').slice(0, 24);
}

/**
 * The workspace's home under `globalStorage`, created if need be, with the
 * models that older versions saved in this window's storage folder or its
 * numbered siblings moved in, and what earlier runs left finished off.
 * `log` hears of each model moved or kept.
 */
export function resolveModelHome(globalStorage: string, storage: string | undefined, identity: WorkspaceIdentity, log: (line: string) => void = () => undefined): string {
  const home = path.join(globalStorage, 'workspaces', workspaceKey(identity));
  fs.mkdirSync(home, { recursive: true });
  if (!fs.existsSync(path.join(home, STATE_FILE))) updateHomeState(home, { workspace: identity });
  if (storage) moveLegacyModels(storage, home, log);
  finishReplacements(home);
  removeAbandonedRuns(home);
  return home;
}

/** The workspace's model folder: the run whose model.json was written last; undefined before the first checkpoint. */
export function currentModelDir(home: string): string | undefined {
  let newest: { dir: string; at: number } | undefined;
  for (const run of runFolders(home)) {
    const at = modelSavedAt(run);
    if (at !== undefined && (!newest || at > newest.at)) newest = { dir: run, at };
  }
  return newest?.dir;
}

/** When `dir`'s model.json was last written (ms), or undefined when it has none. */
export function modelSavedAt(dir: string): number | undefined {
  try {
    return fs.statSync(path.join(dir, MODEL_FILE)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * A new, empty run folder for a run that replaces `replaced` (if any): the
 * replaced run answers until this one saves its first checkpoint, and is
 * removed then (by `settleRun` or, if this window is gone by then, by the
 * next window that resolves the home).
 */
export function newRunFolder(home: string, replaced: string | undefined): string {
  const dir = uniqueRunFolder(home);
  fs.mkdirSync(dir);
  if (replaced) writeFileAtomic(`${dir}${REPLACES_SUFFIX}`, path.basename(replaced));
  return dir;
}

/**
 * After a run ends: a run that saved a checkpoint replaces the run it was
 * started to replace; one that saved none is removed, and the model it was
 * to replace is still the workspace's.
 */
export function settleRun(dir: string): void {
  if (modelSavedAt(dir) === undefined) removeRun(dir);
  else finishReplacement(dir);
}

/** What the home remembers: a part that is not of its shape (a file edited by hand) is left out, the rest kept. */
export function readHomeState(home: string): HomeState {
  let saved: Record<string, unknown>;
  try {
    saved = record(JSON.parse(fs.readFileSync(path.join(home, STATE_FILE), 'utf8')));
  } catch {
    return {};
  }
  const state: HomeState = {};
  const workspace = checked(WORKSPACE_SCHEMA, saved.workspace);
  if (workspace) state.workspace = workspace;
  if (saved.lastTraining !== undefined) {
    const training = record(saved.lastTraining);
    // The options are checked field by field by the engine when training starts.
    state.lastTraining = { include: checked(GLOBS_SCHEMA, training.include), options: record(training.options) as Partial<TrainOptions> };
  }
  const loaded = checked(LOADED_SCHEMA, saved.loaded);
  if (loaded) state.loaded = loaded;
  return state;
}

const WORKSPACE_SCHEMA = object({ workspaceFile: optional(string(MAX_PATH)), folders: array(string(MAX_PATH), MAX_LIST) });
const GLOBS_SCHEMA = array(string(MAX_PATH), MAX_LIST);
const LOADED_SCHEMA = object({ dir: string(MAX_PATH), at: number(0, Number.MAX_SAFE_INTEGER) });

function checked<T>(schema: Schema<T>, value: unknown): T | undefined {
  try {
    return schema.check(value, STATE_FILE);
  } catch {
    return undefined;
  }
}

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** Merges `change` into the home's state (one atomic write; with two windows writing at once, the last one wins). */
export function updateHomeState(home: string, change: Partial<HomeState>): void {
  writeFileAtomic(path.join(home, STATE_FILE), JSON.stringify({ ...readHomeState(home), ...change }, null, 2));
}

/** Every run folder of a workspace's model folder. */
export function runFolders(home: string): string[] {
  return fs
    .readdirSync(home)
    .filter((name) => RUN_PATTERN.test(name))
    .map((name) => path.join(home, name));
}

function finishReplacements(home: string): void {
  for (const run of runFolders(home)) if (modelSavedAt(run) !== undefined) finishReplacement(run);
}

function finishReplacement(run: string): void {
  let replaced: string;
  try {
    replaced = fs.readFileSync(`${run}${REPLACES_SUFFIX}`, 'utf8');
  } catch {
    return;
  }
  if (RUN_PATTERN.test(replaced)) removeRun(path.join(path.dirname(run), replaced));
  fs.rmSync(`${run}${REPLACES_SUFFIX}`, { force: true });
}

function removeRun(run: string): void {
  removeFolder(run);
  fs.rmSync(`${run}${REPLACES_SUFFIX}`, { force: true });
}

/**
 * Run folders without a checkpoint whose window is gone (its extension
 * host's pid no longer runs): runs that never saved; and what a removal
 * cut short left behind.
 */
function removeAbandonedRuns(home: string): void {
  for (const name of fs.readdirSync(home)) if (name.startsWith(REMOVING)) fs.rmSync(path.join(home, name), { recursive: true, force: true });
  for (const run of runFolders(home)) {
    const pid = Number(RUN_PATTERN.exec(path.basename(run))![2]);
    if (pid !== process.pid && modelSavedAt(run) === undefined && !isRunning(pid)) removeRun(run);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Moves each model saved under a storage folder of this workspace (the plain
 * `<id>` and the numbered `<id>-N`) into the home as a run folder, keeping
 * when it was saved, so the newest of them all answers and none is lost.
 * A model another window moves first is simply gone from where it was.
 */
function moveLegacyModels(storage: string, home: string, log: (line: string) => void): void {
  const extensionFolder = path.basename(storage);
  const windowFolder = path.dirname(storage);
  const storageRoot = path.dirname(windowFolder);
  const id = path.basename(windowFolder).replace(/-\d+$/, '');
  const numbered = new RegExp(`^${escapeRegExp(id)}-\\d+$`);
  let siblings: string[];
  try {
    siblings = fs.readdirSync(storageRoot).filter((name) => name === id || numbered.test(name));
  } catch {
    return;
  }
  for (const sibling of siblings) {
    const legacy = path.join(storageRoot, sibling, extensionFolder, LEGACY_MODEL_FOLDER);
    if (modelSavedAt(legacy) === undefined) continue;
    const target = uniqueRunFolder(home);
    try {
      moveFolder(legacy, target);
      log(`moved the model saved in ${legacy} to ${target}`);
    } catch (err) {
      log(`could not move the model in ${legacy} (it stays there; Load Model opens it): ${(err as Error).message}`);
    }
  }
}

/** `model-<ms>-<pid>`: the pid tells whose window made it; the millisecond only needs to be unused. */
function uniqueRunFolder(home: string): string {
  for (let ms = Date.now(); ; ms++) {
    const dir = path.join(home, `model-${ms}-${process.pid}`);
    if (!fs.existsSync(dir)) return dir;
  }
}

/**
 * Renames `from` to `to`; across file systems, copies into a temp folder
 * beside `to` (timestamps kept: they say which model is newest), renames
 * that into place, then removes `from`. At every moment one whole copy
 * exists under a name a reader looks at.
 */
function moveFolder(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  const temp = path.join(path.dirname(to), `.moving-${path.basename(to)}`);
  fs.cpSync(from, temp, { recursive: true, preserveTimestamps: true });
  fs.renameSync(temp, to);
  fs.rmSync(from, { recursive: true, force: true });
}

/** Renames the folder out of the way first, so no reader sees a model.json whose weights are half deleted. */
function removeFolder(dir: string): void {
  const trash = path.join(path.dirname(dir), `${REMOVING}${path.basename(dir)}`);
  try {
    fs.renameSync(dir, trash);
  } catch {
    return; // already gone (another window removed it)
  }
  fs.rmSync(trash, { recursive: true, force: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `message` with every path in the model home (a storage folder the user
 * never chose, whose path fills a notification) replaced by the workspace's
 * name; the caller logs the message whole.
 */
export function nameModelHome(message: string, home: string, workspace: string): string {
  const escaped = home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The home, or a path under it, ending where the path does (not at the sentence's full stop, nor inside a sibling such as `<home>-1`).
  const pathChar = `[^\\s:;,'"()]`;
  const lastChar = `[^\\s:;,'"().]`;
  const under = new RegExp(`${escaped}(?:[\\\\/]${pathChar}*${lastChar})?(?!${lastChar})`, 'g');
  return message.replace(under, `the model of workspace "${workspace}"`);
}
