// INSERT … ON CONFLICT beside a concurrent transaction that holds the conflicting key uncommitted
// (inserted it, updated or deleted its row): the upsert waits for that transaction to end, then
// under READ COMMITTED updates the row as committed (or inserts when the key is free by then), and
// under REPEATABLE READ fails with 40001 when the row was inserted or changed by a transaction its
// snapshot does not see. The expected outcomes are PostgreSQL 15's: with TESSERA_TEST_POSTGRES_PORT
// set, this file runs against that PostgreSQL and passes the same way.
import { expect } from 'chai';
import { Client } from 'pg';
import { connectPg, failure, sleep, useServerAndClients } from '../helpers/pg-client';


describe('INSERT … ON CONFLICT beside a concurrent writer of the key', function () {
  this.timeout(60000);
  const env = useServerAndClients(2);
  let a: Client;
  let b: Client;
  before(() => {
    [a, b] = env.clients;
  });
  beforeEach(async () => {
    await a.query('drop table if exists oc_kv');
    await a.query('create table oc_kv (k int primary key, v text not null)');
    await a.query("insert into oc_kv values (2, 'two')");
  });
  afterEach(async () => {
    for (const x of [a, b]) await x.query('rollback').catch(() => undefined);
  });

  const upsert = "insert into oc_kv values ($1, 'b') on conflict (k) do update set v = oc_kv.v || '+' || excluded.v returning v";
  const rows = async () => (await a.query('select k, v from oc_kv order by k')).rows;

  /** Starts `q` on b, checks that it waits while a's transaction is open, ends a's transaction with `end`, and returns q's outcome. */
  async function waitsFor(q: Promise<{ rows: unknown[]; rowCount: number | null }>, end: 'commit' | 'rollback'): Promise<unknown> {
    let done = false;
    const out = q.then(
      (r) => ((done = true), { rows: r.rows, count: r.rowCount }),
      (e: { code?: string }) => ((done = true), { code: e.code }),
    );
    await sleep(300);
    expect(done, 'the upsert waits for the other transaction').to.equal(false);
    await a.query(end);
    return out;
  }

  describe('READ COMMITTED', () => {
    it('DO UPDATE waits for an uncommitted insert of the key, then updates the committed row', async () => {
      await a.query('begin');
      await a.query("insert into oc_kv values (1, 'a')");
      expect(await waitsFor(b.query(upsert, [1]), 'commit')).to.deep.equal({ rows: [{ v: 'a+b' }], count: 1 });
      expect(await rows()).to.deep.equal([
        { k: 1, v: 'a+b' },
        { k: 2, v: 'two' },
      ]);
    });

    it('DO UPDATE inserts when the uncommitted insert of the key rolls back', async () => {
      await a.query('begin');
      await a.query("insert into oc_kv values (1, 'a')");
      expect(await waitsFor(b.query(upsert, [1]), 'rollback')).to.deep.equal({ rows: [{ v: 'b' }], count: 1 });
      expect(await rows()).to.deep.equal([
        { k: 1, v: 'b' },
        { k: 2, v: 'two' },
      ]);
    });

    it('DO NOTHING waits for an uncommitted insert of the key, then does nothing', async () => {
      await a.query('begin');
      await a.query("insert into oc_kv values (1, 'a')");
      expect(await waitsFor(b.query("insert into oc_kv values (1, 'b') on conflict do nothing"), 'commit')).to.deep.equal({ rows: [], count: 0 });
      expect(await rows()).to.deep.equal([
        { k: 1, v: 'a' },
        { k: 2, v: 'two' },
      ]);
    });

    it('DO UPDATE of a row another transaction updates waits, then updates its newest version', async () => {
      await a.query('begin');
      await a.query("update oc_kv set v = 'x' where k = 2");
      expect(await waitsFor(b.query(upsert, [2]), 'commit')).to.deep.equal({ rows: [{ v: 'x+b' }], count: 1 });
      expect(await rows()).to.deep.equal([{ k: 2, v: 'x+b' }]);
    });

    it('DO UPDATE of a row another transaction deletes waits, then inserts', async () => {
      await a.query('begin');
      await a.query('delete from oc_kv where k = 2');
      expect(await waitsFor(b.query(upsert, [2]), 'commit')).to.deep.equal({ rows: [{ v: 'b' }], count: 1 });
      expect(await rows()).to.deep.equal([{ k: 2, v: 'b' }]);
    });

    it('two upserts of one new key in a row of several: the second waits and updates the first one\'s row', async () => {
      await a.query('begin');
      await a.query("insert into oc_kv values (5, 'a5'), (1, 'a') on conflict (k) do update set v = oc_kv.v || '+' || excluded.v");
      const q = b.query("insert into oc_kv values (3, 'b3'), (1, 'b'), (2, 'b2') on conflict (k) do update set v = oc_kv.v || '+' || excluded.v returning k, v");
      expect(await waitsFor(q, 'commit')).to.deep.equal({
        rows: [
          { k: 3, v: 'b3' },
          { k: 1, v: 'a+b' },
          { k: 2, v: 'two+b2' },
        ],
        count: 3,
      });
      expect(await rows()).to.deep.equal([
        { k: 1, v: 'a+b' },
        { k: 2, v: 'two+b2' },
        { k: 3, v: 'b3' },
        { k: 5, v: 'a5' },
      ]);
    });
  });

  it('READ COMMITTED: clients upserting counters of overlapping keys concurrently never fail and lose no increment', async () => {
    await a.query('create table oc_counts (k int primary key, n int not null)');
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectPg(env.server.port)));
    try {
      const perClient = 300;
      const failures: string[] = [];
      await Promise.all(
        clients.map(async (x, ci) => {
          for (let i = 0; i < perClient; i++) {
            const first = (i * 7 + ci) % 20;
            const keys = [first, (first + 1 + ((i * 3 + ci * 5) % 19)) % 20];
            // Two keys a statement, in no fixed order: waits may cross (40P01 is possible in PostgreSQL too, and retried).
            for (;;) {
              const r = await x.query('insert into oc_counts select k, 1 from unnest($1::int[]) k on conflict (k) do update set n = oc_counts.n + 1', [keys]).then(
                () => null,
                (e: { code?: string }) => e.code ?? 'error',
              );
              if (r === '40P01') continue;
              if (r !== null) failures.push(r);
              break;
            }
          }
        }),
      );
      expect(failures).to.deep.equal([]);
      const r = await a.query('select count(*)::int as keys, sum(n)::int as total from oc_counts');
      expect(r.rows).to.deep.equal([{ keys: 20, total: 4 * perClient * 2 }]);
    } finally {
      for (const x of clients) await x.end();
      await a.query('drop table oc_counts');
    }
  });

  describe('REPEATABLE READ', () => {
    it('DO UPDATE waiting for an insert of the key that commits fails with 40001', async () => {
      await b.query('begin isolation level repeatable read');
      await b.query('select count(*) from oc_kv');
      await a.query('begin');
      await a.query("insert into oc_kv values (1, 'a')");
      expect(await waitsFor(b.query(upsert, [1]), 'commit')).to.deep.equal({ code: '40001' });
    });

    it('DO UPDATE and DO NOTHING of a key a transaction committed after the snapshot fail with 40001', async () => {
      await b.query('begin isolation level repeatable read');
      await b.query('select count(*) from oc_kv');
      await a.query("insert into oc_kv values (1, 'a')");
      expect((await failure(b.query(upsert, [1]))).code).to.equal('40001');
      await b.query('rollback');
      await b.query('begin isolation level repeatable read');
      await b.query('select count(*) from oc_kv');
      await a.query("insert into oc_kv values (3, 'a')");
      expect((await failure(b.query("insert into oc_kv values (3, 'b') on conflict do nothing"))).code).to.equal('40001');
    });

    it('DO UPDATE waiting for an insert of the key that rolls back inserts', async () => {
      await b.query('begin isolation level repeatable read');
      await b.query('select count(*) from oc_kv');
      await a.query('begin');
      await a.query("insert into oc_kv values (1, 'a')");
      expect(await waitsFor(b.query(upsert, [1]), 'rollback')).to.deep.equal({ rows: [{ v: 'b' }], count: 1 });
      await b.query('commit');
      expect(await rows()).to.deep.equal([
        { k: 1, v: 'b' },
        { k: 2, v: 'two' },
      ]);
    });

    it('DO UPDATE of a key the transaction deleted itself inserts, also with commits after its snapshot (at both levels)', async () => {
      for (const [k, level] of [[7, 'repeatable read'], [8, 'read committed']] as const) {
        await b.query(`begin isolation level ${level}`);
        await b.query('select count(*) from oc_kv');
        await a.query(`insert into oc_kv values (${k}, '${level}')`);
        await b.query('delete from oc_kv where k = 2');
        expect((await b.query(upsert, [2])).rows, level).to.deep.equal([{ v: 'b' }]);
        await b.query('commit');
        await a.query("update oc_kv set v = 'two' where k = 2");
      }
      expect(await rows()).to.deep.equal([
        { k: 2, v: 'two' },
        { k: 7, v: 'repeatable read' },
        { k: 8, v: 'read committed' },
      ]);
    });

    it('DO UPDATE of a row another transaction updates and commits meanwhile fails with 40001', async () => {
      await b.query('begin isolation level repeatable read');
      await b.query('select count(*) from oc_kv');
      await a.query('begin');
      await a.query("update oc_kv set v = 'x' where k = 2");
      expect(await waitsFor(b.query(upsert, [2]), 'commit')).to.deep.equal({ code: '40001' });
    });
  });
});
