// Hash joins whose build side exceeds work_mem partition both inputs to temp files (grace hash
// join) and join partition by partition: with work_mem = 64kB every join type answers exactly what
// it answers in memory (NULL keys included), EXPLAIN ANALYZE reports the spilled rows, a partition
// still too large spills again one level deeper (8kB), and no temp file is left behind.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

// l: 40000 rows, k = 1..40000 with every 97th NULL; r: 30000 rows, k = 15001..45000 with every
// 89th NULL, two rows per k below 20000 (the duplicate keys test chains across partitions).
const QUERIES: Record<string, string> = {
  inner: 'select count(*) as n, sum(l.v) as sl, sum(r.w) as sr, min(r.t) as mt from l join r on l.k = r.k',
  left: 'select count(*) as n, count(r.w) as matched, sum(l.v) as sl, sum(r.w) as sr from l left join r on l.k = r.k',
  right: 'select count(*) as n, count(l.v) as matched, sum(r.w) as sr from l right join r on l.k = r.k',
  full: 'select count(*) as n, count(l.v) as lv, count(r.w) as rw from l full join r on l.k = r.k',
  semi: 'select count(*) as n, sum(v) as s from l where exists (select 1 from r where r.k = l.k)',
  anti: 'select count(*) as n, sum(v) as s from l where not exists (select 1 from r where r.k = l.k)',
  twoKeys: 'select count(*) as n, sum(l.v) as s from l join r on l.k = r.k and l.t = r.t',
  residual: 'select count(*) as n from l join r on l.k = r.k and r.w > l.v',
  rows: 'select l.k, l.v, r.w from l join r on l.k = r.k where l.k % 1000 = 7 order by 1, 3',
};

describe('hash join spilling over work_mem (grace hash join)', function () {
  this.timeout(120000);
  let server: TestServer;
  let client: Client;
  const inMemory: Record<string, unknown[]> = {};
  before(async () => {
    server = await startTestServer();
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await client.connect();
    await client.query('create table l (k int, v int, t text)');
    await client.query('create table r (k int, w int, t text)');
    await client.query("insert into l select case when x % 97 = 0 then null else x end, x * 2, 's' || (x % 10) from generate_series(1, 40000) x");
    await client.query("insert into r select case when x % 89 = 0 then null else x end, x * 3, 's' || (x % 10) from generate_series(15001, 45000) x");
    await client.query("insert into r select x, -x, 's' || (x % 10) from generate_series(15001, 19999) x");
    await client.query('analyze');
    await client.query("set work_mem = '1GB'");
    for (const [name, q] of Object.entries(QUERIES)) inMemory[name] = (await client.query(q)).rows;
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  function tmpFiles(): string[] {
    const tmp = path.join(server.dataDir, 'tmp');
    return fs.existsSync(tmp) ? fs.readdirSync(tmp) : [];
  }

  it('in memory, the answers are the expected ones', () => {
    // Rows of r per key: one for 15001..45000 unless a multiple of 89, one more for 15001..19999.
    let pairs = 0;
    let matched = 0;
    for (let k = 1; k <= 40000; k++) {
      if (k % 97 === 0) continue;
      const inR = (k >= 15001 && k % 89 !== 0 ? 1 : 0) + (k >= 15001 && k <= 19999 ? 1 : 0);
      pairs += inR;
      if (inR > 0) matched++;
    }
    const twice = pairs - matched;
    expect(inMemory.inner[0]).to.deep.include({ n: String(pairs) });
    expect(inMemory.semi[0]).to.deep.include({ n: String(matched) });
    expect(inMemory.anti[0]).to.deep.include({ n: String(40000 - matched) });
    expect(inMemory.left[0]).to.deep.include({ n: String(40000 + twice) });
    expect(inMemory.right[0]).to.deep.include({ n: String(30000 + 4999) });
  });

  for (const name of Object.keys(QUERIES)) {
    it(`${name} join: the same answer at work_mem = 64kB, spilled`, async () => {
      await client.query("set work_mem = '64kB'");
      expect((await client.query(QUERIES[name])).rows).to.deep.equal(inMemory[name]);
      expect(tmpFiles()).to.deep.equal([]);
    });
  }

  it('EXPLAIN ANALYZE reports the rows written to disk', async () => {
    await client.query("set work_mem = '64kB'");
    const plan: string[] = (await client.query(`explain analyze ${QUERIES.inner}`)).rows.map((r) => r['QUERY PLAN']);
    const disk = plan.find((l) => l.includes('rows spilled over work_mem'));
    expect(disk, plan.join('\n')).to.not.equal(undefined);
    // At least the build side (35000 rows) and the probe side (40000) once.
    expect(Number(/Disk: (\d+) rows/.exec(disk!)![1])).to.be.greaterThan(70000);
  });

  it('spills again inside a partition at work_mem = 8kB', async () => {
    await client.query("set work_mem = '8kB'");
    for (const name of ['inner', 'full', 'anti', 'rows']) expect((await client.query(QUERIES[name])).rows, name).to.deep.equal(inMemory[name]);
    expect(tmpFiles()).to.deep.equal([]);
  });
});
