// Partitioned parallel hash-join builds (parallel/parallel-join-build.ts) answer exactly as the
// serial build, row for row and in the same order: every join type, duplicate and NULL keys,
// composite keys, residual conditions, and a build whose keys are all unique. parallel_join_build_rows
// is lowered so small builds take the parallel path; max_parallel_workers = 0 keeps them serial.
import { expect } from 'chai';
import { open } from '../../src/index';
import { parallelJoinStats } from '../../src/exec/parallel/parallel-join-build';
import { parallelStats } from '../../src/exec/parallel/run-parallel';

type Db = Awaited<ReturnType<typeof open>>;

const QUERIES: [string, string][] = [
  ['inner, duplicate and NULL keys', 'select p.v, b.w from p join b on p.k = b.k'],
  ['inner, composite key and residual', 'select p.v, b.w from p join b on p.k = b.k and p.k2 = b.k2 where p.v + b.w > 100000'],
  ['inner, unique build keys', 'select p.v, u.w from p join u on p.k = u.k'],
  ['left', 'select p.v, b.w from p left join b on p.k = b.k and p.k2 = b.k2'],
  ['semi (EXISTS)', 'select p.v from p where exists (select 1 from b where b.k = p.k and b.k2 = p.k2)'],
  ['semi (IN) with residual', 'select p.v from p where exists (select 1 from b where b.k = p.k and b.w > p.v)'],
  ['anti (NOT EXISTS)', 'select p.v from p where not exists (select 1 from b where b.k = p.k)'],
  ['right', 'select p.v, b.w from b right join p on p.k = b.k where p.k2 = 3'],
  ['full', 'select p.v, b.w from p full join b on p.k = b.k and p.k2 = b.k2'],
  ['float keys', 'select p.v, b.w from p join b on p.k::float8 * 0.5 = b.k::float8 * 0.5 where p.k2 = 1'],
];

describe('parallel hash-join build: same rows as the serial build', function () {
  this.timeout(120000);
  let db: Db;
  before(async () => {
    db = await open(':memory:', { parallel_join_build_rows: '1000' });
    await db.exec('create table p (k int, k2 int, v int)');
    await db.exec('create table b (k int, k2 int, w int)');
    await db.exec('create table u (k int, w int)');
    await db.exec('insert into p select case when g % 101 = 0 then null else g % 50000 end, g % 7, g from generate_series(1, 120000) g');
    // Keys 0..29999, each twice (and a NULL every 97th row): chains of two rows.
    await db.exec('insert into b select case when g % 97 = 0 then null else g % 30000 end, g % 5, g from generate_series(1, 60000) g');
    await db.exec('insert into u select g, g * 3 from generate_series(1, 40000) g');
  });
  after(async () => db?.close());

  for (const [name, sql] of QUERIES) {
    it(name, async () => {
      await db.exec('set max_parallel_workers = 0');
      const before = parallelJoinStats.builds;
      const serial = (await db.query(sql, [], { rowMode: 'array' })).rows;
      expect(parallelJoinStats.builds, 'max_parallel_workers = 0 builds serially').to.equal(before);
      await db.exec('set max_parallel_workers = 2');
      const parallel = (await db.query(sql, [], { rowMode: 'array' })).rows;
      expect(parallelJoinStats.builds - before, 'built in parallel').to.be.at.least(1);
      expect(parallel.length).to.equal(serial.length);
      expect(parallel).to.deep.equal(serial);
    });
  }

  it('counts match an independent computation', async () => {
    await db.exec('set max_parallel_workers = 2');
    const inner = (await db.query('select count(*), sum(b.w) from p join b on p.k = b.k', [], { rowMode: 'array' })).rows;
    const anti = (await db.query('select count(*) from p where not exists (select 1 from b where b.k = p.k)', [], { rowMode: 'array' })).rows;
    // The same join computed here: per key, the build rows' count and sum of w.
    const count = new Map<number, number>();
    const sum = new Map<number, number>();
    for (let g = 1; g <= 60000; g++) {
      if (g % 97 === 0) continue;
      count.set(g % 30000, (count.get(g % 30000) ?? 0) + 1);
      sum.set(g % 30000, (sum.get(g % 30000) ?? 0) + g);
    }
    let n = 0;
    let s = 0;
    let unmatched = 0;
    for (let g = 1; g <= 120000; g++) {
      if (g % 101 === 0) {
        unmatched++;
        continue;
      }
      const k = g % 50000;
      n += count.get(k) ?? 0;
      s += sum.get(k) ?? 0;
      if (!count.has(k)) unmatched++;
    }
    expect(inner).to.deep.equal([[String(n), String(s)]]);
    expect(anti).to.deep.equal([[String(unmatched)]]);
  });

  it('builds below parallel_join_build_rows stay serial', async () => {
    await db.exec('set max_parallel_workers = 2');
    await db.exec('set parallel_join_build_rows = 60001');
    const before = parallelJoinStats.builds;
    await db.query('select count(*) from p join b on p.k = b.k');
    expect(parallelJoinStats.builds).to.equal(before);
    await db.exec('set parallel_join_build_rows = 60000');
    await db.query('select count(*) from p join b on p.k = b.k');
    expect(parallelJoinStats.builds).to.equal(before + 1);
    await db.exec('reset parallel_join_build_rows');
  });
});

describe('parallel aggregate over a join whose table is built once and shared with the workers', function () {
  this.timeout(120000);
  let db: Db;
  before(async () => {
    // Build sides of 60000 rows against a 200000-row probe (more than the 1/8 each worker would build itself).
    db = await open(':memory:', { parallel_shared_join_rows: '1000', parallel_min_rows: '32768', parallel_join_build_rows: '50000' });
    await db.exec('create table p (k int, k2 int, v int)');
    await db.exec('create table b (k int, k2 int, w int, s text)');
    await db.exec('insert into p select case when g % 101 = 0 then null else g % 50000 end, g % 7, g from generate_series(1, 200000) g');
    await db.exec("insert into b select case when g % 97 = 0 then null else g % 30000 end, g % 5, g, 'name ' || (g % 13) from generate_series(1, 60000) g");
  });
  after(async () => db?.close());

  const AGGREGATES: [string, string][] = [
    ['inner, grouped by a build-side text column', 'select b.s, count(*), sum(p.v), min(b.w), max(p.k) from p join b on p.k = b.k group by b.s order by b.s'],
    ['inner, composite key and residual', 'select p.k2, count(*), sum(b.w) from p join b on p.k = b.k and p.k2 = b.k2 where p.v > b.w group by p.k2 order by p.k2'],
    ['left', 'select count(*), count(b.w), sum(b.w) from p left join b on p.k = b.k'],
    ['semi', 'select p.k2, count(*) from p where exists (select 1 from b where b.k = p.k and b.k2 = p.k2) group by p.k2 order by p.k2'],
    ['anti', 'select count(*), sum(p.v) from p where not exists (select 1 from b where b.k = p.k)'],
  ];
  for (const [name, sql] of AGGREGATES) {
    it(name, async () => {
      await db.exec('set max_parallel_workers = 0');
      const before = { ...parallelStats };
      const serial = (await db.query(sql, [], { rowMode: 'array' })).rows;
      expect(parallelStats.statements).to.equal(before.statements);
      await db.exec('set max_parallel_workers = 2');
      const parallel = (await db.query(sql, [], { rowMode: 'array' })).rows;
      expect(parallelStats.statements - before.statements, 'ran in parallel').to.equal(1);
      expect(parallelStats.sharedJoins - before.sharedJoins, 'one shared join table').to.equal(1);
      expect(parallel).to.deep.equal(serial);
      expect(serial.length).to.be.above(0);
    });
  }

  it('stays a serial plan with parallel_shared_join_rows = 0 (the default)', async () => {
    await db.exec('set max_parallel_workers = 2');
    await db.exec('set parallel_shared_join_rows = 0');
    const before = parallelStats.statements;
    await db.query('select count(*) from p join b on p.k = b.k');
    expect(parallelStats.statements).to.equal(before);
    await db.exec('reset parallel_shared_join_rows');
  });
});
