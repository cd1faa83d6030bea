// Runs the wire server in this process over the fake engine (fake-db.ts), on a free port.
import { RunningServer, ServerOptions, startServer } from '../../src/wire/server';
import { FakeDatabase } from './fake-db';

export interface InProcessServer {
  db: FakeDatabase;
  server: RunningServer;
  port: number;
  stop(): Promise<void>;
}

export async function startInProcess(options: Partial<ServerOptions> = {}): Promise<InProcessServer> {
  const db = new FakeDatabase();
  const server = await startServer(db, { host: '127.0.0.1', port: 0, authMethod: 'trust', users: new Map(), ...options });
  return { db, server, port: server.port, stop: () => server.close() };
}

/** Polls until cond() holds (for effects that happen after the client saw its answer, e.g. session.close()). */
export async function eventually(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
