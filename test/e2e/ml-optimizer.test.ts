// The learned optimizer through a real server: the ml_optimizer setting (conf/-c and SET, with
// PostgreSQL's error for a bad enum value), EXPLAIN showing both estimates, samples from executed
// queries, training in the background, and the model and samples surviving a restart.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg, failure } from '../helpers/pg-client';

async function query(port: number, sql: string): Promise<any[]> {
  const c = await connectPg(port);
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

async function model(port: number): Promise<any> {
  return (await query(port, 'select version::int, samples::int, trusted, training from tessera_ml_model()'))[0];
}

describe('learned optimizer (ml_optimizer)', function () {
  this.timeout(180000);
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-ml-'));
    server = await startTestServer({ dataDir: dir, settings: { ml_optimizer: 'shadow' } });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes its mode from the server settings and SET, rejecting other values as PostgreSQL does', async () => {
    const c = await connectPg(server.port);
    try {
      expect((await c.query('show ml_optimizer')).rows).to.deep.equal([{ ml_optimizer: 'shadow' }]);
      await c.query('set ml_optimizer = on');
      expect((await c.query('show ml_optimizer')).rows).to.deep.equal([{ ml_optimizer: 'on' }]);
      const bad = await failure(c.query("set ml_optimizer = 'sometimes'"));
      expect([bad.code, bad.message]).to.deep.equal(['22023', 'invalid value for parameter "ml_optimizer": "sometimes"']);
      // The session survives the error.
      expect((await c.query('show ml_optimizer')).rows).to.deep.equal([{ ml_optimizer: 'on' }]);
    } finally {
      await c.end();
    }
  });

  it('falls back to the classic estimate while untrained, and shows no ml_rows when off', async () => {
    const p = server.port;
    await query(p, 'create table dim (id int primary key, grp int)');
    await query(p, 'create table fact (id int primary key, dim_id int, v int)');
    await query(p, 'insert into dim select g, g % 10 from generate_series(1, 1000) g');
    // v is correlated with dim_id's group, which the classic (independence) estimate cannot see.
    await query(p, 'insert into fact select g, g % 1000 + 1, (g % 1000 + 1) % 10 from generate_series(1, 20000) g');
    await query(p, 'analyze');
    const sql = 'select count(*) from fact, dim where fact.dim_id = dim.id and dim.grp = 3 and fact.v = 3';
    const shadow = (await query(p, `explain ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
    expect(shadow).to.match(/Hash Join {2}\(rows=\d+ ml_rows=\?\)/);
    const c = await connectPg(p);
    try {
      await c.query('set ml_optimizer = off');
      const off = (await c.query(`explain ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(off).to.not.include('ml_rows');
      expect(off.replace(/ ml_rows=\?/g, '')).to.equal(shadow.replace(/ ml_rows=\?/g, ''));
      // 'on' with an untrained model: the classic estimates and costs, the same plan.
      await c.query('set ml_optimizer = on');
      const on = (await c.query(`explain ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(on).to.equal(shadow);
    } finally {
      await c.end();
    }
    expect(await model(p)).to.deep.include({ version: 0, trusted: false });
  });

  it('learns from executed queries in the background and keeps model and samples across a restart', async () => {
    const p = server.port;
    const c = await connectPg(p);
    try {
      // Three featurized subplans per query (two filtered scans, one join), two of them samples: the
      // fact scan under the join's probe side is pruned by the join's runtime filter, so its count
      // is not its true rows and it is left out (learn-from-execution.ts).
      for (let i = 0; i < 120; i++) await c.query(`select count(*) from fact, dim where fact.dim_id = dim.id and dim.grp = ${i % 10} and fact.v ${i % 3 === 0 ? '=' : '<'} ${(i * 7) % 10}`);
    } finally {
      await c.end();
    }
    let m = await model(p);
    for (let i = 0; i < 120 && (m.version === 0 || m.training); i++) {
      await new Promise((r) => setTimeout(r, 500));
      m = await model(p);
    }
    expect(m.version).to.be.greaterThan(0);
    expect(m.samples).to.equal(240);
    const explained = (await query(p, 'explain select count(*) from fact, dim where fact.dim_id = dim.id and dim.grp = 3 and fact.v = 3')).map((r) => r['QUERY PLAN']).join('\n');
    expect(explained).to.match(/ml_rows=(\d+|\?)/);
    await server.stop();
    await server.restart();
    const after = await model(server.port);
    expect(after).to.deep.equal({ ...m, training: false });
  });
});
