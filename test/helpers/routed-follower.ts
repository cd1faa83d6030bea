// A follower's statement router in one test process, with two real engines behind it: a "leader"
// (a wire server over its own Database, scram authentication, on a loopback port) and a "standby"
// (another Database served in process, as cluster-serve.ts does, whose sessions are read-only). The
// two hold different data and different cluster_node_id settings, so a test sees which side answered.
import { Server, Socket, createServer } from 'net';
import { Client, ClientConfig } from 'pg';
import { LocalEngineServer, serveLocalEngine } from '../../src/cluster-local-engine';
import { RouteCounters } from '../../src/cluster/route-counters';
import { RelayedSession } from '../../src/cluster/client-proxy';
import { RouterContext, routeClient } from '../../src/cluster/statement-router';
import { Database } from '../../src/engine/database';
import { RunningServer, startServer } from '../../src/wire/server';

export const PASSWORD = 'router-secret';
export const LEADER_ID = '1';
export const STANDBY_ID = '2';

export interface RoutedFollower {
  readonly port: number;
  readonly leaderPort: number;
  readonly counters: RouteCounters;
  readonly leaderDb: Database;
  readonly standbyDb: Database;
  /** What the fake StandbyHandle's inSync() answers (default true). */
  inSync: boolean;
  /** Whether the node has a standby at all (default true). */
  hasStandby: boolean;
  /**
   * The standby is in sync but for its read lease, which ran out (default false): inSync() says no
   * until inSyncSoon() is called, which renews it (as when this node's event loop was held longer than
   * the lease); `leaseRenewals` counts those calls.
   */
  leaseLapsed: boolean;
  readonly leaseRenewals: number;
  client(config?: Partial<ClientConfig>): Promise<Client>;
  /** Ends every session on the standby engine and serves it anew (as a standby that went away and came back). */
  restartStandby(): Promise<void>;
  /** What cluster-serve.ts does when the agreed view names another leader: every routed session loses its leader. */
  abandonAll(): void;
  stop(): Promise<void>;
}

/** Runs statements on a Database through one session of its own (setup, not under test). */
export async function runOn(db: Database, sql: string): Promise<void> {
  const s = db.createSession({ user: 'postgres', database: 'postgres' });
  try {
    for (const stmt of s.parseSimple(sql)) await s.execute(stmt, []);
    await s.endOfCommandGroup();
  } finally {
    await s.close();
  }
}

/** `trust`: the leader lets in without a password (for the bare protocol client of test/helpers/raw-client.ts). */
export async function startRoutedFollower(options: { trust?: boolean } = {}): Promise<RoutedFollower> {
  const leaderDb = await Database.open({ dir: null, settings: new Map([['cluster_node_id', LEADER_ID]]) });
  const standbyDb = await Database.open({ dir: null, settings: new Map([['cluster_node_id', STANDBY_ID]]) });
  // Same schema, different rows: "which side answered" is in every result.
  const schema = "CREATE TABLE who (side text, n int); CREATE SEQUENCE seq;";
  await runOn(leaderDb, `${schema} INSERT INTO who VALUES ('leader', 1);`);
  await runOn(standbyDb, `${schema} INSERT INTO who VALUES ('standby', 2);`);
  // As h-standby's engine: every session on the standby is read-only.
  standbyDb.settings.set('default_transaction_read_only', 'on');
  const leader: RunningServer = await startServer(leaderDb, { host: '127.0.0.1', port: 0, authMethod: options.trust === true ? 'trust' : 'scram-sha-256', users: new Map([['postgres', PASSWORD]]) });
  const counters = new RouteCounters();
  const state = { inSync: true, hasStandby: true, leaseLapsed: false, leaseRenewals: 0 };
  const sync = {
    inSync: () => state.inSync && !state.leaseLapsed,
    inSyncSoon: async () => {
      state.leaseRenewals++;
      state.leaseLapsed = false;
      return state.inSync;
    },
  };
  let local: LocalEngineServer = await serveLocalEngine(standbyDb, sync, 100);
  const ctx: RouterContext = {
    leader: () => ({ host: '127.0.0.1', port: leader.port }),
    local: () => (state.hasStandby ? local.engine : null),
    counters,
    cancelByLeaderKey: new Map(),
  };
  standbyDb.routeStats = () => counters.rows(Number(STANDBY_ID));
  const sockets = new Map<Socket, RelayedSession>();
  const router: Server = createServer((socket) => {
    sockets.set(socket, routeClient(socket, ctx));
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => router.listen(0, '127.0.0.1', () => r()));
  const port = (router.address() as { port: number }).port;
  // The returned object is `state` itself, so tests set inSync, hasStandby and leaseLapsed on it directly.
  return Object.assign(state, {
    port,
    leaderPort: leader.port,
    counters,
    leaderDb,
    standbyDb,
    client: async (config = {}) => {
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, ...config });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    restartStandby: async () => {
      await local.close();
      local = await serveLocalEngine(standbyDb, sync, 100);
    },
    abandonAll: () => {
      for (const s of sockets.values()) s.abandon();
    },
    stop: async () => {
      for (const s of sockets.keys()) s.destroy();
      await new Promise<void>((r) => router.close(() => r()));
      await local.close();
      await leader.close();
      await leaderDb.close();
      await standbyDb.close();
    },
  });
}
