import { ChildProcess, fork } from 'child_process';
import * as vscode from 'vscode';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, MessageConnection, NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/node';
import * as rpc from '../engine/protocol';
import { Notifier } from './notifier';

const MAX_RESTARTS_PER_MINUTE = 3;

/**
 * Starts the engine process and keeps it running: if it dies, the user is
 * told, it is started again and `onRestart` reloads the model from the last
 * checkpoint on disk. Like a language client, this side holds no model state.
 */
export class EngineClient implements vscode.Disposable {
  private child?: ChildProcess;
  private connection?: MessageConnection;
  private disposed = false;
  private restarts: number[] = [];
  private readonly progressEmitter = new vscode.EventEmitter<rpc.TrainingProgressParams>();
  private readonly finishedEmitter = new vscode.EventEmitter<rpc.TrainFinished>();
  private readonly exitEmitter = new vscode.EventEmitter<{ code: number | null; signal: NodeJS.Signals | null }>();
  readonly onTrainingProgress = this.progressEmitter.event;
  readonly onTrainingFinished = this.finishedEmitter.event;
  private readonly exploreProgressEmitter = new vscode.EventEmitter<rpc.ExploreProgressParams>();
  /** The explorer's pass over its sample, which runs once per model and corpus. */
  readonly onExploreProgress = this.exploreProgressEmitter.event;
  private readonly clampProgressEmitter = new vscode.EventEmitter<rpc.ExploreProgressParams>();
  /** How far "Does this cell matter?" has read its sample. */
  readonly onClampProgress = this.clampProgressEmitter.event;
  /** Fires when the engine died unexpectedly (before it is restarted). */
  readonly onUnexpectedExit = this.exitEmitter.event;
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly enginePath: string,
    private readonly log: vscode.OutputChannel,
    private readonly notifier: Notifier,
    private readonly onStart: (client: EngineClient) => Promise<void>,
  ) {}

  start(): Promise<void> {
    const child = fork(this.enginePath, [], {
      // In VS Code the extension host's executable is Electron; this makes it behave as Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    this.child = child;
    child.stdout?.on('data', (d) => this.log.append(String(d)));
    child.stderr?.on('data', (d) => this.log.append(String(d)));
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    this.connection = connection;
    connection.onNotification(rpc.TrainingProgress, (p) => this.progressEmitter.fire(p));
    connection.onNotification(rpc.TrainingFinished, (p) => this.finishedEmitter.fire(p));
    connection.onNotification(rpc.ExploreProgress, (p) => this.exploreProgressEmitter.fire(p));
    connection.onNotification(rpc.ClampProgress, (p) => this.clampProgressEmitter.fire(p));
    // The engine survived an error nothing caught; its stack is in the log already (stderr).
    connection.onNotification(rpc.EngineFault, (f) => this.notifier.error(`the engine hit an unexpected error (${f.kind}): ${f.message}. It keeps running; see "CharLens: Show Log" for details.`));
    connection.listen();
    child.on('exit', (code, signal) => {
      connection.dispose();
      if (this.child !== child || this.disposed) return;
      this.child = undefined;
      this.connection = undefined;
      this.log.appendLine(`[engine] exited (code ${code}, signal ${signal})`);
      this.exitEmitter.fire({ code, signal });
      this.restartAfterCrash();
    });
    this.ready = this.onStart(this);
    return this.ready;
  }

  private restartAfterCrash(): void {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      this.notifier.error('the engine keeps stopping; it will not be restarted. See the CharLens output for details.');
      return;
    }
    this.restarts.push(now);
    this.notifier.warn('the engine stopped unexpectedly. It has been restarted with the last saved model.');
    this.start().catch((err) => this.log.appendLine(`[engine] restart failed: ${(err as Error).message}`));
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    if (!this.connection) throw new Error('The CharLens engine is not running.');
    return this.connection.sendRequest(type, params, token);
  }

  async request0<R>(type: RequestType0<R, void>): Promise<R> {
    if (!this.connection) throw new Error('The CharLens engine is not running.');
    return this.connection.sendRequest(type);
  }

  notify<P>(type: NotificationType<P>, params: P): void {
    void this.connection?.sendNotification(type, params);
  }

  /** Resolves once the engine (re)started and was initialised. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** For tests and diagnostics: the engine's process id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  dispose(): void {
    this.disposed = true;
    this.connection?.dispose();
    this.child?.kill();
    this.progressEmitter.dispose();
    this.finishedEmitter.dispose();
    this.exploreProgressEmitter.dispose();
    this.clampProgressEmitter.dispose();
    this.exitEmitter.dispose();
  }
}
