// ClusterNode's standby engines (src/cluster/standby.ts) with real membership (etcd), interconnect and
// LMDB stores, three nodes in this process: each follower's standby() sees the leader's writes right
// after they are acknowledged and names itself; the standby of a follower that is promoted is closed
// before it leads, and the remaining follower's standby follows the new leader.
import { expect } from 'chai';
import { ClusterNode } from '../../src/cluster/cluster-node';
import { Standby } from '../../src/cluster/standby';
import { Database } from '../../src/engine/database';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { until } from '../helpers/cluster-fakes';
import { embedded } from '../helpers/standby-cluster';
import { InProcessNodes, startInProcessNodes } from '../helpers/cluster-nodes';

describe('cluster nodes: standby engines on the followers', function () {
  this.timeout(60000);
  let cluster: InProcessNodes | undefined;
  let nodes = new Map<number, ClusterNode>();
  let leaders = new Map<number, Database>();

  before(async () => {
    cluster = await startInProcessNodes('standby-test');
    ({ nodes, leaders } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  const leaderId = () => [...leaders.keys()][0];
  const followers = () => [...nodes.keys()].filter((id) => !leaders.has(id) && nodes.get(id)!.standby() !== null);
  const on = (id: number): EmbeddedDatabase => embedded(nodes.get(id)!.standby()!.database);

  it('every follower has a standby in sync that sees each acknowledged write, and says which node it is', async () => {
    const ready = () => leaders.size === 1 && followers().length === 2 && followers().every((id) => nodes.get(id)!.standby()!.inSync());
    await until(ready, 20000).catch((e) => {
      throw new Error(`${e.message}: leaders ${[...leaders.keys()]}, standbys ${[...nodes].map(([id, n]) => `${id}:${n.standby() === null ? 'none' : n.standby()!.inSync()}`)}`);
    });
    const leader = embedded(leaders.get(leaderId())!);
    expect(nodes.get(leaderId())!.standby()).to.equal(null);
    await leader.query('CREATE TABLE t (id int, v text)');
    for (let i = 1; i <= 5; i++) {
      await leader.query(`INSERT INTO t SELECT g, 'r${i}' FROM generate_series(${i * 1000 - 999}, ${i * 1000}) g`);
      for (const id of followers()) expect((await on(id).query('SELECT count(*)::int AS n, max(v) AS v FROM t')).rows, `node ${id}`).to.deep.equal([{ n: i * 1000, v: `r${i}` }]);
    }
    // Chunks placed elsewhere are dropped by the followers (the leader's trim, every second) and read
    // from the leader over the interconnect.
    await leader.query('CREATE TABLE big (g int, k int)');
    await leader.query('INSERT INTO big SELECT i % 10, i FROM generate_series(1, 300000) i');
    const markers = () => followers().reduce((n, id) => n + (nodes.get(id)!.standby() as Standby).kv.markerCount(), 0);
    await until(() => markers() > 0, 20000);
    const sql = 'SELECT g, count(*)::int AS n, sum(k)::text AS s FROM big GROUP BY g ORDER BY g';
    const want = (await leader.query(sql)).rows;
    expect(want).to.have.length(10);
    for (const id of followers()) expect((await on(id).query(sql)).rows, `node ${id}`).to.deep.equal(want);
    expect(followers().reduce((n, id) => n + (nodes.get(id)!.standby() as Standby).kv.stats.fetched, 0)).to.be.greaterThan(0);
    for (const id of [...nodes.keys()]) {
      const db = leaders.get(id) !== undefined ? leader : on(id);
      expect((await db.query('SHOW cluster_node_id')).rows).to.deep.equal([{ cluster_node_id: String(id) }]);
    }
  });

  it('a promoted follower closes its standby first; the other follower follows the new leader', async () => {
    const old = leaderId();
    const [a, b] = followers();
    const standbyA = nodes.get(a)!.standby()!;
    const standbyB = nodes.get(b)!.standby()!;
    await nodes.get(old)!.close();
    await until(() => leaders.size === 1 && leaderId() !== old, 20000);
    const promoted = leaderId();
    const other = promoted === a ? b : a;
    const closedStandby = promoted === a ? standbyA : standbyB;
    expect(nodes.get(promoted)!.standby()).to.equal(null);
    // The promoted node's standby engine was closed: a connection still holding it is refused.
    const err = await embedded(closedStandby.database)
      .query('SELECT 1')
      .then(
        () => null,
        (e: { code?: string }) => e,
      );
    expect(err?.code, 'a query on the closed standby').to.equal('57P01');
    expect(closedStandby.inSync()).to.equal(false);
    const leader = embedded(leaders.get(promoted)!);
    await leader.query("INSERT INTO t VALUES (0, 'after')");
    // Only two nodes are left: the commit waits for the remaining follower (replication_factor 2).
    await until(() => nodes.get(other)!.standby()?.inSync() === true, 20000);
    expect((await on(other).query("SELECT count(*)::int AS n FROM t WHERE v = 'after'")).rows).to.deep.equal([{ n: 1 }]);
    expect((await on(other).query('SELECT count(*)::int AS n FROM t')).rows).to.deep.equal([{ n: 5001 }]);
    // The table partly kept as markers still reads whole (from its caches, or fetched from the new leader).
    expect((await on(other).query('SELECT count(*)::int AS n, sum(k)::text AS s FROM big')).rows).to.deep.equal([{ n: 300000, s: '45000150000' }]);
  });
});
