// npm run bench:embedded -- [--sf 0.1] [--runs 1] [--engines tessera,pglite,duckdb]
// TPC-H loaded in-process into Tessera embedded, PGlite and DuckDB (same files, same schema and
// primary keys); load time per table and the 22 queries (one warm-up, then the median of N runs).
// Tessera's and PGlite's answers are checked against PostgreSQL's reference answers; DuckDB's are
// only counted (its text rendering of decimals and averages differs). Report: bench/results/embedded-sf<N>.{md,json}.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execSync } from 'child_process';
import { pipeline } from 'stream/promises';
import { compareAnswer } from '../tpch/compare-answers';
import { TABLES, sharedDir, tableFile, tableStream } from '../tpch/data-source';
import { machineDescription } from '../tpch/report';
import { queryNames, querySql } from '../tpch/run-queries';
import { DuckDbEngine, Engine, PgliteEngine, QueryAnswer, TesseraEngine } from './engines';

interface Options {
  sf: string;
  runs: number;
  engines: string[];
  out: string;
}

interface EngineResult {
  engine: string;
  loadSeconds: Record<string, number>;
  queries: { query: string; medianMs: number; rows: number; valid: string }[];
}

const repoRoot = path.resolve(__dirname, '../../..');
const LONG_QUERY_MS = 30_000;

function parseArgs(argv: string[]): Options {
  const o: Options = { sf: '0.1', runs: 1, engines: ['tessera', 'pglite', 'duckdb'], out: path.join(repoRoot, 'bench/results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sf') o.sf = String(Number(argv[++i]));
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--engines') o.engines = argv[++i].split(',');
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${a} (use --sf N --runs N --engines a,b --out DIR)`);
  }
  return o;
}

/** Plain '|'-delimited copies of the tables (trailing bar stripped, gunzipped), made once, untimed. */
async function prepareFiles(sf: string, dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const table of TABLES) {
    const src = tableFile(sf, table);
    if (src === null) throw new Error(`no data for ${table} at SF ${sf}`);
    const dst = path.join(dir, `${table}.tbl`);
    await pipeline(tableStream(src), fs.createWriteStream(dst));
    files.set(table, dst);
  }
  return files;
}

function referenceAnswer(sf: string, query: string): string | null {
  const candidates = [path.join(sharedDir(), 'answers', `sf${sf}`, `${query}.out`), path.join(repoRoot, 'bench/tpch/answers', `sf${sf}`, `${query}.out`)];
  const file = candidates.find((f) => fs.existsSync(f));
  return file === undefined ? null : fs.readFileSync(file, 'utf8');
}

function psqlText(a: QueryAnswer): string {
  const lines = [a.columns.join('|')];
  for (const row of a.rows!) lines.push(row.map((v) => (v === null ? '' : String(v))).join('|'));
  return lines.join('\n') + '\n';
}

async function openEngine(name: string): Promise<Engine> {
  if (name === 'tessera') return TesseraEngine.open();
  if (name === 'pglite') return PgliteEngine.open();
  if (name === 'duckdb') return DuckDbEngine.open();
  throw new Error(`unknown engine ${name}`);
}

async function benchEngine(name: string, o: Options, files: Map<string, string>, log: (l: string) => void): Promise<EngineResult> {
  const engine = await openEngine(name);
  const result: EngineResult = { engine: engine.name, loadSeconds: {}, queries: [] };
  try {
    log(`${engine.name}: loading SF ${o.sf}`);
    await engine.exec(fs.readFileSync(path.join(repoRoot, 'bench/tpch/schema.sql'), 'utf8'));
    let start = performance.now();
    for (const table of TABLES) {
      const t0 = performance.now();
      await engine.load(table, files.get(table)!);
      result.loadSeconds[table] = (performance.now() - t0) / 1000;
    }
    // Primary keys as the TPC-H runner adds them (each engine builds its own index structures).
    for (const stmt of fs.readFileSync(path.join(repoRoot, 'bench/tpch/keys.sql'), 'utf8').split(';')) {
      if (stmt.trim() === '') continue;
      try {
        await engine.exec(stmt);
      } catch (err) {
        log(`  ${engine.name}: ${stmt.trim()} failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    result.loadSeconds.total = (performance.now() - start) / 1000;
    log(`  loaded in ${result.loadSeconds.total.toFixed(2)} s (keys included)`);
    for (const q of queryNames()) {
      const sql = querySql(q);
      const times: number[] = [];
      let answer: QueryAnswer | null = null;
      let error: string | null = null;
      try {
        for (let r = 0; r <= o.runs; r++) {
          start = performance.now();
          answer = await engine.query(sql);
          const ms = performance.now() - start;
          if (r > 0) times.push(ms);
          // A query that runs for minutes (PGlite's Q17 and Q20, which PostgreSQL can't decorrelate) is
          // timed by its first run alone: repeating it says nothing more and costs many minutes.
          else if (ms > LONG_QUERY_MS) {
            times.push(ms);
            break;
          }
        }
      } catch (err) {
        error = (err as Error).message.split('\n')[0];
      }
      times.sort((a, b) => a - b);
      const medianMs = times.length === 0 ? NaN : times[Math.floor(times.length / 2)];
      let valid: string;
      if (error !== null) valid = `error: ${error}`;
      else if (answer!.rows === null) valid = 'not compared';
      else {
        const ref = referenceAnswer(o.sf, q);
        const problem = ref === null ? 'no reference' : compareAnswer(q, ref, psqlText(answer!));
        valid = problem === null ? 'valid' : `INVALID: ${problem.split('\n')[0]}`;
      }
      result.queries.push({ query: q, medianMs, rows: answer?.rowCount ?? 0, valid });
      log(`  ${q} ${Number.isNaN(medianMs) ? '—' : medianMs.toFixed(1).padStart(10)} ms  ${valid}`);
    }
  } finally {
    await engine.close();
  }
  return result;
}

function markdown(o: Options, results: EngineResult[], commit: string): string {
  const fmt = (ms: number) => (Number.isNaN(ms) ? '—' : ms.toFixed(1));
  const tessera = results.find((r) => r.engine === 'Tessera');
  const lines = [
    `# TPC-H SF ${o.sf} in-process: ${results.map((r) => r.engine).join(' vs ')}`,
    '',
    `Machine: ${machineDescription()}. Commit ${commit}, ${new Date().toISOString().slice(0, 10)}. Each engine in the same Node process in turn, data in memory, primary keys added after the load; median of ${o.runs} run(s) after one warm-up (a query whose first run exceeds ${LONG_QUERY_MS / 1000} s is timed by that run alone). Command: \`npm run bench:embedded -- --sf ${o.sf} --runs ${o.runs}\`.`,
    '',
    `| query | ${results.map((r) => `${r.engine} ms`).join(' | ')} |${tessera ? results.filter((r) => r !== tessera).map((r) => ` ${r.engine} / Tessera |`).join('') : ''} valid (Tessera, PGlite) |`,
    `|---|${results.map(() => '---:|').join('')}${tessera ? results.filter((r) => r !== tessera).map(() => '---:|').join('') : ''}---|`,
  ];
  const totals = results.map(() => 0);
  for (let i = 0; i < 22; i++) {
    const cells = results.map((r, k) => {
      totals[k] += Number.isNaN(r.queries[i]?.medianMs) ? 0 : r.queries[i]?.medianMs ?? 0;
      return fmt(r.queries[i]?.medianMs ?? NaN);
    });
    const ratios = tessera ? results.filter((r) => r !== tessera).map((r) => (r.queries[i].medianMs / tessera.queries[i].medianMs).toFixed(2)) : [];
    const validity = results.filter((r) => r.engine !== 'DuckDB').map((r) => r.queries[i].valid).join(', ');
    lines.push(`| ${results[0].queries[i].query} | ${cells.join(' | ')} |${ratios.map((x) => ` ${x} |`).join('')} ${validity} |`);
  }
  const ti = results.indexOf(tessera!);
  lines.push(`| **total** | ${totals.map(fmt).join(' | ')} |${tessera ? results.filter((r) => r !== tessera).map((r) => ` ${(totals[results.indexOf(r)] / totals[ti]).toFixed(2)} |`).join('') : ''} |`);
  lines.push('', '## Load (seconds)', '', `| table | ${results.map((r) => r.engine).join(' | ')} |`, `|---|${results.map(() => '---:|').join('')}`);
  for (const t of [...TABLES, 'total']) lines.push(`| ${t === 'total' ? '**total incl. keys**' : t} | ${results.map((r) => r.loadSeconds[t]?.toFixed(2) ?? '—').join(' | ')} |`);
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (l: string) => console.log(l);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-embedded-bench-'));
  try {
    const files = await prepareFiles(o.sf, tmp);
    const results: EngineResult[] = [];
    for (const name of o.engines) results.push(await benchEngine(name, o, files, log));
    const commit = execSync('git rev-parse --short HEAD', { cwd: repoRoot }).toString().trim();
    const md = markdown(o, results, commit);
    fs.mkdirSync(o.out, { recursive: true });
    const base = path.join(o.out, `embedded-sf${o.sf}`);
    fs.writeFileSync(`${base}.md`, md);
    fs.writeFileSync(`${base}.json`, JSON.stringify({ sf: o.sf, runs: o.runs, commit, machine: machineDescription(), results }, null, 2));
    log('\n' + md);
    if (results.some((r) => r.queries.some((q) => q.valid.startsWith('INVALID') && r.engine === 'Tessera'))) process.exitCode = 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:embedded: ${(err as Error).stack}`);
  process.exit(1);
});
