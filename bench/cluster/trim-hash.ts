// What a follower's trim costs (src/cluster/replica.ts trimNow): it replaces the bytes of chunks the
// placement puts on other nodes by markers. Since markers name the bytes they replace (xxhash64,
// storage/chunk-marker.ts) the trim reads every trimmed chunk from the store and hashes it; before, it
// wrote empty markers without reading anything. Runs unchanged at a commit before that (no hash module:
// the pure-hash line is skipped there).
//
//   node dist/bench/cluster/trim-hash.js [--chunks 600] [--kib 1024] [--runs 5] [--sync]
//
// Store: LMDB in a temporary directory, the chunks just written (in the page cache, as they are when the
// leader's trim request comes a second after the batches). Each run: a fresh store, a Replica for node
// 2 of 3 (2 copies: a third of the chunks are placed elsewhere), timed trim(). Prints best and median.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { POSITION_KEY, encodePosition } from '../../src/cluster/kv-batch';
import { Placement } from '../../src/cluster/placement';
import { Replica } from '../../src/cluster/replica';
import { LmdbKv } from '../../src/storage/kv-store';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Pseudo-random bytes (hashing does not care, but a compressible page cache could). */
function chunkBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x, i);
  }
  return b;
}

async function main(): Promise<void> {
  const chunks = Number(arg('--chunks', '600'));
  const kib = Number(arg('--kib', '1024'));
  const runs = Number(arg('--runs', '5'));
  const sync = process.argv.includes('--sync');
  const placement = new Placement([1, 2, 3], 2);
  const values = Array.from({ length: 16 }, (_, i) => chunkBytes(kib * 1024, i + 1));
  const times: number[] = [];
  let trimmed = 0;
  for (let r = 0; r < runs; r++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-trim-hash-'));
    const kv = new LmdbKv(dir, sync);
    try {
      for (let g = 0; g < chunks; g += 50) {
        const part: [string, Buffer][] = [];
        for (let i = g; i < Math.min(chunks, g + 50); i++) part.push([`c/16384/${i % 16}/${Math.floor(i / 16)}`, values[i % 16]]);
        await kv.write(part);
      }
      await kv.write([[POSITION_KEY, encodePosition({ term: 1, seq: 1 })]]);
      const replica = new Replica(kv, { self: 2, placement });
      trimmed = replica.untrimmed();
      const t0 = performance.now();
      await replica.trim(1);
      times.push(performance.now() - t0);
      if (replica.untrimmed() !== 0) throw new Error('trim left bytes');
    } finally {
      await kv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  const mib = (trimmed * kib) / 1024;
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`${chunks} chunks of ${kib} KiB, ${trimmed} trimmed (${mib.toFixed(0)} MiB): trim best ${times[0].toFixed(1)} ms, median ${times[Math.floor(runs / 2)].toFixed(1)} ms (${(mib / (times[0] / 1000)).toFixed(0)} MiB/s at best; load ${load})`);
  // The hash alone, on the same bytes in memory (absent before markers named their bytes).
  let marker: ((b: Buffer) => Buffer) | null = null;
  try {
    // Loaded by name, not imported: the script also builds at commits without the module.
    const m = require('../../src/storage/chunk-marker') as { loadChunkHasher(): Promise<{ marker(b: Buffer): Buffer }> };
    const h = await m.loadChunkHasher();
    marker = (b) => h.marker(b);
  } catch {
    // A build from before markers had hashes.
  }
  if (marker !== null) {
    const hashTimes: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      for (let i = 0; i < trimmed; i++) marker(values[i % 16]);
      hashTimes.push(performance.now() - t0);
    }
    hashTimes.sort((a, b) => a - b);
    console.log(`  hashing the same ${mib.toFixed(0)} MiB in memory: best ${hashTimes[0].toFixed(1)} ms (${(mib / (hashTimes[0] / 1000)).toFixed(0)} MiB/s)`);
  }
}

void main();
