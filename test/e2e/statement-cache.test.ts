// The statement cache over the wire (simple Query messages from node-postgres, as pgbench sends
// them): TPC-B-like transactions, errors raised on every execution, the aborted-transaction state,
// DDL from another connection, and the extended protocol beside it. The server runs with
// TESSERA_STATEMENT_CACHE=verify, so every use of a cached plan is also checked against a fresh
// binding of the string (a mismatch would be an XX000 error failing these tests).
import { expect } from 'chai';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('statement cache over the wire', function () {
  this.timeout(60000);
  let server: TestServer;
  let a: Client;
  let b: Client;
  before(async () => {
    server = await startTestServer({ env: { TESSERA_STATEMENT_CACHE: 'verify' } });
    a = new Client({ connectionString: server.url });
    b = new Client({ connectionString: server.url });
    await a.connect();
    await b.connect();
    await a.query(`create table acc (aid int primary key, bid int, abalance int, filler char(84));
      create table hist (aid int, delta int, mtime timestamp);
      insert into acc select g, 1, 0, '' from generate_series(1, 100) g`);
  });
  after(async () => {
    await a?.end();
    await b?.end();
    await server?.stop();
  });

  /** SQLSTATE of the error a simple query raises (null when it succeeds). */
  async function code(c: Client, sql: string): Promise<string | null> {
    try {
      await c.query(sql);
      return null;
    } catch (err) {
      return (err as { code: string }).code;
    }
  }

  it('runs TPC-B-like transactions with balances consistent', async () => {
    let total = 0;
    for (let i = 0; i < 60; i++) {
      const aid = (i * 37) % 100 + 1;
      const delta = (i % 7) * 100 - 300;
      total += delta;
      await a.query('BEGIN;');
      await a.query(`UPDATE acc SET abalance = abalance + ${delta} WHERE aid = ${aid};`);
      const r = await a.query(`SELECT abalance FROM acc WHERE aid = ${aid};`);
      expect(r.rows.length).to.equal(1);
      await a.query(`INSERT INTO hist (aid, delta, mtime) VALUES (${aid}, ${delta}, CURRENT_TIMESTAMP);`);
      await a.query('END;');
    }
    const sums = await b.query('select (select sum(abalance) from acc) as a, (select sum(delta) from hist) as h, (select count(*) from hist where mtime is null) as nulls');
    expect(sums.rows[0]).to.deep.equal({ a: String(total), h: String(total), nulls: '0' });
    // Each balance is the sum of its history rows.
    const bad = await b.query('select count(*) from acc where abalance <> coalesce((select sum(delta) from hist where hist.aid = acc.aid), 0)');
    expect(bad.rows[0].count).to.equal('0');
  });

  it('raises division by zero every time, and refuses statements in an aborted block (25P02) until ROLLBACK', async () => {
    for (let i = 1; i <= 4; i++) expect(await code(a, `SELECT abalance / 0 FROM acc WHERE aid = ${i}`)).to.equal('22012');
    for (let round = 0; round < 3; round++) {
      await a.query('BEGIN');
      await a.query(`UPDATE acc SET abalance = abalance + 1 WHERE aid = ${round + 1}`);
      expect(await code(a, `UPDATE acc SET abalance = abalance / 0 WHERE aid = ${round + 1}`)).to.equal('22012');
      expect(await code(a, `SELECT abalance FROM acc WHERE aid = ${round + 1}`)).to.equal('25P02');
      expect(await code(a, `UPDATE acc SET abalance = abalance + 1 WHERE aid = ${round + 1}`)).to.equal('25P02');
      await a.query('ROLLBACK');
    }
    // Out of range for int4: the literal 3000000000 is int8, as in PostgreSQL.
    expect(await code(a, 'UPDATE acc SET abalance = abalance + 3000000000 WHERE aid = 1')).to.equal('22003');
    expect(await code(a, 'UPDATE acc SET abalance = abalance + 3000000000 WHERE aid = 2')).to.equal('22003');
  });

  it('sees DDL committed by another connection', async () => {
    for (let i = 1; i <= 3; i++) expect(Object.keys((await a.query(`SELECT * FROM acc WHERE aid = ${i}`)).rows[0])).to.deep.equal(['aid', 'bid', 'abalance', 'filler']);
    await b.query('ALTER TABLE acc ADD COLUMN note text DEFAULT \'n\'');
    expect((await a.query('SELECT * FROM acc WHERE aid = 4')).rows[0]).to.deep.include({ aid: 4, note: 'n' });
    await b.query('ALTER TABLE acc DROP COLUMN filler');
    expect(Object.keys((await a.query('SELECT * FROM acc WHERE aid = 5')).rows[0])).to.deep.equal(['aid', 'bid', 'abalance', 'note']);
    await b.query('CREATE TABLE tmp_x (aid numeric, v text)');
    await b.query("INSERT INTO tmp_x VALUES (1.0, 'one'), (2, 'two')");
    for (let i = 1; i <= 2; i++) await a.query(`SELECT v FROM tmp_x WHERE aid = ${i}`);
    await b.query('DROP TABLE tmp_x');
    await b.query('CREATE TABLE tmp_x (aid int, v int)');
    await b.query('INSERT INTO tmp_x VALUES (1, 10), (2, 20)');
    const r = await a.query('SELECT v FROM tmp_x WHERE aid = 2');
    expect(r.rows).to.deep.equal([{ v: 20 }]);
    expect(r.fields[0].dataTypeID).to.equal(23);
  });

  it('leaves prepared statements (extended protocol) working beside cached simple queries', async () => {
    for (let i = 1; i <= 5; i++) {
      await a.query(`SELECT abalance FROM acc WHERE aid = ${i}`);
      const p = await a.query({ name: 'get', text: 'SELECT abalance, aid FROM acc WHERE aid = $1', values: [i] });
      expect(p.rows).to.have.length(1);
      expect(p.rows[0].aid).to.equal(i);
      const u = await a.query('UPDATE acc SET abalance = abalance + $1 WHERE aid = $2', [10, i]);
      expect(u.rowCount).to.equal(1);
    }
    const both = await a.query('SELECT abalance FROM acc WHERE aid = 1');
    const viaParams = await a.query('SELECT abalance FROM acc WHERE aid = $1', [1]);
    expect(both.rows).to.deep.equal(viaParams.rows);
  });
});
