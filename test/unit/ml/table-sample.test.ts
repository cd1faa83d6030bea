// Table samples: a predicate's selectivity measured on a sample of the table, and the hits its
// conjuncts would have if independent (the correlation hint), on a real embedded table.
import { expect } from 'chai';
import { open } from '../../../src/index';
import { Expr } from '../../../src/plan/expr';
import { Types } from '../../../src/types/data-type';
import { SAMPLE_ROWS, TableSamples } from '../../../src/ml/table-sample';

const col = (index: number): Expr => ({ kind: 'column', index, type: Types.int4 });
const int = (value: number): Expr => ({ kind: 'const', value, type: Types.int4 });
const lt = (a: Expr, b: Expr): Expr => ({ kind: 'call', fn: 'lt', args: [a, b], type: Types.bool }) as Expr;
const ge = (a: Expr, b: Expr): Expr => ({ kind: 'call', fn: 'ge', args: [a, b], type: Types.bool }) as Expr;

describe('ml: table samples', function () {
  this.timeout(30000);

  it('measures selectivities, correlated and contradictory conjunctions on a sample', async () => {
    const db = await open(':memory:');
    try {
      // b = a: predicates on a and b are fully correlated.
      await db.exec('create table t (a int, b int)');
      await db.exec('insert into t select i, i from generate_series(0, 99999) i');
      const id = Number((await db.query("select oid::int as id from pg_class where relname = 't'")).rows[0].id);
      const session = db.database.createSession({ user: 'postgres', database: 'postgres' });
      const ctx = session.execContext([]);
      const samples = new TableSamples();
      const snap = ctx.snapshot(id);
      const one = samples.selectivity(snap, [0, 1], [lt(col(0), int(10000))], ctx)!;
      expect(one.n).to.be.within(SAMPLE_ROWS * 0.9, SAMPLE_ROWS * 1.1);
      expect(one.hits / one.n).to.be.closeTo(0.1, 0.03);
      // a < 10000 and b < 10000: 10% together, 1% if they were independent.
      const both = samples.selectivity(snap, [0, 1], [lt(col(0), int(10000)), lt(col(1), int(10000))], ctx)!;
      expect(both.hits / both.n).to.be.closeTo(0.1, 0.03);
      expect(both.expected / both.n).to.be.closeTo(0.01, 0.005);
      // a < 10000 and b >= 50000: nothing, though each alone keeps many rows.
      const none = samples.selectivity(snap, [0, 1], [lt(col(0), int(10000)), ge(col(1), int(50000))], ctx)!;
      expect(none.hits).to.equal(0);
      expect(none.expected).to.be.greaterThan(50);
      // Columns as a scan outputs them: [b] alone at position 0.
      const b = samples.selectivity(snap, [1], [lt(col(0), int(50000))], ctx)!;
      expect(b.hits / b.n).to.be.closeTo(0.5, 0.05);
      // The sample is reused until the table's row count changes.
      expect(samples.sample(snap)).to.equal(samples.sample(ctx.snapshot(id)));
      await db.exec('delete from t where a < 50000');
      const after = session.execContext([]);
      const fewer = samples.selectivity(after.snapshot(id), [0, 1], [lt(col(0), int(50000))], after)!;
      expect(fewer.hits).to.equal(0);
      await session.close();
    } finally {
      await db.close();
    }
  });
});
