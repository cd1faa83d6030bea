// A follower's client connection, coordinated by the follower itself: read-only units run on this
// node's standby engine (its replicated copy, read-only sessions), everything else is relayed to the
// leader — invisibly to the client, which sees one session: the leader's.
//
// - Startup and authentication are the leader's (as in client-proxy.ts): the leader authenticates the
//   client and its BackendKeyData is the client's. After the leader's first ReadyForQuery a session on
//   the standby engine is opened with the same startup packet (trust, in process) and its replies are
//   swallowed.
// - Each unit (a Query, or extended-protocol messages up to Sync) goes to one side (unit-side.ts); the
//   next unit is sent only after the previous one's ReadyForQuery, so answers keep their order. The
//   client gets every reply of the side that ran the unit, ReadyForQuery included.
// - Session state is kept alike: SET/RESET/DISCARD/DEALLOCATE/set_config run on the leader and are
//   replayed silently on the standby's session once they took effect (at once outside a transaction,
//   at COMMIT inside one). A named prepared statement lives where it was parsed; a unit that must go
//   to the leader and uses one that lives only on the standby first replays its Parse there.
// - A session that created a temporary object stays on the leader (only its session sees the object).
// - Cancel: a CancelRequest with the leader's key goes to the leader and also stops the standby
//   session's running statement.
// - No standby, or a standby behind the leader, at connect: the connection is relayed untouched
//   (client-proxy.ts). Behind later on: units go to the leader. A standby whose read lease alone ran
//   out (this node's event loop was held past it, by a long statement say) asks for it first and
//   waits up to LEASE_WAIT_MS for the answer, at connect and before each unit. The standby's session lost in the
//   middle of a unit: the client gets 40001 (retry) and later units go to the leader. Leader lost:
//   FATAL 57P01, as the plain relay does.
import { Socket } from 'net';
import { Duplex } from 'stream';
import { ProxyTarget, RelayedSession, proxyClient } from './client-proxy';
import { LEASE_WAIT_MS, RoutedSession } from './routed-session';
import { RouteCounters } from './route-counters';
import { CANCEL_REQUEST, awaitStartupPacket } from './startup-packet';

/** The follower's standby engine as the router uses it (built on cluster/standby.ts's StandbyHandle). */
export interface LocalEngine {
  /** Reads there see every commit the leader acknowledged (StandbyHandle.inSync). */
  inSync(): boolean;
  /** inSync() after renewing a read lease that alone ran out, waiting at most `maxMs` (StandbyHandle.inSyncSoon). */
  inSyncSoon(maxMs: number): Promise<boolean>;
  /** A new in-process connection to a wire server over the standby's Database (trust authentication). */
  connect(): Duplex;
}

export interface RouterContext {
  /** The leader's client address, null while none is known (the client is refused with 57P03). */
  leader(): ProxyTarget | null;
  /** This node's standby engine, null while it has none. */
  local(): LocalEngine | null;
  counters: RouteCounters;
  /** Routed sessions by the leader's key "pid/secret": stops the session's running local statement. */
  cancelByLeaderKey: Map<string, () => void>;
}

/** Reads the startup packet, then routes the session, relays it untouched, or relays a CancelRequest. */
export function routeClient(client: Socket, ctx: RouterContext): RelayedSession {
  client.setNoDelay(true);
  client.on('error', () => undefined);
  let inner: RelayedSession | null = null;

  awaitStartupPacket(client, (pending, len) => {
    const relayUntouched = () => {
      // The bytes read so far go back in front of the stream, for the plain relay to read from the start.
      client.unshift(pending);
      inner = proxyClient(client, () => ctx.leader());
      client.resume();
    };
    if (pending.readInt32BE(4) === CANCEL_REQUEST && len === 16) {
      ctx.cancelByLeaderKey.get(`${pending.readInt32BE(8)}/${pending.readInt32BE(12)}`)?.();
      return relayUntouched();
    }
    const route = (engine: LocalEngine | null) => {
      if (engine === null || engine !== ctx.local() || !engine.inSync()) {
        ctx.counters.relayedSessions++;
        return relayUntouched();
      }
      inner = new RoutedSession(client, ctx, engine, Buffer.from(pending.subarray(0, len)), pending.subarray(len));
    };
    const engine = ctx.local();
    // A read lease that ran out while this node was busy is asked for first (the client is paused meanwhile).
    if (engine !== null && !engine.inSync()) void engine.inSyncSoon(LEASE_WAIT_MS).then(() => route(engine), () => route(null));
    else route(engine);
  });
  return {
    target: () => inner?.target() ?? null,
    abandon: () => inner?.abandon(),
  };
}
