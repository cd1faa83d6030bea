// The byte plumbing of one connection: incoming chunks → messages (awaitable), outgoing messages →
// large socket writes that respect backpressure. Knows nothing of what the messages mean.
import { Socket } from 'net';
import { Message, MessageReader } from './message-reader';
import { MessageWriter } from './message-writer';

/** Thrown by a handler that needed more input when the client went away: the connection ends quietly. */
export class ConnectionClosed extends Error {}

/** Buffered output beyond this is written out even in the middle of a result. */
export const FLUSH_BYTES = 256 * 1024;

export class SocketIO {
  readonly reader = new MessageReader();
  readonly out = new MessageWriter();
  private wakeReader: (() => void) | null = null;
  private wakeWriter: (() => void) | null = null;
  /** The peer went away or we closed: reads return null, writes are dropped. */
  closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.wake();
    });
    socket.on('drain', () => this.wake());
    // 'error' is always followed by 'close'; listening keeps it from being an uncaught exception.
    socket.on('error', () => this.markClosed());
    socket.on('close', () => this.markClosed());
  }

  /** Runs fn once when the connection is gone (peer closed, error, or we ended it). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    for (const fn of this.closeListeners.splice(0)) fn();
  }

  private wake(): void {
    const r = this.wakeReader;
    const w = this.wakeWriter;
    this.wakeReader = null;
    this.wakeWriter = null;
    r?.();
    w?.();
  }

  /** The next message, or null once the connection is closed. Throws ProtocolViolation on bad framing. */
  async readMessage(): Promise<Message | null> {
    for (;;) {
      if (this.closed) return null;
      const m = this.reader.next();
      if (m !== null) return m;
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  /** A message already received, without waiting (null when none is complete yet). */
  pollMessage(): Message | null {
    return this.closed ? null : this.reader.next();
  }

  /** Writes what is buffered; waits while the socket's own buffer is full (a slow client). */
  async flush(): Promise<void> {
    if (this.out.size === 0) return;
    const data = this.out.take();
    if (this.closed) return;
    if (this.socket.write(data)) return;
    while (!this.closed && this.socket.writableNeedDrain) await new Promise<void>((resolve) => (this.wakeWriter = resolve));
  }

  /** Writes out when the buffer has grown big; call between rows of a large result. */
  async maybeFlush(): Promise<void> {
    if (this.out.size >= FLUSH_BYTES) await this.flush();
  }

  /** Sends what is buffered and closes our side. */
  end(): void {
    if (this.closed) return;
    const data = this.out.size > 0 ? this.out.take() : undefined;
    this.socket.end(data);
    // A peer that never reads must not keep the socket (and us) alive forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.socket.destroy();
    this.markClosed();
  }
}
