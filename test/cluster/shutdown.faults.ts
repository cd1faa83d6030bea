// Fault test (npm run test:cluster): a clean stop (SIGTERM) of a cluster's nodes, the followers first
// and the leader last, as an operator stops a cluster. Every node must shut down without an error and
// with exit code 0, and nothing acknowledged may be lost: the copies are compared afterwards.
import { expect } from 'chai';
import { TestCluster, startTestCluster } from '../helpers/cluster';
import { agreedLeader, compareCopies, outputs, withRetry } from './fault-helpers';

describe('cluster: clean stop of the followers, then of the leader', function () {
  this.timeout(60_000);
  let cluster: TestCluster | null = null;

  after(async () => {
    await cluster?.stop();
  });

  it('every node exits 0 without "error during shutdown", and the copies are equal', async function () {
    // A leader whose followers are gone still has engine writes waiting for a second copy at its
    // close: they are dropped (nothing acknowledged depends on them) and it exits 0.
    cluster = await startTestCluster({ nodes: 3, cluster: { etcd_lease_ttl: '2s' } });
    const c = cluster;
    const leader = await agreedLeader(c, [1, 2, 3]);
    await withRetry(c, leader, async (cl) => {
      await cl.query('CREATE TABLE t (id bigint, w int)');
      await cl.query('INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g');
    });
    const acked = Array.from({ length: 1000 }, (_, i) => i + 1);
    await compareCopies(c, leader, 't', acked);
    const codes = c.nodes.map((n) => `node ${n.id}: ${n.process?.exitCode ?? n.process?.signalCode}`);
    const all = outputs(c);
    expect(/error during shutdown/.test(all), all).to.equal(false);
    expect(codes).to.deep.equal(c.nodes.map((n) => `node ${n.id}: 0`));
  });
});
