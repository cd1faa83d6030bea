// The embedded API: open(':memory:' | dir), pg-shaped results, transactions, COPY, persistence.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open, SqlError } from '../../src/index';
import { psqlAvailable, runPsql } from '../helpers/test-server';

describe('embedded database', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-embedded-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes JS arrays as parameters and returns array columns as JS arrays, as node-postgres does', async () => {
    const db = await open(':memory:');
    try {
      await db.exec('create table a (id int, nums int[], words text[], grid int[], prices numeric[])');
      await db.query('insert into a values ($1, $2, $3, $4, $5)', [1, [3, null, 1], ['x', 'y z', '"q"', null], [[1, 2], [3, 4]], ['1.50', 2]]);
      const r = await db.query('select nums, words, grid, prices, nums[1] as first from a where id = any($1)', [[1, 2]]);
      expect(r.fields.map((f) => f.dataTypeID)).to.deep.equal([1007, 1009, 1007, 1231, 23]);
      // What node-postgres gives for the same row from PostgreSQL (its parsers: integers, strings, floats for numeric[]).
      expect(r.rows).to.deep.equal([{ nums: [3, null, 1], words: ['x', 'y z', '"q"', null], grid: [[1, 2], [3, 4]], prices: [1.5, 2], first: 3 }]);
    } finally {
      await db.close();
    }
  });

  it("runs queries in ':memory:' with node-postgres-shaped results and no files", async () => {
    const cwdBefore = fs.readdirSync(process.cwd()).sort();
    const db = await open(':memory:');
    await db.exec("create table t (id int primary key, name text, price numeric(10,2), big int8, d date, ok bool)");
    const ins = await db.query('insert into t values ($1, $2, $3, $4, $5, $6), (2, null, 0.5, 9007199254740991, null, false)', [1, 'one', '12.30', '42', '2024-02-29', true]);
    expect(ins.command).to.equal('INSERT');
    expect(ins.rowCount).to.equal(2);
    const res = await db.query('select id, name, price, big, d, ok from t order by id');
    expect(res.command).to.equal('SELECT');
    expect(res.rowCount).to.equal(2);
    expect(res.fields.map((f) => [f.name, f.dataTypeID])).to.deep.equal([
      ['id', 23],
      ['name', 25],
      ['price', 1700],
      ['big', 20],
      ['d', 1082],
      ['ok', 16],
    ]);
    expect(res.rows[0]).to.deep.include({ id: 1, name: 'one', price: '12.30', big: '42', ok: true });
    expect((res.rows[0].d as Date).getFullYear()).to.equal(2024);
    expect((res.rows[0].d as Date).getMonth()).to.equal(1);
    expect((res.rows[0].d as Date).getDate()).to.equal(29);
    expect(res.rows[1]).to.deep.equal({ id: 2, name: null, price: '0.50', big: '9007199254740991', d: null, ok: false });
    const arr = await db.query('select id, price from t order by id desc', [], { rowMode: 'array' });
    expect(arr.rows).to.deep.equal([
      [2, '0.50'],
      [1, '12.30'],
    ]);
    await db.close();
    expect(fs.readdirSync(process.cwd()).sort()).to.deep.equal(cwdBefore);
  });

  it('hands bytea, uuid, json and jsonb over as node-postgres does (Buffer, string, parsed JSON)', async () => {
    const db = await open(':memory:');
    await db.exec('create table x (b bytea, u uuid, j json, jb jsonb)');
    await db.query('insert into x values ($1, $2, $3, $4)', [Buffer.from([0, 255, 65]), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', { b: 1, a: [1, 2] }, '{"b": 1, "a": [1, 2.5]}']);
    const { rows } = await db.query('select b, u, j, jb, jb::text as t from x');
    expect(rows[0]).to.deep.equal({ b: Buffer.from([0, 255, 65]), u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', j: { b: 1, a: [1, 2] }, jb: { a: [1, 2.5], b: 1 }, t: '{"a": [1, 2.5], "b": 1}' });
    await db.close();
  });

  it('raises SqlError with the SQLSTATE, and keeps working', async () => {
    const db = await open(':memory:');
    try {
      await db.query('select * from missing');
      expect.fail('should have thrown');
    } catch (err) {
      expect(err).to.be.instanceOf(SqlError);
      expect((err as SqlError).code).to.equal('42P01');
    }
    expect((await db.query('select 1 + 1 as two')).rows).to.deep.equal([{ two: 2 }]);
    await db.close();
  });

  it('commits and rolls back transactions', async () => {
    const db = await open(':memory:');
    await db.exec('create table acct (id int primary key, balance int)');
    await db.query('insert into acct values (1, 100), (2, 0)');
    await db.transaction(async (tx) => {
      await tx.query('update acct set balance = balance - 30 where id = 1');
      await tx.query('update acct set balance = balance + 30 where id = 2');
    });
    let failed = false;
    try {
      await db.transaction(async (tx) => {
        await tx.query('update acct set balance = 0 where id = 1');
        throw new Error('changed my mind');
      });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    const res = await db.query('select id, balance from acct order by id', [], { rowMode: 'array' });
    expect(res.rows).to.deep.equal([
      [1, 70],
      [2, 30],
    ]);
    await db.close();
  });

  it('loads with copyFrom and persists across close and reopen', async () => {
    let db = await open(dir);
    await db.exec('create table n (k int primary key, name char(10), note varchar(20))');
    const count = await db.copyFrom('n', '0|ALGERIA|x\n1|ARGENTINA|\\N\n2|BRAZIL|y\n', { delimiter: '|' });
    expect(count).to.equal(3);
    await db.close();
    db = await open(dir);
    const res = await db.query('select k, name, note from n order by k', [], { rowMode: 'array' });
    expect(res.rows).to.deep.equal([
      [0, 'ALGERIA   ', 'x'],
      [1, 'ARGENTINA ', null],
      [2, 'BRAZIL    ', 'y'],
    ]);
    await db.close();
  });

  it('refuses a second opener of the same directory', async () => {
    const db = await open(dir);
    let message = '';
    try {
      await open(dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/already open/);
    await db.close();
  });

  it('serves the embedded database to psql with listen()', async function () {
    if (!psqlAvailable()) this.skip();
    const db = await open(':memory:');
    await db.exec("create table app (k int primary key, v text); insert into app values (1, 'in-process'), (2, 'visible')");
    const server = await db.listen(0);
    const out = await runPsql(server.port, 'select k, v from app order by k;', ['-A', '-t']);
    expect(out.stdout).to.equal('1|in-process\n2|visible\n');
    await db.close();
  });
});
