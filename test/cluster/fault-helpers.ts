// Shared pieces of the cluster fault tests (*.faults.ts, run by `npm run test:cluster`): which errors a
// client may see during a failover, finding the leader, waiting for conditions, and a write workload
// that records which commits were acknowledged.
import { expect } from 'chai';
import { open } from 'lmdb';
import { Client, ClientConfig } from 'pg';
import { POSITION_KEY, Position, decodePosition } from '../../src/cluster/kv-batch';
import { isChunkMarker, loadChunkHasher, markerHash } from '../../src/storage/chunk-marker';
import { LEADER_ID_QUERY, TestCluster } from '../helpers/cluster';
import { startTestServer } from '../helpers/test-server';

/**
 * SQLSTATEs a client may get during a failover or from optimistic concurrency, after which the
 * transaction's outcome is unknown (57P01, connection loss) or known not to have happened (the rest).
 */
export const RETRYABLE_CODES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '08000', '08003', '08006', '25P03']);

/** An error a client may retry: a retryable SQLSTATE, or the connection failed or timed out without one. */
export function isRetryable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE…
  const m = e.message ?? '';
  return /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|ECONNRE|EPIPE/i.test(m);
}

export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `${e.code ?? '-'} ${e.message ?? String(err)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until it gives a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(what: string, cond: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== null ? ` (last error: ${describeError(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** A connected client on node `id` that never throws an unhandled 'error' event; queries time out. */
export async function connectTo(cluster: TestCluster, id: number, queryTimeoutMs = 15_000): Promise<Client> {
  const config: ClientConfig = { ...cluster.clientConfig(id), connectionTimeoutMillis: Math.min(5000, queryTimeoutMs), query_timeout: queryTimeoutMs };
  const client = new Client(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/** One statement on a fresh connection to node `id`. */
export async function queryOn(cluster: TestCluster, id: number, sql: string, queryTimeoutMs = 15_000): Promise<any[]> {
  const client = await connectTo(cluster, id, queryTimeoutMs);
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The leader's id as node `via` reports it (the statement runs on the leader: LEADER_ID_QUERY). */
export async function leaderVia(cluster: TestCluster, via: number, timeoutMs = 3000): Promise<number> {
  const rows = await queryOn(cluster, via, LEADER_ID_QUERY, timeoutMs);
  return Number(rows[0].cluster_node_id);
}

/** Waits until every listed node reports the same leader, which is one of them; returns it. */
export async function agreedLeader(cluster: TestCluster, ids: number[], timeoutMs = 30_000): Promise<number> {
  return waitFor(
    `nodes ${ids.join(', ')} to agree on a leader`,
    async () => {
      const seen = await Promise.all(ids.map((id) => leaderVia(cluster, id, 1000)));
      return seen.every((s) => s === seen[0]) && ids.includes(seen[0]) ? seen[0] : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Runs `fn` on a fresh connection to `id` until it succeeds, retrying retryable errors. */
export async function withRetry<T>(cluster: TestCluster, id: number, fn: (c: Client) => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let client: Client | null = null;
    try {
      client = await connectTo(cluster, id);
      return await fn(client);
    } catch (err) {
      if (!isRetryable(err) || Date.now() > deadline) throw err;
      await sleep(100);
    } finally {
      await client?.end().catch(() => undefined);
    }
  }
}

export interface WriterStats {
  /** Ids whose INSERT was acknowledged. */
  acked: number[];
  /** Ids whose outcome is unknown (the error came after the statement was sent). */
  unknown: number[];
  /** Retryable errors seen, by SQLSTATE or kind. */
  retryable: Map<string, number>;
  /** Errors that are not retryable (a test failure). */
  unexpected: string[];
  /** Acknowledgement times (ms since epoch), one per acked id. */
  ackTimes: number[];
  /** When each acked statement was sent (ms since epoch), one per acked id. */
  sentTimes: number[];
}

/** How many inserts the writers had acknowledged after `since` (ms since epoch). */
export function acksAfter(writers: { stats: WriterStats }[], since: number): number {
  return writers.reduce((n, w) => n + w.stats.ackTimes.filter((t) => t > since).length, 0);
}

/** When the writers' first insert after `since` was acknowledged (waits up to 30 s): how long a fault kept commits away. */
export function firstAckAfter(writers: { stats: WriterStats }[], since: number, what: string): Promise<number> {
  return waitFor(
    what,
    async () => {
      const after = writers.flatMap((w) => w.stats.ackTimes.filter((t) => t > since));
      return after.length > 0 ? Math.min(...after) : undefined;
    },
    30_000,
    20,
  );
}

/**
 * Inserts rows (id, writer) into `table` one autocommit INSERT at a time through node `nodeId`, ids
 * writer*1e6 + k, until stop() — reconnecting after every retryable error.
 */
export function startWriter(cluster: TestCluster, table: string, writer: number, nodeId: number, pauseMs = 5): { stats: WriterStats; stop: () => Promise<void> } {
  const stats: WriterStats = { acked: [], unknown: [], retryable: new Map(), unexpected: [], ackTimes: [], sentTimes: [] };
  let stopping = false;
  let next = writer * 1_000_000;
  const loop = async () => {
    let client: Client | null = null;
    while (!stopping) {
      try {
        if (client === null) client = await connectTo(cluster, nodeId, 10_000);
      } catch (err) {
        count(stats, err);
        await sleep(100);
        continue;
      }
      const id = next++;
      try {
        const sent = Date.now();
        await client.query(`INSERT INTO ${table} VALUES (${id}, ${writer})`);
        stats.acked.push(id);
        stats.ackTimes.push(Date.now());
        stats.sentTimes.push(sent);
      } catch (err) {
        stats.unknown.push(id);
        count(stats, err);
        await client.end().catch(() => undefined);
        client = null;
        await sleep(50);
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
    await client?.end().catch(() => undefined);
  };
  const done = loop();
  return {
    stats,
    stop: async () => {
      stopping = true;
      await done;
    },
  };
}

function count(stats: WriterStats, err: unknown): void {
  if (!isRetryable(err)) {
    stats.unexpected.push(describeError(err));
    return;
  }
  const e = err as { code?: string; message?: string };
  const key = e.code ?? (e.message ?? 'error').slice(0, 40);
  stats.retryable.set(key, (stats.retryable.get(key) ?? 0) + 1);
}

/** Ids from `acked` that are not exactly once in `present` (a list of ids read back). */
export function missingOrDuplicated(acked: number[], present: number[]): { missing: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const id of present) seen.set(id, (seen.get(id) ?? 0) + 1);
  const missing = acked.filter((id) => !seen.has(id));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  return { missing, duplicated };
}

/** Node outputs, for a failing assertion's message. */
export function outputs(cluster: TestCluster): string {
  return cluster.nodes.map((n) => `--- node ${n.id}:\n${n.output().split('\n').slice(-40).join('\n')}`).join('\n');
}

/** A node's replicated position, read from its store (LMDB lets another process read while it runs). */
export function positionOf(dataDir: string): Position {
  const db = open<Buffer, string>({ path: dataDir, encoding: 'binary', compression: false, readOnly: true });
  try {
    return decodePosition(db.getBinary(POSITION_KEY) ?? undefined);
  } finally {
    void db.close();
  }
}

/** Waits until every running follower's store has reached the leader's position as it is now. */
export async function waitCaughtUp(cluster: TestCluster, leader: number, timeoutMs = 30_000): Promise<number> {
  const target = positionOf(cluster.node(leader).dataDir).seq;
  const started = Date.now();
  await waitFor(
    `followers to reach the leader's position ${target}`,
    async () => cluster.nodes.filter((n) => n.id !== leader && n.running).every((n) => positionOf(n.dataDir).seq >= target),
    timeoutMs,
  ).catch((err) => {
    const at = cluster.nodes.map((n) => `node ${n.id}: ${JSON.stringify(positionOf(n.dataDir))}`).join(', ');
    throw new Error(`${(err as Error).message}; positions ${at}\n${outputs(cluster)}`);
  });
  return Date.now() - started;
}

/** Every key of a store and its value, read from its data directory (the node must be stopped). */
function storeContents(dataDir: string): Map<string, Buffer> {
  const db = open<Buffer, string>({ path: dataDir, encoding: 'binary', compression: false, readOnly: true });
  const out = new Map<string, Buffer>();
  try {
    for (const { key, value } of db.getRange()) out.set(String(key), Buffer.from(value));
  } finally {
    void db.close();
  }
  return out;
}

/** Keys of a chunk's bytes: a follower that is not one of the chunk's holders keeps a marker (storage/chunk-marker.ts). */
const CHUNK_DATA = /^(c|sp)\//;
/** Replication bookkeeping (position, term starts): not data. */
const REPLICATION_KEYS = /^r\//;

/**
 * Stops the cluster's nodes (the followers once they reached the leader's position, then `leader`) and
 * compares the stores: every follower holds exactly the leader's keys with the same values, except
 * chunk bytes it is not a holder of (a marker naming the hash of the leader's bytes). Then the leader's data directory, opened alone,
 * must hold every id in `acked` once in `table`. Returns the number of keys compared.
 */
export async function compareCopies(cluster: TestCluster, leader: number, table: string, acked: number[]): Promise<number> {
  const ms = await waitCaughtUp(cluster, leader);
  console.log(`      followers reached the leader's position ${ms} ms after the writes stopped`);
  for (const n of cluster.nodes) if (n.id !== leader) await n.stop();
  await cluster.node(leader).stop();
  const reference = storeContents(cluster.node(leader).dataDir);
  const hasher = await loadChunkHasher();
  /** A marker in place of `bytes`: one naming their hash (or an empty one, which names none). */
  const markerOf = (c: Buffer, bytes: Buffer) => isChunkMarker(c) && (markerHash(c) === null || markerHash(c) === hasher.hash(bytes));
  for (const n of cluster.nodes) {
    if (n.id === leader) continue;
    const copy = storeContents(n.dataDir);
    const problems: string[] = [];
    for (const [k, v] of reference) {
      if (REPLICATION_KEYS.test(k)) continue;
      const c = copy.get(k);
      if (c === undefined) problems.push(`lacks ${k}`);
      else if (!c.equals(v) && !(CHUNK_DATA.test(k) && markerOf(c, v))) problems.push(`differs at ${k} (${c.length} vs ${v.length} bytes)`);
    }
    for (const k of copy.keys()) if (!REPLICATION_KEYS.test(k) && !reference.has(k)) problems.push(`has ${k}, which the leader does not`);
    if (problems.length > 0) expect.fail(`node ${n.id}'s store differs from leader ${leader}'s in ${problems.length} keys: ${problems.slice(0, 5).join('; ')}`);
  }
  const server = await startTestServer({ dataDir: cluster.node(leader).dataDir });
  const client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
  try {
    await client.connect();
    const ids = (await client.query(`SELECT id FROM ${table}`)).rows.map((r: { id: string }) => Number(r.id));
    const { missing, duplicated } = missingOrDuplicated(acked, ids);
    if (missing.length > 0) expect.fail(`leader ${leader}'s copy lacks ${missing.length} of ${acked.length} acknowledged rows (has ${ids.length}; first missing ${missing.slice(0, 5).join(', ')})\n${outputs(cluster)}`);
    expect(duplicated, `leader ${leader}'s copy holds rows twice`).to.deep.equal([]);
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
  return reference.size;
}
