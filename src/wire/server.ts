// The wire server: accepts TCP connections and runs a Connection for each.
// May import: engine (session contracts), types. Knows nothing of SQL execution.
import { createServer, Server, Socket } from 'net';
import { DatabaseHandle } from '../engine/session-api';
import { AuthSettings, Connection } from './connection';
import { makeVerifier } from './scram';

export interface ServerOptions {
  host: string;
  port: number;
  authMethod: 'trust' | 'scram-sha-256';
  /** user → password (for scram-sha-256). */
  users: Map<string, string>;
  maxConnections?: number;
}

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startServer(db: DatabaseHandle, options: ServerOptions): Promise<RunningServer> {
  const auth: AuthSettings = { method: options.authMethod, verifiers: new Map() };
  for (const [user, password] of options.users) auth.verifiers.set(user, makeVerifier(password));
  const connections = new Set<Connection>();
  const maxConnections = options.maxConnections ?? 100;
  const server: Server = createServer((socket: Socket) => {
    if (connections.size >= maxConnections) {
      // FATAL 53300 before startup, as PostgreSQL does when it is full.
      const msg = Buffer.from('SFATAL\0C53300\0Msorry, too many clients already\0\0');
      const head = Buffer.alloc(5);
      head[0] = 0x45;
      head.writeInt32BE(msg.length + 4, 1);
      socket.end(Buffer.concat([head, msg]));
      return;
    }
    const c = new Connection(socket, db, auth, (done) => connections.delete(done));
    connections.add(c);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.terminate();
        server.close(() => resolve());
      }),
  };
}
