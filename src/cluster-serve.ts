// A server process that is one node of a cluster (`tessera --cluster FILE --node-id N`): the node owns
// its client port. While it leads, connections go to its own wire server over its engine; while it
// follows (or is between roles) they are relayed to the leader (cluster/client-proxy.ts).
import { Server, Socket, createServer } from 'net';
import { ClusterNode } from './cluster/cluster-node';
import { Relay, proxyClient } from './cluster/client-proxy';
import { ClusterConfig, ClusterNodeConfig } from './config/cluster-config';
import { ServerConfig } from './config/server-config';
import { Database } from './engine/database';
import { RunningServer, startServer } from './wire/server';

export async function serveClusterNode(config: ServerConfig, cluster: ClusterConfig, self: ClusterNodeConfig): Promise<void> {
  const info = (n: ClusterNodeConfig) => ({ id: n.id, host: n.host, interconnectPort: n.interconnectPort, clientPort: n.clientPort });
  let wire: RunningServer | null = null;
  const node = new ClusterNode({
    self: info(self),
    nodes: cluster.nodes.map(info),
    settings: cluster,
    dataDirectory: config.dataDirectory,
    synchronousCommit: config.synchronousCommit,
    openDatabase: (kv) => Database.open({ dir: config.dataDirectory, settings: config.raw, kv }),
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
  const relayed = new Set<Socket>();
  const relays = new Set<Relay>();
  const clients: Server = createServer((socket) => {
    if (wire !== null) return wire.accept(socket);
    relayed.add(socket);
    const relay = proxyClient(socket, () => node.leaderTarget());
    relays.add(relay);
    socket.once('close', () => {
      relayed.delete(socket);
      relays.delete(relay);
    });
  });
  // Sessions relayed to a node that is no longer the leader end with 57P01: a paused or cut-off old
  // leader never closes them itself, and its clients would wait for it instead of reconnecting.
  const abandonStale = setInterval(() => {
    if (relays.size === 0) return;
    const now = node.leaderTarget();
    for (const r of relays) {
      const to = r.target();
      if (to !== null && (now === null || to.host !== now.host || to.port !== now.port) && node.view()?.leader !== null) r.abandon();
    }
  }, 200);
  abandonStale.unref();
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`tessera: received ${signal}, leaving the cluster and shutting down`);
    try {
      const closed = new Promise<void>((resolve) => clients.close(() => resolve()));
      for (const s of relayed) s.destroy();
      await node.close();
      await closed;
    } catch (err) {
      console.error(`tessera: error during shutdown: ${(err as Error).stack ?? err}`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
