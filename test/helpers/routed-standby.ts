// A follower's statement router over an in-process standby cluster (standby-cluster.ts) or any standby: the leader's
// Database served on a loopback port (trust), the follower's standby engine served in process
// (cluster-local-engine.ts), and a router in front, as cluster-serve.ts wires them. Unlike
// routed-follower.ts the standby is a real one: its copy keeps chunks placed elsewhere as markers and
// fetches them from the leader.
import { Server, Socket, createServer } from 'net';
import { serveLocalEngine } from '../../src/cluster-local-engine';
import { RouteCounters } from '../../src/cluster/route-counters';
import { RouterContext, routeClient } from '../../src/cluster/statement-router';
import { startServer } from '../../src/wire/server';
import { Standby } from '../../src/cluster/standby';
import { Database } from '../../src/engine/database';

export interface RoutedStandby {
  /** The router's port: a client connected here is routed by follower `id`. */
  readonly port: number;
  /** The leader's own port (a client there is the leader's, unrouted). */
  readonly leaderPort: number;
  readonly counters: RouteCounters;
  stop(): Promise<void>;
}

/** Routes clients by follower `id`, whose standby is `standby`, to `leaderDb` (served here) and to that standby. */
export async function routedStandby(leaderDb: Database, standby: Standby, id: number): Promise<RoutedStandby> {
  const leader = await startServer(leaderDb, { host: '127.0.0.1', port: 0, authMethod: 'trust', users: new Map() });
  const local = await serveLocalEngine(standby.database, standby, 100);
  const counters = new RouteCounters();
  standby.database.routeStats = () => counters.rows(id);
  const ctx: RouterContext = { leader: () => ({ host: '127.0.0.1', port: leader.port }), local: () => local.engine, counters, cancelByLeaderKey: new Map() };
  const sockets = new Set<Socket>();
  const router: Server = createServer((socket) => {
    sockets.add(socket);
    routeClient(socket, ctx);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => router.listen(0, '127.0.0.1', () => r()));
  return {
    port: (router.address() as { port: number }).port,
    leaderPort: leader.port,
    counters,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => router.close(() => r()));
      await local.close();
      await leader.close();
    },
  };
}
