// Cluster parallel query with followers in real processes (test/cluster/fragment-follower-process.ts),
// the leader in this process: answers equal the local run's; a follower stopped with SIGSTOP is
// duplicated around; a follower killed with SIGKILL while it holds a range loses it to the leader.
import { expect } from 'chai';
import { ChildProcess } from 'child_process';
import { Database } from '../../src/engine/database';
import { EmbeddedDatabase } from '../../src/embedded/embedded-database';
import { Interconnect } from '../../src/cluster/interconnect';
import { ReplicatedKv } from '../../src/cluster/replication';
import { provideRemoteFragments } from '../../src/cluster/fragment-provider';
import { remoteFragmentStats, NodeFragmentStats } from '../../src/exec/parallel/remote-round';
import { MemoryKv } from '../../src/storage/kv-store';
import type { NodeInfo } from '../../src/cluster/cluster-types';
import { freePort } from '../helpers/test-server';
import { killFollower, startFragmentFollower } from '../helpers/fragment-followers';
import { until } from '../helpers/cluster-fakes';

const SQL = 'SELECT k, count(*) AS n, sum(v) AS total, max(id) AS hi FROM g GROUP BY k ORDER BY k';

function count(node: number, key: keyof NodeFragmentStats): number {
  return remoteFragmentStats.get(node)?.[key] ?? 0;
}

describe('cluster parallel query with follower processes', function () {
  this.timeout(60000);
  const followers = new Map<number, ChildProcess>();
  let ic: Interconnect;
  let kv: ReplicatedKv;
  let db: EmbeddedDatabase;
  let expected: unknown[];

  before(async () => {
    const infos: NodeInfo[] = [];
    for (let id = 1; id <= 3; id++) infos.push({ id, host: '127.0.0.1', interconnectPort: await freePort(), clientPort: 0 });
    for (const id of [2, 3]) followers.set(id, await startFragmentFollower(infos[id - 1], infos));
    ic = new Interconnect({ self: infos[0], peers: infos, acceptablePauseMs: 3000 });
    await ic.listen();
    await ic.waitConnected();
    kv = new ReplicatedKv(new MemoryKv(), ic, { term: 1 });
    kv.setFollowers([2, 3]);
    const database = await Database.open({ dir: ':memory:', kv, settings: new Map([['max_parallel_workers', '2'], ['parallel_min_rows', '0']]) });
    db = new (EmbeddedDatabase as unknown as new (d: Database) => EmbeddedDatabase)(database);
    provideRemoteFragments(database, ic, kv);
    await db.exec(`CREATE TABLE g (id int, k int, v numeric(12,2));
      INSERT INTO g SELECT i, i % 4001, (i % 1000) / 100.0 FROM generate_series(1, 200000) i`);
    // The load stalled every event loop for a while: both followers in sync, connected, trusted.
    await until(() => database.remoteFragments!.participants().length === 2, 20000, 1);
    // From here on nothing is written: a dead follower stalls no commit.
    await db.exec('SET cluster_parallel_query = off');
    expected = (await db.query(SQL)).rows;
    await db.exec('SET cluster_parallel_query = on');
  });

  after(async () => {
    for (const f of followers.values()) killFollower(f);
    // The dead followers are no longer waited for (membership would remove them).
    kv?.setFollowers([]);
    await db?.close();
    await ic?.close();
  });

  it('gives the local answer, with both followers running morsels', async () => {
    const before = [count(2, 'morsels'), count(3, 'morsels')];
    expect((await db.query(SQL)).rows).to.deep.equal(expected);
    expect(count(2, 'morsels')).to.be.greaterThan(before[0]);
    expect(count(3, 'morsels')).to.be.greaterThan(before[1]);
  });

  it('a follower paused with SIGSTOP: its range is duplicated locally and the query does not wait for it', async () => {
    const launched = count(3, 'duplicatesLaunched');
    followers.get(3)!.kill('SIGSTOP');
    try {
      const started = Date.now();
      expect((await db.query(SQL)).rows).to.deep.equal(expected);
      expect(Date.now() - started).to.be.lessThan(3000);
      expect(count(3, 'duplicatesLaunched')).to.be.greaterThan(launched);
    } finally {
      followers.get(3)!.kill('SIGCONT');
    }
  });

  it('a follower killed with SIGKILL while it holds a range: the leader runs it, the answer is right', async () => {
    const child = followers.get(2)!;
    const sent = count(2, 'fragments');
    const failures = count(2, 'failures');
    // Stopped first, so the range it is given is surely still unanswered when it dies.
    child.kill('SIGSTOP');
    const query = db.query(SQL);
    await until(() => count(2, 'fragments') > sent, 5000, 1);
    child.kill('SIGKILL');
    expect((await query).rows).to.deep.equal(expected);
    await until(() => count(2, 'failures') > failures, 5000, 1);
    // The next statement leaves the dead node out.
    const fragments = count(2, 'fragments');
    expect((await db.query(SQL)).rows).to.deep.equal(expected);
    expect(count(2, 'fragments')).to.equal(fragments);
  });
});
