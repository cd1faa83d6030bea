// Failover time of a local 3-node cluster: under a light write load (one autocommit INSERT writer per
// node, through that node's port), the leader is killed with kill -9 K times; each time the time from
// the kill to the first commit acknowledged by the new leader is measured, then the killed node is
// restarted and rejoins. At the end every acknowledged row must be present exactly once and every
// node's copy must hold the same rows (each data directory opened alone).
//
//   npm run bench:cluster-failover -- [--kills 5] [--lease 2s] [--out bench/results/cluster-failover.md]
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startTestCluster } from '../../test/helpers/cluster';
import { agreedLeader, compareCopies, missingOrDuplicated, queryOn, startWriter, waitFor, withRetry } from '../../test/cluster/fault-helpers';

interface Options {
  kills: number;
  lease: string;
  out: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { kills: 5, lease: '2s', out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--kills') o.kills = Number(argv[++i]);
    else if (a === '--lease') o.lease = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else throw new Error(`unknown option ${a} (use --kills N --lease 2s --out FILE)`);
  }
  return o;
}

function load(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const loadBefore = load();
  const cluster = await startTestCluster({ nodes: 3, cluster: { etcd_lease_ttl: o.lease } });
  const rows: { kill: number; victim: number; newLeader: number; ms: number }[] = [];
  let verdict = '';
  try {
    await agreedLeader(cluster, [1, 2, 3]);
    await withRetry(cluster, 1, (c) => c.query('CREATE TABLE t (id bigint, w int)'));
    const writers = [1, 2, 3].map((node) => startWriter(cluster, 't', node, node, 20));
    const total = () => writers.reduce((n, w) => n + w.stats.acked.length, 0);
    try {
      for (let k = 1; k <= o.kills; k++) {
        const leader = await agreedLeader(cluster, [1, 2, 3]);
        const before = total();
        await waitFor('20 acknowledged inserts', async () => total() >= before + 20, 60_000);
        const killedAt = Date.now();
        await cluster.node(leader).kill('SIGKILL');
        const first = await waitFor(
          'a commit acknowledged by the new leader',
          async () => {
            // A statement sent after the kill: an acknowledgment the old leader sent just before it died
            // may still arrive after the kill.
            const after = writers.flatMap((w) => w.stats.ackTimes.filter((_t, i) => w.stats.sentTimes[i] > killedAt));
            return after.length > 0 ? Math.min(...after) : undefined;
          },
          60_000,
          10,
        );
        const newLeader = await agreedLeader(cluster, [1, 2, 3].filter((id) => id !== leader));
        rows.push({ kill: k, victim: leader, newLeader, ms: first - killedAt });
        console.log(`kill ${k}: leader ${leader} killed; node ${newLeader} acknowledged a commit ${first - killedAt} ms later`);
        await cluster.node(leader).restart();
      }
    } finally {
      await Promise.all(writers.map((w) => w.stop()));
    }
    const acked = writers.flatMap((w) => w.stats.acked);
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const ids = (await queryOn(cluster, leader, 'SELECT id FROM t')).map((r) => Number(r.id));
    const { missing, duplicated } = missingOrDuplicated(acked, ids);
    const unexpected = writers.flatMap((w) => w.stats.unexpected);
    let copies = 'equal';
    try {
      await compareCopies(cluster, leader, 't', acked);
    } catch (err) {
      copies = `DIFFER: ${(err as Error).message.split('\n')[0]}`;
    }
    verdict = `${acked.length} commits acknowledged, ${missing.length} lost, ${duplicated.length} doubled; ${unexpected.length} non-retryable client errors; node copies ${copies}`;
  } finally {
    await cluster.stop();
  }
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  const median = ms.length % 2 === 1 ? ms[(ms.length - 1) / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
  const summary = `failover (kill -9 of the leader -> first commit acknowledged by the new leader), ${ms.length} kills: min ${ms[0]} ms, median ${median} ms, max ${ms[ms.length - 1]} ms`;
  console.log(summary);
  console.log(verdict);
  if (o.out === null) return;
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  const md = [
    '# Cluster failover time (kill -9 of the leader)',
    '',
    `Command: \`npm run bench:cluster-failover -- --kills ${o.kills} --lease ${o.lease} --out ${o.out}\``,
    `Commit ${commit}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}, Node ${process.version}; load average before ${loadBefore}, after ${load()}.`,
    '',
    `A local 3-node cluster (etcd on loopback, etcd_lease_ttl = ${o.lease}, replication_factor 2); one writer per node inserting one row per`,
    'autocommit statement every ~20 ms through its node. Each round waits for 20 acknowledged inserts, kills the leader with',
    'kill -9, measures the time until any writer gets a commit acknowledged (necessarily by the new leader), and restarts the killed',
    'node. The old leader is declared gone when a follower has suspected it (phi-accrual, acceptable pause 500 ms) for expel_after (1 s) and revokes',
    'its etcd lease, or when the lease expires (etcd_lease_ttl), whichever comes first.',
    '',
    '| kill | killed leader | new leader | failover ms |',
    '|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.kill} | ${r.victim} | ${r.newLeader} | ${r.ms} |`),
    '',
    `**${summary}.**`,
    '',
    `Durability: ${verdict}.`,
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, md);
  console.log(`wrote ${o.out}`);
}

main().catch((err) => {
  console.error(`failover bench: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
