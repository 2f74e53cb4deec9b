import { DataCallback, Disposable, IPCMessageReader, IPCMessageWriter, Message } from 'vscode-jsonrpc/node';

type RequestId = string | number | null;

/**
 * Which request of one method arrived last for each document. The connection
 * dispatches one queued message per turn of the event loop, so when a burst
 * of completions for one document is waiting, the handler of an early one
 * cannot see the later ones; this looks at messages as they are read, before
 * the queue, so that the handler can drop a request a newer one replaced.
 * A request is known by its params object, which the connection passes to
 * the handler as it was read.
 *
 * A record ends with its request's response, whatever the response is: an
 * answer, an error, a refusal by the schema or a cancellation answered
 * before the handler ever ran (see ObservingWriter). Ending it in the
 * handler would keep the prefix of every request that never reached one.
 */
export class LatestPerDocument {
  private readonly latest = new Map<string, { id: RequestId; params: object }>();
  /** The document of each recorded request, by request id. */
  private readonly documentOf = new Map<RequestId, string>();

  constructor(private readonly method: string) {}

  /** Records a message as it is read (see ObservingReader). */
  observe(message: Message): void {
    if (!Message.isRequest(message) || message.method !== this.method) return;
    const params = message.params as { documentId?: unknown } | undefined;
    if (!params || typeof params.documentId !== 'string') return;
    const replaced = this.latest.get(params.documentId);
    if (replaced) this.documentOf.delete(replaced.id);
    this.latest.set(params.documentId, { id: message.id, params });
    this.documentOf.set(message.id, params.documentId);
  }

  /** True when a newer request for the same document arrived after this one (given as read, before validation). */
  superseded(documentId: string, params: unknown): boolean {
    const latest = this.latest.get(documentId);
    return latest !== undefined && latest.params !== params;
  }

  /** A response went out (see ObservingWriter): its request, if recorded, is over. */
  answered(message: Message): void {
    if (!Message.isResponse(message)) return;
    const documentId = this.documentOf.get(message.id);
    if (documentId === undefined) return;
    this.documentOf.delete(message.id);
    this.latest.delete(documentId);
  }

  /** The document was closed. */
  forget(documentId: string): void {
    const record = this.latest.get(documentId);
    if (!record) return;
    this.documentOf.delete(record.id);
    this.latest.delete(documentId);
  }

  /** How many requests are recorded (for tests). */
  get size(): number {
    return this.latest.size;
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

/** The IPC writer, also showing each message to `observe` as it is written. */
export class ObservingWriter extends IPCMessageWriter {
  constructor(
    process: NodeJS.Process,
    private readonly observe: (message: Message) => void,
  ) {
    super(process);
  }

  override write(message: Message): Promise<void> {
    this.observe(message);
    return super.write(message);
  }
}

/**
 * One turn of the event loop, in which the connection reads what has arrived
 * since (newer requests, cancellations), so a handler that checks after it
 * sees them.
 */
export const readArrivals = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
