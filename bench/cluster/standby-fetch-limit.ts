// standby_fetch_limit on the 22 TPC-H queries, through a follower's statement router: for each query
// and follower, F = the chunk bytes the query fetches from the leader on a standby whose cache starts
// empty (limit -1); then, on another fresh standby, the query with the limit at F - 1 (it must run on
// the leader, fetching nothing there) and at F (it must run on the follower, fetching F). Checks that
// the markers' lengths predict the fetch exactly and that every answer equals the leader's; times
// are wall clock through the router (pg client), one run each, in one process (test/helpers).
//
//   node dist/bench/cluster/standby-fetch-limit.js [--sf-dir /work/shared/tpch/sf0.1] [--out FILE]
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { TPCH, arg, loadTpchTables, selectOf } from './standby-tpch';
import { fetchChunksAt } from '../../src/cluster/chunk-transfer';
import { Standby } from '../../src/cluster/standby';
import { routedStandby } from '../../test/helpers/routed-standby';
import { StandbyCluster, standbyCluster } from '../../test/helpers/standby-cluster';

interface Run {
  rows: string;
  ms: number;
  fetched: number;
  toLeader: number;
}

/** Runs `sql` through a router over a fresh standby of `node`, once per limit in turn; first the leader's answer, through its own port. */
async function runs(c: StandbyCluster, node: number, sql: string, limits: string[]): Promise<{ want: string; runs: Run[] }> {
  const standby = await Standby.open({ replica: c.replicas.get(node)!, fetch: (keys) => fetchChunksAt(c.net.node(node), 1, keys), leaderCountsInSync: () => true, dataDirectory: null, settings: new Map([['cluster_node_id', String(node)]]) });
  const r = await routedStandby(c.leader.database, standby, node);
  const client = new Client({ host: '127.0.0.1', port: r.port, user: 'postgres' });
  await client.connect();
  const direct = new Client({ host: '127.0.0.1', port: r.leaderPort, user: 'postgres' });
  await direct.connect();
  const out: Run[] = [];
  let want = '';
  try {
    want = JSON.stringify((await direct.query(sql)).rows);
    for (const limit of limits) {
      await client.query(`SET standby_fetch_limit = '${limit}'`);
      const fetched = standby.kv.stats.fetchedBytes;
      const toLeader = r.counters.fetchLimitUnits;
      const t0 = performance.now();
      const res = await client.query(sql);
      out.push({ rows: JSON.stringify(res.rows), ms: performance.now() - t0, fetched: standby.kv.stats.fetchedBytes - fetched, toLeader: r.counters.fetchLimitUnits - toLeader });
    }
  } finally {
    await client.end();
    await direct.end();
    await r.stop();
    await standby.close();
  }
  return { want, runs: out };
}

async function main(): Promise<void> {
  const sfDir = arg('--sf-dir', path.join(TPCH, 'sf0.1'));
  const out = arg('--out', '');
  const c = await standbyCluster();
  const lines: string[] = [];
  let problems = 0;
  try {
    await loadTpchTables(c.leader, sfDir);
    await c.leader.exec('ANALYZE');
    await c.trim();
    for (let q = 1; q <= 22; q++) {
      const { view, select, drop } = selectOf(q);
      if (view !== '') await c.leader.exec(view);
      try {
        for (const node of [2, 3]) {
          const first = await runs(c, node, select, ['-1']);
          const want = first.want;
          const [free] = first.runs;
          const f = free.fetched;
          const cells = [`q${String(q).padStart(2, '0')}`, String(node), (f / 2 ** 20).toFixed(3), free.ms.toFixed(0)];
          const bad: string[] = [];
          if (free.rows !== want || free.toLeader !== 0) bad.push('no limit: wrong answer or side');
          if (f > 0) {
            const [below, at] = (await runs(c, node, select, [`${f - 1}B`, `${f}B`])).runs;
            if (below.toLeader !== 1 || below.fetched !== 0 || below.rows !== want) bad.push(`at F-1: to leader ${below.toLeader}, fetched ${below.fetched}`);
            if (at.toLeader !== 0 || at.fetched !== f || at.rows !== want) bad.push(`at F: to leader ${at.toLeader}, fetched ${at.fetched}`);
            cells.push(below.ms.toFixed(0), at.ms.toFixed(0));
          } else cells.push('-', '-');
          cells.push(bad.length === 0 ? 'ok' : bad.join('; '));
          problems += bad.length;
          lines.push(`| ${cells.join(' | ')} |`);
        }
      } finally {
        if (drop !== '') await c.leader.exec(drop);
      }
    }
    const commit = execSync('git rev-parse --short HEAD').toString().trim();
    const report = [
      `Commit ${commit}, ${new Date().toISOString()}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; data ${sfDir}.`,
      `After their trims, followers 2 and 3 keep ${c.standbys.get(2)!.kv.markerCount()} and ${c.standbys.get(3)!.kv.markerCount()} chunk(s) as markers. Problems: ${problems}.`,
      '',
      '| query | node | F (MiB fetched, limit -1) | ms, limit -1 (fetch + run on the follower) | ms, limit F-1 (run on the leader) | ms, limit F (fetch + run on the follower) | check |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...lines,
      '',
    ].join('\n');
    console.log(report);
    if (out !== '') fs.writeFileSync(out, report);
  } finally {
    await c.close();
  }
  if (problems > 0) process.exit(1);
}

main().catch((err) => {
  console.error(`standby-fetch-limit: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
