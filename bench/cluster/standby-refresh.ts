// The cost of keeping a follower's standby engine current (src/cluster/standby.ts): after every
// replicated batch the follower applies, TableStore.refreshCommitted reads again what the batch
// changed, synchronously, before the batch is acknowledged (so it adds to every commit's latency).
// Measured per batch for small OLTP commits on TPC-H tables and on a larger table, beside the cost
// of reading the whole committed state again (what a refresh would cost without the changed keys).
//
//   node dist/bench/cluster/standby-refresh.js [--sf-dir /work/shared/tpch/sf0.01] [--big-rows 2000000] [--commits 300] [--tables 0]
//   (--sf-dir may hold .tbl or .tbl.gz files; --big-rows 0 skips the big table; --tables N first
//   creates N more small tables, 6 columns and 100 rows each, and adds one-row commits on one of
//   them: what the refresh costs per table the database holds)
//
// Leader and follower stores are LMDB in temporary directories (synchronous_commit off: fsyncs are
// not what is measured); both engines share this process.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { LmdbKv } from '../../src/storage/kv-store';
import { readCatalog } from '../../src/storage/committed-refresh';
import { Standby } from '../../src/cluster/standby';
import { standbyCluster } from '../../test/helpers/standby-cluster';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** A table's .tbl text (or its .tbl.gz's). */
function tableText(dir: string, table: string): string {
  const plain = path.join(dir, `${table}.tbl`);
  return fs.existsSync(plain) ? fs.readFileSync(plain, 'utf8') : zlib.gunzipSync(fs.readFileSync(`${plain}.gz`)).toString('utf8');
}

const TABLES = ['lineitem', 'orders', 'customer', 'nation', 'region', 'supplier', 'part', 'partsupp'];

async function main(): Promise<void> {
  const sfDir = arg('--sf-dir', '/work/shared/tpch/sf0.01');
  const bigRows = Number(arg('--big-rows', '2000000'));
  const commits = Number(arg('--commits', '300'));
  const extraTables = Number(arg('--tables', '0'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'standby-refresh-'));
  const dirs = ['leader', 'f2', 'f3'].map((d) => path.join(tmp, d));
  for (const d of dirs) fs.mkdirSync(d);
  const c = await standbyCluster({ leaderStore: new LmdbKv(dirs[0], false), store: (id) => new LmdbKv(dirs[id - 1], false) });
  const standby = c.standbys.get(2)!;
  const follower = c.stores.get(2)!;
  const measure = async (label: string, work: () => Promise<void>): Promise<void> => {
    const before = { ...standby.refreshStats };
    const t0 = performance.now();
    await work();
    const wall = performance.now() - t0;
    const n = standby.refreshStats.batches - before.batches;
    const ms = standby.refreshStats.totalMs - before.totalMs;
    const full: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      readCatalog(follower);
      full.push(performance.now() - t);
    }
    console.log(`| ${label} | ${n} | ${(ms / Math.max(1, n)).toFixed(3)} | ${standby.refreshStats.maxMs.toFixed(2)} | ${(wall / Math.max(1, n)).toFixed(2)} | ${Math.min(...full).toFixed(2)} |`);
    standby.refreshStats.maxMs = 0;
  };
  try {
    console.log(`uptime: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('| work on the leader | batches | refresh ms/batch (mean) | max ms | leader ms/commit | full re-read ms |');
    console.log('|---|---|---|---|---|---|');
    await c.leader.exec(fs.readFileSync(path.join(sfDir, '..', 'schema.sql'), 'utf8'));
    if (extraTables > 0) {
      await measure(`CREATE ${extraTables} small tables`, async () => {
        for (let i = 0; i < extraTables; i += 50) {
          let sql = 'BEGIN;';
          for (let t = i; t < Math.min(extraTables, i + 50); t++)
            sql += `CREATE TABLE t${t} (id int PRIMARY KEY, a int NOT NULL, b text, c float8, d date, e numeric(12,2)); INSERT INTO t${t} SELECT g, g % 7, 'row ' || g, g * 0.5, date '2024-01-01' + g, g * 1.25 FROM generate_series(1, 100) g;`;
          await c.leader.exec(`${sql} COMMIT;`);
        }
      });
      const small = `t${Math.floor(extraTables / 2)}`;
      await measure(`INSERT ${small} one row (${extraTables + TABLES.length} tables)`, async () => {
        for (let i = 0; i < commits; i++) await c.leader.query(`INSERT INTO ${small} VALUES (${1000 + i}, 1, 'new', 1.5, date '2024-06-01', 2.50)`);
      });
      await measure(`UPDATE ${small} one row (${extraTables + TABLES.length} tables)`, async () => {
        for (let i = 0; i < commits; i++) await c.leader.query(`UPDATE ${small} SET a = a + 1 WHERE id = ${1 + (i % 100)}`);
      });
    }
    await measure(`COPY TPC-H (${path.basename(sfDir)})`, async () => {
      for (const t of TABLES) await c.leader.copyFrom(t, tableText(sfDir, t).replace(/\|\n/g, '\n'), { delimiter: '|' });
    });
    const orders = Number((await c.leader.query('SELECT max(o_orderkey)::int AS m FROM orders')).rows[0].m);
    await measure('UPDATE orders one row', async () => {
      for (let i = 0; i < commits; i++) await c.leader.query(`UPDATE orders SET o_comment = 'r${i}' WHERE o_orderkey = ${1 + ((i * 7919) % orders)}`);
    });
    await measure('INSERT lineitem one row', async () => {
      for (let i = 0; i < commits; i++)
        await c.leader.query(`INSERT INTO lineitem VALUES (${i + 1}, 1, 1, ${100 + i}, 1, 1.00, 0.01, 0.01, 'N', 'O', date '1998-01-01', date '1998-01-02', date '1998-01-03', 'NONE', 'AIR', 'bench')`);
    });
    if (bigRows === 0) return;
    await c.leader.query('CREATE TABLE big (k int PRIMARY KEY, v int, s text)');
    await measure(`INSERT big ${bigRows} rows`, async () => {
      await c.leader.query(`INSERT INTO big SELECT i, i % 1000, 's' || (i % 97) FROM generate_series(1, ${bigRows}) i`);
    });
    await measure('UPDATE big one row', async () => {
      for (let i = 0; i < commits; i++) await c.leader.query(`UPDATE big SET v = v + 1 WHERE k = ${1 + ((i * 104729) % bigRows)}`);
    });
    await measure('INSERT big one row', async () => {
      for (let i = 0; i < commits; i++) await c.leader.query(`INSERT INTO big VALUES (${bigRows + 1 + i}, 0, 'new')`);
    });
  } finally {
    await c.close();
    for (const id of [2, 3]) await c.stores.get(id)!.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  void Standby;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
