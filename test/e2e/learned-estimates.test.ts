// Estimates through a real server: a join on both columns of a composite primary key (directly,
// and around the cycle li–part–ps–supp of TPC-H's lineitem/partsupp shape) is estimated as one key
// join, and an aggregation over a featurized subplan carries the learned optimizer's estimate.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

describe('estimates: composite keys and aggregations', function () {
  this.timeout(120000);
  let dir: string;
  let server: TestServer;
  let plan: (sql: string) => Promise<string>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-est-'));
    server = await startTestServer({ dataDir: dir, settings: { ml_optimizer: 'shadow' } });
    const c = await connectPg(server.port);
    try {
      await c.query('create table part (p int primary key)');
      await c.query('create table supp (s int primary key)');
      // 4 suppliers per part; 200 parts × 100 suppliers would be 20000 pairs, ps holds 800.
      await c.query('create table ps (pk int, sk int, primary key (pk, sk))');
      await c.query('create table ps_nokey (pk int, sk int)');
      await c.query('create table li (id int primary key, lpk int, lsk int)');
      await c.query('insert into part select g from generate_series(1, 200) g');
      await c.query('insert into supp select g from generate_series(1, 100) g');
      await c.query('insert into ps select p, (p * 7 + k * 25) % 100 + 1 from generate_series(1, 200) p, generate_series(0, 3) k');
      await c.query('insert into ps_nokey select * from ps');
      // Every li row names an existing (part, supplier) pair of ps.
      await c.query('insert into li select g, g % 200 + 1, ((g % 200 + 1) * 7 + (g % 4) * 25) % 100 + 1 from generate_series(1, 6000) g');
      await c.query('analyze');
    } finally {
      await c.end();
    }
    plan = async (sql) => {
      const c = await connectPg(server.port);
      try {
        return (await c.query(`explain analyze ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await c.end();
      }
    };
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The estimated and actual rows of the plan's first line matching `node`. */
  function rows(text: string, node: RegExp): { est: number; actual: number } {
    const line = text.split('\n').find((l) => node.test(l))!;
    const m = /\(rows=(\d+).*actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(line)!;
    return { est: Number(m[1]), actual: Number(m[2]) };
  }

  it('estimates a join on both columns of a composite primary key as a key join, directly and around a cycle', async () => {
    const direct = rows(await plan('select count(*) from li, ps where lpk = pk and lsk = sk'), /Hash Join/);
    expect(direct.actual).to.equal(6000);
    expect(direct.est).to.be.within(4000, 9000);
    const cycle = rows(await plan('select count(*) from li, part, ps, supp where lpk = p and lsk = s and pk = p and sk = s'), /Hash Join/);
    expect(cycle.actual).to.equal(6000);
    expect(cycle.est).to.be.within(4000, 9000);
    // Without the key declared, the pairs of ps are taken as independent of each other (the old estimate: 25× too low here).
    const unkeyed = rows(await plan('select count(*) from li, part, ps_nokey, supp where lpk = p and lsk = s and pk = p and sk = s'), /Hash Join/);
    expect(unkeyed.actual).to.equal(6000);
    expect(unkeyed.est).to.be.below(1000);
  });

  it('featurizes an aggregation over a featurized subplan (EXPLAIN shows its learned estimate beside the classic one)', async () => {
    const grouped = await plan('select lsk, count(*) from li, part where lpk = p group by lsk');
    expect(grouped).to.match(/HashAggregate {2}\(rows=\d+ ml_rows=\?\) \(actual time=[\d.]+\.\.[\d.]+ rows=\d+ loops=1\)/);
  });
});
