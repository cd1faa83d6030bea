// CREATE INDEX entries live in LMDB ('ix/<table>/<column>'): written by CREATE INDEX, read back after
// a real server restart (the planner still picks the index scan and the answers are right, for rows
// added and deleted since), removed by DROP INDEX and DROP TABLE.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from 'lmdb';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

async function query(port: number, sql: string): Promise<any[]> {
  const c = await connectPg(port);
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** The keys under `prefix` in the (stopped) server's LMDB data directory. */
function storedKeys(dir: string, prefix: string): string[] {
  const db = open<Buffer, string>({ path: dir, encoding: 'binary', compression: false, readOnly: true });
  try {
    const keys: string[] = [];
    for (const k of db.getKeys({ start: prefix })) {
      if (typeof k !== 'string' || !k.startsWith(prefix)) break;
      keys.push(k);
    }
    return keys;
  } finally {
    void db.close();
  }
}

describe('persisted secondary indexes', function () {
  this.timeout(120000);
  let dir: string;
  let server: TestServer;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-ixp-'));
    server = await startTestServer({ dataDir: dir });
  });
  afterEach(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores entries at CREATE INDEX, uses them after a restart, drops them with DROP INDEX', async () => {
    const p = () => server.port;
    await query(p(), 'create table ev (id int, day date, tag text)');
    await query(p(), "insert into ev select g, date '2024-01-01' + (g % 366), 't' || (g % 50) from generate_series(1, 20000) g");
    await query(p(), 'create index ev_day on ev (day)');
    await query(p(), 'create index ev_tag on ev (tag)');
    const oid = Number((await query(p(), "select 'ev'::regclass::oid as oid"))[0].oid);
    const plan = async (sql: string) => (await query(p(), `explain ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
    await server.stop();
    // day is column 1, tag column 2.
    expect(storedKeys(dir, `ix/${oid}/`)).to.deep.equal([`ix/${oid}/1`, `ix/${oid}/2`]);
    await server.restart();
    expect(await plan("select * from ev where day = date '2024-02-01'")).to.match(/Index Scan using ev_day on ev/);
    expect(await plan("select * from ev where day >= date '2024-03-01' and day < date '2024-03-08'")).to.match(/Index Scan using ev_day on ev[\s\S]*Index Cond/);
    expect(await plan("select * from ev where tag = 't7'")).to.match(/Index Scan using ev_tag on ev/);
    // 2024-02-01 is day 31 of the year: ids with g % 366 = 31.
    expect(await query(p(), "select count(*)::int as n, min(id) as lo, max(id) as hi from ev where day = date '2024-02-01'")).to.deep.equal([{ n: 55, lo: 31, hi: 19795 }]);
    expect(await query(p(), "select count(*)::int as n from ev where day >= date '2024-03-01' and day < date '2024-03-08'")).to.deep.equal([{ n: 385 }]);
    expect(await query(p(), "select count(*)::int as n from ev where tag = 't7'")).to.deep.equal([{ n: 400 }]);
    // Rows written after the restart: new ones found, deleted ones gone.
    await query(p(), "insert into ev values (30001, date '2024-02-01', 't7'), (30002, date '2030-01-01', 'new')");
    await query(p(), "delete from ev where id = 31");
    expect(await query(p(), "select count(*)::int as n, min(id) as lo, max(id) as hi from ev where day = date '2024-02-01'")).to.deep.equal([{ n: 55, lo: 397, hi: 30001 }]);
    expect(await query(p(), "select id from ev where tag = 'new'")).to.deep.equal([{ id: 30002 }]);
    await query(p(), 'drop index ev_day');
    expect(await plan("select * from ev where day = date '2024-02-01'")).to.match(/Seq Scan on ev/);
    await server.stop();
    expect(storedKeys(dir, `ix/${oid}/`)).to.deep.equal([`ix/${oid}/2`]);
    await server.restart();
    expect(await query(p(), "select count(*)::int as n from ev where tag = 't7'")).to.deep.equal([{ n: 401 }]);
    await query(p(), 'drop table ev');
    await server.stop();
    expect(storedKeys(dir, `ix/${oid}/`)).to.deep.equal([]);
    await server.restart();
  });
});
