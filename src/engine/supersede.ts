import { DataCallback, Disposable, IPCMessageReader, Message } from 'vscode-jsonrpc/node';

/**
 * Which request of one method arrived last for each document. The connection
 * dispatches one queued message per turn of the event loop, so when a burst
 * of completions for one document is waiting, the handler of an early one
 * cannot see the later ones; this looks at messages as they are read, before
 * the queue, so that the handler can drop a request a newer one replaced.
 * A request is known by its params object, which the connection passes to
 * the handler as it was read.
 */
export class LatestPerDocument {
  private readonly latest = new Map<string, object>();

  constructor(private readonly method: string) {}

  /** Records a message as it is read (see ObservingReader). */
  observe(message: Message): void {
    if (!Message.isRequest(message) || message.method !== this.method) return;
    const params = message.params as { documentId?: unknown } | undefined;
    if (params && typeof params.documentId === 'string') this.latest.set(params.documentId, params);
  }

  /** True when a newer request for the same document arrived after this one (given as read, before validation). */
  superseded(documentId: string, params: unknown): boolean {
    const latest = this.latest.get(documentId);
    return latest !== undefined && latest !== params;
  }

  /** The request was answered: forget it unless a newer one has taken its place. */
  done(documentId: string, params: unknown): void {
    if (this.latest.get(documentId) === params) this.latest.delete(documentId);
  }
}

/** The IPC reader, also showing each message to `observe` as it is read. */
export class ObservingReader extends IPCMessageReader {
  constructor(
    process: NodeJS.Process,
    private readonly observe: (message: Message) => void,
  ) {
    super(process);
  }

  override listen(callback: DataCallback): Disposable {
    return super.listen((message) => {
      this.observe(message);
      callback(message);
    });
  }
}

/**
 * One turn of the event loop, in which the connection reads what has arrived
 * since (newer requests, cancellations), so a handler that checks after it
 * sees them.
 */
export const readArrivals = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
