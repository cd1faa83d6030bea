// pgbench, the TPC-B-like builtin script, against Tessera and PostgreSQL 15 on this machine in one
// run: `pgbench -i -s N`, then `pgbench -c C -j J -T T` with per-transaction logs (latency
// percentiles) and --max-tries (serialization failures are retried, as the issue allows); then the
// TPC-B invariants are checked on each: sum(abalance) = sum(delta) = sum(tbalance) = sum(bbalance).
// Writes bench/results/pgbench-s<N>-T<T>.md (and .json).
//
//   npm run bench:pgbench -- [--scale 10] [--time 60] [--clients 16] [--threads 2] [--only tessera|postgres] [--socket unix|tcp]
//
// --socket: how pgbench connects to both servers. `unix` (the default) is what the command
// `pgbench -c 16 -j 2 -T 60` does without -h: the Unix-domain socket .s.PGSQL.<port>. `tcp` connects
// to 127.0.0.1, where every response's write also runs the loopback TCP path (for Tessera's one
// main thread, the largest single cost in a CPU profile of this run taken by hand).
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { freePort, startTestServer } from '../../test/helpers/test-server';
import { startPostgres, postgresInstalled } from '../tpch/postgres-instance';

interface Options {
  scale: number;
  time: number;
  clients: number;
  threads: number;
  only: string | null;
  socket: 'unix' | 'tcp';
}

function parseArgs(argv: string[]): Options {
  const o: Options = { scale: 10, time: 60, clients: 16, threads: 2, only: null, socket: 'unix' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in o)) throw new Error(`unknown option ${argv[i]}`);
    (o as unknown as Record<string, unknown>)[name] = name === 'only' || name === 'socket' ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (o.socket !== 'unix' && o.socket !== 'tcp') throw new Error(`--socket must be unix or tcp, not ${String(o.socket)}`);
  return o;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out, ms: Date.now() - start }));
  });
}

interface Result {
  target: string;
  initSeconds: number;
  tps: number;
  processed: number;
  failed: number;
  retried: number;
  latencyMs: { avg: number; p50: number; p90: number; p95: number; p99: number; max: number };
  perStatement: string;
  sums: { accounts: string; history: string; tellers: string; branches: string };
  invariantsHold: boolean;
  /** 1-minute load average of the machine when the timed run started and when it ended. */
  load: [number, number];
  /** Server CPU (user + system) per committed transaction over the timed run; null when not measured (PostgreSQL's many processes). */
  serverCpuMsPerTxn: number | null;
  /** Tessera's commit queue over the timed run (tessera_commit_stats(), after minus before); null for PostgreSQL. */
  commitQueue: Record<string, number> | null;
}

/** tessera_commit_stats()'s counters now (null when the server has none: PostgreSQL). */
async function commitStats(port: number): Promise<Record<string, number> | null> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres' });
  await c.connect();
  try {
    const row = (await c.query('select * from tessera_commit_stats()')).rows[0];
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
  } catch {
    return null;
  } finally {
    await c.end();
  }
}

/** The commit queue's counters over an interval, with its averages recomputed from the sums. */
function commitStatsDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const d = (k: string) => after[k] - before[k];
  const per = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : NaN);
  const batches = d('batches');
  const writes = d('writes');
  const acknowledged = d('acknowledged');
  return {
    batches,
    commits: d('commits'),
    commits_per_batch: per(d('commits'), batches),
    solo_commits: d('solo_commits'),
    writes,
    batches_per_write: per(d('written_batches'), writes),
    avg_write_ms: per(d('write_ms'), writes),
    max_write_ms: after.max_write_ms,
    avg_decide_ms: per(d('decide_ms'), acknowledged),
    avg_commit_ms: per(d('commit_ms'), acknowledged),
    read_waits: d('read_waits'),
  };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); null elsewhere. */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th of them.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ((Number(f[11]) + Number(f[12])) * 1000) / ticks;
  } catch {
    return null;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Latencies (ms) of committed transactions from pgbench's per-client logs in `dir`. */
function logLatencies(dir: string, prefix: string): Float64Array {
  const out: number[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.startsWith(prefix))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const cols = line.split(' ');
      if (cols.length < 6) continue;
      const us = Number(cols[2]);
      if (Number.isFinite(us)) out.push(us / 1000); // failed transactions log "failed"/"serialization" here
    }
  }
  return Float64Array.from(out).sort();
}

/** `socketDir`: where the server's Unix-domain socket is (pgbench connects there unless --socket tcp). */
async function bench(target: string, port: number, socketDir: string, o: Options, serverPid?: number): Promise<Result> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `pgbench-${target}-`));
  const base = ['-h', o.socket === 'tcp' ? '127.0.0.1' : socketDir, '-p', String(port), '-U', 'postgres'];
  console.log(`${target}: pgbench -i -s ${o.scale}`);
  const init = await run('pgbench', [...base, '-i', '-s', String(o.scale), 'postgres'], work);
  if (init.code !== 0) throw new Error(`${target}: pgbench -i failed\n${init.out}`);
  const args = [...base, '-c', String(o.clients), '-j', String(o.threads), '-T', String(o.time), '-r', '--max-tries=20', '--failures-detailed', '-l', '--log-prefix=tx', 'postgres'];
  console.log(`${target}: pgbench ${args.slice(base.length).join(' ')}`);
  const loadBefore = os.loadavg()[0];
  const queueBefore = serverPid === undefined ? null : await commitStats(port);
  const cpuBefore = processCpuMs(serverPid);
  const r = await run('pgbench', args, work);
  const cpuAfter = processCpuMs(serverPid);
  const queueAfter = queueBefore === null ? null : await commitStats(port);
  const load: [number, number] = [loadBefore, os.loadavg()[0]];
  if (r.code !== 0 && !/number of transactions actually processed/.test(r.out)) throw new Error(`${target}: pgbench failed\n${r.out}`);
  const num = (re: RegExp) => Number(re.exec(r.out)?.[1] ?? NaN);
  const lat = logLatencies(work, 'tx');
  let sum = 0;
  for (const x of lat) sum += x;
  const perStatement = r.out.slice(r.out.indexOf('statement latencies')).trim();
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres' });
  await c.connect();
  const s = (
    await c.query(
      'select (select sum(abalance) from pgbench_accounts)::text as accounts, (select sum(delta) from pgbench_history)::text as history, (select sum(tbalance) from pgbench_tellers)::text as tellers, (select sum(bbalance) from pgbench_branches)::text as branches',
    )
  ).rows[0];
  await c.end();
  fs.rmSync(work, { recursive: true, force: true });
  const sums = { accounts: s.accounts ?? '0', history: s.history ?? '0', tellers: s.tellers ?? '0', branches: s.branches ?? '0' };
  const result: Result = {
    target,
    initSeconds: init.ms / 1000,
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    processed: num(/number of transactions actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/),
    retried: num(/number of transactions retried: (\d+)/) || 0,
    latencyMs: { avg: sum / Math.max(1, lat.length), p50: percentile(lat, 50), p90: percentile(lat, 90), p95: percentile(lat, 95), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? NaN },
    perStatement,
    sums,
    invariantsHold: sums.accounts === sums.history && sums.history === sums.tellers && sums.tellers === sums.branches,
    load,
    serverCpuMsPerTxn: null,
    commitQueue: queueBefore !== null && queueAfter !== null ? commitStatsDelta(queueBefore, queueAfter) : null,
  };
  if (cpuBefore !== null && cpuAfter !== null && result.processed > 0) result.serverCpuMsPerTxn = (cpuAfter - cpuBefore) / result.processed;
  if (result.commitQueue !== null) console.log(`${target}: commit queue ${JSON.stringify(result.commitQueue)}`);
  console.log(`${target}: ${result.tps.toFixed(1)} tps, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, failed ${result.failed}, retried ${result.retried}, invariants ${result.invariantsHold ? 'hold' : 'BROKEN'}`);
  return result;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function report(o: Options, results: Result[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const lines = [
    `# pgbench TPC-B-like: Tessera vs PostgreSQL 15`,
    '',
    `\`pgbench -i -s ${o.scale}\`, then \`pgbench -c ${o.clients} -j ${o.threads} -T ${o.time} -r --max-tries=20 --failures-detailed -l\` against each server,`,
    o.socket === 'tcp' ? 'connected over TCP to 127.0.0.1 (`--socket tcp`),' : "connected through each server's Unix-domain socket (`--socket unix`, as pgbench without -h),",
    `in turn on the same machine (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? '?'}), written ${new Date().toISOString()}.`,
    'Both with synchronous commit (fsync before each commit is acknowledged); PostgreSQL with its default settings.',
    'Latency percentiles are over committed transactions from the per-transaction logs (-l).',
    "Server CPU per transaction: Tessera's process's user + system time (/proc) over the timed run, divided by the committed transactions (includes LMDB's fsync calls and the commit path).",
    `Commit ${gitCommit()}. The load average is the machine's 1-minute one (other work shares the cores): compare the two servers' numbers of one run, not runs.`,
    '',
    '| server | init s | TPS | transactions | failed | retried | avg ms | p50 ms | p90 ms | p95 ms | p99 ms | max ms | invariants | load avg (start → end) | server CPU ms per transaction |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.target} | ${r.initSeconds.toFixed(1)} | ${r.tps.toFixed(1)} | ${r.processed} | ${r.failed} | ${r.retried} | ${f(r.latencyMs.avg)} | ${f(r.latencyMs.p50)} | ${f(r.latencyMs.p90)} | ${f(r.latencyMs.p95)} | ${f(r.latencyMs.p99)} | ${f(r.latencyMs.max)} | ${r.invariantsHold ? 'hold' : 'BROKEN'} | ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)} | ${r.serverCpuMsPerTxn === null ? 'not measured' : r.serverCpuMsPerTxn.toFixed(2)} |`,
    ),
    '',
    'Invariant check after the run: sum(abalance) of pgbench_accounts, sum(delta) of pgbench_history, sum(tbalance) of pgbench_tellers, sum(bbalance) of pgbench_branches:',
    '',
    ...results.map((r) => `- ${r.target}: ${r.sums.accounts} / ${r.sums.history} / ${r.sums.tellers} / ${r.sums.branches}`),
  ];
  for (const r of results) {
    if (r.commitQueue === null) continue;
    const keys = Object.keys(r.commitQueue);
    lines.push('', `${r.target}'s commit queue over the timed run (tessera_commit_stats(); avg_decide_ms: queued to row locks released, avg_commit_ms: queued to acknowledged):`, '', `| ${keys.join(' | ')} |`, `|${keys.map(() => '---').join('|')}|`, `| ${keys.map((k) => String(r.commitQueue![k])).join(' | ')} |`);
  }
  if (results.length === 2 && results[1].tps > 0) lines.push('', `Tessera's TPS is ${((results[0].tps / results[1].tps) * 100).toFixed(0)}% of PostgreSQL's.`);
  for (const r of results) lines.push('', `## ${r.target}: pgbench -r statement latencies`, '', '```', r.perStatement, '```');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const results: Result[] = [];
  if (o.only !== 'postgres') {
    const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-sock-'));
    const t = await startTestServer({ settings: { unix_socket_directories: socketDir } });
    try {
      results.push(await bench('tessera', t.port, socketDir, o, t.pid));
    } finally {
      await t.stop();
      fs.rmSync(socketDir, { recursive: true, force: true });
    }
  }
  if (o.only !== 'tessera') {
    if (!postgresInstalled()) throw new Error('PostgreSQL 15 is not installed in /usr/lib/postgresql/15');
    const pg = startPostgres(await freePort());
    try {
      results.push(await bench('postgresql-15', pg.port, pg.socketDir, o));
    } finally {
      pg.stop();
    }
  }
  const outDir = path.resolve(__dirname, '../../../bench/results');
  const name = `pgbench-s${o.scale}-T${o.time}${o.socket === 'tcp' ? '-tcp' : ''}`;
  fs.writeFileSync(path.join(outDir, `${name}.md`), report(o, results));
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify({ options: o, results }, null, 2) + '\n');
  console.log(`wrote bench/results/${name}.md`);
  if (results.some((r) => !r.invariantsHold)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
