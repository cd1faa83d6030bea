// Statistics end to end: EXPLAIN's estimated rows follow the collected statistics (equality, range,
// join), ANALYZE refreshes them after deletes, they survive a restart, and semi/anti and outer joins
// with a small outer side build on it ("Hash Right Semi/Anti Join", LEFT as RIGHT) and answer exactly.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

async function query(port: number, sql: string): Promise<any[]> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres' });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

async function explain(port: number, sql: string): Promise<string[]> {
  return (await query(port, `explain ${sql}`)).map((r) => r['QUERY PLAN'] as string);
}

/** Estimated rows of the first plan line matching `title`. */
function estimate(lines: string[], title: RegExp): number {
  const line = lines.find((l) => title.test(l));
  if (line === undefined) throw new Error(`no ${title} in\n${lines.join('\n')}`);
  return Number(/rows=(\d+)/.exec(line)![1]);
}

const N = 20000;

describe('planner statistics', function () {
  this.timeout(120000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await query(server.port, 'create table big (k int, grp int, note text)');
    await query(server.port, 'create table small (id int, k int)');
    const values: string[] = [];
    for (let k = 0; k < N; k++) values.push(`(${k}, ${k % 100}, 'note ${k % 7}')`);
    await query(server.port, `insert into big values ${values.join(',')}`);
    const small: string[] = [];
    for (let id = 0; id < 50; id++) small.push(`(${id}, ${id * 397})`);
    await query(server.port, `insert into small values ${small.join(',')}`);
  });
  after(async () => {
    await server.stop();
  });

  it('estimates equality, range and join cardinalities from the statistics collected on insert', async () => {
    expect(estimate(await explain(server.port, 'select * from big where grp = 3'), /Seq Scan on big/)).to.be.within(180, 220);
    expect(estimate(await explain(server.port, "select * from big where note = 'note 1'"), /Seq Scan on big/)).to.be.within(2700, 3000);
    expect(estimate(await explain(server.port, 'select * from big where k < 5000'), /Seq Scan on big/)).to.be.within(4700, 5300);
    expect(estimate(await explain(server.port, 'select * from big where k between 1000 and 2999'), /Seq Scan on big/)).to.be.within(1800, 2200);
    expect(estimate(await explain(server.port, 'select * from small, big where small.k = big.k'), /Hash Join/)).to.be.within(40, 60);
    expect(estimate(await explain(server.port, 'select grp, count(*) from big group by grp'), /HashAggregate/)).to.be.within(90, 110);
  });

  it('builds semi and anti joins on the smaller outer side, with the same answers', async () => {
    const semi = 'select id from small s where exists (select 1 from big b where b.k = s.k and b.grp <> s.id % 100) order by id';
    const anti = 'select id from small s where not exists (select 1 from big b where b.k = s.k + 1 and b.grp < 10) order by id';
    expect((await explain(server.port, semi)).join('\n')).to.contain('Hash Right Semi Join');
    expect((await explain(server.port, anti)).join('\n')).to.contain('Hash Right Anti Join');
    // Expected answers computed here: big holds k = 0..N-1 with grp = k % 100.
    const ids = [...Array(50).keys()];
    const semiWant = ids.filter((id) => id * 397 < N && (id * 397) % 100 !== id % 100);
    const antiWant = ids.filter((id) => !(id * 397 + 1 < N && (id * 397 + 1) % 100 < 10));
    expect(semiWant.length).to.equal(48);
    expect(antiWant.length).to.equal(46);
    expect((await query(server.port, semi)).map((r) => r.id)).to.deep.equal(semiWant);
    expect((await query(server.port, anti)).map((r) => r.id)).to.deep.equal(antiWant);
  });

  it('builds outer joins on the smaller side (LEFT becomes RIGHT with the columns put back), with the same answers', async () => {
    const left = 'select s.id, b.k, b.grp from small s left join big b on b.k = s.k and b.grp <> 91 order by s.id';
    const right = 'select b.k, s.id from small s right join big b on s.k = b.k and s.id <> 3 where b.k < 2000 order by b.k';
    expect((await explain(server.port, left)).join('\n')).to.contain('Hash Right Join');
    expect((await explain(server.port, right)).join('\n')).to.contain('Hash Left Join');
    const ids = [...Array(50).keys()];
    const leftWant = ids.map((id) => (id * 397 < N && (id * 397) % 100 !== 91 ? { id, k: id * 397, grp: (id * 397) % 100 } : { id, k: null, grp: null }));
    const rightWant = [...Array(2000).keys()].map((k) => ({ k, id: k % 397 === 0 && k / 397 !== 3 ? k / 397 : null }));
    expect(leftWant.filter((r) => r.k === null).length).to.equal(1);
    expect(rightWant.filter((r) => r.id !== null).length).to.equal(5);
    expect(await query(server.port, left)).to.deep.equal(leftWant);
    expect(await query(server.port, right)).to.deep.equal(rightWant);
  });

  it('joins more relations than it orders (past 30 the FROM order stands)', async () => {
    for (const n of [12, 33]) {
      const from = [...Array(n).keys()].map((i) => `small s${i}`).join(', ');
      const where = [...Array(n - 1).keys()].map((i) => `s${i + 1}.id = s${i}.id`).join(' and ');
      expect(await query(server.port, `select count(*)::int as c, sum(s${n - 1}.k)::int as k from ${from} where ${where} and s0.id < 10`)).to.deep.equal([{ c: 10, k: 397 * 45 }]);
    }
  });

  it('refreshes statistics with ANALYZE after deletes and keeps them across a restart', async () => {
    await query(server.port, `delete from big where k >= ${N / 2}`);
    // Until ANALYZE the maximum is still N - 1: k > 5000 looks like 3/4 of the live rows — unless
    // garbage collection has already compacted the table (half its rows are dead), which collects
    // the rewritten groups' statistics afresh.
    const before = estimate(await explain(server.port, 'select * from big where k > 5000'), /Seq Scan on big/);
    expect(before >= 7000 && before <= 8000 ? 'stale' : before >= 4700 && before <= 5300 ? 'compacted' : before).to.be.oneOf(['stale', 'compacted']);
    await query(server.port, 'analyze big');
    expect(estimate(await explain(server.port, 'select * from big where k > 5000'), /Seq Scan on big/)).to.be.within(4700, 5300);
    await server.restart();
    expect(estimate(await explain(server.port, 'select * from big where k > 5000'), /Seq Scan on big/)).to.be.within(4700, 5300);
    await query(server.port, 'analyze');
    await query(server.port, 'analyze small, big');
  });
});
