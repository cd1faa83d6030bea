// What a one-row commit costs as the database holds more tables: each commit writes catalog
// entries, and when the catalog was one key ('catalog', before the per-object keys of
// src/storage/catalog-keys.ts) every commit rewrote the definitions and row counts of every table.
// For 10, 100 and 1000 tables (6 columns, 100 rows each) it runs one-row INSERTs and UPDATEs
// (autocommit) on one of them and prints the mean time per statement and the bytes and keys each
// KV write carried. Runs against any build of this repository (it only uses the embedded API and
// wraps the LMDB store's write), so the same script measures the commit before the change.
//
//   node dist/bench/storage/catalog-commit.js [--tables 10,100,1000] [--commits 500] [--rounds 3] [--sync off]
//
// LMDB in a temporary directory; synchronous_commit off by default (fsyncs are not what is measured).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from '../../src/index';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

interface WriteCounts {
  writes: number;
  bytes: number;
  keys: number;
  catalogBytes: number;
}

async function main(): Promise<void> {
  const counts = arg('tables', '10,100,1000').split(',').map(Number);
  const commits = Number(arg('commits', '500'));
  const rounds = Number(arg('rounds', '3'));
  const sync = arg('sync', 'off');
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; synchronous_commit ${sync}; ${commits} statements per round, ${rounds} rounds (median round shown)`);
  console.log('| tables | statement | ms/statement (median round) | all rounds | KV bytes/write | catalog bytes/write | keys/write |');
  console.log('|---|---|---|---|---|---|---|');
  for (const n of counts) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-commit-'));
    const db = await open(dir, { synchronous_commit: sync === 'on' });
    try {
      // The LMDB store under the write pipeline (TableStore.kv.kv), wrapped to count what each write carries.
      const inner = (db.database.storage as unknown as { kv: { kv: { write(e: [string, Buffer | null][]): Promise<void> } } }).kv.kv;
      const write = inner.write.bind(inner);
      const c: WriteCounts = { writes: 0, bytes: 0, keys: 0, catalogBytes: 0 };
      inner.write = (entries) => {
        c.writes++;
        c.keys += entries.length;
        for (const [k, v] of entries) {
          const b = k.length + (v?.length ?? 0);
          c.bytes += b;
          if (k === 'catalog' || k.startsWith('catalog/')) c.catalogBytes += b;
        }
        return write(entries);
      };
      for (let i = 0; i < n; i += 50) {
        let sql = 'BEGIN;';
        for (let t = i; t < Math.min(n, i + 50); t++)
          sql += `CREATE TABLE t${t} (id int PRIMARY KEY, a int NOT NULL, b text, c float8, d date, e numeric(12,2)); INSERT INTO t${t} SELECT g, g % 7, 'row ' || g, g * 0.5, date '2024-01-01' + g, g * 1.25 FROM generate_series(1, 100) g;`;
        await db.exec(`${sql} COMMIT;`);
      }
      const target = `t${Math.floor(n / 2)}`;
      let nextId = 1000;
      const work: [string, (i: number) => string][] = [
        ['INSERT one row', () => `INSERT INTO ${target} VALUES (${nextId++}, 1, 'new', 1.5, date '2024-06-01', 2.50)`],
        ['UPDATE one row', (i) => `UPDATE ${target} SET a = a + 1 WHERE id = ${1 + (i % 100)}`],
      ];
      for (const [label, sql] of work) {
        const means: number[] = [];
        let last: WriteCounts = { writes: 0, bytes: 0, keys: 0, catalogBytes: 0 };
        for (let r = 0; r < rounds; r++) {
          const before = { ...c };
          const t0 = performance.now();
          for (let i = 0; i < commits; i++) await db.query(sql(i));
          means.push((performance.now() - t0) / commits);
          last = { writes: c.writes - before.writes, bytes: c.bytes - before.bytes, keys: c.keys - before.keys, catalogBytes: c.catalogBytes - before.catalogBytes };
        }
        const sorted = [...means].sort((a, b) => a - b);
        const w = Math.max(1, last.writes);
        console.log(`| ${n} | ${label} | ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} | ${means.map((m) => m.toFixed(3)).join(', ')} | ${Math.round(last.bytes / w)} | ${Math.round(last.catalogBytes / w)} | ${(last.keys / w).toFixed(1)} |`);
      }
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
