// Shuffled joins when the followers hold only their placed chunks (placement.ts, after a trim): each
// participant is dealt only morsels of chunks it holds (locality), and the tables it reads whole
// (the inner build sides, the owner's plan above the join) come from the leader (cache fusion).
import { expect } from 'chai';
import { Placement, isElsewhere } from '../../../src/cluster/placement';
import { ShuffleJob } from '../../../src/exec/parallel/shuffle-types';
import { shuffleStats } from '../../../src/exec/parallel/shuffle-round';
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
        if (isElsewhere(v)) {
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

  it('a follower reading a table whole that it holds only as markers fetched those chunks from the leader', () => {
    expect(c.stats.get(2)!.fetched + c.stats.get(3)!.fetched).to.be.greaterThan(0);
  });
});

function drivingTable(job: ShuffleJob): number {
  let n = job.plan as unknown as Record<string, unknown>;
  for (const s of job.path) n = n[s] as Record<string, unknown>;
  return n.tableId as number;
}

function buildTable(job: ShuffleJob): number {
  let n = job.plan as unknown as Record<string, unknown>;
  for (const s of job.join) n = n[s] as Record<string, unknown>;
  n = n.right as Record<string, unknown>;
  for (const s of job.buildPath) n = n[s] as Record<string, unknown>;
  return n.tableId as number;
}
