// A three-node cluster in one process over the in-process FakeNet, for shuffled-join tests and the
// broadcast-vs-shuffle bench: node 1 leads (a Database over a ReplicatedKv) and coordinates, nodes
// 2 and 3 hold replicas and serve fragments and shuffles (src/cluster/fragment-service.ts).
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { Database } from '../../src/engine/database';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { Replica } from '../../src/cluster/replica';
import { ReplicatedKv, requestTrim, serveReplica } from '../../src/cluster/replication';
import { serveChunks } from '../../src/cluster/chunk-transfer';
import { Placement } from '../../src/cluster/placement';
import { serveFragments } from '../../src/cluster/fragment-service';
import { shuffleRunner } from '../../src/cluster/shuffle-service';
import { ShuffleNodeStats, shuffleInboxes } from '../../src/cluster/shuffle-inbox';
import { MessageType } from '../../src/cluster/message-types';
import { RemoteFragmentProvider, RemoteFragmentReply } from '../../src/exec/parallel/remote-types';
import { ShuffleJob } from '../../src/exec/parallel/shuffle-types';
import { MemoryKv } from '../../src/storage/kv-store';
import { FakeNet } from './cluster-fakes';

export const TPCH = '/work/shared/tpch';
export const tpchQuery = (n: string): string => fs.readFileSync(path.join(TPCH, 'queries', `q${n}.sql`), 'utf8');

/** Creates the TPC-H schema in `db` and loads `tables` from the .tbl files of `dir` (SF 0.01 by default); no ANALYZE. */
export async function loadTpch(db: EmbeddedDatabase, tables: readonly string[], dir = path.join(TPCH, 'sf0.01')): Promise<void> {
  await db.exec(fs.readFileSync(path.join(TPCH, 'schema.sql'), 'utf8'));
  for (const t of tables) await db.copyFrom(t, fs.readFileSync(path.join(dir, `${t}.tbl`), 'utf8').replace(/\|\n/g, '\n'), { delimiter: '|' });
}

/** Runs `sql` with cluster_parallel_query off (on the coordinator alone), then on: both answers, to compare. */
export async function withAndWithoutCluster(db: EmbeddedDatabase, sql: string): Promise<{ on: unknown[]; off: unknown[] }> {
  await db.exec('SET cluster_parallel_query = off');
  const off = (await db.query(sql)).rows;
  await db.exec('SET cluster_parallel_query = on');
  const on = (await db.query(sql)).rows;
  return { on, off };
}

export interface ShuffleCluster {
  net: FakeNet;
  kv: ReplicatedKv;
  replicas: Map<number, Replica>;
  database: Database;
  db: EmbeddedDatabase;
  /** Per node (1..3): what its shuffles moved. */
  stats: Map<number, ShuffleNodeStats>;
  /** Test hooks run by a follower before its part of a shuffle (a slow or failing node). */
  hooks: Map<number, (job: ShuffleJob) => Promise<void> | void>;
  close(): Promise<void>;
}

/**
 * Opens the cluster and loads TPC-H at `sf` ('0.01': ../shared/tpch) into it. With `placement`, the
 * followers keep only the chunks the placement gives them (replication factor 2 over nodes 1-3,
 * trimmed after the load) and fetch others from the leader (cache fusion).
 */
export async function openShuffleCluster(sf = '0.01', settings: [string, string][] = [], placement: Placement | null = null): Promise<ShuffleCluster> {
  const net = new FakeNet();
  // One transport object per node: the shuffle inboxes are kept per transport.
  const nodes = new Map([1, 2, 3].map((id) => [id, net.node(id)]));
  const hooks = new Map<number, (job: ShuffleJob) => Promise<void> | void>();
  const replicas = new Map<number, Replica>();
  for (const id of [2, 3]) {
    const replica = new Replica(new MemoryKv(), placement === null ? null : { self: id, placement });
    replicas.set(id, replica);
    serveReplica(nodes.get(id)!, () => replica, () => 1);
    serveFragments(nodes.get(id)!, () => replica, { waitMs: 500 });
  }
  const leader = nodes.get(1)!;
  const kv = new ReplicatedKv(new MemoryKv(), leader, { term: 1 });
  serveChunks(leader, () => kv.local);
  kv.setFollowers([2, 3]);
  const database = await Database.open({
    dir: ':memory:',
    kv,
    settings: new Map([['max_parallel_workers', '2'], ['parallel_min_rows', '0'], ['cluster_nodes', '3'], ...settings]),
  });
  const provider: RemoteFragmentProvider = {
    participants: () =>
      [2, 3]
        .filter((node) => !net.cut.has(node))
        .map((node) => ({
          node,
          run: async (request) => v8.deserialize(await leader.request(node, MessageType.fragmentRun, v8.serialize(request))) as RemoteFragmentReply,
        })),
    position: () => kv.position().seq,
    holds: placement === null ? undefined : (node, key) => placement.holds(node, key),
    shuffle: { self: 1, run: shuffleRunner(leader, { timeoutMs: 10_000 }) },
  };
  database.remoteFragments = provider;
  const db = new (EmbeddedDatabase as unknown as new (d: Database) => EmbeddedDatabase)(database);
  await loadTpch(db, ['lineitem', 'orders', 'customer', 'nation', 'region', 'supplier', 'part', 'partsupp'], sf === '0.01' ? undefined : sf);
  await db.exec('ANALYZE');
  if (placement !== null) for (const id of [2, 3]) await requestTrim(leader, id, kv.durableEverywhere()!);
  // The follower services' hooks: wrap the registered handler of each follower.
  for (const id of [2, 3]) {
    const byType = net.handlers.get(id)!;
    const run = byType.get(MessageType.shuffleRun)!;
    byType.set(MessageType.shuffleRun, async (from, payload) => {
      const { job } = v8.deserialize(payload) as { job: ShuffleJob };
      await hooks.get(id)?.(job);
      return run(from, payload);
    });
  }
  const stats = new Map([1, 2, 3].map((id) => [id, shuffleInboxes(nodes.get(id)!).stats]));
  return { net, kv, replicas, database, db, stats, hooks, close: () => db.close() };
}

/** Rows sent between nodes by shuffles so far, over all nodes. */
export function rowsSent(c: ShuffleCluster): number {
  let n = 0;
  for (const s of c.stats.values()) n += s.rowsSent;
  return n;
}
