// Is the ring's imbalance the hash's fault or inherent to 256 points per node? Compares the largest and
// smallest share of the circle (relative to 1/N) of HashRing against rings whose points are drawn from a
// seeded uniform random generator, over several trials.
//
//   node dist/bench/cluster/arc-vs-random.js [--nodes 500] [--vnodes 256] [--trials 10]
import { HashRing } from '../../src/cluster/hash-ring';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** xorshift32: a deterministic uniform 32-bit sequence, so the comparison can be repeated. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

function extremes(shares: Float64Array): [number, number] {
  let max = 0, min = Infinity;
  for (const s of shares) { max = Math.max(max, s * shares.length); min = Math.min(min, s * shares.length); }
  return [max, min];
}

function randomShares(n: number, v: number, next: () => number): Float64Array {
  const total = n * v, pts = new Float64Array(total), order = new Int32Array(total);
  for (let i = 0; i < total; i++) { pts[i] = next(); order[i] = i; }
  order.sort((a, b) => pts[a] - pts[b]);
  const shares = new Float64Array(n);
  for (let k = 0; k < total; k++) {
    const prev = k === 0 ? pts[order[total - 1]] - 4294967296 : pts[order[k - 1]];
    shares[Math.floor(order[k] / v)] += (pts[order[k]] - prev) / 4294967296;
  }
  return shares;
}

const n = arg('--nodes', 500), v = arg('--vnodes', 256), trials = arg('--trials', 10);
const prefixes = ['node-', 'n', 'host-', '10.0.0.', 'db', 'x-', 'rack1-', 'tessera-', 'N', 'srv'];
console.log(`${n} nodes x ${v} vnodes: max/mean and min/mean of circle share`);
for (let t = 0; t < trials; t++) {
  const ids = Array.from({ length: n }, (_, i) => `${prefixes[t % prefixes.length]}${i}`);
  const [hm, hn] = extremes(new HashRing(ids, v).circleShares());
  const [rm, rn] = extremes(randomShares(n, v, xorshift(0x9e3779b9 + t)));
  console.log(`trial ${t}: hash ring (ids ${prefixes[t % prefixes.length]}<i>) ${hm.toFixed(3)} / ${hn.toFixed(3)}   ` +
    `uniform random points ${rm.toFixed(3)} / ${rn.toFixed(3)}`);
}
