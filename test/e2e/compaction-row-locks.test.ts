// Row locks and snapshots across a compaction (src/storage/compaction.ts moves every row of a table
// to new RowIds): a transaction waiting for a row lock while the table is compacted takes the lock
// on the row's new RowId, never on the RowId it had (which may name another row by then); and
// REPEATABLE READ writers fail with 40001 only when a row they write was changed by a concurrent
// commit, not because the table was compacted since their snapshot. The expected outcomes are
// PostgreSQL 15's (it has no compaction: the same interleavings there are plain row-lock waits):
// with TESSERA_TEST_POSTGRES_PORT set, this file runs against that PostgreSQL and passes the same way.
import { expect } from 'chai';
import { Client } from 'pg';
import { failure, sleep, useServerAndClients } from '../helpers/pg-client';

const onPostgres = process.env.TESSERA_TEST_POSTGRES_PORT !== undefined;

describe('row locks and snapshots across a compaction', function () {
  this.timeout(120000);
  const env = useServerAndClients(3);
  let a: Client;
  let b: Client;
  let c: Client;
  before(() => {
    [a, b, c] = env.clients;
  });
  afterEach(async () => {
    for (const x of [a, b, c]) await x.query('rollback').catch(() => undefined);
  });

  /** Tessera: waits until the table was compacted (it stores at most `rows` row versions); PostgreSQL has nothing to wait for. */
  async function compacted(table: string, rows: number): Promise<void> {
    if (onPostgres) return;
    const until = Date.now() + 30000;
    for (;;) {
      const r = await c.query('select max(rows)::int as n from tessera_storage_stats() where table_name = $1', [table]);
      if (r.rows[0].n <= rows) return;
      if (Date.now() > until) throw new Error(`${table} was not compacted (${r.rows[0].n} row versions stored)`);
      await sleep(50);
    }
  }

  async function table(name: string): Promise<void> {
    await c.query(`drop table if exists ${name}`);
    await c.query(`create table ${name} (id int primary key, v int not null)`);
    await c.query(`insert into ${name} select g, 0 from generate_series(1, 2100) g`);
  }

  it('REPEATABLE READ writes rows the compaction moved since its snapshot (no 40001), and a row changed meanwhile is 40001', async () => {
    await table('cr_rr');
    await a.query('begin isolation level repeatable read');
    expect((await a.query('select count(*)::int as n from cr_rr')).rows).to.deep.equal([{ n: 2100 }]);
    await c.query('update cr_rr set v = 7 where id = 2001');
    // 1500 of 2100 rows deleted: the table is compacted, its rows get new RowIds.
    await c.query('delete from cr_rr where id <= 1500');
    await compacted('cr_rr', 600);
    expect((await a.query('update cr_rr set v = 1 where id = 2000')).rowCount).to.equal(1);
    expect((await a.query('delete from cr_rr where id in (1999, 2002)')).rowCount).to.equal(2);
    // The snapshot still sees every row (and its own writes).
    expect((await a.query('select count(*)::int as n, sum(v)::int as s from cr_rr')).rows).to.deep.equal([{ n: 2098, s: 1 }]);
    const f = await failure(a.query('update cr_rr set v = 2 where id = 2001'));
    expect(f.code).to.equal('40001');
    await a.query('rollback');
    await a.query('begin isolation level repeatable read');
    await a.query('select count(*) from cr_rr');
    await c.query('delete from cr_rr where id > 1500 and id <= 1700');
    expect((await a.query('update cr_rr set v = 1 where id = 2000')).rowCount).to.equal(1);
    expect((await a.query('delete from cr_rr where id in (1999, 2002)')).rowCount).to.equal(2);
    await a.query('commit');
    expect((await c.query('select count(*)::int as n, sum(v)::int as s from cr_rr')).rows).to.deep.equal([{ n: 398, s: 8 }]);
  });

  it('REPEATABLE READ and READ COMMITTED writers that wrote the table before its compaction write it again after and commit', async () => {
    for (const level of ['repeatable read', 'read committed']) {
      await table('cr_again');
      await a.query(`begin isolation level ${level}`);
      await a.query('update cr_again set v = 1 where id = 2000');
      await c.query('delete from cr_again where id <= 1500');
      await compacted('cr_again', 601);
      await a.query('update cr_again set v = 2 where id = 2001');
      await a.query('update cr_again set v = v + 10 where id = 2000');
      await a.query('delete from cr_again where id = 2002');
      await a.query('commit');
      expect((await c.query('select count(*)::int as n, sum(v)::int as s from cr_again')).rows, level).to.deep.equal([{ n: 599, s: 13 }]);
    }
  });

  it('REPEATABLE READ: a writer waiting for a row lock while the table is compacted gets the row (its holder rolled back) and holds its lock', async () => {
    await table('cr_wait');
    await a.query('begin');
    await a.query('update cr_wait set v = 1 where id = 2100');
    await b.query('begin isolation level repeatable read');
    await b.query('select count(*) from cr_wait');
    let done = false;
    const waiting = b.query('update cr_wait set v = v + 10 where id = 2100').then((r) => ((done = true), r.rowCount));
    await sleep(300);
    expect(done).to.equal(false);
    await c.query('delete from cr_wait where id <= 1500');
    await compacted('cr_wait', 600);
    await a.query('rollback');
    expect(await waiting).to.equal(1);
    // b holds the row's lock under its new RowId: another writer waits for b.
    let later = false;
    const next = a.query('update cr_wait set v = v + 100 where id = 2100').then(() => (later = true));
    await sleep(300);
    expect(later).to.equal(false);
    await b.query('commit');
    await next;
    expect((await c.query('select v from cr_wait where id = 2100')).rows).to.deep.equal([{ v: 110 }]);
  });

  it('READ COMMITTED: a lock wait across a compaction leaves no lock on the RowId the row had (it names another row by then)', async function () {
    await table('cr_stale');
    // A first compaction moves the 600 rows left to a region of high group numbers (RowIds from 4 · 65536).
    await c.query('delete from cr_stale where id <= 1500');
    await compacted('cr_stale', 600);
    await c.query('insert into cr_stale select g, 0 from generate_series(3000, 4999) g');
    await a.query('begin');
    await a.query('update cr_stale set v = v + 1 where id = 2100');
    await b.query('begin');
    let done = false;
    const waiting = b.query('update cr_stale set v = v + 10 where id = 2100').then((r) => ((done = true), r.rowCount));
    await sleep(300);
    expect(done).to.equal(false);
    // A second compaction while b waits moves the rows back to RowIds from 0; then appends fill
    // the groups up to the RowId the row 2100 had (4 · 65536 + 599): the row 1262143 gets it.
    await c.query('delete from cr_stale where id >= 3000');
    await compacted('cr_stale', 600);
    await c.query('insert into cr_stale select g, 0 from generate_series(1000000, 1262143) g');
    await a.query('commit');
    expect(await waiting).to.equal(1);
    // b locked only the row 2100 (its newest version): the row 1262143 is free.
    await c.query("set statement_timeout = '5s'");
    try {
      expect((await c.query('update cr_stale set v = -1 where id = 1262143')).rowCount).to.equal(1);
    } finally {
      await c.query('reset statement_timeout');
    }
    // And the row 2100 is b's until it ends.
    let later = false;
    const next = a.query('update cr_stale set v = v + 100 where id = 2100').then(() => (later = true));
    await sleep(300);
    expect(later).to.equal(false);
    await b.query('commit');
    await next;
    expect((await c.query('select id, v from cr_stale where id in (2100, 1262143) order by id')).rows).to.deep.equal([
      { id: 2100, v: 111 },
      { id: 1262143, v: -1 },
    ]);
  });
});
