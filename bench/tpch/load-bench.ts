// npm run bench:load -- --sf 1 [--tables lineitem,orders] [--no-postgres] [--runs N] [--data DIR]
//                       [--profile DIR] [--out FILE] [-c name=value ...]
// COPY load benchmark: each TPC-H table's .tbl file is sent with psql's `\copy … from pstdin`
// (the real wire protocol) into a fresh Tessera server and a fresh PostgreSQL 15 with the same schema
// (bench/tpch/schema.sql, no keys: the TPC-H runner adds them after the load). Tables go in the
// runner's order, each one into Tessera and then into PostgreSQL, so both see the same machine load.
// With --runs N every table is copied N times into each (emptied with TRUNCATE in between) and the
// best time counts. Prints rows/s per table and the ratio Tessera/PostgreSQL; with --out writes a
// markdown report (command, commit, machine, load average, Tessera's peak RSS and CPU seconds).
// --profile DIR runs the Tessera server under `node --cpu-prof` writing its profile into DIR.
// Beside the times it reports each server's CPU seconds per copy (Linux /proc; the least of the runs):
// on a shared, loaded machine the wall time mostly measures the scheduler, the CPU time the work.
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, startTestServer } from '../../test/helpers/test-server';
import { TABLES, tableFile, tableStream } from './data-source';
import { psql } from './load';
import { postgresInstalled, startPostgres } from './postgres-instance';
import { PeakMemory } from './peak-memory';
import { machineDescription } from './report';

interface Options {
  sf: string;
  tables: string[];
  postgres: boolean;
  runs: number;
  data: string | null;
  profile: string | null;
  out: string | null;
  settings: Record<string, string>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sf: '1', tables: [...TABLES], postgres: true, runs: 1, data: null, profile: null, out: null, settings: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sf') o.sf = String(Number(argv[++i]));
    else if (a === '--tables') o.tables = argv[++i].split(',');
    else if (a === '--no-postgres') o.postgres = false;
    else if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--data') o.data = path.resolve(argv[++i]);
    else if (a === '--profile') o.profile = path.resolve(argv[++i]);
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '-c') {
      const [k, ...v] = argv[++i].split('=');
      o.settings[k] = v.join('=');
    } else throw new Error(`unknown option ${a} (use --sf N --tables a,b --no-postgres --runs N --data DIR --profile DIR --out FILE -c name=value)`);
  }
  for (const t of o.tables) if (!(TABLES as readonly string[]).includes(t)) throw new Error(`unknown table ${t}`);
  return o;
}

function fileOf(o: Options, table: string): string {
  const f = o.data !== null ? path.join(o.data, `${table}.tbl`) : tableFile(o.sf, table);
  if (f === null || !fs.existsSync(f)) throw new Error(`no data file for ${table} at SF ${o.sf} (generate it with npm run tpch:gen, or pass --data DIR)`);
  return f;
}

/** Seconds of one `\copy` of the file into the table. */
async function copyOnce(port: number, table: string, file: string): Promise<number> {
  const start = performance.now();
  await psql(port, ['-c', `\\copy ${table} from pstdin with (delimiter '|')`], tableStream(file));
  return (performance.now() - start) / 1000;
}

/** Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1]), or null. */
function statFields(pid: number): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU seconds a process has used so far (Linux /proc), or null. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const fields = statFields(pid);
  // utime and stime, in clock ticks (100 per second on Linux).
  return fields === null ? null : (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds of a PostgreSQL cluster so far: the postmaster's own, its exited children's (the
 * backends of finished sessions, reaped by it: cutime and cstime) and its live children's
 * (checkpointer, WAL writer, a backend not reaped yet), or null when unknown.
 */
function postgresCpuSeconds(socketDir: string): number | null {
  let postmaster: number;
  try {
    postmaster = Number(fs.readFileSync(path.join(socketDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  const all = (f: string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  const own = statFields(postmaster);
  if (own === null) return null;
  let ticks = all(own);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f !== null && Number(f[1]) === postmaster) ticks += all(f);
  }
  return ticks / 100;
}

/** The CPU seconds `measure` reads spent over fn (null when unknown); waits a moment for an exiting backend to be reaped. */
async function cpuOver(measure: () => number | null, fn: () => Promise<number>): Promise<{ s: number; cpu: number | null }> {
  const before = measure();
  const s = await fn();
  await new Promise((resolve) => setTimeout(resolve, 150));
  const after = measure();
  return { s, cpu: before === null || after === null ? null : after - before };
}

interface Row {
  table: string;
  rows: number;
  tessera: number;
  postgres: number | null;
  loadAverage: number;
  /** Tessera server's peak RSS while this table was copied (bytes; null when unknown). */
  peak: number | null;
  /** Least CPU seconds of the runs: Tessera's server, PostgreSQL's cluster (null when unknown). */
  tesseraCpu: number | null;
  postgresCpu: number | null;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.postgres && !postgresInstalled()) throw new Error('PostgreSQL 15 is needed at /usr/lib/postgresql/15/bin (or pass --no-postgres)');
  const schema = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/schema.sql'), 'utf8');
  const nodeArgs = o.profile !== null ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [];
  // Its own session, as PostgreSQL's (pg_ctl runs it under setsid): each server gets its own
  // share of the CPU under the kernel's autogroup scheduling, not one shared with this process and psql.
  const server = await startTestServer({ settings: { buffer_pool_size: '1GB', ...o.settings }, nodeArgs, startTimeoutMs: 120000, ownSession: true });
  const pg = o.postgres ? startPostgres(await freePort()) : null;
  const results: Row[] = [];
  let peak: number | null = null;
  let cpu: number | null = null;
  const started = new Date();
  try {
    await psql(server.port, [], schema);
    if (pg !== null) await psql(pg.port, [], schema);
    const memory = new PeakMemory(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    for (const table of o.tables) {
      const file = fileOf(o, table);
      const loadAverage = os.loadavg()[0];
      let tessera = Infinity;
      let postgres = o.postgres ? Infinity : null;
      let tablePeak: number | null = null;
      let tesseraCpu: number | null = null;
      let postgresCpu: number | null = null;
      const least = (a: number | null, b: number | null) => (b === null ? a : a === null ? b : Math.min(a, b));
      for (let run = 0; run < o.runs; run++) {
        if (run > 0) await psql(server.port, ['-c', `TRUNCATE ${table}`]);
        const during = new PeakMemory(server.pid);
        const t = await cpuOver(() => cpuSeconds(server.pid), () => copyOnce(server.port, table, file));
        tessera = Math.min(tessera, t.s);
        tesseraCpu = least(tesseraCpu, t.cpu);
        const p = during.stop();
        if (p !== null) tablePeak = Math.max(tablePeak ?? 0, p);
        if (pg !== null) {
          if (run > 0) await psql(pg.port, ['-c', `TRUNCATE ${table}`]);
          const q = await cpuOver(() => postgresCpuSeconds(pg.socketDir), () => copyOnce(pg.port, table, file));
          postgres = Math.min(postgres!, q.s);
          postgresCpu = least(postgresCpu, q.cpu);
        }
      }
      const rows = Number((await psql(server.port, ['-At', '-c', `select count(*) from ${table}`])).trim());
      if (pg !== null) {
        const pgRows = Number((await psql(pg.port, ['-At', '-c', `select count(*) from ${table}`])).trim());
        if (pgRows !== rows) throw new Error(`${table}: Tessera holds ${rows} rows, PostgreSQL ${pgRows}`);
      }
      const row = { table, rows, tessera, postgres, loadAverage, peak: tablePeak, tesseraCpu, postgresCpu };
      results.push(row);
      console.log(line(row));
    }
    const cpuAfter = cpuSeconds(server.pid);
    cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
    // Each table's sampler resets the kernel's high-water mark: the whole load's peak is the highest of them all.
    peak = [memory.stop(), ...results.map((r) => r.peak)].reduce<number | null>((m, p) => (p === null ? m : Math.max(m ?? 0, p)), null);
  } finally {
    await server.stop();
    pg?.stop();
  }
  const total: Row = {
    table: 'all',
    rows: results.reduce((n, r) => n + r.rows, 0),
    tessera: results.reduce((n, r) => n + r.tessera, 0),
    postgres: o.postgres ? results.reduce((n, r) => n + r.postgres!, 0) : null,
    loadAverage: os.loadavg()[0],
    peak,
    tesseraCpu: sumOrNull(results.map((r) => r.tesseraCpu)),
    postgresCpu: o.postgres ? sumOrNull(results.map((r) => r.postgresCpu)) : null,
  };
  console.log(line(total));
  if (peak !== null) console.log(`Tessera server peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, CPU ${cpu?.toFixed(1) ?? '?'} s (user + system)`);
  if (o.out !== null) fs.writeFileSync(o.out, report(o, results, total, peak, cpu, started));
}

function sumOrNull(xs: (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : xs.reduce<number>((n, x) => n + x!, 0);
}

function cpuText(s: number | null): string {
  return s === null ? '–' : s.toFixed(2);
}

function rate(rows: number, s: number | null): string {
  return s === null ? '–' : String(Math.round(rows / s));
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

function line(r: Row): string {
  const ratio = r.postgres === null ? '' : `  ratio ${(r.postgres / r.tessera).toFixed(2)}`;
  return `${r.table.padEnd(9)} ${String(r.rows).padStart(8)} rows  Tessera ${r.tessera.toFixed(2).padStart(7)} s ${rate(r.rows, r.tessera).padStart(8)} rows/s  PostgreSQL ${r.postgres?.toFixed(2).padStart(7) ?? '      –'} s ${rate(r.rows, r.postgres).padStart(8)} rows/s${ratio}  CPU ${cpuText(r.tesseraCpu)} s vs ${cpuText(r.postgresCpu)} s  (load ${r.loadAverage.toFixed(1)})${r.peak === null ? '' : `  peak RSS ${mib(r.peak)} MiB`}`;
}

function report(o: Options, rows: Row[], total: Row, peak: number | null, cpu: number | null, started: Date): string {
  const commit = execSync('git rev-parse --short HEAD', { cwd: __dirname }).toString().trim();
  const out = [
    `# TPC-H SF ${o.sf} load through COPY: Tessera vs PostgreSQL 15`,
    '',
    `Command: \`node dist/bench/tpch/load-bench.js ${process.argv.slice(2).join(' ')}\``,
    `Commit ${commit}, ${started.toISOString()}, ${machineDescription()}.`,
    `Each table's .tbl file is sent by psql (\`\\copy … from pstdin with (delimiter '|')\`) into a fresh Tessera server and a fresh PostgreSQL 15 (default settings, schema bench/tpch/schema.sql without keys), table by table, Tessera first. Both servers run in sessions of their own (Tessera under setsid, PostgreSQL as pg_ctl starts it), so under the kernel's autogroup scheduling each gets its own share of the CPU.${o.runs > 1 ? ` Best of ${o.runs} copies per table (TRUNCATE in between).` : ''}`,
    '"rows/s ratio" is Tessera rows/s ÷ PostgreSQL rows/s (above 1: Tessera faster). "load" is the 1-minute load average when the table started (other jobs share the 2 cores).',
    '"CPU s" is the CPU time (user + system, all threads) the server spent on one copy, the least of the runs: Tessera\'s server process; PostgreSQL\'s postmaster and all its processes (the backend, WAL writer, checkpointer). "CPU ratio" is PostgreSQL CPU ÷ Tessera CPU (above 1: Tessera spends less). /proc counts in 10 ms ticks.',
    '',
    '| table | rows | Tessera s | Tessera rows/s | PostgreSQL s | PostgreSQL rows/s | rows/s ratio | Tessera CPU s | PostgreSQL CPU s | CPU ratio | load | Tessera peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of [...rows, total])
    out.push(
      `| ${r.table} | ${r.rows} | ${r.tessera.toFixed(2)} | ${rate(r.rows, r.tessera)} | ${r.postgres?.toFixed(2) ?? '–'} | ${rate(r.rows, r.postgres)} | ${r.postgres === null ? '–' : (r.postgres / r.tessera).toFixed(2)} | ${cpuText(r.tesseraCpu)} | ${cpuText(r.postgresCpu)} | ${r.tesseraCpu === null || r.postgresCpu === null || r.tesseraCpu === 0 ? '–' : (r.postgresCpu / r.tesseraCpu).toFixed(2)} | ${r.loadAverage.toFixed(1)} | ${r.peak === null ? '–' : mib(r.peak)} |`,
    );
  out.push('', `Tessera server: peak RSS ${peak === null ? 'unknown' : `${(peak / 2 ** 20).toFixed(0)} MiB`}, CPU ${cpu === null ? 'unknown' : `${cpu.toFixed(1)} s`} (user + system) over the whole load.`, '');
  return out.join('\n');
}

main().catch((err) => {
  console.error(`load-bench: ${(err as Error).message}`);
  process.exit(1);
});
