// Where a 3-node cluster keeps TPC-H's chunk bytes: loads a scale factor through a follower, waits until
// the followers have dropped the chunks placed elsewhere (replication_factor 2), stops the nodes and
// sums, per node, the chunk bytes it holds, the chunks it keeps only as markers, and everything else.
// Then reports how many copies of each chunk the cluster holds.
//
//   node dist/bench/cluster/placement-report.js [--sf 0.1] [--out bench/results/cluster-placement.md]
//
// SF 0.1 and 0.01 come gzipped/plain from ../shared/tpch; SF 1 from bench/tpch/data/sf1.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { LmdbKv } from '../../src/storage/kv-store';
import { chunkResourceOfKey } from '../../src/cluster/placement';
import { isChunkMarker } from '../../src/storage/chunk-marker';
import { startTestCluster } from '../../test/helpers/cluster';

const TABLES = ['region', 'nation', 'supplier', 'part', 'partsupp', 'customer', 'orders', 'lineitem'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function tableSource(sf: string, table: string): string {
  const shared = path.resolve(__dirname, '../../../../shared/tpch');
  const gz = path.join(shared, `sf${sf}`, `${table}.tbl.gz`);
  if (fs.existsSync(gz)) return `zcat ${gz}`;
  const plain = [path.join(shared, `sf${sf}`, `${table}.tbl`), path.resolve(__dirname, `../../../bench/tpch/data/sf${sf}/${table}.tbl`)].find((p) => fs.existsSync(p));
  if (plain === undefined) throw new Error(`no ${table}.tbl for SF ${sf}`);
  return `cat ${plain}`;
}

interface NodeBytes {
  chunkBytes: number;
  chunksHeld: number;
  chunksElsewhere: number;
  otherBytes: number;
}

async function main(): Promise<void> {
  const sf = arg('sf', '0.1');
  const out = arg('out', 'bench/results/cluster-placement.md');
  const cluster = await startTestCluster({ nodes: 3, cluster: { etcd_lease_ttl: '3s' } });
  try {
    const entry = cluster.nodes[2];
    const schema = path.resolve(__dirname, '../../../../shared/tpch/schema.sql');
    execFileSync('psql', ['-q', '-h', entry.host, '-p', String(entry.clientPort), '-U', 'postgres', '-f', schema]);
    const started = Date.now();
    for (const t of TABLES) {
      // The reference files end every line with '|'; sed drops it.
      const copy = `\\copy ${t} from program '${tableSource(sf, t)} | sed s/.$//' with (delimiter '|')`;
      execFileSync('psql', ['-q', '-h', entry.host, '-p', String(entry.clientPort), '-U', 'postgres', '-c', copy]);
    }
    const loadMs = Date.now() - started;
    const client = new Client(cluster.clientConfig(entry.id));
    await client.connect();
    const rows = (await client.query('SELECT node_id, role, replicated_seq, in_sync FROM tessera_cluster_nodes() ORDER BY node_id')).rows;
    await client.end();
    const leader = rows.find((r) => r.role === 'leader')!.node_id as number;
    // Trims run every second once every node is in sync; give them a few rounds.
    await new Promise((r) => setTimeout(r, 4000));
    // Followers first, so the leader stays the leader (a leader stopped first would hand over).
    for (const n of [...cluster.nodes].sort((a, b) => (a.id === leader ? 1 : 0) - (b.id === leader ? 1 : 0))) await n.stop();
    const perNode = new Map<number, NodeBytes>();
    const copies = new Map<string, number>();
    for (const n of cluster.nodes) {
      const kv = new LmdbKv(n.dataDir, false);
      const b: NodeBytes = { chunkBytes: 0, chunksHeld: 0, chunksElsewhere: 0, otherBytes: 0 };
      for (const [k, v] of kv.entries()) {
        if (chunkResourceOfKey(k) === null) b.otherBytes += k.length + v.length;
        else if (isChunkMarker(v)) {
          b.chunksElsewhere++;
          copies.set(k, copies.get(k) ?? 0);
        } else {
          b.chunksHeld++;
          b.chunkBytes += v.length;
          copies.set(k, (copies.get(k) ?? 0) + 1);
        }
      }
      await kv.close();
      perNode.set(n.id, b);
    }
    const histogram = new Map<number, number>();
    for (const c of copies.values()) histogram.set(c, (histogram.get(c) ?? 0) + 1);
    const mb = (x: number) => (x / 1048576).toFixed(1);
    const lines = [
      `# Chunk placement on a 3-node cluster (TPC-H SF ${sf}, replication_factor 2)`,
      '',
      `Command: \`node dist/bench/cluster/placement-report.js --sf ${sf} --out ${out}\` at ${execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()}, ` +
        `${os.cpus().length}-core ${os.cpus()[0].model}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}. Load through node ${entry.id}: ${loadMs} ms.`,
      '',
      '| node | role | chunk bytes held (MiB) | chunks held | chunks left to holders | other bytes (MiB) |',
      '|---|---|---|---|---|---|',
      ...cluster.nodes.map((n) => {
        const b = perNode.get(n.id)!;
        return `| ${n.id} | ${n.id === leader ? 'leader' : 'follower'} | ${mb(b.chunkBytes)} | ${b.chunksHeld} | ${b.chunksElsewhere} | ${mb(b.otherBytes)} |`;
      }),
      '',
      `Copies per chunk (distinct chunk keys ${copies.size}): ${[...histogram].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c} copies: ${n}`).join(', ')}.`,
      'The leader holds every chunk (it runs the engine); each follower keeps the chunks the ring places on it',
      '(its master and the next node), so a chunk has 2 copies when the leader is one of its holders and 3 otherwise.',
      '',
    ];
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
