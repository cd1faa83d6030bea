// A leader cut off from etcd whose lease a follower revokes (an expel: the follower suspected it and
// its link looked down) learns nothing of the new epoch, and by its own clock its lease is alive for
// up to etcd_lease_ttl. The others elect a new leader, which acknowledges commits. The old leader must
// not answer its clients from its engine meanwhile, or they would miss those commits: it answers only
// while enough followers promised to elect no other leader (read-lease.ts), and their promises end
// before they take part in the election. The cut is made with Membership's test hook (no keep-alives,
// no view events) while the interconnect keeps running, and the expel is asked for directly.
import { expect } from 'chai';
import { until } from '../helpers/cluster-fakes';
import { embedded } from '../helpers/standby-cluster';
import { inProcessSuite } from '../helpers/cluster-nodes';

describe('cluster nodes: a leader expelled while cut off from etcd', function () {
  this.timeout(60000);
  const { nodes, leaders, membership, followersInSync: followers, ready } = inProcessSuite('leader-expel');

  it('answers no statement once another node may lead, though it still counts its lease alive', async () => {
    await ready();
    const oldId = [...leaders.keys()][0];
    const old = embedded(leaders.get(oldId)!);
    await old.query('CREATE TABLE t (id int)');
    await old.query('INSERT INTO t VALUES (1)');
    expect((await old.query('SELECT count(*)::int AS n FROM t')).rows).to.deep.equal([{ n: 1 }]);

    membership(oldId).suspendForTest();
    const expeller = followers()[0];
    expect(await membership(expeller).expel(oldId), 'the follower revoked the leader lease').to.equal(true);
    await until(() => [...leaders.keys()].some((id) => id !== oldId), 20000);
    const newId = [...leaders.keys()].find((id) => id !== oldId)!;
    await embedded(leaders.get(newId)!).query('INSERT INTO t VALUES (2)');
    expect((await embedded(leaders.get(newId)!).query('SELECT count(*)::int AS n FROM t')).rows).to.deep.equal([{ n: 2 }]);
    // By its own clock the old leader's etcd lease is still alive (2 s TTL, renewed until just now).
    expect(membership(oldId).canServeWrites(), 'the old leader still counts its etcd lease alive').to.equal(true);

    let answer: unknown = null;
    let error: { code?: string } | null = null;
    await old.query('SELECT count(*)::int AS n FROM t').then(
      (r) => (answer = r.rows),
      (err) => (error = err),
    );
    expect(answer, `node ${oldId}, no longer leading, answered a read that misses node ${newId}'s commit`).to.equal(null);
    expect(error!.code).to.equal('57P01');
  });
});
