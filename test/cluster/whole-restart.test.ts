// Every node of a cluster killed at once and started again at once, while the leases of their dead
// incarnations are still alive in etcd (a 10 s TTL here; the same happens when etcd restarts with the
// cluster, which renews every stored lease). A restarted node first adopts the stored epoch, which names
// the old leader: that node took it for its own leadership, its followers refused its term, and it
// waited for them forever, so no leader was ever elected (TPC-H SF 10, cluster launcher restarted on
// its data). A node acts as leader only on a view whose leader key hangs on its own current lease.
import { expect } from 'chai';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { agreedLeader, queryOn } from './fault-helpers';

describe('cluster: every node killed and restarted at once', function () {
  this.timeout(120_000);
  let cluster: TestCluster | null = null;

  after(async () => {
    await cluster?.stop();
  });

  it('elects a leader again and keeps every acknowledged commit', async () => {
    cluster = await startTestCluster({ nodes: 3, cluster: { etcd_lease_ttl: '10s' } });
    const c = cluster;
    const before = await agreedLeader(c, [1, 2, 3]);
    await queryOn(c, 1, 'CREATE TABLE kept (id int PRIMARY KEY)');
    await queryOn(c, 2, 'INSERT INTO kept SELECT g FROM generate_series(1, 1000) g');

    await Promise.all(c.nodes.map((n) => n.kill('SIGKILL')));
    const restarted = Date.now();
    // restart() waits until the node answers SELECT 1: a follower answers only once a leader is known.
    await Promise.all(c.nodes.map((n) => n.restart()));
    const leader = await agreedLeader(c, [1, 2, 3]);
    const tookMs = Date.now() - restarted;

    expect(c.node(before).output()).to.not.match(/does not answer \(node \d is not the leader this node follows/);
    await queryOn(c, 3, 'INSERT INTO kept VALUES (1001)');
    for (const id of [1, 2, 3]) {
      const rows = await queryOn(c, id, 'SELECT count(*)::int AS n, max(id) AS top FROM kept');
      expect(rows, `node ${id}`).to.deep.equal([{ n: 1001, top: 1001 }]);
    }
    // Well inside the dead incarnations' 10 s leases: each restarted node revokes its predecessor's.
    expect(tookMs, `leader ${leader} agreed ${tookMs} ms after the restart began`).to.be.lessThan(10_000);
  });
});
