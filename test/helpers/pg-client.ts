// node-postgres helpers shared by the end-to-end tests.
import { Client } from 'pg';
import { TestServer, startServerOrPostgres } from './test-server';

/** A connected pg Client as user postgres on the test server's port. `tolerateKill`: the test will kill the server under it. */
export async function connectPg(port: number, options: { tolerateKill?: boolean } = {}): Promise<Client> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres' });
  if (options.tolerateKill) c.on('error', () => undefined);
  await c.connect();
  return c;
}

export interface SqlFailure {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  /** Milliseconds from the call to the failure. */
  ms: number;
}

/** The error a statement (or any promise) fails with; throws when it succeeds instead. */
export async function failure(p: Promise<unknown>): Promise<SqlFailure> {
  const start = Date.now();
  try {
    await p;
  } catch (err) {
    const e = err as Omit<SqlFailure, 'ms'>;
    return { code: e.code, message: (err as Error).message, detail: e.detail, hint: e.hint, constraint: e.constraint, ms: Date.now() - start };
  }
  throw new Error('the statement was expected to fail');
}

/** Resolves after `ms` milliseconds (lets another client's statement reach its lock wait). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Registers the calling describe's before/after hooks: a server (Tessera, or the PostgreSQL of
 * TESSERA_TEST_POSTGRES_PORT) and `clients` connections to it, closed and stopped afterwards.
 * Read the fields inside tests and hooks (they are set by the before hook).
 */
export function useServerAndClients(clients: number): { server: TestServer; clients: Client[] } {
  const env = { server: undefined as unknown as TestServer, clients: [] as Client[] };
  before(async () => {
    env.server = await startServerOrPostgres();
    env.clients = await Promise.all(Array.from({ length: clients }, () => connectPg(env.server.port)));
  });
  after(async () => {
    for (const c of env.clients) await c.end().catch(() => undefined);
    await env.server?.stop();
  });
  return env;
}
