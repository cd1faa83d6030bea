// TPC-H SF 0.01 on the followers' standby engines (src/cluster/standby.ts) after the followers dropped
// the bytes of the chunks placed on other nodes: every one of the 22 answers equals the leader's,
// the chunks kept as markers read through the leader (and through parallel workers too).
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { StandbyCluster, standbyCluster } from '../../helpers/standby-cluster';

const TPCH = '/work/shared/tpch';
const TABLES = ['lineitem', 'orders', 'customer', 'nation', 'region', 'supplier', 'part', 'partsupp'];
const query = (q: number): string => fs.readFileSync(path.join(TPCH, 'queries', `q${String(q).padStart(2, '0')}.sql`), 'utf8');

/** Q15's view is created and dropped on the leader (DDL is a write); its SELECT runs everywhere. */
function split(sql: string): { before: string; select: string; after: string } {
  const parts = sql.split(';').map((p) => p.trim()).filter((p) => p !== '');
  const isView = (p: string) => /^(create|drop)\s+view/i.test(p);
  return {
    before: parts.filter((p) => /^create\s+view/i.test(p)).join(';\n'),
    select: parts.filter((p) => !isView(p)).join(';\n'),
    after: parts.filter((p) => /^drop\s+view/i.test(p)).join(';\n'),
  };
}

describe('TPC-H on cluster standbys with trimmed markers', function () {
  this.timeout(120000);
  let c: StandbyCluster;

  before(async () => {
    c = await standbyCluster();
    await c.leader.exec(fs.readFileSync(path.join(TPCH, 'schema.sql'), 'utf8'));
    for (const t of TABLES) {
      await c.leader.copyFrom(t, fs.readFileSync(path.join(TPCH, 'sf0.01', `${t}.tbl`), 'utf8').replace(/\|\n/g, '\n'), { delimiter: '|' });
    }
    await c.leader.exec('ANALYZE');
    await c.trim();
    // Some chunks of the data are markers on each follower (2 holders of 3 nodes per row group).
    const markers = [2, 3].map((id) => c.standbys.get(id)!.kv.markerCount());
    expect(markers[0] + markers[1]).to.be.greaterThan(0);
  });
  after(async () => {
    await c?.close();
  });

  for (let q = 1; q <= 22; q++) {
    it(`Q${q}: the standbys answer as the leader`, async () => {
      const { before, select, after } = split(query(q));
      if (before !== '') await c.leader.exec(before);
      try {
        const want = (await c.leader.exec(select)).map((r) => r.rows);
        expect(want.some((rows) => rows.length > 0)).to.equal(true);
        for (const id of [2, 3]) expect((await c.on(id).exec(select)).map((r) => r.rows), `node ${id}`).to.deep.equal(want);
      } finally {
        if (after !== '') await c.leader.exec(after);
      }
    });
  }

  it('Q1 and Q6 with parallel workers on the standby read the same chunks', async () => {
    for (const q of [1, 6]) {
      const sql = query(q);
      const want = (await c.leader.exec(sql)).map((r) => r.rows);
      const got = await c.on(2).transaction(async (tx) => {
        await tx.exec("SET LOCAL parallel_min_rows = 0; SET LOCAL max_parallel_workers = 2");
        const plan = (await tx.exec(`EXPLAIN ANALYZE ${sql}`)).flatMap((r) => r.rows.map((row) => Object.values(row)[0] as string)).join('\n');
        expect(plan, `Q${q} plan`).to.match(/Workers Launched: [12]/);
        return (await tx.exec(sql)).map((r) => r.rows);
      });
      expect(got, `Q${q}`).to.deep.equal(want);
    }
  });
});
