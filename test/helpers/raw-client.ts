// A bare protocol client for tests that need exact message sequences (portals, pipelining,
// malformed input): sends pg-protocol-serialized messages and collects parsed backend messages.
import * as net from 'net';
import { parse, serialize } from 'pg-protocol';

export interface BackendMessage {
  name: string;
  [field: string]: any;
}

export class RawClient {
  private readonly messages: BackendMessage[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    void parse(socket, (msg: any) => {
      this.messages.push(msg);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number, startup = true): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    if (startup) {
      c.send(serialize.startup({ user: 'postgres', database: 'postgres' }));
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

  /** Waits for the server to close the connection; returns what it sent before. */
  async untilClosed(timeoutMs = 10000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('server did not close the connection');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.messages.splice(0);
  }

  close(): void {
    this.socket.end(serialize.end());
  }
}

export { serialize };
