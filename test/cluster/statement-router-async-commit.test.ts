// synchronous_commit = off on a cluster's nodes: a commit must still be on the in-sync followers
// before it is acknowledged, or a read a follower answers from its standby right after (the same
// client's next statement, routed there) misses it. Only the local flush may be skipped (as on a
// single node). Real node processes and etcd (startTestCluster).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { routedSession } from '../helpers/routed-cluster';
import { agreedLeader, connectTo } from './fault-helpers';

describe('cluster: read-your-writes through a follower with synchronous_commit = off', function () {
  this.timeout(120000);
  let cluster: TestCluster;
  const clients: Client[] = [];

  before(async () => {
    cluster = await startTestCluster({ nodes: 3, settings: { synchronous_commit: 'off' } });
  });
  after(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await cluster?.stop();
  });

  it('each update made through the follower is seen by the next read it answers itself', async () => {
    const leader = await agreedLeader(cluster, [1, 2, 3], 60000);
    expect(leader).to.be.greaterThan(0);
    const follower = leader === 1 ? 2 : 1;
    const probe = await connectTo(cluster, leader);
    clients.push(probe);
    await probe.query('CREATE TABLE rw (id int PRIMARY KEY, v int)');
    await probe.query('INSERT INTO rw VALUES (1, 0)');
    const c: Client | null = await routedSession(cluster, follower);
    clients.push(c);
    expect(c, 'a session routed by the follower').to.not.equal(null);
    const stale: number[] = [];
    for (let i = 1; i <= 50; i++) {
      await c!.query('UPDATE rw SET v = $1 WHERE id = 1', [i]);
      const got = (await c!.query("SELECT v, current_setting('cluster_node_id') AS node FROM rw WHERE id = 1")).rows[0];
      if (got.node === String(follower) && got.v !== i) stale.push(i);
    }
    expect(stale, 'updates the follower\'s next read did not see').to.deep.equal([]);
  });
});
