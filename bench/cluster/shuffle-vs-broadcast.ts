// Broadcast against hash-shuffled joins on a 3-node cluster: TPC-H queries with large joins (Q3, Q5,
// Q10, Q12, Q18) run by a leader (this process) with two followers in separate processes
// (test/cluster/fragment-follower-process.ts: replicas fed by replication, serving fragments and
// shuffles over loopback TCP), with cluster_join_distribution forced to broadcast and to shuffle,
// beside the leader alone (cluster_parallel_query off). Writes a markdown report.
//
//   node dist/bench/cluster/shuffle-vs-broadcast.js [--sf 0.01] [--runs 5] [--queries q03,q05,q10,q12,q18] [--out bench/results/cluster-shuffle-vs-broadcast.md]
//
// All three processes share this machine's cores (2 here): no speed-up is expected; the numbers show
// what each distribution costs and how much it moves over the interconnect under that sharing.
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clusterFragmentProvider } from '../../src/cluster/fragment-provider';
import { shuffleInboxes } from '../../src/cluster/shuffle-inbox';
import { shuffleStats } from '../../src/exec/parallel/shuffle-round';
import { remoteFragmentStats } from '../../src/exec/parallel/remote-round';
import { TABLES, ensureData, tableFile, tableStream } from '../tpch/data-source';
import { startLeaderWithFollowers } from '../../test/helpers/fragment-followers';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const QUERIES = arg('--queries', 'q03,q05,q10,q12,q18').split(',');
/** auto: the planner's own choice per join (planner/join-distribution.ts), as a session gets it by default. */
const MODES = ['local', 'broadcast', 'shuffle', 'auto'] as const;
type Mode = (typeof MODES)[number];

async function main(): Promise<void> {
  const sf = arg('--sf', '0.01');
  const runs = Number(arg('--runs', '5'));
  const out = arg('--out', path.resolve(__dirname, '../../../bench/results/cluster-shuffle-vs-broadcast.md'));
  await ensureData(sf, (l) => console.log(l));
  const { ic, kv, database, db, stop } = await startLeaderWithFollowers([['buffer_pool_size', '1GB'], ['parallel_min_rows', '0'], ['cluster_nodes', '3']]);
  try {
    await db.exec(fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/schema.sql'), 'utf8'));
    const loadStart = performance.now();
    for (const t of TABLES) await db.copyFrom(t, tableStream(tableFile(sf, t)!), { delimiter: '|' });
    await db.exec('ANALYZE');
    const loadMs = performance.now() - loadStart;
    const provider = clusterFragmentProvider(ic, kv, { timeoutMs: 120_000 });
    database.remoteFragments = provider;
    for (let i = 0; i < 2000 && provider.participants().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    if (provider.participants().length < 2) throw new Error('the followers did not catch up');
    const coordinator = shuffleInboxes(ic).stats;
    const rows: string[] = [];
    for (const q of QUERIES) {
      const sql = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/queries', `${q}.sql`), 'utf8');
      const times = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
      const bytes = new Map<Mode, number>(MODES.map((m) => [m, 0]));
      const moved = new Map<Mode, number>(MODES.map((m) => [m, 0]));
      const morsels = new Map<Mode, number>(MODES.map((m) => [m, 0]));
      const answers = new Map<Mode, string>();
      const shuffles = new Map<Mode, number>(MODES.map((m) => [m, 0]));
      const fallbacks = new Map<Mode, number>(MODES.map((m) => [m, 0]));
      // Alternating modes run by run, so a change of load spreads over all three.
      for (let r = 0; r < runs; r++) {
        for (const mode of MODES) {
          await db.exec(`SET cluster_parallel_query = ${mode === 'local' ? 'off' : 'on'}; SET cluster_join_distribution = ${mode === 'local' ? 'auto' : mode}`);
          const icBefore = ic.stats().total;
          const movedBefore = coordinator.movedRows;
          const morselsBefore = remoteMorsels();
          const runsBefore = shuffleStats.runs;
          const fallbacksBefore = shuffleStats.fallbacks;
          const t0 = performance.now();
          const res = await db.query(sql);
          times.get(mode)!.push(performance.now() - t0);
          const icAfter = ic.stats().total;
          bytes.set(mode, bytes.get(mode)! + icAfter.bytesSent + icAfter.bytesReceived - icBefore.bytesSent - icBefore.bytesReceived);
          moved.set(mode, moved.get(mode)! + coordinator.movedRows - movedBefore);
          morsels.set(mode, morsels.get(mode)! + remoteMorsels() - morselsBefore);
          shuffles.set(mode, shuffles.get(mode)! + shuffleStats.runs - runsBefore);
          fallbacks.set(mode, fallbacks.get(mode)! + shuffleStats.fallbacks - fallbacksBefore);
          const answer = JSON.stringify(res.rows);
          if (answers.has(mode) && answers.get(mode) !== answer) throw new Error(`${q} ${mode}: the answer changed between runs`);
          answers.set(mode, answer);
        }
      }
      for (const mode of MODES) if (answers.get(mode) !== answers.get('local')) throw new Error(`${q}: ${mode} gave another answer than the leader alone`);
      for (const mode of MODES) {
        const t = [...times.get(mode)!].sort((a, b) => a - b);
        const row = `| ${q} | ${mode} | ${t[0].toFixed(1)} | ${t[Math.floor(t.length / 2)].toFixed(1)} | ${(bytes.get(mode)! / runs / 1024).toFixed(0)} | ${shuffles.get(mode)! > 0 ? (moved.get(mode)! / runs).toFixed(0) : '-'} | ${(morsels.get(mode)! / runs).toFixed(1)} | ${shuffles.get(mode)! > 0 ? `${shuffles.get(mode)} / ${fallbacks.get(mode)}` : '-'} | ${os.loadavg()[0].toFixed(2)} |`;
        rows.push(row);
        console.log(row);
      }
    }
    const commit = execSync('git rev-parse --short HEAD', { cwd: path.resolve(__dirname, '../../..') }).toString().trim();
    const report = [
      `# Broadcast vs hash-shuffled joins, TPC-H SF ${sf}, 3-node cluster`,
      '',
      `Command: \`${process.env.TESSERA_TPCH_TBL === undefined ? '' : `TESSERA_TPCH_TBL=${process.env.TESSERA_TPCH_TBL} `}node dist/bench/cluster/shuffle-vs-broadcast.js --sf ${sf} --runs ${runs} --queries ${QUERIES.join(',')}\` — commit ${commit}, ${new Date().toISOString()}.`,
      `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; the leader and both followers share those cores.`,
      '',
      'Leader: this process, an in-memory database over a ReplicatedKv, max_parallel_workers 2, parallel_min_rows 0;',
      `followers: two separate processes holding in-memory replicas fed by replication during the load (${(loadMs / 1000).toFixed(1)} s), over loopback TCP.`,
      'Modes: local = cluster_parallel_query off (the leader alone, its parallel workers as the plan allows); broadcast =',
      'cluster_join_distribution broadcast (the fragment\'s morsels go to the followers, each participant builds every build side whole);',
      'shuffle = cluster_join_distribution shuffle (both sides of the fragment\'s largest join hash-partitioned over the three nodes);',
      'auto = the planner\'s own choice per join (the default: shuffle when build × (nodes − 1) > probe, by estimated bytes).',
      'Every mode\'s answer equals the leader alone\'s (checked by the script). Runs alternate the modes; best and median of the runs.',
      '',
      'Columns: interconnect KiB = bytes sent + received by the leader per run (heartbeats included; the followers\' traffic between',
      'themselves is not in it); rows moved = rows the shuffle sent between nodes per run, over all participants (reported back to the',
      'coordinator); remote morsels = morsel ranges\' morsels run by the followers per run (broadcast\'s remote rounds); shuffles / fallbacks over all runs.',
      '',
      '| query | mode | best ms | median ms | interconnect KiB | rows moved | remote morsels | shuffles / fallbacks | load avg (1 min) |',
      '|---|---|---|---|---|---|---|---|---|',
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

function remoteMorsels(): number {
  let n = 0;
  for (const s of remoteFragmentStats.values()) n += s.morsels;
  return n;
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
