// SELECT … FOR UPDATE / FOR SHARE between two pg connections. The expected outcomes are
// PostgreSQL 15's for the same interleavings: with TESSERA_TEST_POSTGRES_PORT set, this file runs
// against the PostgreSQL listening there (on 127.0.0.1, user postgres) instead of a Tessera server,
// and passes the same way.
import { expect } from 'chai';
import { Client } from 'pg';
import { connectPg, failure, sleep, useServerAndClients } from '../helpers/pg-client';


describe('SELECT … FOR UPDATE / FOR SHARE', function () {
  this.timeout(60000);
  const env = useServerAndClients(2);
  let a: Client;
  let b: Client;
  before(() => {
    [a, b] = env.clients;
  });
  beforeEach(async () => {
    await a.query('drop table if exists fu_jobs');
    await a.query('create table fu_jobs (id int primary key, state text, n int)');
    await a.query("insert into fu_jobs values (1, 'new', 0), (2, 'new', 0), (3, 'new', 0), (4, 'done', 0)");
  });
  afterEach(async () => {
    await a.query('rollback').catch(() => undefined);
    await b.query('rollback').catch(() => undefined);
  });

  it('returns the rows, projected and ordered, with LIMIT/OFFSET applied after the lock', async () => {
    const r = await a.query("select id, n + 1 as next from fu_jobs where state = 'new' order by id desc limit 2 offset 1 for update");
    expect(r.rows).to.deep.equal([
      { id: 2, next: 1 },
      { id: 1, next: 1 },
    ]);
    expect(r.command).to.equal('SELECT');
    expect(r.rowCount).to.equal(2);
    const p = await a.query('select id from fu_jobs where id = $1 for share', [3]);
    expect(p.rows).to.deep.equal([{ id: 3 }]);
  });

  it('an UPDATE of a locked row waits for the locking transaction to end', async () => {
    await a.query('begin');
    await a.query('select * from fu_jobs where id = 1 for update');
    let updated = false;
    const upd = b.query('update fu_jobs set n = n + 1 where id = 1').then(() => (updated = true));
    await sleep(300);
    expect(updated).to.equal(false);
    // Rows the lock did not cover are free.
    const c = await connectPg(env.server.port);
    await c.query('update fu_jobs set n = n + 1 where id = 2');
    await c.end();
    await a.query('commit');
    await upd;
    expect((await a.query('select id, n from fu_jobs where id <= 2 order by id')).rows).to.deep.equal([
      { id: 1, n: 1 },
      { id: 2, n: 1 },
    ]);
  });

  it('READ COMMITTED: waits for a writer, then returns the newest version, and drops a row that stopped matching', async () => {
    await b.query('begin');
    await b.query("update fu_jobs set n = 5 where id = 1");
    await b.query("update fu_jobs set state = 'done' where id = 2");
    let result: unknown = null;
    const sel = a.query("select id, n from fu_jobs where state = 'new' order by id for update").then((r) => (result = r.rows));
    await sleep(300);
    expect(result).to.equal(null);
    await b.query('commit');
    await sel;
    expect(result).to.deep.equal([
      { id: 1, n: 5 },
      { id: 3, n: 0 },
    ]);
  });

  it('REPEATABLE READ: a row changed by a commit after the snapshot fails with 40001', async () => {
    await a.query('begin isolation level repeatable read');
    await a.query('select count(*) from fu_jobs');
    await b.query('update fu_jobs set n = 9 where id = 1');
    const err = await failure(a.query('select * from fu_jobs where id = 1 for update'));
    expect(err.code).to.equal('40001');
    expect(err.message).to.equal('could not serialize access due to concurrent update');
  });

  it('NOWAIT fails with 55P03 on a row another transaction holds, and the transaction is aborted', async () => {
    await a.query('begin');
    await a.query('select * from fu_jobs where id = 2 for update');
    await b.query('begin');
    expect((await b.query('select id from fu_jobs where id = 1 for update nowait')).rows).to.deep.equal([{ id: 1 }]);
    const err = await failure(b.query('select id from fu_jobs where id in (2, 3) order by id for update nowait'));
    expect(err.code).to.equal('55P03');
    expect(err.message).to.equal('could not obtain lock on row in relation "fu_jobs"');
    expect((await failure(b.query('select 1'))).code).to.equal('25P02');
  });

  it('SKIP LOCKED passes over rows others hold, and they do not count toward LIMIT (a job queue)', async () => {
    await a.query('begin');
    const first = await a.query("select id from fu_jobs where state = 'new' order by id limit 1 for update skip locked");
    await b.query('begin');
    const second = await b.query("select id from fu_jobs where state = 'new' order by id limit 1 for update skip locked");
    expect([first.rows, second.rows]).to.deep.equal([[{ id: 1 }], [{ id: 2 }]]);
    const rest = await b.query("select id from fu_jobs where state = 'new' order by id for update skip locked");
    expect(rest.rows).to.deep.equal([{ id: 2 }, { id: 3 }]);
    await a.query("update fu_jobs set state = 'done' where id = 1");
    await a.query('commit');
    await b.query('commit');
    const after = await b.query("select id from fu_jobs where state = 'new' order by id for update skip locked");
    expect(after.rows).to.deep.equal([{ id: 2 }, { id: 3 }]);
  });

  it('in a READ ONLY transaction it fails with 25006', async () => {
    await a.query('begin read only');
    const err = await failure(a.query('select * from fu_jobs for share'));
    expect(err.code).to.equal('25006');
    expect(err.message).to.equal('cannot execute SELECT FOR SHARE in a read-only transaction');
  });

  it("refuses what PostgreSQL refuses, with PostgreSQL's messages", async () => {
    const cases: [string, string, string][] = [
      ['select count(*) from fu_jobs for update', '0A000', 'FOR UPDATE is not allowed with aggregate functions'],
      ['select distinct state from fu_jobs for share', '0A000', 'FOR SHARE is not allowed with DISTINCT clause'],
      ['select state from fu_jobs group by state for update', '0A000', 'FOR UPDATE is not allowed with GROUP BY clause'],
      ['select sum(n) over () from fu_jobs for no key update', '0A000', 'FOR NO KEY UPDATE is not allowed with window functions'],
      ['select id from fu_jobs union select id from fu_jobs for update', '0A000', 'FOR UPDATE is not allowed with UNION/INTERSECT/EXCEPT'],
      ['values (1) for key share', '0A000', 'FOR KEY SHARE cannot be applied to VALUES'],
      ['select * from fu_jobs j for update of k', '42P01', 'relation "k" in FOR UPDATE clause not found in FROM clause'],
      ['select * from fu_jobs limit -1 for update', '2201W', 'LIMIT must not be negative'],
    ];
    for (const [sql, code, message] of cases) {
      const err = await failure(a.query(sql));
      expect([sql, err.code, err.message]).to.deep.equal([sql, code, message]);
    }
  });
});
