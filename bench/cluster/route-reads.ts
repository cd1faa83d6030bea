// Reads through a follower's port: answered by the follower's standby engine (statement router) versus
// the same reads relayed to the leader (a session opened while the standby is behind is relayed whole;
// here: a session through the leader's own port, and one through the follower whose statements all go
// to the leader because each runs inside a transaction). One client, sequential point reads by primary
// key, median and p99 latency per statement, and the CPU the leader's and the follower's processes
// spent per 1000 reads (/proc/<pid>/stat user + system time): what a follower answering its own reads
// takes off the leader.
//
//   node dist/bench/cluster/route-reads.js [--reads 3000] [--rows 100000]
import * as fs from 'fs';
import { execSync } from 'child_process';
import { Client } from 'pg';
import { startTestCluster } from '../../test/helpers/cluster';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const TICKS_PER_SECOND = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** User + system CPU time of a process so far, in ms (fields 14 and 15 of /proc/<pid>/stat). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function timeReads(c: Client, reads: number, rows: number, inTransaction: boolean): Promise<{ p50: number; p99: number; node: string }> {
  const ms: number[] = [];
  if (inTransaction) await c.query('BEGIN');
  const node = (await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id as string;
  for (let i = 0; i < reads; i++) {
    const t = process.hrtime.bigint();
    await c.query('SELECT v FROM kv WHERE k = $1', [(i * 7919) % rows]);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  if (inTransaction) await c.query('COMMIT');
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)], p99: ms[Math.floor(ms.length * 0.99)], node };
}

async function main(): Promise<void> {
  const reads = arg('--reads', 3000);
  const rows = arg('--rows', 100000);
  const cluster = await startTestCluster({ nodes: 3 });
  try {
    const probe = new Client(cluster.clientConfig(1));
    await probe.connect();
    const leader = Number((await probe.query("SELECT node_id FROM tessera_cluster_nodes() WHERE role = 'leader'")).rows[0].node_id);
    await probe.query('CREATE TABLE kv (k int PRIMARY KEY, v text)');
    await probe.query(`INSERT INTO kv SELECT g, 'value ' || g FROM generate_series(0, ${rows - 1}) g`);
    await probe.end();
    const follower = leader === 1 ? 2 : 1;
    let routed: Client | null = null;
    for (let tries = 0; tries < 300 && routed === null; tries++) {
      const c = new Client(cluster.clientConfig(follower));
      await c.connect();
      if ((await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id === String(follower)) routed = c;
      else {
        await c.end();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (routed === null) throw new Error('no routed session on the follower');
    const direct = new Client(cluster.clientConfig(leader));
    await direct.connect();
    const cases: [string, Client, boolean][] = [
      ['follower port, standby answers', routed, false],
      ['follower port, relayed to the leader (in a transaction)', routed, true],
      ['leader port', direct, false],
      ['leader port (in a transaction)', direct, true],
    ];
    // Two rounds, alternating, so a warm-up or a burst of load does not favour one case.
    for (let round = 1; round <= 2; round++) {
      for (const [name, c, tx] of cases) {
        const leaderCpu = cpuMs(cluster.node(leader).pid);
        const followerCpu = cpuMs(cluster.node(follower).pid);
        const r = await timeReads(c, reads, rows, tx);
        const perK = (before: number, pid: number | undefined) => (((cpuMs(pid) - before) * 1000) / reads).toFixed(0);
        console.log(
          `round ${round}  ${name.padEnd(56)} node ${r.node}  p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  CPU ms per 1000 reads: leader ${perK(leaderCpu, cluster.node(leader).pid)}, follower ${perK(followerCpu, cluster.node(follower).pid)}`,
        );
      }
    }
    await routed.end();
    await direct.end();
  } finally {
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
