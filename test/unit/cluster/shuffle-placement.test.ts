// Shuffled joins when the followers hold only their placed chunks (placement.ts, after a trim): each
// participant is dealt only morsels of chunks it holds (locality), and the tables it reads whole
// (the inner build sides, the owner's plan above the join) come from the leader (cache fusion).
import { expect } from 'chai';
import { Placement } from '../../../src/cluster/placement';
import { isChunkMarker } from '../../../src/storage/chunk-marker';
import { ShuffleJob } from '../../../src/exec/parallel/shuffle-types';
import { shuffleStats } from '../../../src/exec/parallel/shuffle-round';
import { nodeAt } from '../../../src/exec/parallel/messages';
import { HashJoinNode, ScanNode } from '../../../src/plan/plan';
import { ShuffleCluster, openShuffleCluster, rowsSent, tpchQuery } from '../../helpers/shuffle-cluster';

describe('cluster shuffled joins over placed chunks (locality, cache fusion)', function () {
  this.timeout(60000);
  const placement = new Placement([1, 2, 3], 2);
  let c: ShuffleCluster;

  before(async () => {
    c = await openShuffleCluster('0.01', [], placement);
  });
  after(async () => {
    c.hooks.clear();
    await c?.close();
  });

  it('the followers keep only their placed chunks as bytes after the trim (others as markers)', () => {
    for (const id of [2, 3]) {
      let held = 0;
      let markers = 0;
      for (const [k, v] of c.replicas.get(id)!.kv.entries()) {
        if (placement.holders(k) === null) continue;
        if (isChunkMarker(v)) {
          markers++;
          expect(placement.holds(id, k)).to.equal(false);
        } else held++;
      }
      expect(held).to.be.greaterThan(0);
      expect(markers).to.be.greaterThan(0);
    }
  });

  for (const q of ['03', '10', '18']) {
    it(`TPC-H Q${q} shuffled: the single-node answer; every follower was dealt only morsels of chunks it holds`, async () => {
      const sql = tpchQuery(q);
      await c.db.exec('SET cluster_parallel_query = off');
      const local = (await c.db.query(sql)).rows;
      const seen: { node: number; job: ShuffleJob }[] = [];
      for (const id of [2, 3]) c.hooks.set(id, (job) => void seen.push({ node: id, job }));
      await c.db.exec('SET cluster_parallel_query = on; SET cluster_join_distribution = shuffle');
      const runs = shuffleStats.runs;
      const fallbacks = shuffleStats.fallbacks;
      const sent = rowsSent(c);
      try {
        expect((await c.db.query(sql)).rows).to.deep.equal(local);
      } finally {
        c.hooks.clear();
      }
      expect(shuffleStats.runs).to.equal(runs + 1);
      expect(shuffleStats.fallbacks).to.equal(fallbacks);
      expect(rowsSent(c)).to.be.greaterThan(sent);
      expect(seen.map((s) => s.node).sort()).to.deep.equal([2, 3]);
      let dealt = 0;
      for (const { node, job } of seen) {
        const me = job.nodes.indexOf(node);
        for (const [morsels, tableId] of [
          [job.probeMorsels[me], drivingTable(job)],
          [job.buildMorsels[me], buildTable(job)],
        ] as const) {
          const t = job.tables.find((x) => x.tableId === tableId)!;
          for (let m = 0; m < morsels.length; m += 3) {
            expect(placement.holds(node, t.keys[0][morsels[m]])).to.equal(true);
            dealt++;
          }
        }
      }
      expect(dealt).to.be.greaterThan(0);
    });
  }

  it('a probe table whose one row group a single follower holds: the other follower is dealt none of its morsels', async () => {
    for (let i = 1; i <= 8; i++) {
      const fact = `sp_fact${i}`;
      await c.db.exec(`CREATE TABLE ${fact} (k int, v int); INSERT INTO ${fact} SELECT i, i % 1000 FROM generate_series(1, 60000) i`);
      const t = c.database.storage.catalog().findTable('public', fact)!;
      const key = c.database.storage.snapshot(t.id).storedChunkKey!(0, 0)!;
      const holders = [2, 3].filter((id) => placement.holds(id, key));
      if (holders.length !== 1) continue;
      await c.db.exec(`CREATE TABLE sp_dim (k int, name text); INSERT INTO sp_dim SELECT i, 'n' || (i % 7) FROM generate_series(0, 999) i; ANALYZE`);
      const sql = `SELECT d.name, count(*) AS n, sum(f.k) AS s FROM ${fact} f JOIN sp_dim d ON f.v = d.k GROUP BY d.name ORDER BY d.name`;
      await c.db.exec('SET cluster_parallel_query = off');
      const local = (await c.db.query(sql)).rows;
      expect(local).to.have.length(7);
      const seen: { node: number; job: ShuffleJob }[] = [];
      for (const id of [2, 3]) c.hooks.set(id, (job) => void seen.push({ node: id, job }));
      await c.db.exec('SET cluster_parallel_query = on; SET cluster_join_distribution = shuffle');
      const runs = shuffleStats.runs;
      try {
        expect((await c.db.query(sql)).rows).to.deep.equal(local);
      } finally {
        c.hooks.clear();
      }
      expect(shuffleStats.runs, 'the join was shuffled').to.equal(runs + 1);
      const dealt = (node: number): number => {
        const s = seen.find((x) => x.node === node)!;
        expect(drivingTable(s.job)).to.equal(t.id);
        return s.job.probeMorsels[s.job.nodes.indexOf(node)].length / 3;
      };
      expect(dealt(holders[0]), 'the follower holding the group').to.be.greaterThan(0);
      expect(dealt(holders[0] === 2 ? 3 : 2), 'the follower lacking it').to.equal(0);
      return;
    }
    throw new Error('no sp_fact table held by exactly one follower');
  });

  it('a follower reading a table whole that it holds only as markers fetched those chunks from the leader', () => {
    expect(c.stats.get(2)!.fetched + c.stats.get(3)!.fetched).to.be.greaterThan(0);
  });
});

function drivingTable(job: ShuffleJob): number {
  return (nodeAt(job.plan, job.path) as ScanNode).tableId;
}

function buildTable(job: ShuffleJob): number {
  return (nodeAt((nodeAt(job.plan, job.join) as HashJoinNode).right, job.buildPath) as ScanNode).tableId;
}
