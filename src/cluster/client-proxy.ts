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
import { MessageBoundaries, Msg, errorResponse } from './pg-messages';
import { awaitStartupPacket } from './startup-packet';

export interface ProxyTarget {
  host: string;
  port: number;
}

/** A backend ErrorResponse with severity FATAL: the session ends after it. */
export function fatalErrorBytes(code: string, message: string): Buffer {
  return errorResponse(code, message, 'FATAL');
}

/** A client refused because no leader is known: 57P03 (cannot connect now), retry. */
export function noLeaderBytes(): Buffer {
  return fatalErrorBytes('57P03', 'the cluster has no leader at the moment; retry shortly');
}

/**
 * What a client hears when its leader connection closes unasked: a leader never reached (it died and
 * the agreed view still names it) is refused like no leader (57P03, the client never had a session);
 * a session lost is terminated (57P01, reconnect and retry).
 */
export function leaderGoneBytes(reached: boolean): Buffer {
  if (!reached) return fatalErrorBytes('57P03', "the cluster's leader node cannot be reached at the moment; retry shortly");
  return fatalErrorBytes('57P01', 'terminating connection because the cluster lost its leader node; reconnect and retry');
}

/**
 * Relays `client` to the node `target()` names at connect time. `target` returns null when no leader
 * is known: the client is then refused with 57P03 (cannot connect now).
 */
export interface RelayedSession {
  /** Where the session was relayed (null until the startup packet arrived, or when refused). */
  target(): ProxyTarget | null;
  /**
   * The agreed view no longer names that node leader: end the session as if its leader was lost (57P01
   * at a message boundary). A paused leader (SIGSTOP) keeps its sockets open, so without this the
   * session would hang for as long as it stays paused.
   */
  abandon(): void;
}

export function proxyClient(client: Socket, target: () => ProxyTarget | null): RelayedSession {
  let relayedTo: ProxyTarget | null = null;
  client.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  let upstream: Socket | null = null;
  let closed = false;
  let startupLength = 0;
  // Client → leader message boundaries, to see the client's Terminate ('X'): after it the leader closing
  // the connection is the normal end of the session, not a lost leader (no 57P01 for a client that is
  // already leaving; drivers would take it for an error on an idle connection).
  let terminating = false;
  const fromClient = new MessageBoundaries((type) => {
    if (type === Msg.terminate) terminating = true;
  });
  client.on('error', () => undefined);


  const openUpstream = () => {
    const to = target();
    if (to === null) {
      closed = true;
      client.end(noLeaderBytes());
      return;
    }
    const up = connect({ host: to.host, port: to.port });
    upstream = up;
    relayedTo = to;
    // A leader that cannot be reached at all: its lease has not expired yet (leaderGoneBytes).
    let reached = false;
    up.once('connect', () => (reached = true));
    up.setNoDelay(true);
    // Server → client: relayed whole, but message boundaries are tracked so that a lost leader can be
    // reported between two messages rather than inside one. Only the leader's own FATAL (or PANIC)
    // ends the session; after an ERROR (a pipelined statement failed, the leader waits for Sync) a
    // lost leader still needs reporting.
    const fromLeader = new MessageBoundaries();
    up.on('data', (chunk: Buffer) => {
      fromLeader.feed(chunk);
      if (!client.write(chunk)) up.pause();
    });
    client.on('drain', () => up.resume());
    up.on('drain', () => client.resume());
    // Written now (the socket holds it until connected): the client may end at once after it (a
    // CancelRequest), and an end must follow the packet.
    up.write(pending);
    fromClient.feed(pending.subarray(startupLength));
    pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      fromClient.feed(chunk);
      if (!up.write(chunk)) client.pause();
    });
    client.resume();
    up.on('error', () => undefined);
    up.once('close', () => {
      if (closed) return;
      closed = true;
      const atBoundary = fromLeader.atBoundary;
      // After the leader's own FATAL error (bad password, shutdown) there is nothing to add, but what
      // is still queued for the client must reach it (end, not destroy).
      if (terminating) client.end();
      else if (!reached && !client.destroyed) {
        client.end(leaderGoneBytes(false));
      } else if (atBoundary && !fromLeader.endedFatal && !client.destroyed) {
        client.end(leaderGoneBytes(true));
      } else if (atBoundary) client.end();
      else client.destroy();
    });
    const clientGone = () => {
      closed = true;
      up.end();
    };
    client.once('end', clientGone);
    client.once('close', clientGone);
  };

  // The startup packet or a CancelRequest: from here on, bytes go to the leader as they come.
  awaitStartupPacket(client, (buffered, len) => {
    pending = buffered;
    startupLength = len;
    openUpstream();
  });
  client.once('close', () => {
    if (upstream === null) closed = true;
  });
  return {
    target: () => relayedTo,
    abandon: () => {
      if (upstream !== null && !closed) upstream.destroy();
    },
  };
}
