// What a follower's standby fetches from the leader to answer the 22 TPC-H queries after its trim
// (the chunks the placement keeps on other nodes are markers in its copy): chunks and bytes per query,
// each query on a standby whose fetch cache starts empty (a new standby over the same copy), so every
// query's count is its own; on both followers. One process: a leader engine and two followers (test/helpers/standby-cluster.ts).
//
//   node dist/bench/cluster/standby-fetch.js [--sf-dir /work/shared/tpch/sf0.01] [--out FILE]
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TPCH, arg, loadTpchTables, selectOf } from './standby-tpch';
import { fetchChunksAt } from '../../src/cluster/chunk-transfer';
import { Standby } from '../../src/cluster/standby';
import { embedded, standbyCluster } from '../../test/helpers/standby-cluster';

async function main(): Promise<void> {
  const sfDir = arg('--sf-dir', path.join(TPCH, 'sf0.01'));
  const out = arg('--out', '');
  const c = await standbyCluster();
  try {
    await loadTpchTables(c.leader, sfDir);
    await c.leader.exec('ANALYZE');
    await c.trim();
    const rows: string[] = [];
    const totals = [2, 3].map(() => ({ chunks: 0, bytes: 0 }));
    for (let q = 1; q <= 22; q++) {
      const { view, select, drop } = selectOf(q);
      if (view !== '') await c.leader.exec(view);
      const cells: string[] = [];
      try {
        for (const [i, node] of [2, 3].entries()) {
          // A standby of its own for the query: its cache of fetched chunks starts empty.
          const standby = await Standby.open({ replica: c.replicas.get(node)!, fetch: (keys) => fetchChunksAt(c.net.node(node), 1, keys), leaderCountsInSync: () => true, dataDirectory: null, settings: new Map() });
          try {
            await embedded(standby.database).exec(select);
          } finally {
            await standby.close();
          }
          const st = standby.kv.stats;
          totals[i].chunks += st.fetched;
          totals[i].bytes += st.fetchedBytes;
          cells.push(`${st.fetched} | ${(st.fetchedBytes / 2 ** 20).toFixed(2)}`);
        }
      } finally {
        if (drop !== '') await c.leader.exec(drop);
      }
      rows.push(`| q${String(q).padStart(2, '0')} | ${cells.join(' | ')} |`);
    }
    rows.push(`| **total** | ${totals.map((t) => `${t.chunks} | ${(t.bytes / 2 ** 20).toFixed(2)}`).join(' | ')} |`);
    const commit = execSync('git rev-parse --short HEAD').toString().trim();
    const report = [
      `Commit ${commit}, ${new Date().toISOString()}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; data ${sfDir}.`,
      `After their trims, followers 2 and 3 keep ${c.standbys.get(2)!.kv.markerCount()} and ${c.standbys.get(3)!.kv.markerCount()} chunk(s) as markers.`,
      '',
      '| query | node 2 chunks fetched | node 2 MiB | node 3 chunks fetched | node 3 MiB |',
      '|---|---:|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n');
    console.log(report);
    if (out !== '') fs.writeFileSync(out, report);
  } finally {
    await c.close();
  }
}

main().catch((err) => {
  console.error(`standby-fetch: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
