// EXPLAIN ANALYZE against a real server: the plan tree with each node's estimated rows and its
// actual rows, loops and times in PostgreSQL's "(actual time=a..b rows=r loops=n)" form, then the
// Planning Time and Execution Time lines. Times cannot be compared; the tree, the row counts and
// the loop counts can.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

const ACTUAL = /\(actual time=(\d+\.\d{3})\.\.(\d+\.\d{3}) rows=(\d+) loops=(\d+)\)$/;

interface PlanLine {
  depth: number;
  title: string;
  rows: number;
  loops: number;
  startup: number;
  total: number;
}

/** Node lines of an EXPLAIN ANALYZE (detail lines and the timing footer left out). */
function nodes(lines: string[]): PlanLine[] {
  const out: PlanLine[] = [];
  for (const line of lines) {
    const m = ACTUAL.exec(line);
    if (m === null) continue;
    const arrow = line.indexOf('->  ');
    const depth = arrow === -1 ? 0 : (arrow + 4) / 6;
    const title = (arrow === -1 ? line : line.slice(arrow + 4)).replace(/\s+\(rows=.*$/, '');
    out.push({ depth, title, rows: Number(m[3]), loops: Number(m[4]), startup: Number(m[1]), total: Number(m[2]) });
  }
  return out;
}

describe('EXPLAIN ANALYZE', function () {
  this.timeout(60000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await client.connect();
    await client.query('create table xa (a int, b text)');
    await client.query("insert into xa select x, 'g' || (x % 3) from generate_series(1, 5000) x");
    await client.query('create table xb (a int)');
    await client.query('insert into xb values (1), (2), (3), (4)');
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  async function explain(sql: string, params: unknown[] = []): Promise<string[]> {
    const r = await client.query(sql, params);
    expect(r.fields.map((f) => f.name)).to.deep.equal(['QUERY PLAN']);
    return r.rows.map((row) => row['QUERY PLAN'] as string);
  }

  it('reports actual rows per operator and the planning and execution times', async () => {
    const lines = await explain('explain analyze select b, count(*) from xa where a > 10 group by b order by b');
    expect(lines[lines.length - 2]).to.match(/^Planning Time: \d+\.\d{3} ms$/);
    expect(lines[lines.length - 1]).to.match(/^Execution Time: \d+\.\d{3} ms$/);
    const ns = nodes(lines);
    expect(ns.map((n) => [n.depth, n.title, n.rows, n.loops])).to.deep.equal([
      [0, 'Sort', 3, 1],
      [1, 'Project', 3, 1],
      [2, 'HashAggregate', 3, 1],
      [3, 'Seq Scan on xa', 4990, 1],
    ]);
    for (const n of ns) expect(n.startup).to.be.at.most(n.total);
    // The scan's details stay under it; estimated rows come first on each node line.
    expect(lines[0]).to.match(/^Sort {2}\(rows=(\d+|\?)\) \(actual time=/);
    expect(lines[1]).to.equal('  Sort Key: #0');
  });

  it('counts a correlated subplan once per outer row (loops) and shows it under its node', async () => {
    const lines = await explain('explain analyze select a, (select count(*) from xb where xb.a = xa.a) from xa where a < 4');
    expect(lines.some((l) => l.trim() === 'SubPlan 1')).to.equal(true);
    const ns = nodes(lines);
    const inner = ns.find((n) => n.title === 'Seq Scan on xb')!;
    expect(inner.loops).to.equal(3);
    expect(inner.rows).to.equal(1); // per loop, as PostgreSQL prints it
    expect(ns.find((n) => n.title === 'Seq Scan on xa')!.rows).to.equal(3);
    expect(ns[0].rows).to.equal(3);
  });

  it('covers joins, window functions, recursive CTEs and parameters', async () => {
    const join = nodes(await explain('explain analyze select * from xa join xb on xa.a = xb.a where xa.a > $1', [1]));
    expect(join.find((n) => n.title.startsWith('Hash Join'))!.rows).to.equal(3);
    expect(join.find((n) => n.title === 'Seq Scan on xb')!.rows).to.equal(4);

    const win = nodes(await explain('explain analyze select a, sum(a) over (order by a) from xb'));
    expect(win.map((n) => [n.title, n.rows])).to.deep.equal([
      ['Project', 4],
      ['WindowAgg', 4],
      ['Seq Scan on xb', 4],
    ]);

    const rec = nodes(await explain('explain analyze with recursive t(n) as (select 1 union all select n + 1 from t where n < 6) select * from t'));
    const union = rec.find((n) => n.title === 'Recursive Union')!;
    expect(union.rows).to.equal(6);
    // The recursive term ran once per round: five rounds add rows, the sixth finds none.
    expect(rec.find((n) => n.title.startsWith('CTE Scan') && n.loops > 1)!.loops).to.equal(6);

    const series = nodes(await explain('explain analyze select count(*) from generate_series(1, 100000) g'));
    expect(series.find((n) => n.title === 'Function Scan on generate_series')!.rows).to.equal(100000);
  });

  it('prints an exact tree with COSTS OFF, TIMING OFF and SUMMARY OFF', async () => {
    expect(await explain('explain (analyze, costs off, timing off, summary off) select b, count(*) from xa where a <= 6 group by b order by b')).to.deep.equal([
      'Sort (actual rows=3 loops=1)',
      '  Sort Key: #0',
      '  ->  Project (actual rows=3 loops=1)',
      '        ->  HashAggregate (actual rows=3 loops=1)',
      '            Group Key: #1',
      '              ->  Seq Scan on xa (actual rows=6 loops=1)',
      '                  Filter: le(#0, 6)',
      // Columns a and b of xa's one row group, both resident since the insert (PostgreSQL 18's default).
      '                  Buffers: shared hit=2',
    ]);
    expect(await explain('explain (costs off) select * from xb')).to.deep.equal(['Project', '  ->  Seq Scan on xb']);
    const timed = await explain('explain (analyze true, timing false) select * from xb');
    expect(timed[0]).to.match(/^Project {2}\(rows=4\) \(actual rows=4 loops=1\)$/);
    expect(timed[timed.length - 1]).to.match(/^Execution Time: /);
    expect((await explain('explain (analyze off) select * from xb')).some((l) => l.includes('actual'))).to.equal(false);
  });

  it('explains without running when ANALYZE is absent, and refuses ANALYZE of writes', async () => {
    const lines = await explain('explain select * from xb');
    expect(lines.some((l) => l.includes('actual'))).to.equal(false);
    expect(lines.some((l) => /->  Seq Scan on xb {2}\(rows=4\)$/.test(l))).to.equal(true);
    let code: string | undefined;
    try {
      await client.query('explain analyze delete from xb');
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).to.equal('0A000');
    expect((await client.query('select count(*)::int as n from xb')).rows).to.deep.equal([{ n: 4 }]);
  });
});
