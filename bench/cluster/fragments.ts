// Cluster parallel query: TPC-H Q1 and Q6 on a leader with 0, 1 and 2 followers in separate processes
// (test/cluster/fragment-follower-process.ts), each holding a replica of the leader's store (loaded through replication)
// and running ranges of morsels of the leader's parallel fragments. Writes a markdown report.
//
//   node dist/bench/cluster/fragments.js [--sf 0.1] [--runs 5] [--out bench/results/cluster-fragments.md]
//
// All processes share this machine's cores: on a 2-core machine the leader's two workers and the
// followers compete for the same two cores, so no speedup is expected; the numbers show the cost
// of shipping fragments and partial rows over the interconnect.
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clusterFragmentProvider } from '../../src/cluster/fragment-provider';
import { remoteFragmentStats } from '../../src/exec/parallel/remote-round';
import { tableFile, tableStream } from '../tpch/data-source';
import { startLeaderWithFollowers } from '../../test/helpers/fragment-followers';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const QUERIES = ['q01', 'q06'];

async function main(): Promise<void> {
  const sf = arg('--sf', '0.1');
  const runs = Number(arg('--runs', '5'));
  const out = arg('--out', path.resolve(__dirname, '../../../bench/results/cluster-fragments.md'));
  const { ic, kv, database, db, stop } = await startLeaderWithFollowers([['buffer_pool_size', '1GB']]);
  try {
    const schema = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/schema.sql'), 'utf8');
    await db.exec(schema);
    const loadStart = performance.now();
    const file = tableFile(sf, 'lineitem');
    if (file === null) throw new Error(`no lineitem data for SF ${sf}`);
    await db.copyFrom('lineitem', tableStream(file), { delimiter: '|' });
    await db.exec('ANALYZE lineitem');
    const loadMs = performance.now() - loadStart;
    const provider = clusterFragmentProvider(ic, kv);
    const lines: string[] = [];
    const rows: string[] = [];
    for (const n of [0, 1, 2]) {
      database.remoteFragments = n === 0 ? undefined : { ...provider, participants: () => provider.participants().slice(0, n) };
      for (const q of QUERIES) {
        const sql = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/queries', `${q}.sql`), 'utf8');
        const before = new Map([...remoteFragmentStats].map(([k, v]) => [k, { ...v }]));
        const times: number[] = [];
        let answer = '';
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now();
          const res = await db.query(sql);
          times.push(performance.now() - t0);
          answer = JSON.stringify(res.rows);
        }
        if (n === 0) lines.push(`${q}:${answer}`);
        else if (!lines.includes(`${q}:${answer}`)) throw new Error(`${q} with ${n} follower(s) gave another answer`);
        const since = (id: number, key: 'morsels' | 'duplicatesLaunched' | 'duplicatesWon'): number => (remoteFragmentStats.get(id)?.[key] ?? 0) - (before.get(id)?.[key] ?? 0);
        const morsels = [2, 3].map((id) => since(id, 'morsels'));
        const dups = [2, 3].reduce((a, id) => a + since(id, 'duplicatesLaunched'), 0);
        const won = [2, 3].reduce((a, id) => a + since(id, 'duplicatesWon'), 0);
        times.sort((a, b) => a - b);
        const row = `| ${q} | ${n} | ${times[0].toFixed(1)} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${morsels.map((m) => (m / runs).toFixed(1)).join(' / ')} | ${dups} / ${won} | ${os.loadavg()[0].toFixed(2)} |`;
        rows.push(row);
        console.log(row);
      }
    }
    const commit = execSync('git rev-parse --short HEAD', { cwd: path.resolve(__dirname, '../../..') }).toString().trim();
    const report = [
      '# Cluster parallel query: TPC-H Q1 and Q6 with 0, 1, 2 follower processes',
      '',
      `Command: \`node dist/bench/cluster/fragments.js --sf ${sf} --runs ${runs}\` — commit ${commit}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}.`,
      '',
      `Leader: in-process database over a ReplicatedKv (in memory), max_parallel_workers 2; followers: separate`,
      `processes holding in-memory replicas, fed through replication while lineitem loaded (${(loadMs / 1000).toFixed(1)} s).`,
      'Every answer with followers equals the answer without them (checked by the script).',
      '',
      'On this machine all three processes share the same cores: no speedup is expected, the numbers show',
      'what shipping fragments and partial rows over the interconnect costs or saves under that sharing.',
      '',
      '| query | followers | best ms | median ms | morsels per run on node 2 / 3 | duplicates launched / won by the local copy (all runs) | load avg (1 min) |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    fs.writeFileSync(out, report);
    console.log(`wrote ${out}`);
    await db.close();
  } finally {
    await stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
