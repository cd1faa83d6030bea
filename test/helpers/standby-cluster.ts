// A leader engine over a ReplicatedKv and two followers whose replicas feed standby engines
// (src/cluster/standby.ts), in one process over FakeNet: what ClusterNode wires, without etcd.
import { expect } from 'chai';
import { Database } from '../../src/engine/database';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { fetchChunksAt, serveChunks } from '../../src/cluster/chunk-transfer';
import { Placement } from '../../src/cluster/placement';
import { Replica } from '../../src/cluster/replica';
import { ReplicatedKv, RequestHandlers, RequestTransport, requestTrim, serveReplica } from '../../src/cluster/replication';
import { Standby } from '../../src/cluster/standby';
import { FragmentServiceStats, serveFragments } from '../../src/cluster/fragment-service';
import { followerFragmentProvider } from '../../src/cluster/fragment-provider';
import { KvStore, MemoryKv } from '../../src/storage/kv-store';
import { FakeNet, until } from './cluster-fakes';

export interface StandbyCluster {
  net: FakeNet;
  placement: Placement;
  leaderKv: ReplicatedKv;
  leader: EmbeddedDatabase;
  stores: Map<number, KvStore>;
  replicas: Map<number, Replica>;
  standbys: Map<number, Standby>;
  /** The standby's engine as an embedded database (queries on it run on the follower). */
  on(id: number): EmbeddedDatabase;
  /** Followers the leader has told they are in sync. */
  told: Set<number>;
  /** Runs `sql` on the leader, then on both standbys, expects their rows to equal the leader's, and returns them. */
  same(sql: string): Promise<unknown[]>;
  /** Per follower, the one transport its fragment and shuffle services and its standby's runner use (with `fragments`). */
  transports: Map<number, RequestHandlers & RequestTransport>;
  /** Per follower, its fragment service's counters (with the `fragments` option). */
  fragmentStats: Map<number, FragmentServiceStats>;
  /** Test hooks run by a follower's fragment service before it serves a request (with `fragments`). */
  beforeFragment: Map<number, () => Promise<void> | void>;
  /** Lets the followers drop the bytes of chunks placed elsewhere (as the leader's trim timer does). */
  trim(): Promise<void>;
  close(): Promise<void>;
}

export async function rows(db: { query(sql: string): Promise<{ rows: unknown[] }> }, sql: string): Promise<unknown[]> {
  return (await db.query(sql)).rows;
}

export function embedded(database: Database): EmbeddedDatabase {
  return new (EmbeddedDatabase as unknown as new (d: Database) => EmbeddedDatabase)(database);
}

/**
 * Node 1 leads, nodes 2 and 3 follow with standbys; `store(id)` makes a follower's store (default:
 * memory). With `fragments`, the followers serve fragments and each standby sends its parallel
 * fragments to the other follower, as ClusterNode wires them (`fragmentStats`: each follower's service).
 */
export async function standbyCluster(
  options: { store?: (id: number) => KvStore; leaderStore?: KvStore; settings?: [string, string][]; fragments?: boolean } = {},
): Promise<StandbyCluster> {
  const net = new FakeNet();
  const placement = new Placement([1, 2, 3], 2);
  const stores = new Map<number, KvStore>();
  const replicas = new Map<number, Replica>();
  const told = new Set<number>();
  const leaderLocal = options.leaderStore ?? new MemoryKv();
  serveChunks(net.node(1), () => leaderLocal);
  for (const id of [2, 3]) {
    const store = options.store?.(id) ?? new MemoryKv();
    stores.set(id, store);
    const replica = new Replica(store, { self: id, placement });
    replicas.set(id, replica);
    serveReplica(net.node(id), () => replica, () => 1, () => told.add(id));
    serveChunks(net.node(id), () => store);
  }
  const leaderKv = new ReplicatedKv(leaderLocal, net.node(1), { term: 1, minCopies: 2 });
  leaderKv.setFollowers([2, 3]);
  await leaderKv.startTerm();
  await until(() => told.size === 2);
  const settings = new Map(options.settings ?? []);
  const database = await Database.open({ dir: ':memory:', kv: leaderKv, settings: new Map([...settings, ['cluster_node_id', '1']]) });
  const standbys = new Map<number, Standby>();
  const wrapped = new Map<number, EmbeddedDatabase>();
  for (const id of [2, 3]) {
    const standby = await Standby.open({
      replica: replicas.get(id)!,
      fetch: (keys) => fetchChunksAt(net.node(id), 1, keys),
      leaderCountsInSync: () => told.has(id),
      dataDirectory: null,
      // With fragments, its statements run on two nodes (itself and the other follower): the planner may shuffle joins.
      settings: new Map([...settings, ['cluster_node_id', String(id)], ...(options.fragments === true ? [['cluster_nodes', '2'] as [string, string]] : [])]),
    });
    replicas.get(id)!.listen(standby);
    standbys.set(id, standby);
    wrapped.set(id, embedded(standby.database));
  }
  const fragmentStats = new Map<number, FragmentServiceStats>();
  const transports = new Map<number, RequestHandlers & RequestTransport>();
  const beforeFragment = new Map<number, () => Promise<void> | void>();
  if (options.fragments === true) {
    for (const id of [2, 3]) {
      const replica = replicas.get(id)!;
      // One transport object per node: shuffle inboxes are kept per transport (the service's and the runner's must be one).
      const transport = Object.assign(net.node(id), { suspected: () => [], isConnected: (peer: number) => !net.cut.has(peer), onSuspicion: () => undefined });
      transports.set(id, transport);
      fragmentStats.set(id, serveFragments(transport, () => replica, {
        waitMs: 500,
        chunkHolder: () => 1,
        generationOf: (tableId) => standbys.get(id)!.generationOf(tableId),
        beforeRun: () => beforeFragment.get(id)?.(),
        beforeShuffle: () => beforeFragment.get(id)?.(),
      }));
      standbys.get(id)!.database.remoteFragments = followerFragmentProvider(transport, {
        self: id,
        peers: () => [id === 2 ? 3 : 2],
        position: () => replica.position().seq,
        holds: (node, key) => placement.holds(node, key),
      });
    }
  }
  const leader = embedded(database);
  return {
    net,
    placement,
    leaderKv,
    leader,
    stores,
    replicas,
    standbys,
    told,
    fragmentStats,
    transports,
    beforeFragment,
    on: (id) => wrapped.get(id)!,
    async same(sql) {
      const want = await rows(leader, sql);
      for (const id of [2, 3]) expect(await rows(wrapped.get(id)!, sql), `node ${id}: ${sql}`).to.deep.equal(want);
      return want;
    },
    async trim() {
      const upTo = leaderKv.durableEverywhere();
      if (upTo === null) throw new Error('followers are not in sync');
      for (const id of [2, 3]) await requestTrim(net.node(1), id, upTo);
    },
    async close() {
      for (const s of standbys.values()) await s.close();
      await leader.close();
    },
  };
}
