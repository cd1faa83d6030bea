// The statement cache (src/engine/statement-cache.ts) against the uncached path: two databases
// with the same data run the same simple-query strings, one with the cache (and its verify mode,
// which binds every cached string anew and fails unless the cached plan is that plan), one with
// plan_cache_mode = force_custom_plan. Every outcome — rows, column types, command tag, error
// code and message — must be the same, and the cache must really have been used.
import { expect } from 'chai';
import { Database } from '../../src/engine/database';
import { EngineSession } from '../../src/engine/session';
import { statementCacheChecks } from '../../src/engine/statement-cache';
import { buildRows } from '../../src/embedded/result';
import { SqlError } from '../../src/types/sql-error';

/** What a client sees of one simple Query: each statement's fields, rows and tag, or the error that ended it. */
async function simple(session: EngineSession, sql: string): Promise<unknown[]> {
  const out: unknown[] = [];
  try {
    for (const stmt of session.parseSimple(sql)) {
      const r = await session.execute(stmt, []);
      if (r.kind === 'rows') out.push({ types: r.fields.map((f) => `${f.name}:${f.type.name}`), rows: buildRows(r.batches, r.fields, session.settings.format(), { types: 'text', rowMode: 'array' }), tag: r.command });
      else out.push(r.kind === 'command' ? r.command : r.kind);
    }
  } catch (err) {
    if (!(err instanceof SqlError)) throw err;
    out.push({ error: err.code, message: err.message });
  }
  try {
    await session.endOfCommandGroup();
  } catch (err) {
    out.push({ commitError: (err as SqlError).code });
  }
  return out;
}

const SETUP = `
create table t (id int primary key, i2 int2, i4 int4, i8 int8, n numeric, n2 numeric(6,2), f8 float8, v5 varchar(5), b bool);
insert into t select g, g % 100, g * 7 % 1000 - 500, g::int8 * 100000000, g / 7.0, g / 3.0, g / 4.0, 'v' || (g % 9), g % 2 = 0 from generate_series(1, 300) g;
create table h (tid int, aid int, delta int, mtime timestamp)`;

/** Literal spellings of every kind: int4, int8, numeric, big numeric, negative, zero. */
const VALUES = ['0', '1', '7', '-3', '250', '2147483647', '2147483648', '-2147483648', '3000000000', '1.5', '1.0', '-0.25', '1e3', '99999999999999999999', '32767', '40000'];

/** Statement shapes; {x} and {y} become literals. Values that make a statement fail must fail alike. */
const SHAPES = [
  'SELECT id, i4 FROM t WHERE i4 = {x} ORDER BY id',
  'SELECT id, i4 + {x} FROM t WHERE id = {y}',
  'SELECT id, i4 / {x}, i4 % {x} FROM t WHERE id = {y}',
  'SELECT id, n * {x}, f8 - {x} FROM t WHERE id < {y} ORDER BY id',
  'SELECT id FROM t WHERE i8 = {x} OR id = {y} ORDER BY id',
  'SELECT id FROM t WHERE n > {x} AND id <= {y} ORDER BY id',
  'SELECT id FROM t WHERE f8 >= {x} AND i2 < {y} ORDER BY id',
  'SELECT id, -{x}, - {y} FROM t WHERE id = - {x}',
  'SELECT {x} + {y}, {x} * {y}, {x} / {y}',
  'SELECT id FROM t WHERE i4 BETWEEN {x} AND {y} ORDER BY id',
  'SELECT id FROM t WHERE id IN ({x}, {y}) ORDER BY id',
  'SELECT id FROM t ORDER BY id LIMIT {x}',
  'SELECT id, i4 FROM t WHERE id > {y} ORDER BY 2, 1 LIMIT 3',
  "SELECT id, v5 FROM t WHERE v5 = 'v3' AND i4 > {x} ORDER BY id",
  'SELECT abs(i4 - {x}), round(n, 2) FROM t WHERE id = {y}',
  'SELECT CASE WHEN i4 > {x} THEN 1 ELSE {y} END FROM t WHERE id = 5',
  'UPDATE t SET i4 = i4 + {x} WHERE id = {y}',
  'UPDATE t SET i2 = {x} WHERE id = {y}',
  'UPDATE t SET i4 = {x}, n2 = {y} WHERE id = 3',
  'UPDATE t SET i8 = i8 - {x}, n = n + {y} WHERE id = 4',
  'UPDATE t SET f8 = {x} WHERE i4 = {y}',
  'INSERT INTO h (tid, aid, delta, mtime) VALUES ({x}, {y}, {x}, CURRENT_TIMESTAMP)',
  'INSERT INTO h (tid, aid, delta) VALUES ({x}, {y}, -{x}), ({y}, {x}, 5)',
  'INSERT INTO t (id, i4, n2) VALUES ({x} + 1000, {y}, {x})',
  'DELETE FROM h WHERE tid = {x} AND aid <> {y}',
  'SELECT count(*), sum(delta) FROM h WHERE tid = {x}',
];

describe('statement cache', function () {
  this.timeout(60000);
  let cachedDb: Database;
  let plainDb: Database;
  let cached: EngineSession;
  let plain: EngineSession;
  const verifyBefore = statementCacheChecks.verify;

  beforeEach(async () => {
    statementCacheChecks.verify = true;
    cachedDb = await Database.open({ dir: ':memory:' });
    plainDb = await Database.open({ dir: ':memory:' });
    cached = cachedDb.createSession({ user: 'postgres', database: 'postgres' });
    plain = plainDb.createSession({ user: 'postgres', database: 'postgres' });
    for (const s of [cached, plain]) expect(JSON.stringify(await simple(s, SETUP))).to.not.include('error');
    await simple(plain, 'SET plan_cache_mode = force_custom_plan');
  });
  afterEach(async () => {
    statementCacheChecks.verify = verifyBefore;
    await cached.close();
    await plain.close();
    await cachedDb.close();
    await plainDb.close();
  });

  /** Runs sql on both; returns what the cached side saw. */
  async function both(sql: string): Promise<unknown[]> {
    const a = await simple(cached, sql);
    const b = await simple(plain, sql);
    expect(a, sql).to.deep.equal(b);
    return a;
  }

  it('gives the uncached results and errors for every literal kind, and is used', async () => {
    for (const shape of SHAPES) for (const x of VALUES) for (const y of ['2', '-7', '3000000000']) await both(shape.replace(/\{x\}/g, x).replace(/\{y\}/g, y));
    expect(plain.statementCache.hits).to.equal(0);
    // Most value-position literals of these shapes are cached (exact count depends on the shapes).
    expect(cached.statementCache.hits).to.be.greaterThan(350);
    await both('SELECT * FROM t ORDER BY id');
    await both('SELECT tid, aid, delta, mtime IS NULL FROM h ORDER BY tid, aid, delta');
  });

  it('raises division by zero (22012) on every execution, cached or not', async () => {
    for (let i = 0; i < 5; i++) {
      const [r] = await both(`SELECT i4 / ${i % 2 === 0 ? 0 : 0.0} FROM t WHERE id = ${i + 1}`);
      expect(r).to.deep.include({ error: '22012' });
      const [u] = await both(`UPDATE t SET i4 = i4 / 0 WHERE id = ${i + 1}`);
      expect(u).to.deep.include({ error: '22012' });
    }
    expect(cached.statementCache.hits).to.be.greaterThan(4);
  });

  it('tells literal kinds apart: 1, 1.0, 3000000000 and a quoted 1 bind as PostgreSQL types them', async () => {
    const types = async (lit: string) => ((await both(`SELECT id, i4 + ${lit} FROM t WHERE id = 1`))[0] as { types: string[] }).types[1];
    for (let k = 0; k < 2; k++) {
      expect(await types('1')).to.equal('?column?:int4');
      expect(await types('1.0')).to.equal('?column?:numeric');
      expect(await types('3000000000')).to.equal('?column?:int8');
      expect(await types("'1'")).to.equal('?column?:int4');
      expect(await types('2')).to.equal('?column?:int4');
    }
  });

  it('caches int4 literals widened to int8, float8 and numeric beside such columns (an int8 key, say)', async () => {
    await both('CREATE TABLE big (id int8 primary key, f float8, n numeric)');
    await both('INSERT INTO big SELECT g, g / 2.0, g / 3.0 FROM generate_series(1, 50) g');
    const hits = cached.statementCache.hits;
    for (let i = 1; i <= 6; i++) {
      await both(`SELECT id, f * ${i}, n + ${i} FROM big WHERE id = ${i * 7}`);
      await both(`UPDATE big SET f = ${i}, n = n - ${i} WHERE id = ${i}`);
    }
    expect(cached.statementCache.hits - hits).to.be.greaterThan(7);
    // An int8 literal there is another shape (its own parameter type), cached on its own.
    await both('SELECT id FROM big WHERE id = 3000000000');
    await both('SELECT id FROM big WHERE id = 3000000001');
    await both('SELECT * FROM big ORDER BY id');
  });

  it('sees ALTER TABLE, DROP and CREATE of the same name, and CREATE INDEX', async () => {
    for (let i = 1; i <= 3; i++) await both(`SELECT * FROM t WHERE id = ${i}`);
    const hits = cached.statementCache.hits;
    await both('ALTER TABLE t ADD COLUMN extra int DEFAULT 42');
    expect(await both('SELECT * FROM t WHERE id = 4')).to.satisfy((r: any[]) => r[0].types.includes('extra:int4'));
    await both('ALTER TABLE t DROP COLUMN i2');
    await both('SELECT * FROM t WHERE id = 5');
    await both('SELECT * FROM t WHERE id = 6');
    await both('DROP TABLE t');
    expect(await both('SELECT * FROM t WHERE id = 7')).to.satisfy((r: any[]) => r[0].error === '42P01');
    await both('CREATE TABLE t (id text, z int)');
    await both("INSERT INTO t VALUES ('8', 1), ('9', 2)");
    // Same string shape, new table: id is text now (an int literal against text fails as in PostgreSQL).
    expect(await both('SELECT * FROM t WHERE id = 8')).to.satisfy((r: any[]) => r[0].error === '42883');
    await both('SELECT * FROM t WHERE z = 2');
    await both('SELECT * FROM t WHERE z = 1');
    await both('CREATE INDEX t_z ON t (z)');
    await both('SELECT * FROM t WHERE z = 2');
    expect(cached.statementCache.hits).to.be.greaterThan(hits);
  });

  it('sees DDL committed by another session', async () => {
    for (let i = 1; i <= 3; i++) await both(`SELECT * FROM t WHERE id = ${i}`);
    const otherCached = cachedDb.createSession({ user: 'postgres', database: 'postgres' });
    const otherPlain = plainDb.createSession({ user: 'postgres', database: 'postgres' });
    try {
      for (const sql of ['ALTER TABLE t RENAME COLUMN i4 TO renamed', 'ALTER TABLE t ADD COLUMN w text']) {
        expect(await simple(otherCached, sql)).to.deep.equal(await simple(otherPlain, sql));
        await both('SELECT * FROM t WHERE id = 4');
      }
    } finally {
      await otherCached.close();
      await otherPlain.close();
    }
  });

  it('behaves as the uncached path inside transactions, after errors, with savepoints and DDL in the block', async () => {
    const script = [
      'BEGIN',
      'UPDATE t SET i4 = i4 + 5 WHERE id = 1',
      'UPDATE t SET i4 = i4 + 6 WHERE id = 2',
      'SELECT i4 FROM t WHERE id = 1',
      'SAVEPOINT s',
      'SELECT i4 / 0 FROM t WHERE id = 2',
      'SELECT i4 FROM t WHERE id = 2', // 25P02 while aborted
      'ROLLBACK TO s',
      'SELECT i4 FROM t WHERE id = 2',
      'ALTER TABLE t ADD COLUMN c int DEFAULT 7',
      'SELECT * FROM t WHERE id = 2',
      'SELECT * FROM t WHERE id = 3',
      'ROLLBACK',
      'SELECT * FROM t WHERE id = 2',
      'BEGIN',
      'UPDATE t SET i4 = 1 WHERE id = 9',
      'SELECT i4 FROM t WHERE id = 3000000000',
      'SELECT i4 FROM t WHERE id = 9',
      'COMMIT',
      'SELECT i4 FROM t WHERE id = 9',
    ];
    for (let round = 0; round < 3; round++) for (const sql of script) await both(sql);
    expect(cached.statementCache.hits).to.be.greaterThan(20);
  });

  it('follows settings: SET, set_config and RESET rebind', async () => {
    await both('SELECT f8 * 1.1 FROM t WHERE id = 5');
    await both('SELECT f8 * 1.1 FROM t WHERE id = 6');
    await both('SET extra_float_digits = 0');
    await both('SELECT f8 * 1.1 FROM t WHERE id = 7');
    await both("SELECT set_config('extra_float_digits', '3', false)");
    await both('SELECT f8 * 1.1 FROM t WHERE id = 8');
    await both('RESET extra_float_digits');
    await both('SELECT f8 * 1.1 FROM t WHERE id = 9');
    // plan_cache_mode itself: force_custom_plan stops using the cache.
    const hits = cached.statementCache.hits;
    await simple(cached, 'SET plan_cache_mode = force_custom_plan');
    await both('SELECT f8 * 1.1 FROM t WHERE id = 10');
    expect(cached.statementCache.hits).to.equal(hits);
    expect(await simple(cached, 'SET plan_cache_mode = sometimes')).to.deep.equal([{ error: '22023', message: 'invalid value for parameter "plan_cache_mode": "sometimes"' }]);
  });

  it('keeps a prepared statement\'s plan from its second execution, rebinding after DDL and SET', async () => {
    const run = async (session: EngineSession, stmt: ReturnType<EngineSession['prepare']>, params: (number | string)[]) => {
      try {
        const r = await session.execute(stmt, params);
        await session.endOfCommandGroup();
        return r.kind === 'rows' ? buildRows(r.batches, r.fields, session.settings.format(), { types: 'text', rowMode: 'array' }) : r.kind === 'command' ? r.command : r.kind;
      } catch (err) {
        await session.endOfCommandGroup();
        return { error: (err as SqlError).code };
      }
    };
    const texts = ['SELECT id, i4 + $2, f8 FROM t WHERE id = $1', 'UPDATE t SET i4 = i4 + $2 WHERE id = $1', 'SELECT * FROM t WHERE id = $1 AND $2 > 0'];
    const ddl = ['ALTER TABLE t ADD COLUMN extra int DEFAULT 5', 'SET extra_float_digits = 0', 'ALTER TABLE t RENAME COLUMN f8 TO g8', 'ALTER TABLE t RENAME COLUMN g8 TO f8', 'CREATE INDEX t_i4 ON t (i4)'];
    const prepared = texts.map((sql) => [cached.prepare(sql, []), plain.prepare(sql, [])] as const);
    for (let round = 0; round <= ddl.length; round++) {
      for (let i = 1; i <= 4; i++)
        for (const [c, p] of prepared) {
          const params = [i + round * 10, i % 2 === 0 ? 3 : -3];
          expect(await run(cached, c, params)).to.deep.equal(await run(plain, p, params));
        }
      if (round < ddl.length) await both(ddl[round]);
    }
    expect(cached.statementCache.hits).to.be.greaterThan(30);
    expect(plain.statementCache.hits).to.equal(0);
  });

  it('leaves statements it cannot prove alone: system views, sequences, CTEs, joins, functions reading the catalog', async () => {
    await both('CREATE SEQUENCE sq');
    const shapes = [
      'SELECT relname FROM pg_class WHERE relname = \'t\' AND {x} = {x}',
      'SELECT last_value + {x} FROM sq',
      'SELECT nextval(\'sq\') + {x}',
      'WITH w AS (SELECT id FROM t WHERE id = {x}) SELECT * FROM w',
      'SELECT a.id FROM t a JOIN t b ON a.id = b.id WHERE a.id = {x}',
      "SELECT to_regclass('t2') IS NULL, {x}",
      'SELECT id FROM t WHERE id = (SELECT max(id) - {x} FROM t)',
    ];
    for (const shape of shapes) {
      for (const x of ['1', '2', '3']) await both(shape.replace(/\{x\}/g, x));
      if (shape.includes('to_regclass')) await both('CREATE TABLE t2 (a int)');
    }
  });
});
