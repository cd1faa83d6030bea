// A follower coordinates its clients' parallel statements over the other followers
// (fragment-provider.ts followerFragmentProvider): node 2's standby sends morsels to node 3, which
// reads its own copy, takes the chunks it lacks from the leader, and leaves the work to node 2 when a
// table it reads was truncated or rewritten after node 2's snapshot (its chunk keys reused).
import { expect } from 'chai';
import { remoteFragmentStats } from '../../../src/exec/parallel/remote-round';
import { shuffleStats } from '../../../src/exec/parallel/shuffle-round';
import { shuffleInboxes } from '../../../src/cluster/shuffle-inbox';
import { HeldKv } from '../../helpers/held-kv';
import { StandbyCluster, rows, standbyCluster } from '../../helpers/standby-cluster';
import { until } from '../../helpers/cluster-fakes';
import { MemoryKv } from '../../../src/storage/kv-store';

describe('cluster standby engines: a follower coordinates parallel fragments', function () {
  this.timeout(60000);
  let c: StandbyCluster;
  let held: HeldKv;

  beforeEach(async () => {
    held = new HeldKv();
    c = await standbyCluster({
      fragments: true,
      settings: [['max_parallel_workers', '2'], ['parallel_min_rows', '0']],
      // Node 2's writes can be held back: its copy then stays behind node 3's.
      store: (id) => (id === 2 ? held : new MemoryKv()),
    });
  });
  afterEach(async () => {
    held.release();
    await c?.close();
  });

  const morselsOn = (node: number): number => remoteFragmentStats.get(node)?.morsels ?? 0;
  const tableId = (name: string): number => c.leader.database.storage.catalog().findTable('public', name)!.id;

  /**
   * Node 2 stops applying batches; as node 3 starts its next part of node 2's statement, `table` is
   * emptied and refilled with `rows` (the same chunk keys, other rows), and node 3's copy applies
   * that first. `done()`: the rewrite's commit (it waits for node 2 until `held` is released).
   */
  function rewriteAsNode3Starts(table: string, rows: string): { done(): Promise<unknown> } {
    held.hold();
    let rewrite: Promise<unknown> = Promise.resolve();
    c.beforeFragment.set(3, async () => {
      c.beforeFragment.delete(3);
      const seq = c.replicas.get(3)!.position().seq;
      rewrite = c.leader.exec(`BEGIN; TRUNCATE ${table}; INSERT INTO ${table} ${rows}; COMMIT`);
      await until(() => c.replicas.get(3)!.position().seq > seq && c.standbys.get(3)!.generationOf(tableId(table)) === 1, 20000);
    });
    return { done: () => rewrite };
  }

  it('node 2 answers as the leader does, node 3 running morsels of the ranges it holds and fetching the build side it lacks from the leader', async () => {
    await c.leader.query('CREATE TABLE f (k int, v int)');
    await c.leader.query('INSERT INTO f SELECT i, i % 1000 FROM generate_series(1, 400000) i');
    // Dimension tables of one row group each: some is placed on nodes 1 and 2 only, so node 3 fetches it.
    for (let d = 0; d < 6; d++) await c.leader.exec(`CREATE TABLE d${d} (id int, name text); INSERT INTO d${d} SELECT i, 'n' || (i % 5) FROM generate_series(0, 99) i`);
    await c.leader.query('ANALYZE');
    await c.trim();
    const lacking = [0, 1, 2, 3, 4, 5].find((d) => !c.placement.holds(3, `c/${tableId(`d${d}`)}/0/0`));
    expect(lacking, 'some dimension table is placed away from node 3').to.not.equal(undefined);

    const aggregate = 'SELECT k % 7 AS b, count(*)::int AS n, sum(v)::int AS s FROM f GROUP BY 1 ORDER BY 1';
    const served = c.fragmentStats.get(3)!.served;
    const morsels = morselsOn(3);
    const want = await rows(c.leader, aggregate);
    expect(await rows(c.on(2), aggregate)).to.deep.equal(want);
    // k = 7j (j = 1..57142): v = 7j mod 1000; the count and sum of the b = 0 row computed apart.
    let s0 = 0;
    for (let j = 1; j <= 57142; j++) s0 += (7 * j) % 1000;
    expect(want[0]).to.deep.equal({ b: 0, n: 57142, s: s0 });
    expect(c.fragmentStats.get(3)!.served, 'node 3 served requests of node 2').to.be.greaterThan(served);
    expect(morselsOn(3), 'node 2 counted morsels run on node 3').to.be.greaterThan(morsels);

    const join = `SELECT d.name, count(*)::int AS n, sum(f.v)::int AS s FROM f JOIN d${lacking} d ON f.k % 100 = d.id GROUP BY d.name ORDER BY d.name`;
    const fetched = c.fragmentStats.get(3)!.fetched;
    const joined = c.fragmentStats.get(3)!.served;
    expect(await rows(c.on(2), join)).to.deep.equal(await rows(c.leader, join));
    expect(c.fragmentStats.get(3)!.served).to.be.greaterThan(joined);
    expect(c.fragmentStats.get(3)!.fetched, "node 3 took the build side's chunks from the leader").to.be.greaterThan(fetched);
  });

  it('a table TRUNCATEd and refilled after node 2\'s snapshot: node 3 leaves the work to node 2, whose answer is its snapshot\'s', async () => {
    await c.leader.query('CREATE TABLE t (k int, v int)');
    await c.leader.query('INSERT INTO t SELECT i, 1 FROM generate_series(1, 300000) i');
    const sql = 'SELECT count(*)::int AS n, sum(v)::int AS s FROM t';
    expect(await rows(c.on(2), sql)).to.deep.equal([{ n: 300000, s: 300000 }]);
    const rewrite = rewriteAsNode3Starts('t', 'SELECT i, 2 FROM generate_series(1, 300000) i');
    const moved = c.fragmentStats.get(3)!.otherGeneration;
    expect(await rows(c.on(2), sql), "node 2's snapshot: the rows before the TRUNCATE").to.deep.equal([{ n: 300000, s: 300000 }]);
    expect(c.fragmentStats.get(3)!.otherGeneration, 'node 3 refused a request for the old generation').to.be.greaterThan(moved);
    held.release();
    await rewrite.done();
    await until(() => c.standbys.get(2)!.inSync(), 20000);
    expect(await rows(c.on(2), sql)).to.deep.equal([{ n: 300000, s: 600000 }]);
  });

  const bigJoin = 'SELECT b.w, count(*)::int AS n, sum(a.v)::int AS s FROM sa a JOIN sb b ON a.k = b.k GROUP BY b.w ORDER BY b.w';
  async function joinTables(): Promise<void> {
    await c.leader.exec(`CREATE TABLE sa (k int, v int); INSERT INTO sa SELECT i, i % 100 FROM generate_series(1, 200000) i;
      CREATE TABLE sb (k int, w int); INSERT INTO sb SELECT i * 2, i % 5 FROM generate_series(1, 150000) i; ANALYZE`);
    await c.on(2).exec('SET cluster_join_distribution = shuffle; SET cluster_shuffle_min_build_rows = 0');
  }

  it('a join node 2 shuffles with node 3 (forced): both take a partition, the answer is the leader\'s', async () => {
    await joinTables();
    expect((await rows(c.on(2), `EXPLAIN ${bigJoin}`)).map((r) => String(Object.values(r as object)[0])).join('\n')).to.include('Distribution: shuffle');
    const runs = shuffleStats.runs;
    const fallbacks = shuffleStats.fallbacks;
    const want = await rows(c.leader, bigJoin);
    expect(await rows(c.on(2), bigJoin)).to.deep.equal(want);
    // Keys 2, 4, …, 200000 of sa match (100000 rows), w = (k/2) % 5: 20000 rows each.
    expect(want.map((r) => (r as { n: number }).n)).to.deep.equal([20000, 20000, 20000, 20000, 20000]);
    expect(shuffleStats.runs, 'node 2 ran the join shuffled').to.equal(runs + 1);
    expect(shuffleStats.fallbacks).to.equal(fallbacks);
  });

  it('a table TRUNCATEd and refilled while node 3 starts its part of a shuffle: the shuffle is given up, node 2 answers from its snapshot', async () => {
    await joinTables();
    const before = await rows(c.on(2), bigJoin);
    const rewrite = rewriteAsNode3Starts('sa', 'SELECT i, 7 FROM generate_series(1, 200000) i');
    const fallbacks = shuffleStats.fallbacks;
    const moved = shuffleInboxes(c.transports.get(3)!).stats.otherGeneration;
    expect(await rows(c.on(2), bigJoin), "node 2's snapshot: the rows before the TRUNCATE").to.deep.equal(before);
    expect(shuffleStats.fallbacks, 'the shuffle was given up').to.equal(fallbacks + 1);
    expect(shuffleInboxes(c.transports.get(3)!).stats.otherGeneration, 'node 3 refused its part for the old generation').to.equal(moved + 1);
    held.release();
    await rewrite.done();
  });
});
