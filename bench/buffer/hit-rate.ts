// npm run bench:buffer [-- --record] [--sf 1]  (TPC-H trace: SF 1 by default)
// Replays chunk-access traces through the buffer pool under LIRS, ARC and LRU at several pool sizes
// and prints the hit rates (hits / accesses; a miss loads the chunk), then writes
// bench/results/buffer-hit-rates.md. Workloads:
//   scan + hot set   rounds of the 100-chunk hot set (in random order) between 100-chunk batches of
//                    a one-pass sequential scan;
//   loop             a 1000-chunk loop read 20 times, the pool slightly smaller than the loop;
//   zipf             200,000 point lookups over 10,000 chunks, Zipf exponent 0.99;
//   tpch             the real chunk accesses of TPC-H Q1..Q22 run once each on a cold pool
//                    (bench/buffer/traces/tpch-sf<N>.trace, recorded with buffer_trace_file by
//                    record-tpch-trace.ts; --record records it again), real chunk sizes.
import * as fs from 'fs';
import * as path from 'path';
import { BufferPool, PolicyName, makePolicy } from '../../src/buffer/buffer-pool';
import { readTrace } from '../../src/buffer/access-trace';
import { recordTpchTrace, tracePath } from './record-tpch-trace';
import { beladyHitRate } from './belady';

const POLICIES: PolicyName[] = ['lirs', 'arc', 'lru'];

interface Workload {
  name: string;
  description: string;
  keys: number[];
  /** Bytes per key (1 for the synthetic traces: pool sizes are then in chunks). */
  size: (key: number) => number;
  /** Every chunk counts 1 (pool sizes in chunks): Belady's MIN applies. */
  unitSize?: boolean;
  /** Pool sizes in bytes, with their labels. */
  pools: { label: string; bytes: number }[];
}

interface Row {
  workload: string;
  pool: string;
  rates: Record<PolicyName, number>;
  /** Belady's MIN on the same trace (equal-sized chunks only; null otherwise). */
  optimal: number | null;
}

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

function shuffled(n: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function scanWithHotSet(): number[] {
  const rand = lcg(1);
  const keys: number[] = [];
  let scan = 1_000_000;
  for (let round = 0; round < 200; round++) {
    for (const h of shuffled(100, rand)) keys.push(h);
    for (let s = 0; s < 100; s++) keys.push(scan++);
  }
  return keys;
}

function loop(): number[] {
  const keys: number[] = [];
  for (let pass = 0; pass < 20; pass++) for (let k = 0; k < 1000; k++) keys.push(k);
  return keys;
}

function zipf(n: number, exponent: number, count: number): number[] {
  const rand = lcg(7);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, exponent);
  const perm = shuffled(n, rand); // hot chunks spread over the key space
  const keys: number[] = [];
  for (let i = 0; i < count; i++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    keys.push(perm[lo]);
  }
  return keys;
}

function chunks(n: number): { label: string; bytes: number } {
  return { label: `${n} chunks`, bytes: n };
}

function replay(w: Workload, policy: PolicyName, capacity: number): number {
  const pool = new BufferPool<number>(makePolicy(policy, capacity));
  for (const k of w.keys) if (pool.get(k) === undefined) pool.put(k, k, w.size(k));
  return pool.hits / w.keys.length;
}

function pct(x: number): string {
  return (100 * x).toFixed(1);
}

function markdown(rows: Row[], workloads: Workload[], tpchNote: string): string {
  const out: string[] = [];
  out.push('# Buffer pool hit rates: LIRS, ARC, LRU', '');
  out.push(`\`npm run bench:buffer\` (bench/buffer/hit-rate.ts), ${new Date().toISOString().slice(0, 10)}. Hit rate = hits / accesses, in percent; a miss loads the chunk.`, '');
  for (const w of workloads) {
    out.push(`## ${w.name}`, '', w.description, '', '| pool | LIRS | ARC | LRU | optimal (MIN) | LIRS − LRU | LIRS ≥ ARC and LRU |', '|---|---:|---:|---:|---:|---:|---|');
    for (const r of rows.filter((x) => x.workload === w.name)) {
      const ok = r.rates.lirs >= r.rates.arc - 1e-12 && r.rates.lirs >= r.rates.lru - 1e-12;
      out.push(`| ${r.pool} | ${pct(r.rates.lirs)} | ${pct(r.rates.arc)} | ${pct(r.rates.lru)} | ${r.optimal === null ? '—' : pct(r.optimal)} | ${(100 * (r.rates.lirs - r.rates.lru)).toFixed(1)} | ${ok ? 'yes' : '**no**'} |`);
    }
    out.push('');
  }
  out.push(tpchNote, '');
  // The targets of issue 7, checked on these numbers.
  out.push('## Targets', '');
  for (const w of workloads) {
    const mine = rows.filter((x) => x.workload === w.name);
    const behind = mine.filter((r) => r.rates.lirs < Math.max(r.rates.arc, r.rates.lru) - 1e-12);
    out.push(`- ${w.name}: LIRS at or above ARC and LRU ${behind.length === 0 ? 'at every pool size' : `**missed** at ${behind.map((r) => `${r.pool} (LIRS ${pct(r.rates.lirs)}, ARC ${pct(r.rates.arc)}, LRU ${pct(r.rates.lru)})`).join(', ')}`}.`);
  }
  const scan = rows.filter((x) => x.workload === workloads[0].name);
  const gaps = scan.map((r) => `${r.pool}: ${(100 * (r.rates.lirs - r.rates.lru)).toFixed(1)}`);
  const short = scan.filter((r) => r.rates.lirs - r.rates.lru < 0.3);
  out.push(`- scan + hot set, LIRS at least 30 points above LRU: ${short.length === 0 ? 'met' : `**missed** at ${short.map((r) => r.pool).join(', ')}`} (${gaps.join(', ')} points; LRU catches up as the pool nears hot set + scan batch, 200 chunks).`);
  const capped = scan.filter((r) => r.optimal !== null && r.optimal - r.rates.lru < 0.3);
  if (capped.length > 0) out.push(`  Out of reach for any policy at ${capped.map((r) => `${r.pool} (optimal MIN ${pct(r.optimal!)}, LRU ${pct(r.rates.lru)}: ${(100 * (r.optimal! - r.rates.lru)).toFixed(1)} points)`).join(', ')}: only the hot set's re-references can hit, and LIRS ${capped.every((r) => r.rates.lirs >= r.optimal! - 1e-12) ? 'already hits all of them' : 'is below MIN there'}.`);
  out.push('');
  return out.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sfIdx = args.indexOf('--sf');
  const sf = sfIdx >= 0 ? String(Number(args[sfIdx + 1])) : '1';
  const tracefile = tracePath(sf);
  if (args.includes('--record') || !fs.existsSync(tracefile)) {
    console.log(`recording the TPC-H SF ${sf} trace`);
    await recordTpchTrace(sf, (l) => console.log(l));
  }
  const trace = readTrace(tracefile);
  const distinct = [...new Set(trace.keys)];
  const totalBytes = distinct.reduce((s, k) => s + (trace.sizes.get(k) ?? 0), 0);
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const workloads: Workload[] = [
    {
      name: 'scan + hot set',
      description: '200 rounds: the 100-chunk hot set in random order, then the next 100 chunks of a one-pass scan (40,000 accesses, 20,000 distinct chunks).',
      keys: scanWithHotSet(),
      size: () => 1,
      unitSize: true,
      pools: [chunks(125), chunks(150), chunks(180)],
    },
    {
      name: 'loop slightly larger than the pool',
      description: 'A loop over 1,000 chunks read 20 times (20,000 accesses).',
      keys: loop(),
      size: () => 1,
      unitSize: true,
      pools: [chunks(500), chunks(900), chunks(950)],
    },
    {
      name: 'zipf point lookups',
      description: '200,000 lookups over 10,000 chunks, Zipf exponent 0.99.',
      keys: zipf(10_000, 0.99, 200_000),
      size: () => 1,
      unitSize: true,
      pools: [chunks(100), chunks(500), chunks(1000), chunks(2000)],
    },
    {
      name: `TPC-H SF ${sf}, Q1..Q22`,
      description: `The chunk accesses of the 22 queries run once each in order on a cold pool (${trace.keys.length} accesses, ${distinct.length} distinct chunks, ${mb(totalBytes)} decoded), real chunk sizes; pool sizes as a share of those bytes.`,
      keys: trace.keys,
      size: (k) => trace.sizes.get(k) ?? 1,
      pools: [0.1, 0.25, 0.5, 0.75].map((f) => ({ label: `${f * 100}% (${mb(totalBytes * f)})`, bytes: Math.floor(totalBytes * f) })),
    },
  ];
  const rows: Row[] = [];
  for (const w of workloads) {
    console.log(`\n${w.name}`);
    console.log('  pool                      LIRS    ARC    LRU');
    for (const p of w.pools) {
      const rates = {} as Record<PolicyName, number>;
      for (const policy of POLICIES) rates[policy] = replay(w, policy, p.bytes);
      const optimal = w.unitSize === true ? beladyHitRate(w.keys, p.bytes) : null;
      rows.push({ workload: w.name, pool: p.label, rates, optimal });
      console.log(`  ${p.label.padEnd(24)} ${pct(rates.lirs).padStart(5)}  ${pct(rates.arc).padStart(5)}  ${pct(rates.lru).padStart(5)}`);
    }
  }
  const compulsory = distinct.length / trace.keys.length;
  const note = `TPC-H trace: ${pct(compulsory)}% of its accesses are first touches (compulsory misses), so no policy can exceed ${pct(1 - compulsory)}%.`;
  const out = path.resolve(__dirname, '../../../bench/results/buffer-hit-rates.md');
  fs.writeFileSync(out, markdown(rows, workloads, note));
  console.log(`\n${note}\nwritten: ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
