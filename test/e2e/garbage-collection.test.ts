// Old row versions are garbage-collected once no snapshot can see them: a table updated in a loop
// keeps a bounded number of stored rows (tessera_storage_stats().rows counts dead ones too), its
// data stays right, and a REPEATABLE READ snapshot held open keeps the old versions until it ends.
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

describe('garbage collection of old row versions', function () {
  this.timeout(120000);
  let server: TestServer;
  let c: Client;
  before(async () => {
    server = await startTestServer();
    c = await connectPg(server.port);
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await server?.stop();
  });

  const storedRows = async (table: string): Promise<number> => {
    const r = await c.query("select max(rows)::int as n from tessera_storage_stats() where table_name = $1", [table]);
    return r.rows[0].n;
  };

  it('keeps a table updated in a loop from growing without bound', async () => {
    await c.query('create table counters (id int primary key, v int not null)');
    await c.query('insert into counters select g, 0 from generate_series(1, 100) g');
    let max = 0;
    for (let i = 0; i < 300; i++) {
      await c.query('update counters set v = v + 1');
      if (i % 20 === 0) max = Math.max(max, await storedRows('counters'));
    }
    // 30 000 row versions were written; without collection all would be stored.
    const after = await storedRows('counters');
    expect(max).to.be.lessThan(2500);
    expect(after).to.be.lessThan(2500);
    const r = await c.query('select count(*)::int as n, min(v)::int as lo, max(v)::int as hi, sum(id)::int as ids from counters');
    expect(r.rows[0]).to.deep.equal({ n: 100, lo: 300, hi: 300, ids: 5050 });
    // The primary key still works on the compacted table.
    expect((await c.query('select v from counters where id = 42')).rows).to.deep.equal([{ v: 300 }]);
    const dup = await c.query('insert into counters values (42, 0)').then(() => 'ok', (e: { code?: string }) => e.code);
    expect(dup).to.equal('23505');
  });

  it('collects while several clients keep updating the same rows (waiting for each other\'s row locks)', async function () {
    // The target is a count of updates, not a rate: on a loaded machine it takes longer, so the
    // time bound only guards against a hang (11 s alone; helpers saw 30 s fall short at load 15-18).
    this.timeout(240000);
    await c.query('create table hot (id int primary key, v int not null)');
    await c.query('insert into hot select g, 0 from generate_series(1, 10) g');
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectPg(server.port)));
    let max = 0;
    let updates = 0;
    const target = 4000;
    const until = Date.now() + 200000;
    const going = () => updates < target && Date.now() < until;
    const sampler = (async () => {
      while (going()) {
        max = Math.max(max, await storedRows('hot'));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await Promise.all(
      clients.map(async (k, i) => {
        for (let n = 0; going(); n++) {
          // Each transaction locks its two rows in id order, so clients that drift apart cannot deadlock.
          const a = ((i + n) % 10) + 1;
          const b = ((i + n + 5) % 10) + 1;
          await k.query('begin');
          await k.query('update hot set v = v + 1 where id = $1', [Math.min(a, b)]);
          await k.query('update hot set v = v + 1 where id = $1', [Math.max(a, b)]);
          await k.query('commit');
          updates += 2;
        }
      }),
    );
    await sampler;
    for (const k of clients) await k.end();
    // Far more versions were written than are kept: they were collected during the load.
    expect(updates).to.be.at.least(target);
    expect(max).to.be.lessThan(2500);
    expect((await c.query('select sum(v)::int as s, count(*)::int as n from hot')).rows).to.deep.equal([{ s: updates, n: 10 }]);
  });

  it('keeps old versions while a REPEATABLE READ snapshot can still see them', async () => {
    await c.query('create table held (id int primary key, v int not null)');
    await c.query('insert into held select g, 0 from generate_series(1, 100) g');
    const reader = await connectPg(server.port);
    await reader.query('begin isolation level repeatable read');
    expect((await reader.query('select sum(v)::int as s from held')).rows).to.deep.equal([{ s: 0 }]);
    for (let i = 0; i < 40; i++) await c.query('update held set v = v + 1');
    expect(await storedRows('held')).to.equal(100 * 41);
    expect((await reader.query('select sum(v)::int as s from held')).rows).to.deep.equal([{ s: 0 }]);
    await reader.query('commit');
    await reader.end();
    await c.query('update held set v = v + 1');
    // Collection runs beside the sessions: give it a moment.
    for (let i = 0; i < 50 && (await storedRows('held')) > 1000; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await storedRows('held')).to.equal(100);
    expect((await c.query('select sum(v)::int as s from held')).rows).to.deep.equal([{ s: 4100 }]);
  });
});
