// A DELETE reads only the columns it needs: without RETURNING, those its WHERE reads (the RowIds come
// with the scan). It read every column of the table, which for a DELETE of 214k of SF 1 lineitem's
// 6M rows meant decoding all 16 columns: 6.5 s with the event loop held, 1.0 s without
// (bench/storage/analyze-stall.ts, bench/results/analyze-stall.md). Counted as chunk lookups in the
// buffer pool, on an embedded database.
import { expect } from 'chai';
import { open } from '../../../src/index';

describe('DELETE: columns read', function () {
  this.timeout(30000);

  it('without RETURNING reads the chunks of the WHERE columns only; with RETURNING, those returned too', async () => {
    const db = await open(':memory:');
    try {
      // 3 row groups of 3 columns.
      await db.exec('create table t (a int, b int, c text)');
      await db.exec('insert into t select x, x % 7, md5(x::text) from generate_series(1, 150000) x');
      const lookups = async (): Promise<number> => {
        const r = (await db.query('select hits, misses from tessera_buffer_stats()')).rows[0];
        return Number(r.hits) + Number(r.misses);
      };
      await db.query('select count(*) from t where b = 1 and c is not null');
      let before = await lookups();
      expect((await db.query('delete from t where a % 2 = 0')).rowCount).to.equal(75000);
      // Column a of the 3 groups: 9 before, when b and c were read too.
      expect((await lookups()) - before).to.equal(3);
      before = await lookups();
      const returned = await db.query('delete from t where a % 3 = 0 returning b, c');
      expect(returned.rowCount).to.equal(25000);
      expect(returned.rows[0]).to.deep.equal({ b: 3, c: 'eccbc87e4b5ce2fe28308fd9f2a7baf3' });
      expect((await lookups()) - before).to.be.at.least(9);
      // Left: a ≡ 1 or 5 (mod 6).
      expect((await db.query('select count(*)::int as n, sum(a) as s from t')).rows).to.deep.equal([{ n: 50000, s: '3750000000' }]);
    } finally {
      await db.close();
    }
  });
});
