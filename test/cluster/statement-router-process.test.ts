// The node a client is connected to coordinates (issue 9): through a follower's client port, reads run
// on the follower's own standby engine (SHOW cluster_node_id answers the follower's id) and see every
// write the same client made a moment before through the same port (written by the leader, replicated
// before its commit was acknowledged); writes and transactions are the leader's; tessera_route_stats()
// counts the units the follower answered itself. Real node processes and etcd (startTestCluster).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestCluster, startTestCluster } from '../helpers/cluster';

async function until<T>(what: string, ms: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + ms;
  let why = '';
  for (;;) {
    const v = await probe().catch((err) => {
      why = (err as Error).message;
      return null;
    });
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${why === '' ? '' : ` (last: ${why})`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cluster: a follower coordinates its clients\' reads (statement router, real processes)', function () {
  this.timeout(120000);
  let cluster: TestCluster;
  const clients: Client[] = [];

  const connect = async (id: number) => {
    const c = new Client(cluster.clientConfig(id));
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await startTestCluster({ nodes: 3 });
  });
  after(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await cluster?.stop();
  });

  it('reads its own writes on the follower it is connected to; writes and transactions go to the leader', async () => {
    const probe = await connect(1);
    const leader = await until('a leader', 30000, async () => {
      const r = await probe.query("SELECT node_id FROM tessera_cluster_nodes() WHERE role = 'leader'");
      return r.rows.length === 1 ? (r.rows[0].node_id as number) : null;
    });
    const follower = leader === 1 ? 2 : 1;
    // A follower opens its standby engine once its copy holds a first replicated write.
    await probe.query('CREATE TABLE routed (id int PRIMARY KEY, v text)');
    // A session opened before the follower's standby is ready and in sync is relayed whole: wait for one that is routed.
    const c = await until('a routed session on the follower', 60000, async () => {
      const s = await connect(follower);
      if ((await s.query('SHOW cluster_node_id')).rows[0].cluster_node_id === String(follower)) return s;
      await s.end();
      return null;
    }).catch(async (err) => {
      const nodes = await connect(leader).then((l) => l.query('SELECT * FROM tessera_cluster_nodes()'));
      throw new Error(`${(err as Error).message}\nnodes: ${JSON.stringify(nodes.rows)}\nfollower ${follower} printed:\n${cluster.node(follower).output().slice(-4000)}`);
    });
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
});
