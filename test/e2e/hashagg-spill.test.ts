// Hash aggregation over work_mem spills partitions to temp files in the data directory instead of
// growing without bound: with work_mem = 64kB a 50,000-group aggregation spills (EXPLAIN ANALYZE
// says how many rows), answers exactly what it answers in memory, and leaves no temp file behind.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

const QUERY = `select a % 50000 as k, count(*) as n, sum(a) as s, count(distinct a % 7) as d, max(b) as m, avg(a) as av
  from t group by 1 order by 1`;

describe('hash aggregation spilling over work_mem', function () {
  this.timeout(120000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await client.connect();
    await client.query('create table t (a int, b text)');
    await client.query("insert into t select x, 'v' || (x % 1000) from generate_series(1, 150000) x");
  });
  after(async () => {
    await client?.end();
    await server?.stop();
  });

  it('spills with a tiny work_mem and returns the in-memory answer', async () => {
    await client.query("set work_mem = '1GB'");
    const inMemory = (await client.query(QUERY)).rows;
    const plainPlan: string[] = (await client.query(`explain analyze ${QUERY}`)).rows.map((r) => r['QUERY PLAN']);
    expect(plainPlan.some((l) => l.includes('spilled'))).to.equal(false);
    await client.query("set work_mem = '64kB'");
    const spilled = (await client.query(QUERY)).rows;
    expect(spilled.length).to.equal(50000);
    expect(spilled).to.deep.equal(inMemory);
    // Values checked independently: k = 0 holds 50000, 100000, 150000.
    expect(spilled[0]).to.deep.equal({ k: 0, n: '3', s: '300000', d: '3', m: 'v0', av: '100000.000000000000' });
    expect(spilled[1]).to.deep.equal({ k: 1, n: '3', s: '150003', d: '3', m: 'v1', av: '50001.000000000000' });
    const plan: string[] = (await client.query(`explain analyze ${QUERY}`)).rows.map((r) => r['QUERY PLAN']);
    const disk = plan.find((l) => l.includes('rows spilled over work_mem'));
    expect(disk, plan.join('\n')).to.not.equal(undefined);
    expect(Number(/Disk: (\d+) rows/.exec(disk!)![1])).to.be.greaterThan(100000);
    const tmp = path.join(server.dataDir, 'tmp');
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).to.deep.equal([]);
  });

  it('spills again inside a partition when one level is not enough (work_mem = 8kB)', async () => {
    await client.query("set work_mem = '8kB'");
    const r = (await client.query('select a as k, count(*) as n from t group by a order by a')).rows;
    expect(r.length).to.equal(150000);
    expect(r[149999]).to.deep.equal({ k: 150000, n: '1' });
    expect(r.every((row, i) => row.k === i + 1 && row.n === '1')).to.equal(true);
    const tmp = path.join(server.dataDir, 'tmp');
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).to.deep.equal([]);
  });
});
