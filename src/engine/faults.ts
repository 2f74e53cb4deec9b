import type { MessageConnection } from 'vscode-jsonrpc/node';
import { EngineFault } from './protocol';

/**
 * An error nothing caught (a throw in a timer, a rejected promise no one
 * awaited) would otherwise kill the engine with nothing in the log, or pass
 * unseen. Both are logged with their stack (stderr goes to the CharLens
 * output) and reported to the extension, which tells the user; the engine
 * keeps answering, since its state is the loaded model, which such an error
 * in a side task does not touch.
 */
export function reportFaults(connection: MessageConnection): void {
  const report = (kind: 'uncaughtException' | 'unhandledRejection', reason: unknown) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    console.error(`[engine] ${kind}: ${err.stack ?? err.message}`);
    try {
      void connection.sendNotification(EngineFault, { kind, message: err.message, stack: err.stack }).catch(() => undefined);
    } catch {
      // The extension has gone: the log line above is all that can be done.
    }
  };
  process.on('uncaughtException', (err) => report('uncaughtException', err));
  process.on('unhandledRejection', (reason) => report('unhandledRejection', reason));
}
