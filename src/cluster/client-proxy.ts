// A client connected to a follower is served by the leader: the follower relays the connection's bytes
// both ways, unchanged (authentication, extended protocol, COPY and cancel all pass through), so every
// node accepts clients and every client sees one database.
//
// Two things are not plain relaying:
// - TLS/GSS encryption requests are answered 'N' here, before the leader is involved, exactly as the
//   server itself answers them, so the leader only ever sees the startup packet.
// - When the leader is lost mid-connection, the client gets a FATAL ErrorResponse with SQLSTATE 57P01
//   ("reconnect and retry") at the next message boundary instead of a bare closed socket, so drivers
//   and applications can tell a failover from a bug. Until the response of the statement in flight is
//   complete the outcome of that statement is unknown, as after any lost connection.
import { Socket, connect } from 'net';

export interface ProxyTarget {
  host: string;
  port: number;
}

const CANCEL_REQUEST = 80877102;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** A backend ErrorResponse (severity FATAL) built by hand: the cluster layer sits beside the wire layer. */
export function fatalErrorBytes(code: string, message: string): Buffer {
  const fields = [`SFATAL`, `VFATAL`, `C${code}`, `M${message}`];
  let len = 4 + 1;
  for (const f of fields) len += Buffer.byteLength(f) + 1;
  const out = Buffer.alloc(1 + len);
  out[0] = 0x45; // 'E'
  out.writeInt32BE(len, 1);
  let p = 5;
  for (const f of fields) {
    p += out.write(f, p, 'utf8');
    out[p++] = 0;
  }
  out[p] = 0;
  return out;
}

/**
 * Follows the message boundaries of one direction of a v3 connection after startup (type byte, int32
 * length, body), without copying: whether the stream stands between two messages, and the type of the
 * last message begun.
 */
class MessageBoundaries {
  private header = 0;
  private readonly head = Buffer.alloc(5);
  private bodyLeft = 0;
  lastType = 0;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= n;
        i += n;
      } else {
        this.head[this.header++] = chunk[i++];
        if (this.header === 5) {
          this.lastType = this.head[0];
          this.bodyLeft = this.head.readInt32BE(1) - 4;
          this.header = 0;
        }
      }
    }
  }

  get atBoundary(): boolean {
    return this.header === 0 && this.bodyLeft === 0;
  }
}

/**
 * Relays `client` to the node `target()` names at connect time. `target` returns null when no leader
 * is known: the client is then refused with 57P03 (cannot connect now).
 */
export function proxyClient(client: Socket, target: () => ProxyTarget | null): Relay {
  client.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  let relayedTo: ProxyTarget | null = null;
  let upstream: Socket | null = null;
  let closed = false;
  client.on('error', () => undefined);

  const refuse = (code: string, message: string) => {
    closed = true;
    client.end(fatalErrorBytes(code, message));
  };

  const onStartupData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // The startup phase: an int32 length (itself included), then an int32 code.
    while (pending.length >= 8) {
      const len = pending.readInt32BE(0);
      if (len < 8 || len > 10000) {
        client.destroy();
        return;
      }
      const code = pending.readInt32BE(4);
      if ((code === SSL_REQUEST || code === GSSENC_REQUEST) && pending.length >= len) {
        client.write(Buffer.from('N'));
        pending = pending.subarray(len);
        continue;
      }
      if (pending.length < len) return;
      // The startup packet or a CancelRequest: from here on, bytes go to the leader as they come.
      client.off('data', onStartupData);
      client.pause();
      openUpstream(code === CANCEL_REQUEST, len);
      return;
    }
  };

  const openUpstream = (cancel: boolean, startupLength: number) => {
    const to = target();
    if (to === null) {
      refuse('57P03', 'the cluster has no leader at the moment; retry shortly');
      return;
    }
    const up = connect({ host: to.host, port: to.port });
    relayedTo = to;
    upstream = up;
    up.setNoDelay(true);
    // Both ways relayed whole, but message boundaries are tracked: a lost leader is reported between
    // two messages rather than inside one, and not at all when the client asked to end (Terminate).
    const fromServer = new MessageBoundaries();
    const fromClient = new MessageBoundaries();
    up.on('data', (chunk: Buffer) => {
      fromServer.push(chunk);
      if (!client.write(chunk)) up.pause();
    });
    client.on('drain', () => up.resume());
    up.on('drain', () => client.resume());
    // Written now (the socket holds it until connected): the client may end at once after it (a
    // CancelRequest), and an end must follow the packet.
    up.write(pending);
    if (pending.length > startupLength) fromClient.push(pending.subarray(startupLength));
    pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      fromClient.push(chunk);
      if (!up.write(chunk)) client.pause();
    });
    client.resume();
    up.on('error', () => undefined);
    up.once('close', () => {
      if (closed) return;
      closed = true;
      // Nothing to add after a cancel, after the client's Terminate, or after the leader's own FATAL
      // error (bad password, shutdown).
      const expected = cancel || fromClient.lastType === 0x58 /* X */ || fromServer.lastType === 0x45; /* E */
      if (fromServer.atBoundary && !expected && !client.destroyed) {
        client.end(fatalErrorBytes('57P01', 'terminating connection because the cluster lost its leader node; reconnect and retry'));
      } else client.destroy();
    });
    const clientGone = () => {
      closed = true;
      up.end();
    };
    client.once('end', clientGone);
    client.once('close', clientGone);
  };

  client.on('data', onStartupData);
  client.once('close', () => {
    if (upstream === null) closed = true;
  });
  // Dropping the upstream ends the client as a lost leader does: FATAL 57P01 at a message boundary.
  return { target: () => relayedTo, abandon: () => upstream?.destroy() };
}

/** A relayed connection, as its follower sees it. */
export interface Relay {
  /** Where the connection is relayed to (null until the startup packet has been read). */
  target(): ProxyTarget | null;
  /**
   * Ends the relay because its target is no longer the leader (the follower saw another one elected):
   * a paused or cut-off old leader never closes the connection itself, and the client would wait for
   * it forever. The client gets FATAL 57P01 at a message boundary, as when the leader dies.
   */
  abandon(): void;
}
