#!/usr/bin/env node
// `npm start`: loads the configuration, opens the database and serves it over the wire protocol.
import * as path from 'path';
import { Database } from './engine/database';
import { startServer } from './wire/server';
import { loadConfig, parseCommandLine } from './config/conf-file';

async function main(): Promise<void> {
  const cli = parseCommandLine(process.argv.slice(2));
  const packageRoot = path.resolve(__dirname, '../..');
  const configFile = cli.configFile ?? path.join(packageRoot, 'conf', 'tessera.conf');
  const config = loadConfig(configFile, cli.overrides);
  const db = await Database.open({ dir: config.dataDirectory, settings: config.raw });
  const host = config.listenAddresses === '*' ? '0.0.0.0' : config.listenAddresses.split(',')[0].trim();
  const server = await startServer(db, { host, port: config.port, authMethod: config.authMethod, users: config.users, maxConnections: config.maxConnections });
  console.log(`tessera: ready to accept connections on ${host}:${server.port} (data ${config.dataDirectory})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`tessera: received ${signal}, shutting down`);
    await server.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(`tessera: ${(err as Error).message ?? err}`);
  process.exit(1);
});
