// The wire server: listens, runs a Connection per client, enforces the connection limit, and shuts
// down in order (stop listening → cancel running statements → FATAL 57P01 → close sessions).
// May import: engine (session contracts), types. Knows nothing of SQL execution.
import { Server, Socket, createServer } from 'net';
import { DatabaseHandle } from '../engine/session-api';
import { SqlError, SqlState } from '../types/sql-error';
import { Connection } from './connection';
import { errorMessageBytes } from './message-writer';
import { verifierFor } from './scram';
import { AuthSettings } from './startup';
import { UnixListener, listenUnix } from './unix-socket';

export interface ServerOptions {
  /** Address(es) to listen on ('127.0.0.1', '0.0.0.0', '::', 'localhost'); one listener each, same port; none: see accept(). */
  host: string | string[];
  /** TCP port; 0 picks a free one (see RunningServer.port). */
  port: number;
  authMethod: 'trust' | 'scram-sha-256';
  /** user → password, or PostgreSQL's stored form "SCRAM-SHA-256$iter:salt$StoredKey:ServerKey" (scram-sha-256). */
  users: Map<string, string>;
  /** Sessions allowed at once; one more gets FATAL 53300 (default 100). */
  maxConnections?: number;
  /** Startup and authentication deadline in ms (default 60000, PostgreSQL's authentication_timeout). */
  startupTimeoutMs?: number;
  /** How long close() waits for running statements to end after cancelling them (default 10000 ms). */
  shutdownGraceMs?: number;
  /** Directories for Unix-domain sockets `.s.PGSQL.<port>` (unix_socket_directories); none when empty. */
  unixSocketDirectories?: string[];
  /** Written into the socket lock files, as PostgreSQL does. */
  dataDirectory?: string;
}

export interface RunningServer {
  /** The TCP port actually bound (the given port when no host is listened on). */
  readonly port: number;
  /**
   * Serves a connection accepted elsewhere (a cluster node owns its client port and hands the server
   * the connections it does not relay to another node).
   */
  accept(socket: Socket): void;
  /** Paths of the Unix-domain sockets listened on. */
  readonly unixSockets: string[];
  /** Stops listening, cancels running statements, ends every connection and closes its session. */
  close(): Promise<void>;
}

export async function startServer(db: DatabaseHandle, options: ServerOptions): Promise<RunningServer> {
  // Only salted keys are kept from here on, never the passwords.
  const auth: AuthSettings = { method: options.authMethod, verifiers: new Map() };
  if (options.authMethod === 'scram-sha-256') for (const [user, password] of options.users) auth.verifiers.set(user, verifierFor(password));
  const maxConnections = options.maxConnections ?? 100;
  // Sockets still in startup count too, with headroom, so a flood of idle sockets cannot exhaust us.
  const maxSockets = maxConnections * 2 + 16;
  const connections = new Set<Connection>();
  let sessions = 0;
  let closing = false;

  const acceptConnection = (socket: Socket) => {
    if (closing || connections.size >= maxSockets) {
      socket.on('error', () => undefined);
      socket.end(errorMessageBytes(new SqlError(SqlState.tooManyConnections, 'sorry, too many clients already', { severity: 'FATAL' })));
      return;
    }
    let admitted = false;
    const c = new Connection(socket, {
      db,
      auth,
      startupTimeoutMs: options.startupTimeoutMs ?? 60000,
      // Checked after the startup packet, so a CancelRequest still gets through when we are full.
      admit: () => {
        if (sessions >= maxConnections) return new SqlError(SqlState.tooManyConnections, 'sorry, too many clients already', { severity: 'FATAL' });
        sessions++;
        admitted = true;
        return null;
      },
    });
    connections.add(c);
    void c.finished.then(() => {
      connections.delete(c);
      if (admitted) sessions--;
    });
  };

  const listeners: Server[] = [];
  let port = options.port;
  try {
    for (const host of Array.isArray(options.host) ? options.host : [options.host]) {
      const server = createServer(acceptConnection);
      // With port 0 the first listener picks the port and the others share it.
      await listen(server, port, host);
      listeners.push(server);
      const address = server.address();
      if (typeof address === 'object' && address !== null) port = address.port;
    }
  } catch (err) {
    for (const l of listeners) l.close();
    throw err;
  }
  const unixListeners: UnixListener[] = [];
  try {
    for (const dir of options.unixSocketDirectories ?? []) unixListeners.push(await listenUnix(dir, port, options.dataDirectory ?? '', acceptConnection));
  } catch (err) {
    for (const l of listeners) l.close();
    await Promise.all(unixListeners.map((u) => u.close()));
    throw err;
  }

  let closed: Promise<void> | null = null;
  const close = async () => {
    closing = true;
    const stopped = Promise.all([...listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))), ...unixListeners.map((u) => u.close())]);
    const all = [...connections];
    for (const c of all) c.stop();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.shutdownGraceMs ?? 10000)));
    const outcome = await Promise.race([Promise.all(all.map((c) => c.finished)), grace]);
    // A statement deaf to cancellation must not hold shutdown hostage: drop its socket and move on.
    if (outcome === 'timeout') for (const c of connections) c.destroy();
    clearTimeout(timer);
    await stopped;
  };
  return {
    port,
    accept: acceptConnection,
    unixSockets: unixListeners.map((u) => u.path),
    close: () => (closed ??= close()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => console.error('tessera: listener error', err));
      resolve();
    });
  });
}
