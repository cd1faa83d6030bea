// node dist/bench/ml/diagnose.js [--sf 0.1] [--dir :memory:] [--heldout 200] [--seed 1] [--min 50]
// Where the classic estimator's large q-errors on the held-out set come from: every subplan whose
// classic q-error is at least --min, with its EXPLAIN ANALYZE line and the query, grouped by the
// kind of subplan (filtered scan, join) and the predicates and join edges it holds.
import { Rng } from '../../src/ml/rng';
import { qError } from '../../src/ml/learned-optimizer';
import { Params } from './tpch-variants';
import { heldOutQuery } from './heldout';
import { openTpch } from './tpch-db';

async function main(): Promise<void> {
  const o: Record<string, string> = { sf: '0.1', dir: ':memory:', heldout: '200', seed: '1', min: '50' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  const db = await openTpch(o.sf, o.dir, { buffer_pool_size: '2GB', ml_optimizer: 'shadow', ml_learn: 'off' }, (l) => process.stderr.write(l + '\n'));
  try {
    let seen: { classic: number; actual: number }[] = [];
    db.database.ml!.observer = (samples) => seen.push(...samples.map((x) => ({ classic: x.classicRows, actual: x.trueRows })));
    const held = new Params(new Rng(Number(o.seed) + 1000));
    let total = 0;
    const bad: number[] = [];
    for (let i = 0; i < Number(o.heldout); i++) {
      const sql = heldOutQuery(held);
      seen = [];
      const r = await db.query(`explain analyze ${sql}`);
      const lines = (r.rows as Record<string, string>[]).map((x) => x['QUERY PLAN']);
      const hits: string[] = [];
      for (const s of seen) {
        total++;
        const q = qError(s.classic, s.actual);
        if (q >= Number(o.min)) {
          bad.push(q);
          hits.push(`  q=${q.toFixed(1)} ${s.classic > s.actual ? 'over' : 'under'}: rows=${Math.round(s.classic)} actual ${s.actual}`);
        }
      }
      if (hits.length > 0) console.log(`#${i} ${sql}\n${lines.join('\n')}\n${hits.join('\n')}\n`);
    }
    bad.sort((a, b) => a - b);
    console.log(`subplans ${total}, with classic q-error >= ${o.min}: ${bad.length}`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
