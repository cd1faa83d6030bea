// Table locks between DDL and the transactions that use a table, through two pg connections. The
// expected outcomes are PostgreSQL 15's for the same interleavings: with TESSERA_TEST_POSTGRES_PORT
// set, this file runs against the PostgreSQL listening there (on 127.0.0.1, user postgres) instead of
// a Tessera server, and passes the same way. DROP TABLE, TRUNCATE and ALTER TABLE wait for open transactions that read or
// wrote the table, and statements wait for an uncommitted DROP or ALTER, then see what it committed.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startServerOrPostgres } from '../helpers/test-server';
import { connectPg, failure } from '../helpers/pg-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settle = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string; message?: string }) => `${e.code} ${e.message}`);
const postgresPort = process.env.TESSERA_TEST_POSTGRES_PORT;

/**
 * Two fresh connections each start a wait; the second closes a cycle. One of them gets 40P01 and
 * rolls back, the other's statement then succeeds and it commits.
 */
async function deadlockBetween(port: number, setup: (c: Client, d: Client) => Promise<void>, cWait: string, dWait: string, dFirst = false): Promise<Client> {
  const c = await connectPg(port);
  const d = await connectPg(port);
  try {
    await setup(c, d);
    const [firstSql, firstClient] = dFirst ? [dWait, d] : [cWait, c];
    const firstWaits = settle(firstClient.query(firstSql));
    await sleep(100);
    const secondClient = dFirst ? c : d;
    const secondWaits = settle(secondClient.query(dFirst ? cWait : dWait));
    const first = await Promise.race([firstWaits.then((r) => ({ who: firstClient, r })), secondWaits.then((r) => ({ who: secondClient, r }))]);
    expect(first.r).to.equal('40P01 deadlock detected');
    await first.who.query('rollback');
    expect([await firstWaits, await secondWaits].sort()).to.deep.equal(['40P01 deadlock detected', 'ok']);
    await (first.who === c ? d : c).query('commit');
    return c;
  } finally {
    await d.end();
  }
}

describe('table locks (DDL against open transactions)', function () {
  this.timeout(60000);
  let server: TestServer;
  let a: Client;
  let b: Client;
  before(async () => {
    server = await startServerOrPostgres();
    if (postgresPort !== undefined) {
      const c = await connectPg(server.port);
      await c.query('drop table if exists lk1, lk2, lk3, lk4, lk5, lk6, lk7a, lk7b, lk8, lk9, lk10, lk11, lk12, lk13, lk14, lk15');
      await c.end();
    }
    a = await connectPg(server.port);
    b = await connectPg(server.port);
  });
  after(async () => {
    await a?.end().catch(() => undefined);
    await b?.end().catch(() => undefined);
    await server?.stop();
  });
  afterEach(async () => {
    await a.query('rollback').catch(() => undefined);
    await b.query('rollback').catch(() => undefined);
    await b.query('reset statement_timeout');
  });

  it('DROP TABLE waits for a transaction that updated the table; that commit succeeds, then the drop', async () => {
    await a.query('create table lk1 (id int primary key, v int)');
    await a.query('insert into lk1 values (1, 1)');
    await a.query('begin');
    await a.query('update lk1 set v = 2 where id = 1');
    let dropped = false;
    const drop = b.query('drop table lk1').then(() => (dropped = true));
    await sleep(300);
    expect(dropped).to.equal(false);
    await a.query('commit');
    await drop;
    expect(dropped).to.equal(true);
    expect((await failure(a.query('select * from lk1'))).code).to.equal('42P01');
  });

  it('a statement waits for an uncommitted DROP TABLE, then fails with 42P01 as the table is gone', async () => {
    await a.query('create table lk2 (id int)');
    await a.query('insert into lk2 values (1)');
    await a.query('begin');
    await a.query('drop table lk2');
    const read = settle(b.query('select * from lk2'));
    await sleep(300);
    await a.query('commit');
    expect(await read).to.equal('42P01 relation "lk2" does not exist');
  });

  it('a statement waits for an uncommitted ALTER TABLE and sees its new column after the commit', async () => {
    await a.query('create table lk3 (id int)');
    await a.query('insert into lk3 values (7)');
    await a.query('begin');
    await a.query('alter table lk3 add column w int default 5');
    const read = b.query('select * from lk3');
    await sleep(300);
    await a.query('commit');
    expect((await read).rows).to.deep.equal([{ id: 7, w: 5 }]);
  });

  it('after a rolled-back DROP the waiting statement reads the table as it was', async () => {
    await a.query('create table lk4 (id int)');
    await a.query('insert into lk4 values (1), (2)');
    await a.query('begin');
    await a.query('drop table lk4');
    const read = b.query('select count(*)::int as n from lk4');
    await sleep(200);
    await a.query('rollback');
    expect((await read).rows).to.deep.equal([{ n: 2 }]);
  });

  it('TRUNCATE waiting for a reading transaction ends at statement_timeout (57014) and the session goes on', async () => {
    await a.query('create table lk5 (id int)');
    await a.query('insert into lk5 values (1)');
    await a.query('begin');
    expect((await a.query('select count(*)::int as n from lk5')).rows).to.deep.equal([{ n: 1 }]);
    await b.query("set statement_timeout = '300ms'");
    expect(await settle(b.query('truncate lk5'))).to.equal('57014 canceling statement due to statement timeout');
    await a.query('commit');
    await b.query('reset statement_timeout');
    await b.query('truncate lk5');
    expect((await a.query('select count(*)::int as n from lk5')).rows).to.deep.equal([{ n: 0 }]);
  });

  it('repeated (cached) statements wait for a DROP like any other', async () => {
    await a.query('create table lk6 (id int primary key, v int)');
    await a.query('insert into lk6 values (1, 10)');
    for (let i = 0; i < 3; i++) expect((await b.query('select v from lk6 where id = 1')).rows).to.deep.equal([{ v: 10 }]);
    await b.query('begin');
    await b.query('select v from lk6 where id = 1');
    const drop = settle(a.query('drop table lk6'));
    await sleep(200);
    // b holds the table: its own statements go on while the DROP waits.
    expect((await b.query('update lk6 set v = 11 where id = 1')).rowCount).to.equal(1);
    await b.query('commit');
    expect(await drop).to.equal('ok');
    expect(await settle(b.query('select v from lk6 where id = 1'))).to.equal('42P01 relation "lk6" does not exist');
  });

  it('two transactions each waiting to drop the table the other read: one gets 40P01, the other drops', async () => {
    const setup = async (c: Client, d: Client) => {
      await c.query('create table lk7a (id int)');
      await c.query('create table lk7b (id int)');
      await c.query('begin');
      await d.query('begin');
      await c.query('select * from lk7a');
      await d.query('select * from lk7b');
    };
    const c = await deadlockBetween(server.port, setup, 'drop table lk7b', 'drop table lk7a');
    try {
      const left = (await c.query("select count(*)::int as n from pg_class where relname in ('lk7a', 'lk7b')")).rows;
      expect(left).to.deep.equal([{ n: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('a cycle through a row lock and a table lock: one of the two gets 40P01, the other goes on', async () => {
    const setup = async (c: Client, d: Client) => {
      await c.query('create table lk9 (id int primary key, v int)');
      await c.query('insert into lk9 values (1, 0)');
      await c.query('begin');
      await c.query('update lk9 set v = 1 where id = 1');
      await d.query('begin');
    };
    // d holds lk9 (share) and waits for c's row lock; c's TRUNCATE then waits for d: a cycle.
    const c = await deadlockBetween(server.port, setup, 'truncate lk9', 'update lk9 set v = 2 where id = 1', true);
    await c.end();
  });

  it('CREATE INDEX and ANALYZE wait for an uncommitted DROP TABLE, then fail with 42P01', async () => {
    await a.query('create table lk10 (id int)');
    await a.query('begin');
    await a.query('drop table lk10');
    const index = settle(b.query('create index on lk10 (id)'));
    await sleep(200);
    await a.query('commit');
    expect(await index).to.equal('42P01 relation "lk10" does not exist');
    await a.query('create table lk11 (id int)');
    await a.query('begin');
    await a.query('drop table lk11');
    const analyze = settle(b.query('analyze lk11'));
    await sleep(200);
    await a.query('commit');
    expect(await analyze).to.equal('42P01 relation "lk11" does not exist');
  });

  it('a transaction that read a table may alter it itself while nobody else holds it', async () => {
    await a.query('create table lk8 (id int)');
    await a.query('begin');
    await a.query('select * from lk8');
    await a.query('alter table lk8 add column w int');
    await a.query('commit');
    expect((await b.query('select * from lk8')).fields.map((f) => f.name)).to.deep.equal(['id', 'w']);
  });

  // ROLLBACK TO SAVEPOINT releases the locks taken since the savepoint, as PostgreSQL's rolled back
  // subtransaction does; those taken before it stay until the transaction ends.
  it('ROLLBACK TO SAVEPOINT releases a row lock taken after the savepoint: the waiting UPDATE goes on', async () => {
    await a.query('create table lk12 (id int primary key, v int)');
    await a.query('insert into lk12 values (1, 0), (2, 0)');
    await a.query('begin');
    await a.query('update lk12 set v = 10 where id = 2');
    await a.query('savepoint s');
    await a.query('update lk12 set v = 1 where id = 1');
    let done = false;
    const update = b.query('update lk12 set v = 2 where id = 1').then((r) => ((done = true), r.rowCount));
    await sleep(300);
    expect(done).to.equal(false);
    await a.query('rollback to savepoint s');
    expect(await update).to.equal(1);
    // The row locked before the savepoint stays locked.
    await b.query('set statement_timeout = 300');
    expect((await failure(b.query('update lk12 set v = 3 where id = 2'))).code).to.equal('57014');
    await a.query('commit');
    expect((await b.query('select id, v from lk12 order by id')).rows).to.deep.equal([{ id: 1, v: 2 }, { id: 2, v: 10 }]);
  });

  it('ROLLBACK TO SAVEPOINT releases the key lock of a row inserted after it: the second inserter goes on', async () => {
    await a.query('create table lk13 (id int primary key, v int)');
    await a.query('begin');
    await a.query('savepoint s');
    await a.query('insert into lk13 values (3, 0)');
    let done = false;
    const insert = b.query('insert into lk13 values (3, 9)').then((r) => ((done = true), r.rowCount));
    await sleep(300);
    expect(done).to.equal(false);
    await a.query('rollback to savepoint s');
    expect(await insert).to.equal(1);
    await a.query('commit');
    expect((await b.query('select id, v from lk13')).rows).to.deep.equal([{ id: 3, v: 9 }]);
  });

  it('ROLLBACK TO SAVEPOINT releases a table lock taken after it: a waiting DROP TABLE goes on', async () => {
    await a.query('create table lk14 (id int)');
    await a.query('insert into lk14 values (1)');
    await a.query('begin');
    await a.query('savepoint s');
    await a.query('select * from lk14');
    let dropped = false;
    const drop = b.query('drop table lk14').then(() => (dropped = true));
    await sleep(300);
    expect(dropped).to.equal(false);
    await a.query('rollback to savepoint s');
    await drop;
    expect(dropped).to.equal(true);
    await a.query('commit');
  });

  it('ROLLBACK TO SAVEPOINT gives back an exclusive lock taken after it, keeping the shared one from before', async () => {
    await a.query('create table lk15 (id int)');
    await a.query('insert into lk15 values (1)');
    await a.query('begin');
    await a.query('select * from lk15');
    await a.query('savepoint s');
    await a.query('alter table lk15 add column w int');
    const read = b.query('select * from lk15');
    let readDone = false;
    void read.then(() => (readDone = true), () => undefined);
    await sleep(300);
    expect(readDone).to.equal(false);
    await a.query('rollback to savepoint s');
    // The column was rolled back with the savepoint; the reader sees the table as it was.
    expect((await read).rows).to.deep.equal([{ id: 1 }]);
    // The transaction still holds the table shared: a DROP waits for its end.
    let dropped = false;
    const drop = b.query('drop table lk15').then(() => (dropped = true));
    await sleep(300);
    expect(dropped).to.equal(false);
    await a.query('commit');
    await drop;
    expect(dropped).to.equal(true);
  });
});
