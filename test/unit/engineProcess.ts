import { ChildProcess, fork } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, MessageConnection } from 'vscode-jsonrpc/node';
import * as rpc from '../../src/engine/protocol';
import { tempDir } from './helpers';

/** The bundled engine process, driven over IPC exactly as the extension drives it. */
const ENGINE = path.resolve(__dirname, '../../../dist/engine.js');

/** Starts the engine; `execArgv` lets a test preload a script into its process. */
export function startEngine(t: { after: (fn: () => void) => void }, execArgv: string[] = []): { child: ChildProcess; connection: MessageConnection; log: () => string } {
  const child = fork(ENGINE, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv });
  // The engine's log (stderr), which the extension shows in its output channel.
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (log += chunk));
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  t.after(() => {
    connection.dispose();
    child.kill();
  });
  return { child, connection, log: () => log };
}

export function trainingFinished(connection: MessageConnection): Promise<rpc.TrainFinished> {
  return new Promise((resolve) => connection.onNotification(rpc.TrainingFinished, resolve));
}

export const tiny = { hidden: 24, layers: 1, embedding: 8, batchSize: 4, seqLength: 16, evalEvery: 10, patience: 0 };

/** The folders a test's engine may use: the system's temporary folder, where tests make theirs, and the repository's models (the shipped model and its corpus); explorer caches in a folder of the test's own. */
export function testFolders(t: { after: (fn: () => void) => void }): rpc.EngineFolders {
  const tmp = os.tmpdir();
  const models = path.resolve(__dirname, '../../../models');
  return { storage: [tmp], corpora: [tmp, models], models: [models], caches: tempDir(t) };
}
