// Concurrent transactions through several pg connections: savepoints, READ COMMITTED vs
// REPEATABLE READ visibility, a long query over a table updated beside it, 40001 on write-write
// conflicts, a deadlock (40P01), write skew prevented at SERIALIZABLE, READ COMMITTED re-reading a
// row another transaction updated, a bank-transfer invariant at SERIALIZABLE with retries, and concurrent
// inserts of one key. The expected outcomes are PostgreSQL 15's for the same interleavings.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg, failure } from '../helpers/pg-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrent transactions', function () {
  this.timeout(120000);
  let server: TestServer;
  let a: Client;
  let b: Client;
  before(async () => {
    server = await startTestServer();
    a = await connectPg(server.port);
    b = await connectPg(server.port);
  });
  after(async () => {
    await a?.end().catch(() => undefined);
    await b?.end().catch(() => undefined);
    await server?.stop();
  });

  const one = async (c: Client, sql: string, params: unknown[] = []) => (await c.query(sql, params)).rows;

  it('savepoints: a rolled-back part is never seen by another session, the rest is after COMMIT', async () => {
    await a.query('create table sp (id int primary key, v int)');
    await a.query('insert into sp values (1, 10), (2, 20)');
    await a.query('begin');
    await a.query('update sp set v = 11 where id = 1');
    await a.query('savepoint s');
    await a.query('update sp set v = 21 where id = 2');
    await a.query('insert into sp values (3, 30)');
    expect(await one(b, 'select * from sp order by id')).to.deep.equal([{ id: 1, v: 10 }, { id: 2, v: 20 }]);
    await a.query('rollback to savepoint s');
    expect((await failure(a.query('insert into sp values (1, 0)'))).code).to.equal('23505');
    expect((await failure(a.query('select 1'))).code).to.equal('25P02');
    await a.query('rollback to s');
    await a.query('insert into sp values (4, 40)');
    await a.query('commit');
    expect(await one(b, 'select * from sp order by id')).to.deep.equal([
      { id: 1, v: 11 },
      { id: 2, v: 20 },
      { id: 4, v: 40 },
    ]);
  });

  it('READ COMMITTED sees each commit at its next statement; REPEATABLE READ keeps its first snapshot', async () => {
    await a.query('create table vis (id int primary key, v int)');
    await a.query('insert into vis values (1, 1)');
    await a.query('begin isolation level repeatable read');
    await b.query('begin'); // read committed
    expect(await one(a, 'select v from vis')).to.deep.equal([{ v: 1 }]);
    expect(await one(b, 'select v from vis')).to.deep.equal([{ v: 1 }]);
    const c = await connectPg(server.port);
    await c.query('update vis set v = 2 where id = 1');
    await c.query('insert into vis values (2, 2)');
    await c.end();
    expect(await one(a, 'select sum(v)::int as s, count(*)::int as n from vis')).to.deep.equal([{ s: 1, n: 1 }]);
    expect(await one(b, 'select sum(v)::int as s, count(*)::int as n from vis')).to.deep.equal([{ s: 4, n: 2 }]);
    await a.query('commit');
    await b.query('commit');
    expect(await one(a, 'select sum(v)::int as s from vis')).to.deep.equal([{ s: 4 }]);
  });

  it('a long query sees a stable table while updates of every row commit beside it', async () => {
    const rows = 50000;
    await a.query('create table big (id int primary key, v int)');
    await a.query(`insert into big select g, 1 from generate_series(1, ${rows}) g`);
    let stop = false;
    let commits = 0;
    const updater = (async () => {
      while (!stop) {
        await b.query('update big set v = v + 1');
        commits++;
      }
    })();
    const totals: number[] = [];
    for (let i = 0; i < 4; i++) {
      // A self-join forces a full pass over the table twice, long enough for updates to commit meanwhile.
      const [r] = await one(a, 'select sum(x.v)::int8 as s1, sum(y.v)::int8 as s2, count(*)::int as n from big x join big y on x.id = y.id');
      expect(r.n).to.equal(rows);
      expect(Number(r.s1)).to.equal(Number(r.s2));
      expect(Number(r.s1) % rows).to.equal(0);
      totals.push(Number(r.s1));
    }
    stop = true;
    await updater;
    expect(commits).to.be.greaterThan(0);
    const [last] = await one(a, 'select sum(v)::int8 as s from big');
    expect(Number(last.s)).to.equal(rows * (commits + 1));
  });

  it('REPEATABLE READ: updating a row another transaction changed since the snapshot fails with 40001', async () => {
    await a.query('create table ww (id int primary key, v int)');
    await a.query('insert into ww values (1, 0), (2, 0)');
    await a.query('begin isolation level repeatable read');
    expect(await one(a, 'select v from ww where id = 1')).to.deep.equal([{ v: 0 }]);
    await b.query('update ww set v = 5 where id = 1');
    const f = await failure(a.query('update ww set v = v + 1 where id = 1'));
    expect(f.code).to.equal('40001');
    expect(f.message).to.equal('could not serialize access due to concurrent update');
    await a.query('rollback');
    // Concurrent: the second writer waits for the first, then fails once the first commits.
    await a.query('begin isolation level repeatable read');
    await b.query('begin isolation level repeatable read');
    await a.query('update ww set v = v + 1 where id = 2');
    const pending = b.query('update ww set v = v + 10 where id = 2');
    await sleep(100);
    await a.query('commit');
    expect((await failure(pending)).code).to.equal('40001');
    await b.query('rollback');
    // Different rows of one table: both commit.
    await a.query('begin isolation level repeatable read');
    await b.query('begin isolation level repeatable read');
    await a.query('update ww set v = 100 where id = 1');
    await b.query('update ww set v = 200 where id = 2');
    await a.query('commit');
    await b.query('commit');
    expect(await one(a, 'select id, v from ww order by id')).to.deep.equal([
      { id: 1, v: 100 },
      { id: 2, v: 200 },
    ]);
  });

  it('READ COMMITTED: an UPDATE of a row another transaction is updating waits, then works on the newest version', async () => {
    await a.query('create table rc (id int primary key, v int)');
    await a.query('insert into rc values (1, 0)');
    await a.query('begin');
    await a.query('update rc set v = v + 1 where id = 1');
    const pending = b.query('update rc set v = v + 10 where id = 1 returning v');
    await sleep(100);
    await a.query('commit');
    expect((await pending).rows).to.deep.equal([{ v: 11 }]);
    // The re-check applies the WHERE clause to the newest version: the row no longer qualifies.
    await a.query('begin');
    await a.query('update rc set v = 50 where id = 1');
    const skipped = b.query('update rc set v = -1 where id = 1 and v = 11');
    await sleep(100);
    await a.query('commit');
    expect((await skipped).rowCount).to.equal(0);
    expect(await one(a, 'select v from rc')).to.deep.equal([{ v: 50 }]);
  });

  it('two transactions waiting for each other\'s rows: one gets 40P01 deadlock detected, the other goes on', async () => {
    await a.query('create table dl (id int primary key, v int)');
    await a.query('insert into dl values (1, 0), (2, 0)');
    await a.query('begin');
    await b.query('begin');
    await a.query('update dl set v = 1 where id = 1');
    await b.query('update dl set v = 2 where id = 2');
    // PostgreSQL fails the transaction whose deadlock check runs first (the first waiter, after
    // deadlock_timeout); Tessera the one whose wait would close the cycle. Either way one fails, one goes on.
    const settle = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string; message?: string }) => `${e.code} ${e.message}`);
    const aWaits = settle(a.query('update dl set v = 1 where id = 2'));
    await sleep(100);
    const bWaits = settle(b.query('update dl set v = 2 where id = 1'));
    const first = await Promise.race([aWaits.then((r) => ({ who: a, r })), bWaits.then((r) => ({ who: b, r }))]);
    expect(first.r).to.equal('40P01 deadlock detected');
    const loser = first.who;
    const winner = loser === a ? b : a;
    await loser.query('rollback');
    expect([await aWaits, await bWaits].sort()).to.deep.equal(['40P01 deadlock detected', 'ok']);
    await winner.query('commit');
    const v = winner === a ? 1 : 2;
    expect(await one(a, 'select id, v from dl order by id')).to.deep.equal([
      { id: 1, v },
      { id: 2, v },
    ]);
  });

  it('SERIALIZABLE prevents write skew (two doctors on call); REPEATABLE READ allows it, as in PostgreSQL', async () => {
    await a.query('create table doctors (name text primary key, on_call bool)');
    for (const level of ['serializable', 'repeatable read']) {
      await a.query('delete from doctors');
      await a.query("insert into doctors values ('alice', true), ('bob', true)");
      await a.query(`begin isolation level ${level}`);
      await b.query(`begin isolation level ${level}`);
      expect(await one(a, 'select count(*)::int as n from doctors where on_call')).to.deep.equal([{ n: 2 }]);
      expect(await one(b, 'select count(*)::int as n from doctors where on_call')).to.deep.equal([{ n: 2 }]);
      await a.query("update doctors set on_call = false where name = 'alice'");
      await b.query("update doctors set on_call = false where name = 'bob'");
      await a.query('commit');
      const onCall = await one(a, 'select count(*)::int as n from doctors where on_call');
      if (level === 'serializable') {
        const f = await failure(b.query('commit'));
        expect(f.code).to.equal('40001');
        expect(f.message).to.equal('could not serialize access due to read/write dependencies among transactions');
        expect(await one(a, 'select count(*)::int as n from doctors where on_call')).to.deep.equal([{ n: 1 }]);
      } else {
        expect(onCall).to.deep.equal([{ n: 1 }]);
        await b.query('commit');
        expect(await one(a, 'select count(*)::int as n from doctors where on_call')).to.deep.equal([{ n: 0 }]);
      }
    }
  });

  it('bank transfers by 6 clients at SERIALIZABLE, retried on 40001, keep the total', async () => {
    const ACCOUNTS = 10;
    await a.query('create table bank (id int primary key, balance int not null)');
    await a.query(`insert into bank select g, 1000 from generate_series(1, ${ACCOUNTS}) g`);
    let retries = 0;
    let done = 0;
    const client = async (seed: number) => {
      const c = await connectPg(server.port);
      let s = seed;
      const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      for (let i = 0; i < 15; i++) {
        const from = 1 + Math.floor(rnd() * ACCOUNTS);
        const to = 1 + ((from + Math.floor(rnd() * (ACCOUNTS - 1))) % ACCOUNTS);
        const amount = 1 + Math.floor(rnd() * 100);
        for (;;) {
          try {
            await c.query('begin isolation level serializable');
            const [{ balance }] = (await c.query('select balance from bank where id = $1', [from])).rows;
            if (balance >= amount) {
              await c.query('update bank set balance = $1 where id = $2', [balance - amount, from]);
              await c.query('update bank set balance = balance + $1 where id = $2', [amount, to]);
            }
            await c.query('commit');
            done++;
            break;
          } catch (err) {
            await c.query('rollback');
            const code = (err as { code?: string }).code;
            if (code !== '40001' && code !== '40P01') throw err;
            retries++;
          }
        }
      }
      await c.end();
    };
    await Promise.all([1, 2, 3, 4, 5, 6].map((k) => client(k * 7919)));
    expect(done).to.equal(6 * 15);
    expect(retries).to.be.greaterThan(0);
    const [r] = await one(a, 'select sum(balance)::int as total, min(balance)::int as low from bank');
    expect(r.total).to.equal(ACCOUNTS * 1000);
    expect(r.low).to.be.at.least(0);
  });

  it('concurrent inserts of one key: exactly one commits, the others get 23505', async () => {
    await a.query('create table onekey (k int primary key, who int)');
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectPg(server.port)));
    for (const c of clients) await c.query('begin');
    // The later inserts wait for the first transaction and fail at their INSERT, as PostgreSQL's do.
    const outcomes = await Promise.all(
      clients.map(async (c, i) => {
        try {
          await c.query('insert into onekey values (1, $1)', [i]);
          await c.query('commit');
          return 'ok';
        } catch (e) {
          await c.query('rollback');
          return (e as { code?: string }).code;
        }
      }),
    );
    for (const c of clients) await c.end();
    expect(outcomes.filter((o) => o === 'ok')).to.have.length(1);
    expect(outcomes.filter((o) => o === '23505')).to.have.length(3);
    expect(await one(a, 'select count(*)::int as n from onekey')).to.deep.equal([{ n: 1 }]);
  });

  it('a second inserter of an uncommitted key waits at its INSERT: 23505 there if the first commits, goes on if it rolls back', async () => {
    await a.query('create table waitkey (k int primary key, who text)');
    const settled = (p: Promise<unknown>) => {
      const state = { done: false, code: null as string | null };
      p.then(
        () => (state.done = true),
        (e: { code?: string }) => {
          state.done = true;
          state.code = e.code ?? '?';
        },
      );
      return state;
    };
    // The first commits: the second's INSERT (not its COMMIT) fails with 23505. The first rolls
    // back: the second's INSERT goes on and commits.
    for (const [k, end, outcome] of [[1, 'commit', '23505'], [2, 'rollback', null]] as const) {
      await a.query('begin');
      await a.query(`insert into waitkey values (${k}, 'a')`);
      await b.query('begin');
      const second = settled(b.query(`insert into waitkey values (${k}, 'b')`));
      await sleep(300);
      expect(second.done).to.equal(false);
      await a.query(end);
      for (let i = 0; i < 100 && !second.done; i++) await sleep(20);
      expect(second).to.deep.equal({ done: true, code: outcome });
      await b.query(outcome === null ? 'commit' : 'rollback');
    }
    expect(await one(a, 'select k, who from waitkey order by k')).to.deep.equal([
      { k: 1, who: 'a' },
      { k: 2, who: 'b' },
    ]);
  });
});
