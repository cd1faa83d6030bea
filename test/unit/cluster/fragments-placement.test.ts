// Cluster parallel query when followers hold only their placed chunks (placement.ts, after a trim): a
// follower is given only ranges whose driving chunks it holds (locality), and fetches from the
// leader the chunks it reads whole but keeps only as markers (cache fusion: a join's build side).
import { expect } from 'chai';
import { Database } from '../../../src/engine/database';
import { EmbeddedDatabase } from '../../../src/embedded/embedded-database';
import { Interconnect } from '../../../src/cluster/interconnect';
import { Placement } from '../../../src/cluster/placement';
import { isChunkMarker } from '../../../src/storage/chunk-marker';
import { Replica } from '../../../src/cluster/replica';
import { ReplicatedKv, requestTrim, serveReplica } from '../../../src/cluster/replication';
import { serveChunks } from '../../../src/cluster/chunk-transfer';
import { FragmentServiceStats, serveFragments } from '../../../src/cluster/fragment-service';
import { provideRemoteFragments } from '../../../src/cluster/fragment-provider';
import { MemoryKv } from '../../../src/storage/kv-store';
import { loopbackInterconnects } from '../../helpers/loopback-interconnects';
import { until } from '../../helpers/cluster-fakes';
import { loadTpch, withAndWithoutCluster } from '../../helpers/shuffle-cluster';


describe('cluster parallel query over placed chunks (locality, cache fusion)', function () {
  this.timeout(60000);
  const ics: Interconnect[] = [];
  const placement = new Placement([1, 2, 3], 2);
  const replicas = new Map<number, Replica>();
  const services = new Map<number, FragmentServiceStats>();
  let database: Database;
  let db: EmbeddedDatabase;
  let leaderKv: ReplicatedKv;

  before(async () => {
    ics.push(...(await loopbackInterconnects(3)));
    leaderKv = new ReplicatedKv(new MemoryKv(), ics[0], { term: 1 });
    for (const id of [2, 3]) {
      const replica = new Replica(new MemoryKv(), { self: id, placement });
      replicas.set(id, replica);
      serveReplica(ics[id - 1], () => replica, () => 1);
      services.set(id, serveFragments(ics[id - 1], () => replica, { waitMs: 500 }));
    }
    serveChunks(ics[0], () => leaderKv.local);
    leaderKv.setFollowers([2, 3]);
    database = await Database.open({ dir: ':memory:', kv: leaderKv, settings: new Map([['max_parallel_workers', '2'], ['parallel_min_rows', '0']]) });
    db = new (EmbeddedDatabase as unknown as new (d: Database) => EmbeddedDatabase)(database);
    provideRemoteFragments(database, ics[0], leaderKv, { holds: (node, key) => placement.holds(node, key) });
    await loadTpch(db, ['lineitem', 'part']);
    await db.exec(`CREATE TABLE g (id int, k int, v numeric(12,2));
      INSERT INTO g SELECT i, i % 997, (i % 1000) / 100.0 FROM generate_series(1, 400000) i;
      ANALYZE`);
    await until(() => database.remoteFragments!.participants().length === 2, 20000);
    for (const id of [2, 3]) await requestTrim(ics[0], id, leaderKv.durableEverywhere()!);
  });

  after(async () => {
    await db?.close();
    await Promise.all(ics.map((ic) => ic.close()));
  });

  /**
   * Creates tables `<prefix>1`, `<prefix>2`, … (one row group each, made by `ddl`) until one's group is
   * held by exactly one follower, and has the followers drop the chunks placed elsewhere: that table,
   * and the follower that keeps it only as markers.
   */
  async function oneFollowerLacks(prefix: string, ddl: (name: string) => string): Promise<{ build: string; lacking: number }> {
    for (let i = 1; i <= 8; i++) {
      const name = `${prefix}${i}`;
      await db.exec(ddl(name));
      const t = database.storage.catalog().findTable('public', name)!;
      const key = database.storage.snapshot(t.id).storedChunkKey!(0, 0)!;
      const without = [2, 3].filter((id) => !placement.holds(id, key));
      if (without.length !== 1) continue;
      await until(() => database.remoteFragments!.participants().length === 2, 20000);
      for (const id of [2, 3]) await requestTrim(ics[0], id, leaderKv.durableEverywhere()!);
      return { build: name, lacking: without[0] };
    }
    throw new Error(`no ${prefix} table held by exactly one follower`);
  }

  it('followers keep only their placed chunks after the trim', () => {
    for (const [id, r] of replicas) {
      let held = 0;
      let elsewhere = 0;
      for (const [k, v] of r.kv.entries()) {
        if (placement.holders(k) === null) continue;
        if (isChunkMarker(v)) {
          elsewhere++;
          expect(placement.holds(id, k), k).to.equal(false);
        } else {
          held++;
          expect(placement.holds(id, k), k).to.equal(true);
        }
      }
      expect(held, `node ${id}`).to.be.greaterThan(0);
      expect(elsewhere, `node ${id}`).to.be.greaterThan(0);
    }
  });

  it('an aggregate over many row groups: the same answer, followers run only ranges of chunks they hold', async () => {
    const before = [...services.values()].map((s) => ({ ...s }));
    const { on, off } = await withAndWithoutCluster(db, 'SELECT k, count(*) AS n, sum(v) AS total, max(id) AS hi FROM g GROUP BY k ORDER BY k');
    expect(on).to.have.length(997);
    expect(on).to.deep.equal(off);
    const after = [...services.values()];
    expect(after.reduce((n, s, i) => n + s.morsels - before[i].morsels, 0)).to.be.greaterThan(0);
    // Driving chunks are local to whoever runs them: nothing of g was fetched.
    expect(after.map((s, i) => s.fetched - before[i].fetched)).to.deep.equal([0, 0]);
  });

  it('a join whose build side a follower reads whole fetches the chunks it does not hold', async () => {
    // A small build side (one row group) that one of the followers does not hold; g drives.
    const { build, lacking } = await oneFollowerLacks('dim', (name) => `CREATE TABLE ${name} (id int, label text); INSERT INTO ${name} SELECT i, 'd' || i FROM generate_series(0, 996) i`);
    const before = [...services.values()].map((s) => ({ ...s }));
    const { on, off } = await withAndWithoutCluster(db, `SELECT count(*) AS n, sum(g.v) AS total, max(d.label) AS top FROM g JOIN ${build} d ON d.id = g.k WHERE d.id % 3 = 0`);
    expect(on).to.deep.equal(off);
    expect(Number((on[0] as { n: string }).n)).to.be.greaterThan(0);
    const i = lacking - 2;
    const s = [...services.values()][i];
    expect(s.morsels - before[i].morsels, `node ${lacking} ran morsels`).to.be.greaterThan(0);
    expect(s.fetched - before[i].fetched, `node ${lacking} fetched the build side's chunks`).to.be.greaterThan(0);
  });
  it('a build side lacking several chunks is fetched in one round, not given up (behind)', async () => {
    // One row group, five columns read: a follower not holding the group lacks five chunks. The
    // work stops at the first chunk it lacks; fetching only that one took a round per chunk, and
    // after three rounds the range was answered 'behind' and run on the leader.
    const { build, lacking } = await oneFollowerLacks(
      'wide',
      (name) => `CREATE TABLE ${name} (id int, a int, b int, c int, label text); INSERT INTO ${name} SELECT i, i * 2, i * 3, i % 7, 'w' || i FROM generate_series(0, 996) i`,
    );
    const before = [...services.values()].map((s) => ({ ...s }));
    const { on, off } = await withAndWithoutCluster(db, 
      `SELECT count(*) AS n, sum(g.v + w.a + w.b + w.c) AS total, max(w.label) AS top FROM g JOIN ${build} w ON w.id = g.k WHERE w.id % 3 = 0`,
    );
    expect(on).to.deep.equal(off);
    const i = lacking - 2;
    const s = [...services.values()][i];
    expect(s.morsels - before[i].morsels, `node ${lacking} ran morsels`).to.be.greaterThan(0);
    expect(s.fetched - before[i].fetched, `node ${lacking} fetched the build side's five chunks`).to.equal(5);
    expect(s.behind - before[i].behind, `node ${lacking} answered 'behind'`).to.equal(0);
  });
});
