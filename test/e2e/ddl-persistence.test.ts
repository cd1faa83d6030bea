// Sequences, constraints, ALTER TABLE results and indexes survive a restart (clean and kill -9);
// concurrent sessions never get the same sequence value; error texts are PostgreSQL 15's own
// (messages and details below were copied from a PostgreSQL 15 session running the same SQL).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TestServer, runPsql, skipWithoutPsql, startTestServer } from '../helpers/test-server';
import { connectPg, failure } from '../helpers/pg-client';

const connect = (port: number) => connectPg(port, { tolerateKill: true });

async function query(port: number, sql: string): Promise<any[]> {
  const c = await connect(port);
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** How `sql` fails on a fresh connection. */
const failureOf = (port: number, sql: string) => failure(query(port, sql));

describe('DDL objects: persistence, concurrency and PostgreSQL error texts', function () {
  this.timeout(120000);
  let dir: string;
  let server: TestServer;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-ddl-'));
    server = await startTestServer({ dataDir: dir });
  });
  afterEach(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps sequences, constraints, altered tables and indexes across a clean restart', async () => {
    const p = () => server.port;
    await query(p(), 'create sequence s start 5');
    await query(p(), 'create table t (id serial primary key, name text unique, qty int check (qty > 0), g int generated always as identity)');
    await query(p(), "insert into t (name, qty) values ('a', 1), ('b', 2)");
    await query(p(), "select nextval('s'), nextval('s')");
    await query(p(), 'alter table t add column extra int default 7 not null');
    await query(p(), 'alter table t rename column name to label');
    await query(p(), 'create unique index t_extra_label on t (extra, label)');
    await query(p(), 'create index t_qty_idx on t (qty)');
    await server.stop();
    await server.restart();
    // Sequences continue exactly where they stopped (a clean shutdown stores the exact state).
    expect(await query(p(), "select nextval('s')::int as v")).to.deep.equal([{ v: 7 }]);
    await query(p(), "insert into t (label, qty) values ('c', 3)");
    expect(await query(p(), 'select id, label, qty, g, extra from t order by id')).to.deep.equal([
      { id: 1, label: 'a', qty: 1, g: 1, extra: 7 },
      { id: 2, label: 'b', qty: 2, g: 2, extra: 7 },
      { id: 3, label: 'c', qty: 3, g: 3, extra: 7 },
    ]);
    const dup = await failureOf(p(), "insert into t (label, qty) values ('a', 5)");
    expect([dup.code, dup.message, dup.detail]).to.deep.equal(['23505', 'duplicate key value violates unique constraint "t_name_key"', 'Key (label)=(a) already exists.']);
    const check = await failureOf(p(), "insert into t (label, qty) values ('z', 0)");
    expect([check.code, check.message, check.detail]).to.deep.equal(['23514', 'new row for relation "t" violates check constraint "t_qty_check"', 'Failing row contains (5, z, 0, 5, 7).']);
    expect((await failureOf(p(), 'create index t_qty_idx on t (id)')).code).to.equal('42P07');
    await query(p(), 'drop index t_qty_idx');
    await query(p(), 'drop index t_extra_label');
    await server.stop();
    await server.restart();
    await query(p(), 'create index t_qty_idx on t (id)');
    expect(await query(p(), "select currval('t_id_seq')").catch((e) => e.code)).to.equal('55000');
  });

  it('plans index scans for equality and range predicates, also after a restart', async () => {
    const p = () => server.port;
    await query(p(), 'create table ix (id int, grp int, label text)');
    const rows = Array.from({ length: 5000 }, (_, i) => `(${i}, ${i % 10}, 'l${i % 100}')`).join(', ');
    await query(p(), `insert into ix values ${rows}`);
    await query(p(), 'create index ix_id on ix (id)');
    await query(p(), 'create index ix_label on ix (label)');
    const plan = async (sql: string) => (await query(p(), `explain ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
    expect(await plan('select * from ix where id = 42')).to.match(/Index Scan using ix_id on ix/);
    expect(await plan('select * from ix where id between 10 and 20')).to.match(/Index Scan using ix_id on ix[\s\S]*Index Cond: \(#0 >= 10 AND #0 <= 20\)/);
    expect(await plan("select * from ix where label = 'l7'")).to.match(/Index Scan using ix_label on ix/);
    expect(await plan('select * from ix where grp = 3')).to.match(/Seq Scan on ix/);
    expect(await plan('update ix set grp = 0 where id = 7')).to.match(/Index Scan using ix_id on ix/);
    await server.stop();
    await server.restart();
    expect(await plan('select * from ix where id = 42')).to.match(/Index Scan using ix_id on ix/);
    expect(await query(p(), 'select id, grp, label from ix where id = 4242')).to.deep.equal([{ id: 4242, grp: 2, label: 'l42' }]);
    expect(await query(p(), 'select count(*)::int as n from ix where id >= 100 and id < 200')).to.deep.equal([{ n: 100 }]);
    expect(await query(p(), "select count(*)::int as n from ix where label = 'l7'")).to.deep.equal([{ n: 50 }]);
  });

  it('COPY fills serial/identity defaults per row and enforces UNIQUE and CHECK', async function () {
    skipWithoutPsql(this);
    const p = server.port;
    await query(p, 'create table cp (id serial, g bigint generated always as identity, code text unique, qty int check (qty >= 0))');
    const ok = await runPsql(p, 'COPY cp (code, qty) FROM STDIN;\na\t1\nb\t2\nc\t3\n\\.\n');
    expect(ok.stdout + ok.stderr).to.contain('COPY 3');
    expect(await query(p, 'select id, g::int as g, code, qty from cp order by id')).to.deep.equal([
      { id: 1, g: 1, code: 'a', qty: 1 },
      { id: 2, g: 2, code: 'b', qty: 2 },
      { id: 3, g: 3, code: 'c', qty: 3 },
    ]);
    const dup = await runPsql(p, 'COPY cp (code, qty) FROM STDIN;\nd\t1\na\t1\n\\.\n');
    expect(dup.stderr).to.contain('duplicate key value violates unique constraint "cp_code_key"');
    expect(dup.stderr).to.contain('Key (code)=(a) already exists.');
    const neg = await runPsql(p, 'COPY cp (code, qty) FROM STDIN;\ne\t-1\n\\.\n');
    expect(neg.stderr).to.contain('new row for relation "cp" violates check constraint "cp_qty_check"');
    expect(await query(p, 'select count(*)::int as n from cp')).to.deep.equal([{ n: 3 }]);
  });

  it('never hands out a sequence value twice, even after kill -9', async () => {
    await query(server.port, 'create sequence k');
    await query(server.port, 'create table log (id bigserial primary key, v int)');
    const c = await connect(server.port);
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) seen.push(Number((await c.query("select nextval('k') as v")).rows[0].v));
    for (let i = 0; i < 10; i++) await c.query('insert into log (v) values ($1)', [i]);
    await server.kill9();
    await server.restart();
    const after = Number((await query(server.port, "select nextval('k') as v"))[0].v);
    expect(after).to.be.greaterThan(Math.max(...seen));
    await query(server.port, 'insert into log (v) values (99)');
    const ids = (await query(server.port, 'select id from log order by id')).map((r) => Number(r.id));
    expect(new Set(ids).size).to.equal(11);
    expect(ids[10]).to.be.greaterThan(ids[9]);
  });

  it('gives concurrent sessions distinct values', async () => {
    await query(server.port, 'create sequence c');
    await query(server.port, 'create table ev (id serial primary key, who int)');
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map(() => connect(server.port)));
    try {
      const got = await Promise.all(
        clients.map(async (cl, who) => {
          const vals: number[] = [];
          for (let i = 0; i < 50; i++) {
            vals.push(Number((await cl.query("select nextval('c') as v")).rows[0].v));
            await cl.query('insert into ev (who) values ($1)', [who]);
          }
          return vals;
        }),
      );
      const all = got.flat();
      expect(new Set(all).size).to.equal(300);
      expect(Math.min(...all)).to.equal(1);
      expect(Math.max(...all)).to.equal(300);
      expect(await query(server.port, 'select count(distinct id)::int as n, max(id) as m from ev')).to.deep.equal([{ n: 300, m: 300 }]);
    } finally {
      await Promise.all(clients.map((cl) => cl.end()));
    }
  });

  it('reports PostgreSQL 15 messages for identity, ON CONFLICT and dependency errors', async () => {
    const p = server.port;
    await query(p, 'create table g (id int generated always as identity, v text)');
    await query(p, 'create table u (id serial primary key, q int)');
    const identity = await failureOf(p, "insert into g values (5, 'y')");
    expect([identity.code, identity.message, identity.detail, identity.hint]).to.deep.equal([
      '428C9',
      'cannot insert a non-DEFAULT value into column "id"',
      'Column "id" is an identity column defined as GENERATED ALWAYS.',
      'Use OVERRIDING SYSTEM VALUE to override.',
    ]);
    const twice = await failureOf(p, 'insert into u (id, q) values (9, 1), (9, 2) on conflict (id) do update set q = 5');
    expect([twice.code, twice.message]).to.deep.equal(['21000', 'ON CONFLICT DO UPDATE command cannot affect row a second time']);
    const dep = await failureOf(p, 'drop sequence u_id_seq');
    expect([dep.code, dep.message, dep.detail]).to.deep.equal(['2BP01', 'cannot drop sequence u_id_seq because other objects depend on it', 'default value for column id of table u depends on sequence u_id_seq']);
    const cur = await failureOf(p, "select currval('u_id_seq')");
    expect([cur.code, cur.message]).to.deep.equal(['55000', 'currval of sequence "u_id_seq" is not yet defined in this session']);
    await query(p, 'insert into u (q) values (1)');
    const notNull = await failureOf(p, 'alter table u add column z int not null');
    expect([notNull.code, notNull.message]).to.deep.equal(['23502', 'column "z" of relation "u" contains null values']);
    const violated = await failureOf(p, 'alter table u add constraint big check (q > 10)');
    expect([violated.code, violated.message]).to.deep.equal(['23514', 'check constraint "big" of relation "u" is violated by some row']);
  });
});
