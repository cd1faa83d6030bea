// The byte plumbing of one connection: incoming chunks → messages (awaitable), outgoing messages →
// large socket writes that respect backpressure. Knows nothing of what the messages mean.
import { Socket } from 'net';
import { Message, MessageReader } from './message-reader';
import { MessageWriter } from './message-writer';

/** Thrown by a handler that needed more input when the client went away: the connection ends quietly. */
export class ConnectionClosed extends Error {}

/** Unread input beyond this pauses the socket until the message loop catches up. */
const PAUSE_INPUT_BYTES = 8 * 1024 * 1024;
const RESUME_INPUT_BYTES = 1024 * 1024;

/** Buffered output beyond this is written out even in the middle of a result. */
export const FLUSH_BYTES = 256 * 1024;

export class SocketIO {
  readonly reader = new MessageReader();
  readonly out = new MessageWriter();
  private wakeReader: (() => void) | null = null;
  private wakeWriter: (() => void) | null = null;
  /** The peer went away or we closed: reads return null, writes are dropped. */
  closed = false;
  /** Set by interrupt()/end(): reads return null so the message loop ends, writes still go out. */
  private interrupted = false;
  private paused = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    // We batch messages ourselves, so Nagle would only add latency; keepalive finds dead peers
    // that would otherwise hold a session (and its transaction) forever, as PostgreSQL's tcp_keepalives do.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60000);
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      // Input backpressure: a client pipelining faster than we execute is not buffered without bound.
      if (this.reader.pending > PAUSE_INPUT_BYTES && !this.paused) {
        this.paused = true;
        socket.pause();
      }
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
      if (this.closed || this.interrupted) return null;
      const m = this.reader.next();
      if (m !== null) {
        if (this.paused && this.reader.pending < RESUME_INPUT_BYTES) this.resume();
        return m;
      }
      // An incomplete message (possibly bigger than the pause threshold) needs the rest of its bytes.
      if (this.paused) this.resume();
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  private resume(): void {
    this.paused = false;
    this.socket.resume();
  }

  /** Makes the pending and every later readMessage() return null (server shutdown, startup timeout). */
  interrupt(): void {
    this.interrupted = true;
    this.wake();
  }

  /**
   * Writes what is buffered; a promise only when the socket's own buffer is full (a slow client),
   * resolved once it drained. Every response goes through here: no promise, no await otherwise.
   */
  flush(): Promise<void> | undefined {
    if (this.out.size === 0) return undefined;
    const data = this.out.take();
    if (this.closed || this.socket.writableEnded) return undefined;
    if (this.socket.write(data)) return undefined;
    return this.drained();
  }

  private async drained(): Promise<void> {
    while (!this.closed && this.socket.writableNeedDrain) await new Promise<void>((resolve) => (this.wakeWriter = resolve));
  }

  /** Whether the buffer has grown big enough to be written out now (tested without an await). */
  get mustFlush(): boolean {
    return this.out.size >= FLUSH_BYTES;
  }

  /** Writes out when the buffer has grown big; call between rows of a large result. */
  async maybeFlush(): Promise<void> {
    if (this.out.size >= FLUSH_BYTES) await this.flush();
  }

  /** Sends what is buffered and closes our side. */
  end(): void {
    this.interrupt();
    if (this.closed || this.socket.writableEnded) return;
    if (this.out.size > 0) this.socket.end(this.out.take());
    else this.socket.end();
    // A peer that never reads must not keep the socket (and us) alive forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.socket.destroy();
    this.markClosed();
  }
}
