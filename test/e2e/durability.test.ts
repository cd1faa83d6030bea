// Committed data survives a clean restart and a kill -9 right after the commit was acknowledged.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { TestServer, startTestServer } from '../helpers/test-server';

async function query(port: number, sql: string, params: unknown[] = []): Promise<any[]> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres' });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('durability', function () {
  this.timeout(120000);
  let dir: string;
  let server: TestServer;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-durable-'));
    server = await startTestServer({ dataDir: dir });
  });
  afterEach(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps committed rows across a clean restart', async () => {
    await query(server.port, 'create table kv (k int primary key, v text, amount numeric(12,2))');
    await query(server.port, "insert into kv values (1, 'a', 10.50), (2, 'b', 20.25)");
    await query(server.port, "update kv set v = 'b2' where k = 2");
    await query(server.port, 'delete from kv where k = 1');
    await server.stop();
    await server.restart();
    expect(await query(server.port, 'select k, v, amount from kv order by k')).to.deep.equal([{ k: 2, v: 'b2', amount: '20.25' }]);
  });

  it('keeps every acknowledged commit after kill -9, and none of an open transaction', async () => {
    await query(server.port, 'create table ledger (id int primary key, note text)');
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    c.on('error', () => undefined); // the kill below ends this connection
    await c.connect();
    for (let i = 1; i <= 50; i++) await c.query('insert into ledger values ($1, $2)', [i, `row ${i}`]);
    await c.query('begin');
    await c.query("insert into ledger values (1000, 'never committed')");
    await server.kill9();
    await server.restart();
    const rows = await query(server.port, 'select count(*)::int as n, min(id) as lo, max(id) as hi from ledger');
    expect(rows).to.deep.equal([{ n: 50, lo: 1, hi: 50 }]);
    // The table still enforces its key after recovery.
    let code = '';
    try {
      await query(server.port, "insert into ledger values (7, 'dup')");
    } catch (err) {
      code = (err as { code: string }).code;
    }
    expect(code).to.equal('23505');
  });
});
