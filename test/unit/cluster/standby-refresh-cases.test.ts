// The standby's refresh (storage/committed-refresh.ts, TableStore.refreshCommitted) against kinds of
// batches the first tests did not mix: state the standby caches in memory (primary key lookups,
// sorted index entries built on use, sequences, views) must follow every replicated write. Each
// query runs on the leader and on both standbys right after the leader's acknowledgment.
import { expect } from 'chai';
import { StandbyCluster, rows, standbyCluster } from '../../helpers/standby-cluster';

describe('cluster standby engines: refresh after every kind of batch', function () {
  this.timeout(60000);
  let c: StandbyCluster;

  beforeEach(async () => {
    c = await standbyCluster();
  });
  afterEach(async () => {
    await c?.close();
  });

  it('primary key lookups follow updates of the key, deletes and re-inserts of the same key', async () => {
    await c.leader.query('CREATE TABLE p (id int PRIMARY KEY, v text)');
    await c.leader.query("INSERT INTO p SELECT i, 'a' || i FROM generate_series(1, 50) i");
    expect(await c.same('SELECT v FROM p WHERE id = 7')).to.deep.equal([{ v: 'a7' }]);
    await c.leader.query('UPDATE p SET id = id + 100 WHERE id = 7');
    expect(await c.same('SELECT v FROM p WHERE id = 7')).to.deep.equal([]);
    expect(await c.same('SELECT v FROM p WHERE id = 107')).to.deep.equal([{ v: 'a7' }]);
    await c.leader.query('DELETE FROM p WHERE id = 107');
    await c.leader.query("INSERT INTO p VALUES (107, 'again'), (7, 'back')");
    expect(await c.same('SELECT id, v FROM p WHERE id IN (7, 107) ORDER BY id')).to.deep.equal([
      { id: 7, v: 'back' },
      { id: 107, v: 'again' },
    ]);
    await c.leader.query("INSERT INTO p VALUES (7, 'dup') ON CONFLICT (id) DO UPDATE SET v = 'upserted'");
    expect(await c.same('SELECT v FROM p WHERE id = 7')).to.deep.equal([{ v: 'upserted' }]);
  });

  it('sorted index entries built on the standby follow deletes, TRUNCATE and re-inserted values', async () => {
    await c.leader.query('CREATE TABLE s (id int, k int, v text)');
    await c.leader.query('CREATE INDEX s_k ON s (k)');
    await c.leader.query("INSERT INTO s SELECT i, i % 100, 'v' || i FROM generate_series(1, 3000) i");
    const q = 'SELECT count(*)::int AS n, min(id) AS lo, max(id) AS hi FROM s WHERE k = 42';
    expect(await c.same(q)).to.deep.equal([{ n: 30, lo: 42, hi: 2942 }]);
    await c.leader.query('DELETE FROM s WHERE id < 1000');
    expect(await c.same(q)).to.deep.equal([{ n: 20, lo: 1042, hi: 2942 }]);
    await c.leader.query('TRUNCATE s');
    expect(await c.same(q)).to.deep.equal([{ n: 0, lo: null, hi: null }]);
    await c.leader.query("INSERT INTO s SELECT i, 42, 'w' FROM generate_series(1, 5) i");
    expect(await c.same(q)).to.deep.equal([{ n: 5, lo: 1, hi: 5 }]);
    await c.leader.query('UPDATE s SET k = 43 WHERE id = 3');
    expect(await c.same(q)).to.deep.equal([{ n: 4, lo: 1, hi: 5 }]);
    expect(await c.same('SELECT id FROM s WHERE k = 43')).to.deep.equal([{ id: 3 }]);
  });

  it('sequences, views and renamed or dropped columns', async () => {
    await c.leader.exec('CREATE SEQUENCE q START 10; CREATE TABLE r (a int, b text, c int)');
    for (let i = 0; i < 3; i++) await c.leader.query("SELECT nextval('q')");
    // nextval is no commit (as in PostgreSQL, its record is not waited for): after the next commit
    // the standby shows the record written ahead of the values handed out (PostgreSQL's hot standby
    // shows the WAL-logged value the same way, 32 increments ahead).
    await c.leader.query("INSERT INTO r VALUES (1, 'x', 10), (2, 'y', 20)");
    expect(await rows(c.leader, 'SELECT last_value::int AS v, is_called FROM q')).to.deep.equal([{ v: 12, is_called: true }]);
    for (const id of [2, 3]) expect(await rows(c.on(id), 'SELECT last_value::int AS v, is_called FROM q'), `node ${id}`).to.deep.equal([{ v: 42, is_called: true }]);
    await c.leader.query("SELECT setval('q', 100, false)");
    await c.leader.query('CREATE TABLE after_setval (x int)');
    expect(await c.same('SELECT last_value::int AS v, is_called FROM q')).to.deep.equal([{ v: 100, is_called: false }]);
    await c.leader.query('CREATE VIEW rv AS SELECT a, c FROM r WHERE c > 15');
    expect(await c.same('SELECT * FROM rv')).to.deep.equal([{ a: 2, c: 20 }]);
    await c.leader.query('ALTER TABLE r DROP COLUMN b');
    await c.leader.query('ALTER TABLE r RENAME COLUMN a TO aa');
    expect(await c.same('SELECT * FROM r ORDER BY aa')).to.deep.equal([
      { aa: 1, c: 10 },
      { aa: 2, c: 20 },
    ]);
    await c.leader.query('INSERT INTO r VALUES (3, 30)');
    // A view's columns keep the names they had when it was made (PostgreSQL: rv still has "a").
    expect(await c.same('SELECT * FROM rv ORDER BY a')).to.deep.equal([
      { a: 2, c: 20 },
      { a: 3, c: 30 },
    ]);
    // A standby that read a sequence closes cleanly: the sequence's state is the leader's to store.
    await c.standbys.get(2)!.close();
  });

  it('a transaction of many statements, and one rolled back', async () => {
    await c.leader.query('CREATE TABLE m (id int PRIMARY KEY, n int)');
    await c.leader.transaction(async (tx) => {
      await tx.query('INSERT INTO m SELECT i, 0 FROM generate_series(1, 100) i');
      await tx.query('UPDATE m SET n = n + 1 WHERE id % 2 = 0');
      await tx.query('DELETE FROM m WHERE id > 90');
      await tx.query('UPDATE m SET n = n + 10 WHERE id = 4');
    });
    expect(await c.same('SELECT count(*)::int AS c, sum(n)::int AS s FROM m')).to.deep.equal([{ c: 90, s: 55 }]);
    expect(await c.same('SELECT n FROM m WHERE id = 4')).to.deep.equal([{ n: 11 }]);
    await c.leader
      .transaction(async (tx) => {
        await tx.query('DELETE FROM m');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await c.same('SELECT count(*)::int AS c FROM m')).to.deep.equal([{ c: 90 }]);
  });
});
