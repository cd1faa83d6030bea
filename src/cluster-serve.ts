// A server process that is one node of a cluster (`tessera --cluster FILE --node-id N`): the node owns
// its client port. While it leads, connections go to its own wire server over its engine; while it
// follows they are routed (cluster/statement-router.ts): read-only units run on the node's standby
// engine (served in process by cluster-local-engine.ts), the rest is relayed to the leader; between
// roles, or before the standby is ready, they are relayed whole (cluster/client-proxy.ts).
import { Server, Socket, createServer } from 'net';
import { ClusterNode } from './cluster/cluster-node';
import { RelayedSession } from './cluster/client-proxy';
import { RouteCounters } from './cluster/route-counters';
import { StandbyHandle } from './cluster/standby';
import { LocalEngine, routeClient } from './cluster/statement-router';
import { LocalEngineServer, serveLocalEngine } from './cluster-local-engine';
import { ClusterView } from './cluster/cluster-types';
import { ClusterConfig, ClusterNodeConfig } from './config/cluster-config';
import { ServerConfig } from './config/server-config';
import { Database } from './engine/database';
import { RunningServer, startServer } from './wire/server';
import { stopOnSignal } from './stop-on-signal';

/** A follower's standby and its in-process wire server (null until it is up). */
interface LocalEngineEntry {
  handle: StandbyHandle;
  server: LocalEngineServer | null;
}

export async function serveClusterNode(config: ServerConfig, cluster: ClusterConfig, self: ClusterNodeConfig): Promise<void> {
  const info = (n: ClusterNodeConfig) => ({ id: n.id, host: n.host, interconnectPort: n.interconnectPort, clientPort: n.clientPort });
  let wire: RunningServer | null = null;
  const node = new ClusterNode({
    self: info(self),
    nodes: cluster.nodes.map(info),
    settings: cluster,
    dataDirectory: config.dataDirectory,
    synchronousCommit: config.synchronousCommit,
    // synchronous_commit = off may skip only the local flush (the node's LmdbKv, above): the engine
    // still waits for the replicated write, which the in-sync followers have applied, so that a read
    // a follower answers itself right after the acknowledgment sees the commit.
    openDatabase: (kv) => Database.open({ dir: config.dataDirectory, settings: new Map([...config.raw, ['synchronous_commit', 'on']]), kv }),
    standbySettings: config.raw,
    onLeader: async (db) => {
      wire = await startServer(db, {
        host: [],
        port: config.port,
        authMethod: config.authMethod,
        users: config.users,
        maxConnections: config.maxConnections,
        startupTimeoutMs: config.authenticationTimeoutMs,
      });
    },
    onStepDown: async () => {
      const w = wire;
      wire = null;
      await w?.close();
    },
  });
  // The standby engine's in-process wire server, made when the node gets a (new) standby; until it is
  // up, connections are relayed whole. A replaced or dropped standby's server is closed, which sends
  // the sessions routed to it on to the leader for their remaining units.
  let local: LocalEngineEntry | null = null;
  const counters = new RouteCounters();
  const localEngine = (): LocalEngine | null => {
    const handle = node.standby();
    if (local !== null && local.handle !== handle) {
      void local.server?.close();
      local = null;
    }
    if (handle === null) return null;

    if (local === null) {
      const entry: LocalEngineEntry = { handle, server: null };
      local = entry;
      handle.database.routeStats = () => counters.rows(self.id);
      serveLocalEngine(handle.database, handle, config.maxConnections).then(
        (server) => {
          if (local === entry) entry.server = server;
          else void server.close();
        },
        (err) => console.error('tessera: cannot serve the standby engine to the statement router', err),
      );
    }
    return local.server?.engine ?? null;
  };
  const routing = { leader: () => node.leaderTarget(), local: localEngine, counters, cancelByLeaderKey: new Map<string, () => void>() };
  const relayed = new Map<Socket, RelayedSession>();
  const clients: Server = createServer((socket) => {
    if (wire !== null) return wire.accept(socket);
    relayed.set(socket, routeClient(socket, routing));
    socket.once('close', () => relayed.delete(socket));
  });
  // A relayed session whose node no longer leads the agreed view is ended (57P01): a deposed leader
  // that is paused would otherwise hold it open, and hang it, for as long as it stays paused.
  node.membership.on('view', (v: ClusterView) => {
    localEngine(); // a standby dropped by this change of roles: its in-process server is closed
    const leader = v.members.find((m) => m.id === v.leader);
    for (const session of relayed.values()) {
      const to = session.target();
      if (to !== null && (leader === undefined || leader.id === self.id || leader.host !== to.host || leader.clientPort !== to.port)) session.abandon();
    }
  });
  try {
    await node.start();
    await new Promise<void>((resolve, reject) => {
      clients.once('error', reject);
      clients.listen(self.clientPort, self.host, () => {
        clients.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    clients.close();
    await node.close().catch(() => undefined);
    throw err;
  }
  console.log(`tessera: node ${self.id} of cluster "${cluster.name}" joined`);
  console.log(`tessera: ready to accept connections on ${self.host}:${self.clientPort} (data ${config.dataDirectory})`);

  stopOnSignal('leaving the cluster and shutting down', async () => {
    const closed = new Promise<void>((resolve) => clients.close(() => resolve()));
    for (const s of relayed.keys()) s.destroy();
    await local?.server?.close();
    await node.close();
    await closed;
  });
}
