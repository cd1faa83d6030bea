// A follower cut off from etcd whose lease the leader revokes (an expel: the detector suspected it and
// its link looked down) learns nothing of the new epoch, and by its own clock its lease is alive for up
// to etcd_lease_ttl. The leader acknowledges commits without it at once. Its standby must have stopped
// answering reads locally by then: the leader's read lease (read-lease.ts) is what bounds it. The cut
// is made with Membership's test hook (no keep-alives, no view events) while the interconnect keeps
// running, and the expel is asked for directly, as onSuspected would.
import { expect } from 'chai';
import { until } from '../helpers/cluster-fakes';
import { embedded } from '../helpers/standby-cluster';
import { inProcessSuite } from '../helpers/cluster-nodes';

describe('cluster nodes: a standby expelled while cut off from etcd', function () {
  this.timeout(60000);
  const { nodes, leaders, membership, followersInSync: followers, ready } = inProcessSuite('standby-expel');

  it('stops reading locally before the leader acknowledges a commit it never sent there', async () => {
    await ready();
    const leaderId = [...leaders.keys()][0];
    const leader = embedded(leaders.get(leaderId)!);
    const cut = followers()[0];
    await leader.query('CREATE TABLE t (id int)');
    await leader.query('INSERT INTO t VALUES (1)');
    const count = async () => (await embedded(nodes.get(cut)!.standby()!.database).query('SELECT count(*)::int AS n FROM t')).rows;
    await until(() => nodes.get(cut)!.standby()?.inSync() === true, 10000);
    expect(await count()).to.deep.equal([{ n: 1 }]);

    membership(cut).suspendForTest();
    expect(await membership(leaderId).expel(cut), 'the leader revoked the lease').to.equal(true);
    await until(() => membership(leaderId).view()?.members.some((m) => m.id === cut) === false, 10000);
    // By its own clock the cut node's etcd lease is still alive (2 s TTL, renewed until just now).
    expect(membership(cut).canServeWrites(), 'the cut node still counts its etcd lease alive').to.equal(true);

    let inSyncWhenAcknowledged: boolean | null = null;
    await leader.query('INSERT INTO t VALUES (2)').then(() => {
      const standby = nodes.get(cut)!.standby();
      inSyncWhenAcknowledged = standby !== null && standby.inSync();
    });
    expect((await leader.query('SELECT count(*)::int AS n FROM t')).rows).to.deep.equal([{ n: 2 }]);
    expect(inSyncWhenAcknowledged, `node ${cut}'s standby said it was in sync when a commit it never got was acknowledged`).to.equal(false);
    // Its copy indeed misses the commit: what a client routed there would have read.
    expect(await count()).to.deep.equal([{ n: 1 }]);
  });
});
