// Latency of one durable commit through the KV layer (LmdbKv.write, synchronous_commit on), one
// at a time as a lone client's COMMIT does: eight small entries like a pgbench transaction's group
// commit (delta rows, deletion entries, statistics, catalog). With --busy the main thread is kept
// busy as a loaded server's is (it runs ~1 ms tasks back to back), which delays any step of a
// write that needs the main thread (lmdb-js's transaction callbacks) but not one done entirely on
// lmdb's writer thread. With --compare the commits alternate between lmdb-js's two ways of writing
// an atomic batch on one database opened as LmdbKv opens it, `transaction(callback)` (the callback
// runs on the main thread once the writer thread has begun the transaction; what LmdbKv.write
// uses) and `batch(callback)` (queued at once, applied on the writer thread), so both meet the same
// disk and load. (Measured on a shared machine: no difference beyond the disk's noise, so LmdbKv
// kept `transaction`.)
//
//   node dist/bench/storage/kv-commit.js [--commits 300] [--busy] [--compare]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from 'lmdb';
import { LmdbKv } from '../../src/storage/kv-store';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function summary(times: number[]): string {
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return `mean ${mean.toFixed(3)} ms, p50 ${at(0.5).toFixed(3)}, p90 ${at(0.9).toFixed(3)}, p99 ${at(0.99).toFixed(3)}`;
}

async function main(): Promise<void> {
  const commits = option('commits', 300);
  const busy = process.argv.includes('--busy');
  const compare = process.argv.includes('--compare');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-commit-'));
  const db = compare ? open<Buffer, string>({ path: dir, encoding: 'binary', compression: false, noSync: false, mapSize: 64 * 1024 * 1024 * 1024 }) : null;
  const kv = compare ? null : new LmdbKv(dir, true);
  let spinning = busy;
  const spin = () => {
    if (!spinning) return;
    const until = performance.now() + 1;
    while (performance.now() < until);
    setImmediate(spin);
  };
  spin();
  const entry = (bytes: number) => Buffer.alloc(bytes, 7);
  const all: number[] = [];
  const byTransaction: number[] = [];
  const byBatch: number[] = [];
  try {
    for (let i = 0; i < commits + 20; i++) {
      const entries: [string, Buffer][] = [
        [`a/1/0/${i}`, entry(120)],
        [`a/2/0/${i}`, entry(120)],
        [`a/3/0/${i}`, entry(120)],
        [`a/4/0/${i}`, entry(80)],
        [`dd/1/0/${i}`, entry(2)],
        [`dd/2/0/${i}`, entry(2)],
        [`dd/3/0/${i}`, entry(2)],
        ['catalog', entry(1500)],
      ];
      const apply = () => {
        for (const [k, v] of entries) void db!.put(k, v);
      };
      const t0 = performance.now();
      if (kv !== null) await kv.write(entries);
      else if (i % 2 === 0) await db!.transaction(apply);
      else await db!.batch(apply);
      const ms = performance.now() - t0;
      if (i < 20) continue; // the first ones warm up
      all.push(ms);
      (i % 2 === 0 ? byTransaction : byBatch).push(ms);
    }
  } finally {
    spinning = false;
    await kv?.close();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const what = `durable commits of 8 entries${busy ? ', main thread busy' : ''}`;
  const load = `(load ${os.loadavg()[0].toFixed(2)})`;
  if (!compare) console.log(`${commits} ${what}: ${summary(all)} ${load}`);
  else {
    console.log(`${byTransaction.length} ${what} by transaction(callback): ${summary(byTransaction)} ${load}`);
    console.log(`${byBatch.length} ${what} by batch(callback):       ${summary(byBatch)}`);
  }
}

void main();
