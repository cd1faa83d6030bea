// A fragment whose shuffled join cannot run (a participant fails, or its copy lacks rows: at SF 1 on
// a real cluster Q9's shuffle failed this way on every run) falls back to the fragment the plan has
// without the shuffle — the leader's workers and the followers' morsel ranges — not to running the
// whole aggregate serially on the leader.
import { expect } from 'chai';
import { parallelStats } from '../../../src/exec/parallel/run-parallel';
import { shuffleStats } from '../../../src/exec/parallel/shuffle-round';
import { remoteFragmentStats } from '../../../src/exec/parallel/remote-round';
import { ShuffleCluster, openShuffleCluster } from '../../helpers/shuffle-cluster';

describe('cluster shuffled joins: a shuffle that cannot run falls back to the parallel fragment', function () {
  this.timeout(60000);
  let c: ShuffleCluster;

  before(async () => {
    c = await openShuffleCluster();
    await c.db.exec(`CREATE TABLE fb_fact (k int, v int);
      CREATE TABLE fb_dim (k int, name text);
      INSERT INTO fb_fact SELECT i, i % 100 FROM generate_series(1, 200000) i;
      INSERT INTO fb_dim SELECT i, 'n' || (i % 7) FROM generate_series(0, 99) i;
      ANALYZE`);
  });
  after(async () => {
    c?.hooks.clear();
    await c?.close();
  });

  const sql = 'SELECT d.name, count(*) AS n, sum(f.k) AS s FROM fb_fact f JOIN fb_dim d ON f.v = d.k GROUP BY d.name ORDER BY d.name';
  const remoteMorsels = (): number => [...remoteFragmentStats.values()].reduce((n, s) => n + s.morsels, 0);

  it('node 3 fails its part of the forced shuffle: the answer is right and the fragment still runs on the workers and the followers', async () => {
    await c.db.exec('SET cluster_parallel_query = off');
    const local = (await c.db.query(sql)).rows as { name: string; n: string; s: string }[];
    // name 'n0': d.k in {0, 7, …, 98} (15 keys), each matching the 2000 rows with v = k: sum of k + 100j (j = 0..1999)
    // over the 14 keys 7..98 = 2000 × 735 + 14 × 199900000, plus 100 × (1 + … + 2000) for k = 0: 3000170000.
    expect(local).to.have.length(7);
    expect(local[0]).to.deep.equal({ name: 'n0', n: '30000', s: '3000170000' });
    await c.db.exec('SET cluster_parallel_query = on; SET cluster_join_distribution = shuffle');
    c.hooks.set(3, () => {
      throw new Error('node 3 fails');
    });
    try {
      const before = { fallbacks: shuffleStats.fallbacks, fragments: parallelStats.shuffleFallbackFragments, statements: parallelStats.statements, morsels: remoteMorsels() };
      expect((await c.db.query(sql)).rows).to.deep.equal(local);
      expect(shuffleStats.fallbacks, 'the shuffle was given up').to.equal(before.fallbacks + 1);
      expect(parallelStats.shuffleFallbackFragments, 'the unshuffled fragment ran instead').to.equal(before.fragments + 1);
      expect(parallelStats.statements, 'the statement ran in parallel').to.equal(before.statements + 1);
      expect(remoteMorsels(), 'the followers took morsel ranges of it').to.be.greaterThan(before.morsels);
      const lines = (await c.db.query(`EXPLAIN ANALYZE ${sql}`)).rows.map((r) => String(Object.values(r)[0]).trim());
      expect(lines.some((l) => l.startsWith('->  Finalize HashAggregate') || l.startsWith('Finalize HashAggregate'))).to.equal(true);
      expect(lines).to.include('Workers Launched: 2');
      expect(lines.some((l) => l === 'Distribution: shuffle')).to.equal(true);
    } finally {
      c.hooks.delete(3);
      await c.db.exec('RESET cluster_join_distribution');
    }
  });

  it('a shuffled fragment too small to run in parallel (parallel_min_rows) stays serial: no shuffle tried, no fallback fragment looked for', async () => {
    await c.db.exec('SET cluster_parallel_query = off');
    const local = (await c.db.query(sql)).rows;
    await c.db.exec('SET cluster_parallel_query = on; SET cluster_join_distribution = shuffle; SET parallel_min_rows = 1000000');
    try {
      const before = { runs: shuffleStats.runs, fragments: parallelStats.shuffleFallbackFragments, statements: parallelStats.statements };
      expect((await c.db.query(sql)).rows).to.deep.equal(local);
      expect(shuffleStats.runs, 'no shuffle was tried').to.equal(before.runs);
      expect(parallelStats.shuffleFallbackFragments, 'no fallback fragment was looked for').to.equal(before.fragments);
      expect(parallelStats.statements, 'the statement ran serially').to.equal(before.statements);
    } finally {
      await c.db.exec('RESET cluster_join_distribution; RESET parallel_min_rows');
    }
  });
});
