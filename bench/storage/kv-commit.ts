// Latency of one durable commit through the KV layer (LmdbKv.write, synchronous_commit on), one
// at a time as a lone client's COMMIT does: eight small entries like a pgbench transaction's group
// commit (delta rows, deletion entries, statistics, catalog). With --busy the main thread is kept
// busy as a loaded server's is (it runs ~1 ms tasks back to back), which delays any step of a
// write that needs the main thread (lmdb-js's transaction callbacks) but not one done entirely on
// lmdb's writer thread.
//
//   node dist/bench/storage/kv-commit.js [--commits 300] [--busy]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LmdbKv } from '../../src/storage/kv-store';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const commits = option('commits', 300);
  const busy = process.argv.includes('--busy');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-commit-'));
  const kv = new LmdbKv(dir, true);
  let spinning = busy;
  const spin = () => {
    if (!spinning) return;
    const until = performance.now() + 1;
    while (performance.now() < until);
    setImmediate(spin);
  };
  spin();
  const entry = (bytes: number) => Buffer.alloc(bytes, 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < commits + 20; i++) {
      const entries: [string, Buffer | null][] = [
        [`a/1/0/${i}`, entry(120)],
        [`a/2/0/${i}`, entry(120)],
        [`a/3/0/${i}`, entry(120)],
        [`a/4/0/${i}`, entry(80)],
        [`dd/1/0/${i}`, entry(2)],
        [`dd/2/0/${i}`, entry(2)],
        [`dd/3/0/${i}`, entry(2)],
        ['catalog', entry(1500)],
      ];
      const t0 = performance.now();
      await kv.write(entries);
      if (i >= 20) times.push(performance.now() - t0); // the first ones warm up
    }
  } finally {
    spinning = false;
    await kv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`${commits} durable commits of 8 entries${busy ? ', main thread busy' : ''}: mean ${mean.toFixed(3)} ms, p50 ${at(0.5).toFixed(3)}, p90 ${at(0.9).toFixed(3)}, p99 ${at(0.99).toFixed(3)} (load ${os.loadavg()[0].toFixed(2)})`);
}

void main();
