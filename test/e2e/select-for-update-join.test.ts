// SELECT … FOR UPDATE / FOR SHARE over joins of base tables: the rows of every table in FROM (or of
// those named by OF) that make up the result are locked until the transaction ends. The expected
// outcomes are PostgreSQL 15's: with TESSERA_TEST_POSTGRES_PORT set, this file runs against that
// PostgreSQL and passes the same way.
import { expect } from 'chai';
import { Client } from 'pg';
import { failure, sleep, useServerAndClients } from '../helpers/pg-client';


describe('SELECT … FOR UPDATE over joins', function () {
  this.timeout(60000);
  const env = useServerAndClients(2);
  let a: Client;
  let b: Client;
  before(() => {
    [a, b] = env.clients;
  });
  beforeEach(async () => {
    await a.query('drop table if exists fj_orders');
    await a.query('drop table if exists fj_customers');
    await a.query('create table fj_customers (id int primary key, name text, credit int)');
    await a.query('create table fj_orders (id int primary key, customer int, amount int)');
    await a.query("insert into fj_customers values (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 0)");
    await a.query('insert into fj_orders values (10, 1, 5), (11, 1, 7), (12, 2, 9)');
  });
  afterEach(async () => {
    for (const x of [a, b]) await x.query('rollback').catch(() => undefined);
  });

  /** Runs `sql` on b and tells whether it had to wait (still running after 300 ms) before a's transaction ended. */
  async function waits(sql: string): Promise<boolean> {
    let done = false;
    const q = b.query(sql).then(() => (done = true));
    await sleep(300);
    const waited = !done;
    await a.query('commit');
    await q;
    return waited;
  }

  const join = 'select c.name, o.id, o.amount from fj_customers c join fj_orders o on o.customer = c.id';

  it('returns the join rows, ordered, with LIMIT/OFFSET', async () => {
    const r = await a.query(`${join} where o.amount > 5 order by o.id desc limit 2 for update`);
    expect(r.rows).to.deep.equal([
      { name: 'bob', id: 12, amount: 9 },
      { name: 'ann', id: 11, amount: 7 },
    ]);
    expect(r.command).to.equal('SELECT');
    const s = await a.query('select * from fj_customers c, fj_orders o where o.customer = c.id and o.id = $1 for share', [10]);
    expect(s.rows).to.deep.equal([{ id: 10, name: 'ann', credit: 100, customer: 1, amount: 5 }]);
  });

  it('locks the rows of both tables that make up the result, and no others', async () => {
    await a.query('begin');
    await a.query(`${join} where o.id = 12 for update`);
    expect(await waits('update fj_customers set credit = credit - 1 where id = 2')).to.equal(true);
    await a.query('begin');
    await a.query(`${join} where o.id = 12 for update`);
    expect(await waits('update fj_orders set amount = 0 where id = 12')).to.equal(true);
    await a.query('begin');
    await a.query(`${join} where o.id = 12 for update`);
    expect(await waits('update fj_customers set credit = 0 where id = 1')).to.equal(false);
    expect((await b.query('select credit from fj_customers where id = 2')).rows).to.deep.equal([{ credit: 49 }]);
  });

  it('FOR UPDATE OF locks only the named tables (by alias)', async () => {
    await a.query('begin');
    await a.query(`${join} where o.id = 12 for update of o`);
    expect(await waits('update fj_customers set credit = 0 where id = 2')).to.equal(false);
    await a.query('begin');
    await a.query(`${join} where o.id = 12 for update of o`);
    expect(await waits('update fj_orders set amount = 1 where id = 12')).to.equal(true);
    // OF a table on the preserved side of an outer join.
    await a.query('begin');
    const r = await a.query('select c.id, o.id as oid from fj_customers c left join fj_orders o on o.customer = c.id where c.id >= 2 order by c.id for update of c');
    expect(r.rows).to.deep.equal([
      { id: 2, oid: 12 },
      { id: 3, oid: null },
    ]);
    expect(await waits('update fj_customers set credit = 1 where id = 3')).to.equal(true);
  });

  it('READ COMMITTED: waits for a writer of one of the rows, then returns the newest versions', async () => {
    await b.query('begin');
    await b.query('update fj_customers set credit = 77 where id = 1');
    let rows: unknown = null;
    const q = a.query('select c.credit, o.id from fj_customers c join fj_orders o on o.customer = c.id where c.id = 1 order by o.id for update').then((r) => (rows = r.rows));
    await sleep(300);
    expect(rows).to.equal(null);
    await b.query('commit');
    await q;
    expect(rows).to.deep.equal([
      { credit: 77, id: 10 },
      { credit: 77, id: 11 },
    ]);
  });

  it('NOWAIT fails with 55P03 when a row of either table is held; SKIP LOCKED passes over such join rows', async () => {
    await b.query('begin');
    await b.query('update fj_customers set credit = 1 where id = 2');
    const err = await failure(a.query(`${join} for update nowait`));
    expect(err.code).to.equal('55P03');
    const r = await a.query(`${join} order by o.id for update skip locked`);
    expect(r.rows.map((x) => x.id)).to.deep.equal([10, 11]);
  });

  it("refuses what PostgreSQL refuses, with PostgreSQL's messages", async () => {
    const cases: [string, string, string][] = [
      ['select * from fj_customers c left join fj_orders o on o.customer = c.id for update', '0A000', 'FOR UPDATE cannot be applied to the nullable side of an outer join'],
      ['select * from fj_customers c right join fj_orders o on o.customer = c.id for share of c', '0A000', 'FOR SHARE cannot be applied to the nullable side of an outer join'],
      ['select * from fj_customers c join fj_orders o on o.customer = c.id for update of x', '42P01', 'relation "x" in FOR UPDATE clause not found in FROM clause'],
      ['select count(*) from fj_customers c join fj_orders o on o.customer = c.id for update', '0A000', 'FOR UPDATE is not allowed with aggregate functions'],
    ];
    for (const [sql, code, message] of cases) {
      const err = await failure(a.query(sql));
      expect([sql, err.code, err.message]).to.deep.equal([sql, code, message]);
    }
  });
});
