#!/usr/bin/env node
// `npm start` / `tessera`: loads the configuration, opens the database, serves it over the wire
// protocol, and shuts down cleanly on SIGINT/SIGTERM.
import * as fs from 'fs';
import * as path from 'path';
import { Database } from './engine/database';
import { startServer, RunningServer } from './wire/server';
import { USAGE, parseCommandLine } from './config/command-line';
import { ConfigError, loadConfig } from './config/server-config';
import { ClusterConfig, ClusterNodeConfig, readClusterConfig } from './config/cluster-config';
import { serveClusterNode } from './cluster-serve';
import { stopOnSignal } from './stop-on-signal';

/** The package root (this file runs as dist/src/main.js). */
const PACKAGE_ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const cli = parseCommandLine(process.argv.slice(2));
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const defaultConf = path.join(PACKAGE_ROOT, 'conf', 'tessera.conf');
  // An explicit --config must exist; the default one may be absent (built-in defaults then).
  const configFile = cli.configFile ?? (fs.existsSync(defaultConf) ? defaultConf : null);
  // A cluster node (--cluster FILE --node-id N) listens on its host and client port and keeps its data
  // where the cluster conf says; its other settings come from tessera.conf and -c as for any server.
  let cluster: { config: ClusterConfig; self: ClusterNodeConfig } | null = null;
  const overrides = new Map(cli.overrides);
  if (cli.clusterFile !== null) {
    const clusterConfig = readClusterConfig(cli.clusterFile);
    const self = clusterConfig.nodes.find((n) => n.id === cli.nodeId);
    if (self === undefined) throw new ConfigError(`node ${cli.nodeId} is not listed in "${clusterConfig.file}" (nodes: ${clusterConfig.nodes.map((n) => n.id).join(', ')})`);
    cluster = { config: clusterConfig, self };
    overrides.set('listen_addresses', self.host);
    overrides.set('port', String(self.clientPort));
    overrides.set('data_directory', self.dataDirectory);
    overrides.set('cluster_node_id', String(self.id));
    overrides.set('cluster_name', clusterConfig.name);
  }
  const config = loadConfig({ configFile, overrides });
  if (cluster === null && (config.raw.get('cluster_node_id') !== '0' || config.raw.get('cluster_name') !== '')) {
    throw new ConfigError(`cluster_node_id and cluster_name are set by --cluster FILE --node-id N, not ${config.sources.get('cluster_node_id') !== 'default' ? config.sources.get('cluster_node_id') : config.sources.get('cluster_name')}`);
  }

  if (cluster !== null) return serveClusterNode(config, cluster.config, cluster.self);

  const db = await Database.open({ dir: config.dataDirectory, settings: config.raw });
  let server: RunningServer;
  const hosts = config.listenAddresses.map((a) => (a === '*' ? '0.0.0.0' : a));
  if (hosts.length === 0) throw new ConfigError('listen_addresses is empty: nothing to listen on');
  const socketDirs = config.unixSocketDirectories.map((d) => path.resolve(d));
  try {
    server = await startServer(db, {
      host: hosts,
      port: config.port,
      authMethod: config.authMethod,
      users: config.users,
      maxConnections: config.maxConnections,
      startupTimeoutMs: config.authenticationTimeoutMs,
      unixSocketDirectories: socketDirs,
      dataDirectory: config.dataDirectory,
    });
  } catch (err) {
    await db.close();
    throw err;
  }
  const sockets = server.unixSockets.length > 0 ? ` and ${server.unixSockets.join(', ')}` : '';
  console.log(`tessera: ready to accept connections on ${hosts.join(', ')}:${server.port}${sockets} (data ${config.raw.get('data_directory')})`);

  stopOnSignal('shutting down', async () => {
    await server.close();
    await db.close();
  });
}

main().catch((err) => {
  // Configuration and usage mistakes are the user's: one clear line. Anything else shows its stack.
  const known = err instanceof ConfigError || /option|usage/i.test(String((err as Error)?.message));
  console.error(`tessera: ${known ? (err as Error).message : ((err as Error)?.stack ?? err)}`);
  process.exit(1);
});
