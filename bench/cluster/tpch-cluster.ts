// TPC-H on a local 3-node cluster beside a single node: loads the scale factor with COPY into a
// single-node server and into a 3-node cluster (through the leader; every write replicated to both
// followers before its commit is acknowledged), runs the 22 queries on the single node, on the cluster
// through the leader's port and through a follower's port (the follower runs them itself, on its
// standby engine over its copy: cluster/statement-router.ts), checks every answer
// against the reference answers and against the single node's, and writes a table of times.
// The two run one after the other (separate data directories under one temporary directory).
//
//   npm run bench:cluster-tpch -- [--sf 1] [--data DIR] [--runs 1] [--out bench/results/tpch-sf1-cluster.md] [--stop-single]
//   (--data: where the .tbl files are, e.g. /work/main/bench/tpch/data/sf1; default: the usual places;
//   --stop-single: the single node is stopped while the cluster runs and started again on its data
//   for its second pass, so that four servers do not share the machine's memory: in the first SF 10
//   run with all four up, every process, this one too, stalled for minutes at a time)
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareAnswer } from '../tpch/compare-answers';
import { sharedDir } from '../tpch/data-source';
import { loadTpch } from '../tpch/load';
import { QueryTiming, runQueries } from '../tpch/run-queries';
import { startTestCluster } from '../../test/helpers/cluster';
import { TestServer, startTestServer } from '../../test/helpers/test-server';
import { agreedLeader } from '../../test/cluster/fault-helpers';
import { Client } from 'pg';

interface Options {
  sf: string;
  data: string | null;
  runs: number;
  out: string | null;
  bufferPool: string;
  stopSingle: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sf: '1', data: null, runs: 1, out: null, bufferPool: '2GB', stopSingle: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sf') o.sf = argv[++i];
    else if (a === '--data') o.data = path.resolve(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--buffer-pool') o.bufferPool = argv[++i];
    else if (a === '--stop-single') o.stopSingle = true;
    else throw new Error(`unknown option ${a} (use --sf N --data DIR --runs N --out FILE --buffer-pool SIZE --stop-single)`);
  }
  return o;
}

/** The reference answers of a scale factor: the repository's (SF 0.1, 1) or the shared ones (SF 0.01). */
function answersDir(sf: string): string {
  const own = path.resolve(__dirname, '../../../bench/tpch/answers', `sf${sf}`);
  if (fs.existsSync(own)) return own;
  const shared = path.join(sharedDir(), 'answers', `sf${sf}`);
  if (fs.existsSync(shared)) return shared;
  throw new Error(`no reference answers for SF ${sf}`);
}

function load(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

interface Side {
  label: string;
  loadSeconds: number | null;
  loadAvg: string;
  timings: QueryTiming[];
}

/** Wall seconds of the whole load: schema, COPY of every table, keys. */
async function timedLoad(port: number, sf: string, log: (line: string) => void): Promise<number> {
  const start = performance.now();
  await loadTpch(port, sf, log);
  return (performance.now() - start) / 1000;
}

/**
 * A session through the follower's port that the follower itself answers: one opened while its
 * standby is not in sync is relayed whole to the leader (whose counters are not the follower's), so
 * it is opened again, up to 40 times 250 ms apart; the last one is taken whatever answers it.
 */
async function followerSession(config: ConstructorParameters<typeof Client>[0], follower: number): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    const c = new Client(config);
    await c.connect();
    const node = (await c.query('SHOW cluster_node_id')).rows[0].cluster_node_id as string;
    if (node === String(follower) || attempt === 40) return c;
    await c.end();
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.data !== null) process.env.TESSERA_TPCH_TBL = o.data;
  const answers = answersDir(o.sf);
  const settings = { buffer_pool_size: o.bufferPool };
  const log = (line: string) => console.log(line);
  const sides: Side[] = [];
  /** tessera_fragment_stats() on the leader after both cluster passes. */
  let fragmentRows: Record<string, unknown>[] = [];
  /** tessera_fragment_stats() through the follower after its pass: the fragments it coordinated (with the node that answered). */
  let followerFragmentRows: Record<string, unknown>[] = [];
  /** tessera_route_stats() on the follower after its pass: the units it ran itself and those it sent to the leader. */
  let routeRows: Record<string, unknown>[] = [];
  const started = new Date().toISOString();

  // The single node stays up while the cluster runs (unless --stop-single), and runs its queries again
  // afterwards: the two single-node passes bracket the cluster's, so a change of the machine's load
  // shows as their spread.
  // Every process is started the same way (in this process's session, same nice level).
  console.log(`single node: loading SF ${o.sf}`);
  const singleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-tpch-single-'));
  let single: TestServer | null = await startTestServer({ settings, startTimeoutMs: 60_000, dataDir: singleDir });
  try {
    const loaded = await timedLoad(single.port, o.sf, log);
    console.log(`single node: loaded in ${loaded.toFixed(1)} s; running the 22 queries`);
    let avg = load();
    sides.push({ label: 'single node', loadSeconds: loaded, loadAvg: avg, timings: await runQueries(single.port, o.runs, log, { sf: Number(o.sf) }) });
    if (o.stopSingle) {
      await single.stop();
      single = null;
    }

    console.log(`3-node cluster: loading SF ${o.sf} through the leader`);
    const cluster = await startTestCluster({ nodes: 3, settings, startTimeoutMs: 60_000 });
    try {
      const leader = await agreedLeader(cluster, [1, 2, 3]);
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      const loadedCluster = await timedLoad(cluster.node(leader).clientPort, o.sf, log);
      console.log(`cluster: loaded in ${loadedCluster.toFixed(1)} s; running the 22 queries through the leader (node ${leader})`);
      avg = load();
      sides.push({ label: `cluster via leader (node ${leader})`, loadSeconds: loadedCluster, loadAvg: avg, timings: await runQueries(cluster.node(leader).clientPort, o.runs, log, { sf: Number(o.sf) }) });
      console.log(`cluster: running the 22 queries through a follower (node ${follower})`);
      avg = load();
      sides.push({ label: `cluster via follower (node ${follower})`, loadSeconds: null, loadAvg: avg, timings: await runQueries(cluster.node(follower).clientPort, o.runs, log, { sf: Number(o.sf) }) });
      const stats = new Client(cluster.clientConfig(leader));
      await stats.connect();
      fragmentRows = (await stats.query('SELECT * FROM tessera_fragment_stats() ORDER BY 1')).rows;
      await stats.end();
      const routes = await followerSession(cluster.clientConfig(follower), follower);
      routeRows = (await routes.query('SELECT * FROM tessera_route_stats()')).rows;
      followerFragmentRows = (await routes.query("SELECT current_setting('cluster_node_id') AS answered_by, * FROM tessera_fragment_stats() ORDER BY node_id")).rows;
      await routes.end();
    } catch (err) {
      for (const n of cluster.nodes) console.error(`--- node ${n.id}:\n${n.output().split('\n').slice(-30).join('\n')}`);
      throw err;
    } finally {
      await cluster.stop();
    }
    console.log(`single node again${single === null ? ' (started again on its data)' : ''}: running the 22 queries`);
    single ??= await startTestServer({ settings, startTimeoutMs: 60_000, dataDir: singleDir });
    avg = load();
    sides.push({ label: o.stopSingle ? 'single node, again (restarted)' : 'single node, again', loadSeconds: null, loadAvg: avg, timings: await runQueries(single.port, o.runs, log, { sf: Number(o.sf) }) });
  } finally {
    await single?.stop();
    fs.rmSync(singleDir, { recursive: true, force: true });
  }

  // Every answer against the reference and against the single node's.
  const lines: string[] = [];
  let bad = 0;
  const base = sides[0];
  const again = sides[sides.length - 1];
  const rest = sides.slice(1, -1);
  for (let q = 0; q < base.timings.length; q++) {
    const name = base.timings[q].query;
    const reference = fs.readFileSync(path.join(answers, `${name}.out`), 'utf8');
    const verdicts = sides.map((s) => {
      const t = s.timings[q];
      if (t.error !== null) return `error: ${t.error}`;
      const vsRef = compareAnswer(name, reference, t.output);
      if (vsRef !== null) return 'differs from reference';
      if (s !== base && compareAnswer(name, base.timings[q].output, t.output) !== null) return 'differs from single node';
      return null;
    });
    if (verdicts.some((v) => v !== null)) bad++;
    const ms = sides.map((s) => s.timings[q].medianMs);
    const best = Math.min(base.timings[q].medianMs, again.timings[q].medianMs);
    lines.push(`| ${name} | ${ms.map((x) => x.toFixed(1)).join(' | ')} | ${rest.map((s) => (s.timings[q].medianMs / best).toFixed(2)).join(' | ')} | ${base.timings[q].rows} | ${verdicts.every((v) => v === null) ? 'same' : verdicts.map((v, i) => (v === null ? '' : `${sides[i].label}: ${v}`)).filter((x) => x !== '').join('; ')} |`);
  }
  const totals = sides.map((s) => s.timings.reduce((t, x) => t + (Number.isFinite(x.medianMs) ? x.medianMs : 0), 0));
  const bestSingle = Math.min(totals[0], totals[totals.length - 1]);
  lines.push(`| **total** | ${totals.map((x) => x.toFixed(1)).join(' | ')} | ${rest.map((s, i) => (totals[i + 1] / bestSingle).toFixed(2)).join(' | ')} | | |`);
  const summary = `${base.timings.length - bad} of ${base.timings.length} queries give the reference answer on every side, identical to the single node's`;
  console.log(summary);
  const table = [
    `| query | ${sides.map((s) => `${s.label} ms`).join(' | ')} | ${rest.map((s) => `${s.label} / faster single`).join(' | ')} | rows | answers |`,
    `|---|${sides.map(() => '---:').join('|')}|${rest.map(() => '---:').join('|')}|---:|---|`,
    ...lines,
  ];
  console.log(table.join('\n'));
  if (o.out === null) {
    if (bad > 0) process.exitCode = 1;
    return;
  }
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  const md = [
    `# TPC-H SF ${o.sf}: 3-node local cluster vs single node`,
    '',
    `Command: \`nice -n 10 npm run bench:cluster-tpch -- --sf ${o.sf}${o.data !== null ? ` --data ${o.data}` : ''} --runs ${o.runs}${o.stopSingle ? ' --stop-single' : ''} --out ${o.out}\``,
    `Commit ${commit}, started ${started}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}.`,
    `Every server: buffer_pool_size=${o.bufferPool}. Times: ${o.runs === 0 ? 'one cold run per query' : `median of ${o.runs} run(s) after a warm-up run`}, one connection, as bench/tpch/run-queries.ts runs them.`,
    'The cluster: etcd + 3 node processes on loopback (replication_factor 2). Through the leader\'s port, the leader',
    'coordinates each query and hands ranges of morsels of its parallel fragments to the followers that hold their chunks',
    '(see the fragment counts below). Through a follower\'s port, the follower runs each read-only query itself on its standby',
    'engine over its own copy, with its own workers, fetching from the leader the chunks it keeps only as markers (see the',
    'route counts below), and hands ranges of morsels of its parallel fragments to the other follower (not to the leader).',
    'All processes share the machine\'s cores with each other (and with other work: see the load averages). The single node',
    `runs its queries before and again after the cluster (${o.stopSingle ? 'it is stopped meanwhile (--stop-single) and started again on its data for the second pass' : 'it stays up, idle, meanwhile'}); the ratios divide by the faster of`,
    'its two passes, and the spread between its two passes is the noise to judge them by.',
    '',
    `**${summary}.**`,
    '',
    ...table,
    '',
    '| side | load s (schema, COPY of all tables, keys; wall) | load average (1, 5, 15 min) when its queries started |',
    '|---|---:|---|',
    ...sides.map((s) => `| ${s.label} | ${s.loadSeconds === null ? '–' : s.loadSeconds.toFixed(1)} | ${s.loadAvg} |`),
    '',
    ...rowsTable('Parallel fragments the followers ran (`tessera_fragment_stats()` on the leader after both cluster passes, warm-ups included):', fragmentRows, 'node'),
    ...rowsTable(
      'Statements the follower ran itself (`local_units`) and sent to the leader (`leader_units`) (`tessera_route_stats()` on the follower after its pass, warm-ups included):',
      routeRows,
      'node_id',
    ),
    ...rowsTable(
      'Parallel fragments the other nodes ran for the follower (`tessera_fragment_stats()` through the follower after its pass, warm-ups included; `answered_by` names the node whose counters these are):',
      followerFragmentRows,
      'answered_by',
    ),
  ].join('\n');
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, md);
  console.log(`wrote ${o.out}`);
  if (bad > 0) process.exitCode = 1;
}

/** A caption and a Markdown table of system-function rows (`emptyColumn` heads an empty one). */
function rowsTable(caption: string, rows: Record<string, unknown>[], emptyColumn: string): string[] {
  const columns = Object.keys(rows[0] ?? { [emptyColumn]: '' });
  return [caption, '', `| ${columns.join(' | ')} |`, `|${columns.map(() => '---:').join('|')}|`, ...rows.map((r) => `| ${Object.values(r).join(' | ')} |`), ''];
}

main().catch((err) => {
  console.error(`tpch-cluster: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
