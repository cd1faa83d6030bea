// TPC-H queries through a real 3-node cluster's leader (separate node processes, etcd, loopback),
// timed under each cluster_join_distribution (auto, broadcast, shuffle) and with
// cluster_parallel_query off (the leader alone): what the planner's distribution choice costs
// against the leader's own plan. Prints one line per query and mode (ms of each run), the load
// average, and with --explain the EXPLAIN ANALYZE of each query in auto mode. A mode may be named
// twice (--modes off,auto,off,auto) to alternate them.
//
//   TESSERA_TPCH_TBL=/work/main/bench/tpch/data/sf1 node dist/bench/cluster/leader-join-modes.js [--sf 1] [--runs 3] [--queries q07,q09] [--modes auto,broadcast,shuffle,off] [--explain]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { startTestCluster } from '../../test/helpers/cluster';
import { agreedLeader } from '../../test/cluster/fault-helpers';
import { loadTpch } from '../tpch/load';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

async function main(): Promise<void> {
  const sf = arg('--sf', '1');
  const runs = Number(arg('--runs', '3'));
  const queries = arg('--queries', 'q07,q09').split(',');
  const modes = arg('--modes', 'auto,broadcast,shuffle,off').split(',');
  const explain = process.argv.includes('--explain');
  const cluster = await startTestCluster({ nodes: 3, settings: { buffer_pool_size: '2GB' }, startTimeoutMs: 60_000 });
  try {
    const leader = await agreedLeader(cluster, [1, 2, 3]);
    const loadStart = performance.now();
    await loadTpch(cluster.node(leader).clientPort, sf, () => undefined);
    console.log(`loaded SF ${sf} in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
    const c = new Client(cluster.clientConfig(leader));
    await c.connect();
    try {
      for (const q of queries) {
        const sql = fs.readFileSync(path.resolve(__dirname, `../../../bench/tpch/queries/${q}.sql`), 'utf8');
        // One untimed run first (cluster_parallel_query off): the first mode timed would otherwise pay for cold chunks and workers.
        await c.query('SET cluster_parallel_query = off');
        await c.query(sql);
        for (const mode of modes) {
          await c.query(mode === 'off' ? 'SET cluster_parallel_query = off' : `SET cluster_parallel_query = on; SET cluster_join_distribution = ${mode}`);
          const ts: string[] = [];
          for (let i = 0; i < runs; i++) {
            const t = performance.now();
            await c.query(sql);
            ts.push((performance.now() - t).toFixed(0));
          }
          console.log(`${q} ${mode.padEnd(9)} ${ts.join(' ')}   (load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
        }
        if (explain) {
          await c.query('SET cluster_parallel_query = on; SET cluster_join_distribution = auto');
          const ex = await c.query('EXPLAIN ANALYZE ' + sql);
          console.log(ex.rows.map((r) => r['QUERY PLAN']).join('\n'));
        }
      }
    } finally {
      await c.end();
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
