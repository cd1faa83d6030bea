// The node a client is connected to coordinates (issue 9): through a follower's client port, reads run
// on the follower's own standby engine (SHOW cluster_node_id answers the follower's id) and see every
// write the same client made a moment before through the same port (written by the leader, replicated
// before its commit was acknowledged); writes and transactions are the leader's; tessera_route_stats()
// counts the units the follower answered itself. Real node processes and etcd (startTestCluster).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { routedSession } from '../helpers/routed-cluster';
import { agreedLeader, connectTo } from './fault-helpers';

describe('cluster: a follower coordinates its clients\' reads (statement router, real processes)', function () {
  this.timeout(120000);
  let cluster: TestCluster;
  const clients: Client[] = [];

  before(async () => {
    // A short read lease, so that a statement of a few hundred ms outlasts it (the last test).
    cluster = await startTestCluster({ nodes: 3, cluster: { read_lease: '200ms' } });
  });
  after(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await cluster?.stop();
  });

  it('reads its own writes on the follower it is connected to; writes and transactions go to the leader', async () => {
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const follower = leader === 1 ? 2 : 1;
    const probe = await connectTo(cluster, leader);
    clients.push(probe);
    // A follower opens its standby engine once its copy holds a first replicated write.
    await probe.query('CREATE TABLE routed (id int PRIMARY KEY, v text)');
    const c = await routedSession(cluster, follower).catch(async (err) => {
      const nodes = await probe.query('SELECT * FROM tessera_cluster_nodes()');
      throw new Error(`${(err as Error).message}\nnodes: ${JSON.stringify(nodes.rows)}\nfollower ${follower} printed:\n${cluster.node(follower).output().slice(-4000)}`);
    });
    clients.push(c);
    const stat = async () => Number((await c.query('SELECT local_units FROM tessera_route_stats()')).rows[0].local_units);
    const local0 = await stat();

    const ins = await c.query("INSERT INTO routed SELECT g, 'v' || g FROM generate_series(1, 500) g RETURNING current_setting('cluster_node_id') AS node");
    expect(ins.rows.length).to.equal(500);
    expect(ins.rows[0].node).to.equal(String(leader));
    // Read-your-writes through the follower, answered by the follower.
    const r = await c.query("SELECT count(*)::int AS n, max(v) AS m, current_setting('cluster_node_id') AS node FROM routed");
    expect(r.rows).to.deep.equal([{ n: 500, m: 'v99', node: String(follower) }]);
    for (let i = 1; i <= 20; i++) {
      await c.query('UPDATE routed SET v = $1 WHERE id = 7', [`round ${i}`]);
      const got = await c.query("SELECT v, current_setting('cluster_node_id') AS node FROM routed WHERE id = $1", [7]);
      expect(got.rows).to.deep.equal([{ v: `round ${i}`, node: String(follower) }]);
    }
    await c.query('BEGIN');
    expect((await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id).to.equal(String(leader));
    expect((await c.query('SELECT v FROM routed WHERE id = 7 FOR UPDATE')).rows).to.deep.equal([{ v: 'round 20' }]);
    await c.query('COMMIT');
    expect((await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id).to.equal(String(follower));
    // 1 + 20 + 1 reads above ran on the follower, and the counters' own statement.
    expect((await stat()) - local0).to.equal(1 + 20 + 1 + 1);
  });

  it('a follower sends morsels of its clients\' parallel statements to the other follower; the answer is the leader\'s', async () => {
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const [follower, other] = [1, 2, 3].filter((n) => n !== leader);
    const probe = await connectTo(cluster, leader);
    clients.push(probe);
    await probe.query('CREATE TABLE spread (k int, v int)');
    await probe.query('INSERT INTO spread SELECT g, g % 1000 FROM generate_series(1, 400000) g');
    const c = await routedSession(cluster, follower);
    clients.push(c);
    await c.query('SET parallel_min_rows = 0');
    // This node's counters of the fragments it coordinated (answered by the follower itself).
    const morselsOn = async (node: number) =>
      Number((await c.query('SELECT coalesce(sum(morsels), 0)::int AS m FROM tessera_fragment_stats() WHERE node_id = $1', [node])).rows[0].m);
    const before = { other: await morselsOn(other), leader: await morselsOn(leader) };
    const sql = "SELECT k % 7 AS b, count(*)::int AS n, sum(v)::int AS s, current_setting('cluster_node_id') AS node FROM spread GROUP BY 1 ORDER BY 1";
    const want = (await probe.query(sql)).rows.map((r) => ({ ...r, node: String(follower) }));
    expect(want).to.have.length(7);
    expect((await c.query(sql)).rows).to.deep.equal(want);
    expect(await morselsOn(other), `node ${other} ran morsels for node ${follower}`).to.be.greaterThan(before.other);
    // The leader stays free for the writes.
    expect(await morselsOn(leader)).to.equal(before.leader);
  });

  it('a follower whose read lease ran out during a long statement renews it and runs the next statements itself', async () => {
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const follower = leader === 1 ? 2 : 1;
    const c = await routedSession(cluster, follower);
    clients.push(c);
    const units = async () => (await c.query('SELECT local_units::int AS l, leader_units::int AS r FROM tessera_route_stats()')).rows[0] as { l: number; r: number };
    const before = await units();
    for (let i = 0; i < 3; i++) {
      // Serial work on the follower's event loop (a window's sort), longer than the 200 ms lease: its renewals wait behind it.
      const started = performance.now();
      const long = await c.query("SELECT count(*)::int AS n, current_setting('cluster_node_id') AS node FROM (SELECT row_number() OVER (ORDER BY md5(g::text)) FROM generate_series(1, 100000) g) s");
      expect(long.rows).to.deep.equal([{ n: 100000, node: String(follower) }]);
      const tookMs = performance.now() - started;
      // The next statement, sent at once: before, it went to the leader (the lease's answer came after it).
      expect((await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id, `after a statement of ${tookMs.toFixed(0)} ms`).to.equal(String(follower));
    }
    const after = await units();
    // The 6 statements above and the first counters' query, all on the follower.
    expect({ l: after.l - before.l, r: after.r - before.r }).to.deep.equal({ l: 7, r: 0 });
  });
});
