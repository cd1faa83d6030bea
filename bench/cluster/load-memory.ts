// Memory after a TPC-H load: the resident size of a single node and of each node of a local 3-node
// cluster loaded through its leader, from the same .tbl files. Written after TPC-H SF 10 through a
// cluster ran the leader out of its JavaScript heap during lineitem's COPY (bench/results/
// tpch-sf10-cluster.md), to see how the leader's memory compares at a scale that fits.
//
//   node dist/bench/cluster/load-memory.js --sf 1 --data bench/tpch/data/sf1 [--heap-mb N] [--out FILE]
// --heap-mb caps every server's JavaScript heap (--max-old-space-size): whether each load then
// completes shows whose heap grows with the load.
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTpch } from '../tpch/load';
import { startTestCluster } from '../../test/helpers/cluster';
import { agreedLeader } from '../../test/cluster/fault-helpers';
import { startTestServer } from '../../test/helpers/test-server';

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  return Number(execSync(`ps -o rss= -p ${pid}`).toString().trim()) / 1024;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string | null) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const sf = opt('--sf', '1')!;
  const data = opt('--data', null);
  const out = opt('--out', null);
  const heapMb = opt('--heap-mb', null);
  if (data !== null) process.env.TESSERA_TPCH_TBL = path.resolve(data);
  // The servers (this process's children) inherit it.
  if (heapMb !== null) process.env.NODE_OPTIONS = `--max-old-space-size=${Number(heapMb)}`;
  const lines: string[] = [];
  const say = (l: string) => {
    console.log(l);
    lines.push(l);
  };
  const commit = execSync('git rev-parse --short HEAD', { cwd: path.resolve(__dirname, '../../..') }).toString().trim();
  say(`# Resident memory after loading TPC-H SF ${sf}: single node vs a 3-node cluster's nodes`);
  say('');
  say(`Command: \`node dist/bench/cluster/load-memory.js --sf ${sf}${data !== null ? ` --data ${data}` : ''}${heapMb !== null ? ` --heap-mb ${heapMb}` : ''}\``);
  say(`Commit ${commit}; ${os.cpus().length} × ${os.cpus()[0].model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`);
  say('Resident set size (ps rss) of each server process once the load (COPY of every table through psql) has returned.');
  if (heapMb !== null) say(`Every server ran with --max-old-space-size=${heapMb}.`);
  say('');

  const single = await startTestServer();
  let singleRow: string;
  try {
    singleRow = await loadTpch(single.port, sf, () => undefined).then(
      () => `${rssMiB(single.pid).toFixed(0)} |`,
      (err: Error) => `– | load failed: ${err.message.split('\n')[0]}`,
    );
  } finally {
    await single.stop();
  }

  const cluster = await startTestCluster({ nodes: 3 });
  const rows: string[] = [];
  try {
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const node = cluster.nodes.find((n) => n.id === leader)!;
    const failed = await loadTpch(node.clientPort, sf, () => undefined).then(
      () => null,
      (err: Error) => err.message.split('\n')[0],
    );
    for (const n of cluster.nodes) {
      const alive = n.pid !== undefined && (() => {
        try {
          process.kill(n.pid!, 0);
          return true;
        } catch {
          return false;
        }
      })();
      const role = n.id === leader ? 'leader, loaded through' : 'follower';
      rows.push(`| cluster node ${n.id} (${role}) | ${alive ? rssMiB(n.pid).toFixed(0) : '– (exited)'} |${failed !== null && n.id === leader ? ` load failed: ${failed}` : ''}`);
    }
  } finally {
    await cluster.stop();
  }
  say('| process | RSS MiB after the load | |');
  say('|---|---:|---|');
  say(`| single node | ${singleRow}`);
  for (const r of rows) say(r);
  if (out !== null) fs.writeFileSync(out, `${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
