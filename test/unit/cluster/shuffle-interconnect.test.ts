// Shuffled joins over real loopback interconnects (src/cluster/interconnect.ts), wired as a cluster
// node wires them: the leader's provider from provideRemoteFragments (which also tells the planner
// how many nodes there are), the followers' fragment services (which serve shuffles too). A
// follower whose link drops as its part starts leaves the answer right (the local fallback).
import { expect } from 'chai';
import { Database } from '../../../src/engine/database';
import { EmbeddedDatabase } from '../../../src/embedded/embedded-database';
import { Interconnect } from '../../../src/cluster/interconnect';
import { Replica } from '../../../src/cluster/replica';
import { ReplicatedKv, serveReplica } from '../../../src/cluster/replication';
import { serveFragments } from '../../../src/cluster/fragment-service';
import { provideRemoteFragments } from '../../../src/cluster/fragment-provider';
import { shuffleInboxes } from '../../../src/cluster/shuffle-inbox';
import { shuffleStats } from '../../../src/exec/parallel/shuffle-round';
import { ShuffleJob } from '../../../src/exec/parallel/shuffle-types';
import { MemoryKv } from '../../../src/storage/kv-store';
import { loopbackInterconnects } from '../../helpers/loopback-interconnects';
import { until } from '../../helpers/cluster-fakes';
import { loadTpch, tpchQuery } from '../../helpers/shuffle-cluster';

describe('cluster shuffled joins over loopback interconnects', function () {
  this.timeout(60000);
  const ics: Interconnect[] = [];
  let database: Database;
  let db: EmbeddedDatabase;
  const hooks = new Map<number, (job: ShuffleJob) => Promise<void> | void>();
  let detach: () => void = () => undefined;
  let kv: ReplicatedKv;

  before(async () => {
    ics.push(...(await loopbackInterconnects(3)));
    for (const id of [2, 3]) {
      const replica = new Replica(new MemoryKv());
      serveReplica(ics[id - 1], () => replica, () => 1);
      serveFragments(ics[id - 1], () => replica, { waitMs: 500, beforeShuffle: (job) => hooks.get(id)?.(job) });
    }
    kv = new ReplicatedKv(new MemoryKv(), ics[0], { term: 1 });
    kv.setFollowers([2, 3]);
    database = await Database.open({ dir: ':memory:', kv, settings: new Map([['max_parallel_workers', '2'], ['parallel_min_rows', '0']]) });
    detach = provideRemoteFragments(database, ics[0], kv);
    // Sessions opened from now on see the cluster's size.
    db = new (EmbeddedDatabase as unknown as new (d: Database) => EmbeddedDatabase)(database);
    await loadTpch(db, ['lineitem', 'orders', 'customer']);
    await db.exec('ANALYZE');
    await until(() => database.remoteFragments!.participants().length === 2, 20000);
  });

  after(async () => {
    hooks.clear();
    await db?.close();
    await Promise.all(ics.map((ic) => ic.close()));
  });

  it('provideRemoteFragments tells the planner the number of nodes (cluster_nodes), and detaching restores it', async () => {
    expect((await db.query('SHOW cluster_nodes')).rows).to.deep.equal([{ cluster_nodes: '3' }]);
    expect(database.settings.get('cluster_nodes')).to.equal('3');
    detach();
    expect(database.settings.has('cluster_nodes')).to.equal(false);
    expect(database.remoteFragments).to.equal(undefined);
    detach = provideRemoteFragments(database, ics[0], kv);
    expect(database.settings.get('cluster_nodes')).to.equal('3');
  });

  it('TPC-H Q3 shuffled over TCP: the single-node answer, rows moved', async () => {
    await until(() => database.remoteFragments!.participants().length === 2, 20000);
    await db.exec('SET cluster_parallel_query = off');
    const local = (await db.query(tpchQuery('03'))).rows;
    await db.exec('SET cluster_parallel_query = on; SET cluster_join_distribution = shuffle');
    const moved = shuffleInboxes(ics[0]).stats.movedRows;
    const runs = shuffleStats.runs;
    const fallbacks = shuffleStats.fallbacks;
    expect((await db.query(tpchQuery('03'))).rows).to.deep.equal(local);
    expect(shuffleStats.runs).to.equal(runs + 1);
    expect(shuffleStats.fallbacks).to.equal(fallbacks);
    expect(shuffleInboxes(ics[0]).stats.movedRows).to.be.greaterThan(moved);
  });

  it('a follower whose link to the leader drops as its part starts: the right answer through the local fallback', async () => {
    await db.exec('SET cluster_parallel_query = off');
    const local = (await db.query(tpchQuery('10'))).rows;
    await db.exec('SET cluster_parallel_query = on; SET cluster_join_distribution = shuffle');
    const fallbacks = shuffleStats.fallbacks;
    hooks.set(2, () => {
      hooks.delete(2);
      ics[1].disconnect(1);
    });
    expect((await db.query(tpchQuery('10'))).rows).to.deep.equal(local);
    expect(shuffleStats.fallbacks).to.equal(fallbacks + 1);
    // The link comes back; the next shuffle runs on all three.
    await until(() => database.remoteFragments!.participants().length === 2, 20000);
    const runs = shuffleStats.runs;
    expect((await db.query(tpchQuery('10'))).rows).to.deep.equal(local);
    expect(shuffleStats.runs).to.equal(runs + 1);
    expect(shuffleStats.fallbacks).to.equal(fallbacks + 1);
  });
});
