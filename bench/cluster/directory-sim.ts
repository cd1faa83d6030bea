// Simulation of the Global Resource Directory (src/cluster/hash-ring.ts) at scale, for issue 9's
// "Directory at scale" measurement: for rings of several sizes and many resources, how many resources
// change master when one node joins or leaves (target ≤ 1/N + 1%), how evenly resources spread over the
// nodes, how many replica copies move at replication factor 2, how long a lookup and a ring build take.
//
//   node dist/bench/cluster/directory-sim.js [--resources 1000000] [--nodes 3,10,100,500]
//                                            [--vnodes 256[,64,1024...]] [--out bench/results/directory-sim.md]
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chunkResource, HashRing, NodeId } from '../../src/cluster/hash-ring';

interface Options { resources: number; nodes: number[]; vnodes: number[]; out: string | null }

function parseArgs(argv: string[]): Options {
  const o: Options = { resources: 1_000_000, nodes: [3, 10, 100, 500], vnodes: [256], out: 'bench/results/directory-sim.md' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--resources') { o.resources = Number(v); i++; }
    else if (a === '--nodes') { o.nodes = v.split(',').map(Number); i++; }
    else if (a === '--vnodes') { o.vnodes = v.split(',').map(Number); i++; }
    else if (a === '--out') { o.out = v === '-' ? null : v; i++; }
    else throw new Error(`directory-sim: unknown argument ${a}`);
  }
  return o;
}

/** Resource ids shaped like real chunk names: 100 tables of equal numbers of row groups. */
function makeResources(count: number): string[] {
  const tables = 100, perTable = Math.ceil(count / tables);
  const out: string[] = [];
  for (let t = 0; t < tables && out.length < count; t++) {
    for (let g = 0; g < perTable && out.length < count; g++) out.push(chunkResource(`t${t}`, g));
  }
  return out;
}

function masters(ring: HashRing, res: string[]): NodeId[] {
  const out = new Array<NodeId>(res.length);
  for (let i = 0; i < res.length; i++) out[i] = ring.masterOf(res[i]);
  return out;
}

function pairs(ring: HashRing, res: string[]): NodeId[][] {
  const out = new Array<NodeId[]>(res.length);
  for (let i = 0; i < res.length; i++) out[i] = ring.replicasOf(res[i], 2);
  return out;
}

/** Fraction of resources whose master differs between two epochs. */
function remapped(a: NodeId[], b: NodeId[]): number {
  let moved = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) moved++;
  return moved / a.length;
}

/** Replica copies that must be created in the new epoch (on a node that did not hold one), as a fraction of all copies. */
function copiesMoved(a: NodeId[][], b: NodeId[][]): number {
  let moved = 0, total = 0;
  for (let i = 0; i < a.length; i++) {
    for (const n of b[i]) { total++; if (!a[i].includes(n)) moved++; }
  }
  return moved / total;
}

function bestOf(times: number, fn: () => void): number {
  let best = Infinity;
  for (let k = 0; k < times; k++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best; // ns
}

interface Row {
  n: number; vnodes: number; joinFrac: number; leaveFrac: number; target: number; maxMean: number; minMean: number; arcMax: number; arcMin: number;
  rf2Join: number; rf2Leave: number; lookupNs: number; buildMs: number;
}

function simulate(n: number, vnodes: number, res: string[]): Row {
  const ids = Array.from({ length: n }, (_, i) => `node-${i}`);
  const buildMs = bestOf(3, () => { new HashRing(ids, vnodes); }) / 1e6;
  const ring = new HashRing(ids, vnodes);
  const joined = ring.withNode(`node-${n}`);
  const left = ring.withoutNode(`node-${Math.floor(n / 2)}`);

  const base = masters(ring, res);
  const counts = new Map<NodeId, number>();
  for (const m of base) counts.set(m, (counts.get(m) ?? 0) + 1);
  const mean = res.length / n;
  let max = 0, min = Infinity;
  for (const id of ids) { const c = counts.get(id) ?? 0; max = Math.max(max, c); min = Math.min(min, c); }

  const shares = ring.circleShares();
  let arcMax = 0, arcMin = Infinity;
  for (const x of shares) { arcMax = Math.max(arcMax, x * n); arcMin = Math.min(arcMin, x * n); }

  const joinFrac = remapped(base, masters(joined, res));
  const leaveFrac = remapped(base, masters(left, res));

  const basePairs = pairs(ring, res);
  const rf2Join = copiesMoved(basePairs, pairs(joined, res));
  const rf2Leave = copiesMoved(basePairs, pairs(left, res));

  // Lookup latency: the whole masterOf (hash of the id string + binary search), over every resource,
  // best of 5 passes; the sink keeps the loop from being optimized away.
  let sink = 0;
  const lookupNs = bestOf(5, () => { for (let i = 0; i < res.length; i++) sink += ring.masterIndexOf(res[i]); }) / res.length;
  if (sink === -1) console.log(sink);

  return {
    n, vnodes, joinFrac, leaveFrac, target: 1 / n + 0.01, maxMean: max / mean, minMean: min / mean, arcMax, arcMin,
    rf2Join, rf2Leave, lookupNs, buildMs,
  };
}

function pct(x: number): string { return (x * 100).toFixed(2) + '%'; }

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const res = makeResources(o.resources);
  const header = '| nodes | vnodes | join remapped | leave remapped | target 1/N+1% | max/mean | min/mean | arc max/mean | arc min/mean | rf2 copies moved (join) | rf2 copies moved (leave) | masterOf ns | build ms |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const lines = [header, rule];
  console.log(header); console.log(rule);
  const loadBefore = os.loadavg();
  for (const v of o.vnodes) for (const n of o.nodes) {
    const r = simulate(n, v, res);
    const ok = r.joinFrac <= r.target && r.leaveFrac <= r.target ? '' : ' (over target)';
    const line = `| ${r.n} | ${r.vnodes} | ${pct(r.joinFrac)} | ${pct(r.leaveFrac)} | ${pct(r.target)}${ok} | ${r.maxMean.toFixed(3)} | ` +
      `${r.minMean.toFixed(3)} | ${r.arcMax.toFixed(3)} | ${r.arcMin.toFixed(3)} | ${pct(r.rf2Join)} | ${pct(r.rf2Leave)} | ${r.lookupNs.toFixed(0)} | ${r.buildMs.toFixed(1)} |`;
    console.log(line);
    lines.push(line);
  }
  const loadAfter = os.loadavg();
  if (o.out === null) return;

  let commit = 'unknown';
  try { commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  const cpus = os.cpus();
  const md = [
    '# Global Resource Directory: hash-ring simulation',
    '',
    `Command: \`node dist/bench/cluster/directory-sim.js ${process.argv.slice(2).join(' ')}\`  `,
    `Commit: ${commit}  `,
    `Machine: ${cpus.length} CPUs (nproc), ${cpus[0]?.model ?? 'unknown'}; Node ${process.version}  `,
    `Load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}  `,
    `Date: ${new Date().toISOString()}`,
    '',
    `${o.resources.toLocaleString('en-US')} resources (\`chunk/t<k>/<group>\`, 100 tables), ${o.vnodes.join(' / ')} virtual nodes per node,`,
    'hash FNV-1a 32 + murmur3 fmix32. Join adds one node; leave removes the middle node.',
    '',
    ...lines,
    '',
    '- *remapped*: fraction of resources whose master differs between the two epochs (the ideal is 1/(N+1) on a',
    '  join and 1/N on a leave; the issue\'s target is ≤ 1/N + 1%).',
    '- *max/mean*, *min/mean*: resources per node on the base ring against the even share.',
    '- *arc max/mean*, *arc min/mean*: the same, computed exactly from each node\'s share of the hash circle',
    '  (no sampling noise from the finite resource count).',
    '- *rf2 copies moved*: replica copies (master + next distinct node clockwise) that land on a node that held no',
    '  copy before, as a fraction of all copies: the data a membership change makes the cluster copy.',
    '- *masterOf ns*: one lookup (hash of the id string + binary search), best of 5 passes over all resources;',
    '  the machine is shared with other jobs, so timings are noisy (see load average).',
    '- *build ms*: building the ring (hash + sort of N×vnodes points), best of 3.',
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, md);
  console.log(`wrote ${o.out}`);
}

main();
