// Two connected in-memory streams standing for the two ends of a socket: the statement router talks to
// a wire server over the follower's standby engine without opening a port (a trusted port on loopback
// would let any local process in without a password). Node 20 has no stream.duplexPair.
import { Duplex } from 'stream';

/** A Duplex with the Socket methods the wire server calls on its connections (no-ops in memory). */
export class InProcessSocket extends Duplex {
  peer: InProcessSocket | null = null;
  private pendingWrite: (() => void) | null = null;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (peer === null || peer.destroyed) return done(new Error('in-process socket closed'));
    // The peer's push() returning false is its reader's backpressure: finish this write when it reads.
    if (peer.push(chunk)) done();
    else this.pendingWrite = done;
  }

  override _read(): void {
    const w = this.peer?.pendingWrite;
    if (w) {
      this.peer!.pendingWrite = null;
      w();
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = null;
    // As with TCP, one side going away ends the other.
    if (peer !== null && !peer.destroyed) {
      peer.push(null);
      peer.destroy();
    }
    done(err);
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }
}

/** Two ends: what one writes, the other reads; ending or destroying one ends the other. */
export function inProcessSocketPair(): [InProcessSocket, InProcessSocket] {
  const a = new InProcessSocket();
  const b = new InProcessSocket();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
