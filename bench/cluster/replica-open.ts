// What making a follower's Replica costs (src/cluster/replica.ts: node start, and a leader stepping
// down to follow): it looks at every chunk key the placement puts on other nodes, to know which are
// markers and which still hold bytes to trim. A store that kept every chunk (a leader's, or a follower
// before its first trim) has a third of the data there with 3 nodes and 2 copies.
//
//   node dist/bench/cluster/replica-open.js [--chunks 600] [--kib 1024] [--runs 5]
//
// Store: LMDB in a temporary directory; prints the best and median of --runs constructions.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Placement } from '../../src/cluster/placement';
import { Replica } from '../../src/cluster/replica';
import { LmdbKv } from '../../src/storage/kv-store';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

async function main(): Promise<void> {
  const chunks = Number(arg('--chunks', '600'));
  const kib = Number(arg('--kib', '1024'));
  const runs = Number(arg('--runs', '5'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-replica-open-'));
  const kv = new LmdbKv(dir, false);
  try {
    const placement = new Placement([1, 2, 3], 2);
    const value = Buffer.alloc(kib * 1024, 7);
    for (let g = 0; g < chunks; g += 50) {
      const part: [string, Buffer][] = [];
      for (let i = g; i < Math.min(chunks, g + 50); i++) part.push([`c/16384/${i % 16}/${Math.floor(i / 16)}`, value]);
      await kv.write(part);
    }
    const times: number[] = [];
    let untrimmed = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const replica = new Replica(kv, { self: 2, placement });
      untrimmed = replica.untrimmed();
      times.push(performance.now() - t0);
      // Its view of the store is an LMDB read transaction: let go, as a node does with a replica it replaces.
      replica.release();
    }
    times.sort((a, b) => a - b);
    console.log(`${chunks} chunks of ${kib} KiB, ${untrimmed} placed elsewhere: new Replica best ${times[0].toFixed(1)} ms, median ${times[Math.floor(runs / 2)].toFixed(1)} ms (load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  } finally {
    await kv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
