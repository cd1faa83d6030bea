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

/** User + system CPU seconds a process has used so far (Linux /proc), or null. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

interface Row {
  table: string;
  rows: number;
  tessera: number;
  postgres: number | null;
  loadAverage: number;
  /** Tessera server's peak RSS while this table was copied (bytes; null when unknown). */
  peak: number | null;
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
      for (let run = 0; run < o.runs; run++) {
        if (run > 0) await psql(server.port, ['-c', `TRUNCATE ${table}`]);
        const during = new PeakMemory(server.pid);
        tessera = Math.min(tessera, await copyOnce(server.port, table, file));
        const p = during.stop();
        if (p !== null) tablePeak = Math.max(tablePeak ?? 0, p);
        if (pg !== null) {
          if (run > 0) await psql(pg.port, ['-c', `TRUNCATE ${table}`]);
          postgres = Math.min(postgres!, await copyOnce(pg.port, table, file));
        }
      }
      const rows = Number((await psql(server.port, ['-At', '-c', `select count(*) from ${table}`])).trim());
      if (pg !== null) {
        const pgRows = Number((await psql(pg.port, ['-At', '-c', `select count(*) from ${table}`])).trim());
        if (pgRows !== rows) throw new Error(`${table}: Tessera holds ${rows} rows, PostgreSQL ${pgRows}`);
      }
      const row = { table, rows, tessera, postgres, loadAverage, peak: tablePeak };
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
  };
  console.log(line(total));
  if (peak !== null) console.log(`Tessera server peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, CPU ${cpu?.toFixed(1) ?? '?'} s (user + system)`);
  if (o.out !== null) fs.writeFileSync(o.out, report(o, results, total, peak, cpu, started));
}

function rate(rows: number, s: number | null): string {
  return s === null ? '–' : String(Math.round(rows / s));
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

function line(r: Row): string {
  const ratio = r.postgres === null ? '' : `  ratio ${(r.postgres / r.tessera).toFixed(2)}`;
  return `${r.table.padEnd(9)} ${String(r.rows).padStart(8)} rows  Tessera ${r.tessera.toFixed(2).padStart(7)} s ${rate(r.rows, r.tessera).padStart(8)} rows/s  PostgreSQL ${r.postgres?.toFixed(2).padStart(7) ?? '      –'} s ${rate(r.rows, r.postgres).padStart(8)} rows/s${ratio}  (load ${r.loadAverage.toFixed(1)})${r.peak === null ? '' : `  peak RSS ${mib(r.peak)} MiB`}`;
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
    '',
    '| table | rows | Tessera s | Tessera rows/s | PostgreSQL s | PostgreSQL rows/s | rows/s ratio | load | Tessera peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of [...rows, total])
    out.push(`| ${r.table} | ${r.rows} | ${r.tessera.toFixed(2)} | ${rate(r.rows, r.tessera)} | ${r.postgres?.toFixed(2) ?? '–'} | ${rate(r.rows, r.postgres)} | ${r.postgres === null ? '–' : (r.postgres / r.tessera).toFixed(2)} | ${r.loadAverage.toFixed(1)} | ${r.peak === null ? '–' : mib(r.peak)} |`);
  out.push('', `Tessera server: peak RSS ${peak === null ? 'unknown' : `${(peak / 2 ** 20).toFixed(0)} MiB`}, CPU ${cpu === null ? 'unknown' : `${cpu.toFixed(1)} s`} (user + system) over the whole load.`, '');
  return out.join('\n');
}

main().catch((err) => {
  console.error(`load-bench: ${(err as Error).message}`);
  process.exit(1);
});
