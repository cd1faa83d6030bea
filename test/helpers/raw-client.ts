// A bare protocol client for tests that need exact message sequences (portals, pipelining,
// malformed input): sends pg-protocol-serialized (or hand-made) bytes and collects the backend's
// messages, both parsed by pg-protocol (`until`) and as raw type + body (`raw`, for binary cells
// and messages pg-protocol does not know, such as NegotiateProtocolVersion).
import * as net from 'net';
import { parse, serialize } from 'pg-protocol';

export interface BackendMessage {
  name: string;
  [field: string]: any;
}

export interface RawBackendMessage {
  /** The type byte as a character ('D', 'Z', 'v'…). */
  type: string;
  body: Buffer;
}

export class RawClient {
  private readonly messages: BackendMessage[] = [];
  /** Every backend message as received, never consumed by until(). */
  readonly raw: RawBackendMessage[] = [];
  private pending = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    void parse(socket, (msg: any) => {
      this.messages.push(msg);
      this.wake();
    });
    socket.on('data', (d: Buffer) => this.splitRaw(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private splitRaw(d: Buffer): void {
    this.pending = Buffer.concat([this.pending, d]);
    // (SSLRequest's one-byte answer is not framed: test it on a plain socket, not with RawClient.)
    while (this.pending.length >= 5) {
      const len = this.pending.readInt32BE(1);
      if (this.pending.length < len + 1) break;
      this.raw.push({ type: String.fromCharCode(this.pending[0]), body: this.pending.subarray(5, len + 1) });
      this.pending = this.pending.subarray(len + 1);
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Connects to 127.0.0.1:port. With `startup` (the default, user postgres), sends a StartupMessage
   * and waits for ReadyForQuery; pass parameters to choose them, or false to send nothing.
   */
  static async connect(port: number, startup: boolean | Record<string, string> = true): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    if (startup !== false) {
      c.send(serialize.startup(startup === true ? { user: 'postgres', database: 'postgres' } : startup));
      await c.until('readyForQuery');
    }
    return c;
  }

  send(...buffers: Buffer[]): void {
    this.socket.write(Buffer.concat(buffers));
  }

  /** Messages received up to and including the first named `name` (consumed). */
  async until(name: string, timeoutMs = 10000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const idx = this.messages.findIndex((m) => m.name === name);
      if (idx !== -1) return this.messages.splice(0, idx + 1);
      if (this.closed) throw new Error(`connection closed before ${name}; got ${this.messages.map((m) => m.name).join(', ')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${name}; got ${this.messages.map((m) => m.name).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Waits for the server to close the connection; returns what it sent before (unconsumed). */
  async untilClosed(timeoutMs = 10000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`server did not close the connection; got ${this.messages.map((m) => m.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.messages.splice(0);
  }

  /** Messages received so far and not yet consumed (without waiting). */
  received(): BackendMessage[] {
    return this.messages.splice(0);
  }

  /** Sends Terminate and closes. */
  close(): void {
    this.socket.end(serialize.end());
  }
}

export { serialize };
