// SELECT … FOR SHARE takes shared row locks: several transactions hold one row's lock together, an
// UPDATE, DELETE or FOR UPDATE of the row waits for all of them, and FOR SHARE waits for a writer.
// The expected outcomes are PostgreSQL 15's: with TESSERA_TEST_POSTGRES_PORT set, this file runs
// against that PostgreSQL and passes the same way.
import { expect } from 'chai';
import { Client } from 'pg';
import { failure, sleep, useServerAndClients } from '../helpers/pg-client';


describe('SELECT … FOR SHARE (shared row locks)', function () {
  this.timeout(60000);
  const env = useServerAndClients(3);
  let a: Client;
  let b: Client;
  let c: Client;
  before(() => {
    [a, b, c] = env.clients;
  });
  beforeEach(async () => {
    await a.query('drop table if exists fs_items');
    await a.query('create table fs_items (id int primary key, n int)');
    await a.query('insert into fs_items values (1, 0), (2, 0)');
  });
  afterEach(async () => {
    for (const x of [a, b, c]) await x.query('rollback').catch(() => undefined);
  });

  /** Starts `sql` on `x`; `done()` tells whether it finished, `result` its outcome. */
  function start(x: Client, sql: string): { done: () => boolean; result: Promise<string> } {
    let finished = false;
    const result = x.query(sql).then(
      (r) => ((finished = true), `${r.command} ${r.rowCount}`),
      (e: { code?: string }) => ((finished = true), e.code ?? 'error'),
    );
    return { done: () => finished, result };
  }

  it('two transactions hold FOR SHARE on one row together; an UPDATE waits for both', async () => {
    await a.query('begin');
    await a.query('select * from fs_items where id = 1 for share');
    await b.query('begin');
    const shared = start(b, 'select * from fs_items where id = 1 for share');
    await sleep(200);
    expect(shared.done(), 'FOR SHARE does not wait for FOR SHARE').to.equal(true);
    expect(await shared.result).to.equal('SELECT 1');
    const upd = start(c, 'update fs_items set n = n + 1 where id = 1');
    await sleep(300);
    expect(upd.done()).to.equal(false);
    await a.query('commit');
    await sleep(300);
    expect(upd.done(), 'still held by the second FOR SHARE').to.equal(false);
    await b.query('commit');
    expect(await upd.result).to.equal('UPDATE 1');
    // The other row was never locked.
    await a.query('begin');
    await a.query('select * from fs_items where id = 1 for share');
    expect(await start(c, 'update fs_items set n = 5 where id = 2').result).to.equal('UPDATE 1');
  });

  it('FOR UPDATE waits for FOR SHARE, FOR SHARE waits for FOR UPDATE and for a writer', async () => {
    await a.query('begin');
    await a.query('select * from fs_items where id = 1 for share');
    await b.query('begin');
    const forUpdate = start(b, 'select * from fs_items where id = 1 for update');
    await sleep(300);
    expect(forUpdate.done()).to.equal(false);
    await a.query('commit');
    expect(await forUpdate.result).to.equal('SELECT 1');
    await a.query('begin');
    const forShare = start(a, 'select * from fs_items where id = 1 for share');
    await sleep(300);
    expect(forShare.done()).to.equal(false);
    await b.query('update fs_items set n = 9 where id = 1');
    await b.query('commit');
    expect(await forShare.result).to.equal('SELECT 1');
    expect((await a.query('select n from fs_items where id = 1 for share')).rows).to.deep.equal([{ n: 9 }]);
  });

  it('the only holder of a share lock updates the row at once; NOWAIT and SKIP LOCKED see share locks as compatible with FOR SHARE only', async () => {
    await a.query('begin');
    await a.query('select * from fs_items for share');
    expect((await a.query('update fs_items set n = 1 where id = 1')).rowCount).to.equal(1);
    await b.query('begin');
    expect((await b.query('select id from fs_items where id = 2 for share nowait')).rows).to.deep.equal([{ id: 2 }]);
    expect((await failure(b.query('select id from fs_items where id = 2 for update nowait'))).code).to.equal('55P03');
    await b.query('rollback');
    expect((await b.query('select id from fs_items order by id for share skip locked')).rows).to.deep.equal([{ id: 2 }]);
    expect((await b.query('select id from fs_items order by id for update skip locked')).rows).to.deep.equal([]);
  });

  it('two FOR SHARE holders that both update the row: one of them fails with 40P01', async () => {
    await a.query('begin');
    await a.query('select * from fs_items where id = 1 for share');
    await b.query('begin');
    await b.query('select * from fs_items where id = 1 for share');
    const first = start(a, 'update fs_items set n = 1 where id = 1');
    await sleep(200);
    const second = start(b, 'update fs_items set n = 2 where id = 1');
    // PostgreSQL looks for the cycle after deadlock_timeout (1 s); the loser's failure releases its locks.
    const both = (await Promise.all([first.result, second.result])).sort();
    expect(both).to.deep.equal(['40P01', 'UPDATE 1']);
  });
});
