// npm run tpch -- --sf 0.1 [--runs 3] [--compare-postgres [--postgres-timeout S]] [--stream] [--replace]
//                 [--data DIR] [--queries 21,22] [-c name=value ...]
// --data keeps Tessera's data directory (a later run with the same DIR reuses the loaded tables);
// -c passes a server setting (e.g. -c max_parallel_workers=0 for serial execution). --runs 0 times
// one cold run per query (no warm-up); --save-answers DIR writes Tessera's answers there. --tbl DIR reads the .tbl files from DIR instead (SF 10 in /tmp).
// The report names the settings, the server's peak memory during the load and the queries, and the
// data directory's bytes on disk against the raw .tbl bytes.
// Data for SF 0.01 and 0.1 comes from ../shared/tpch; other scale factors are generated once by
// bench/tpch/dbgen into bench/tpch/data/sf<N> (or, with --stream, piped from the generator into COPY).
// Loads a scale factor into a fresh Tessera server (and, when asked, a fresh PostgreSQL 15), runs the
// 22 queries, validates every answer (against the reference answers at SF 0.01, and cell by cell
// against PostgreSQL's with --compare-postgres), and writes a report under bench/results/ with the
// server's peak memory (RSS) during the queries and the machine's load average when they started.
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { startTestServer, freePort } from '../../test/helpers/test-server';
import { compareAnswer } from './compare-answers';
import { ensureData, sharedDir } from './data-source';
import { existingTables, loadTpch, LoadTiming } from './load';
import { postgresInstalled, startPostgres } from './postgres-instance';
import { Report, machineDescription, markdown, svgChart } from './report';
import { QueryTiming, runQueries } from './run-queries';
import { PeakMemory } from './peak-memory';
import type { AnswerSource } from './reference-answers';
import { QueryMemory } from './report';
import { directoryBytes, rawTblBytes } from './data-size';

interface Options {
  sf: string;
  runs: number;
  comparePostgres: boolean;
  out: string;
  stream: boolean;
  replace: boolean;
  /** PostgreSQL's queries are canceled after this many seconds (Q17 and Q20 run for hours at SF 1). */
  postgresTimeout: number;
  /** Tessera's data directory, kept and reused when it already holds the tables (null: a temporary one). */
  data: string | null;
  settings: Record<string, string>;
  /** Where Tessera's answers are written, one <query>.out each (null: not written). */
  saveAnswers: string | null;
  /** --queries 21,22: only these (the report then lists only them). */
  queries: string[] | undefined;
  /** --answers DIR: the reference answers (e.g. PostgreSQL's at SF 10 from reference-answers.ts). */
  answers: string | null;
  /** --memory-per-query: each query's peak RSS, anonymous RSS and parallel workers' memory. */
  memoryPerQuery: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sf: '0.01', runs: 3, comparePostgres: false, out: path.resolve(__dirname, '../../../bench/results'), stream: false, replace: false, postgresTimeout: 600, data: null, settings: {}, saveAnswers: null, queries: undefined, answers: null, memoryPerQuery: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sf') o.sf = String(Number(argv[++i]));
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--compare-postgres') o.comparePostgres = true;
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--stream') o.stream = true;
    else if (a === '--replace') o.replace = true;
    else if (a === '--postgres-timeout') o.postgresTimeout = Number(argv[++i]);
    else if (a === '--data') o.data = path.resolve(argv[++i]);
    else if (a === '--save-answers') o.saveAnswers = path.resolve(argv[++i]);
    else if (a === '--tbl') process.env.TESSERA_TPCH_TBL = path.resolve(argv[++i]);
    else if (a === '--answers') o.answers = path.resolve(argv[++i]);
    else if (a === '--memory-per-query') o.memoryPerQuery = true;
    else if (a === '--queries') o.queries = argv[++i].split(',').map((q) => `q${q.replace(/^q/, '').padStart(2, '0')}`);
    else if (a === '-c') {
      const [k, ...v] = argv[++i].split('=');
      o.settings[k] = v.join('=');
    }
    else throw new Error(`unknown option ${a} (use --sf N --runs N --compare-postgres --postgres-timeout S --out DIR --stream --replace --data DIR -c name=value --tbl DIR --save-answers DIR --queries 21,22 --answers DIR --memory-per-query)`);
  }
  return o;
}

/**
 * Hooks measuring each query's memory: the process's peak RSS (VmHWM, reset per query) and peak
 * anonymous RSS (sampled every 100 ms; without LMDB's mapped file pages), and the parallel
 * workers' largest heap and array buffers (tessera_parallel_workers(true): reset per query).
 */
function perQueryMemory(pid: number | undefined, into: Map<string, QueryMemory>, log: (line: string) => void) {
  let peak: PeakMemory | null = null;
  const workers = async (client: Client) => (await client.query('select sum(peak_heap_total_bytes)::float8 as heap, sum(peak_array_buffer_bytes)::float8 as buffers, sum(peak_external_bytes - peak_array_buffer_bytes)::float8 as other from tessera_parallel_workers(true) where worker > 0')).rows[0];
  const main = async (client: Client) => (await client.query('select heap_total_bytes::float8 as heap, external_bytes::float8 as external from tessera_parallel_workers() where worker = 0')).rows[0];
  const pool = async (client: Client) => Number((await client.query('select resident_bytes from tessera_buffer_stats()')).rows[0].resident_bytes);
  return {
    beforeEach: async (_name: string, client: Client) => {
      await workers(client);
      peak = new PeakMemory(pid);
    },
    afterEach: async (name: string, client: Client) => {
      const rss = peak!.stop();
      const w = await workers(client);
      const t = await main(client);
      const m: QueryMemory = { peakRssBytes: rss, peakAnonBytes: peak!.peakAnonBytes(), workersHeapBytes: w.heap ?? 0, workersBuffersBytes: (w.buffers ?? 0) + (w.other ?? 0), mainHeapBytes: t.heap, mainExternalBytes: t.external, poolResidentBytes: await pool(client) };
      into.set(name, m);
      log(`  ${name} memory: peak RSS ${mib(m.peakRssBytes)} MiB, anonymous ${mib(m.peakAnonBytes)} MiB, workers' heaps ${mib(m.workersHeapBytes)} MiB + external ${mib(m.workersBuffersBytes)} MiB; after it: main heap ${mib(t.heap)} MiB, main external ${mib(t.external)} MiB, pool resident ${mib(m.poolResidentBytes!)} MiB`);
    },
  };
}

const mib = (b: number | null) => (b === null ? '?' : (b / 2 ** 20).toFixed(0));

function validity(name: string, got: QueryTiming, reference: string | null): string {
  if (got.error !== null) return `error: ${got.error}`;
  if (reference === null) return 'not checked';
  const problem = compareAnswer(name, reference, got.output);
  return problem === null ? 'valid' : `INVALID: ${problem.split('\n')[0]}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  if (o.comparePostgres && !postgresInstalled()) throw new Error('--compare-postgres needs PostgreSQL 15 at /usr/lib/postgresql/15/bin (apt-get install postgresql-15)');
  if (!o.stream) await ensureData(o.sf, log);
  log(`TPC-H SF ${o.sf}: loading Tessera${o.stream ? ' (streaming from the generator)' : ''}`);
  if (o.data !== null) fs.mkdirSync(o.data, { recursive: true });
  const server = await startTestServer({ settings: { buffer_pool_size: '2GB', ...o.settings }, dataDir: o.data ?? undefined, startTimeoutMs: 300000 });
  let tLoad: LoadTiming[];
  let tQueries: QueryTiming[];
  let peakRss: number | null = null;
  let loadPeakRss: number | null = null;
  let loadAverage = 0;
  const queryMemory = new Map<string, QueryMemory>();
  try {
    const existing = o.data === null || o.replace ? new Map<string, number>() : await existingTables(server.port);
    if (existing.size === 8 && [...existing.values()].every((n) => n > 0)) {
      log(`reusing the tables loaded in ${o.data}`);
      tLoad = [];
    } else {
      const loadMemory = new PeakMemory(server.pid);
      try {
        tLoad = await loadTpch(server.port, o.sf, log, { stream: o.stream, replace: o.replace });
      } finally {
        loadPeakRss = loadMemory.stop();
      }
      if (loadPeakRss !== null) log(`peak server memory (RSS) during the load: ${(loadPeakRss / 2 ** 20).toFixed(0)} MiB`);
    }
    log('running queries on Tessera');
    loadAverage = os.loadavg()[0];
    const memory = new PeakMemory(server.pid);
    try {
      tQueries = await runQueries(server.port, o.runs, log, { only: o.queries, sf: Number(o.sf), ...(o.memoryPerQuery ? perQueryMemory(server.pid, queryMemory, log) : {}) });
    } finally {
      peakRss = memory.stop();
    }
    if (o.memoryPerQuery) peakRss = Math.max(peakRss ?? 0, ...[...queryMemory.values()].map((m) => m.peakRssBytes ?? 0));
    if (peakRss !== null) log(`peak server memory (RSS) during the queries: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await server.stop();
  }
  if (o.saveAnswers !== null) {
    fs.mkdirSync(o.saveAnswers, { recursive: true });
    for (const q of tQueries) fs.writeFileSync(path.join(o.saveAnswers, `${q.query}.out`), q.error === null ? q.output : `ERROR ${q.error}\n`);
  }
  let pLoad: LoadTiming[] | null = null;
  let pQueries: QueryTiming[] | null = null;
  if (o.comparePostgres) {
    const pg = startPostgres(await freePort());
    try {
      log('loading PostgreSQL 15');
      pLoad = await loadTpch(pg.port, o.sf, log, { stream: o.stream, replace: o.replace });
      log('running queries on PostgreSQL 15');
      pQueries = await runQueries(pg.port, o.runs, log, { timeoutSeconds: o.postgresTimeout, only: o.queries, sf: Number(o.sf) });
    } finally {
      pg.stop();
    }
  }
  // Reference answers: the shared ones (PostgreSQL 15.18, SF 0.01), or ones saved by an earlier
  // --compare-postgres run under bench/tpch/answers/sf<N>/ in the same psql format.
  const savedDir = path.resolve(__dirname, '../../../bench/tpch/answers', `sf${o.sf}`);
  const sharedAnswers = path.join(sharedDir(), 'answers', `sf${o.sf}`);
  const answersDir = o.answers ?? (fs.existsSync(sharedAnswers) ? sharedAnswers : savedDir);
  const sourcesFile = path.join(answersDir, 'sources.json');
  const sources: Record<string, AnswerSource> = fs.existsSync(sourcesFile) ? JSON.parse(fs.readFileSync(sourcesFile, 'utf8')) : {};
  if (pQueries !== null && !fs.existsSync(sharedAnswers) && pQueries.every((q) => q.error === null && q.outputFrom !== null)) {
    fs.mkdirSync(savedDir, { recursive: true });
    for (const q of pQueries) fs.writeFileSync(path.join(savedDir, `${q.query}.out`), q.output);
    log(`saved PostgreSQL's answers as references in ${savedDir}`);
  }
  const report: Report = {
    sf: o.sf,
    runs: o.runs,
    commit: execSync('git rev-parse --short HEAD', { cwd: __dirname }).toString().trim(),
    machine: machineDescription(),
    date: new Date().toISOString().slice(0, 10),
    tesseraPeakRssBytes: peakRss,
    tesseraLoadPeakRssBytes: loadPeakRss,
    settings: { buffer_pool_size: '2GB', ...o.settings },
    storedBytes: o.data === null ? null : directoryBytes(o.data),
    rawTblBytes: rawTblBytes(o.sf),
    loadAverage,
    load: tLoad.map((l, i) => ({ table: l.table, rows: l.rows, tesseraSeconds: l.seconds, postgresSeconds: pLoad?.[i].seconds ?? null })),
    rows: tQueries.map((q, i) => {
      const answerFile = path.join(answersDir, `${q.query}.out`);
      const pq = pQueries?.[i];
      const reference = pq !== undefined && pq.error === null && pq.outputFrom !== null ? pq.output : fs.existsSync(answerFile) ? fs.readFileSync(answerFile, 'utf8') : null;
      const valid = validity(q.query, q, reference) + (pq?.outputFrom === 'decorrelated rewrite' ? ' (reference: decorrelated rewrite)' : '');
      const postgresMs = pq === undefined ? null : pq.timedOut ? o.postgresTimeout * 1000 : pq.medianMs;
      const source = sources[q.query];
      const checkedAgainst = reference === null ? undefined : source !== undefined ? `PostgreSQL 15, ${source.from === 'query' ? 'the same query' : 'its decorrelated rewrite'} (${(source.ms / 1000).toFixed(1)} s)` : o.answers !== null ? `answers in ${o.answers}` : undefined;
      return { query: q.query, tesseraMs: q.medianMs, postgresMs, postgresTimedOut: pq?.timedOut ?? false, rows: q.rows, valid, checkedAgainst, memory: queryMemory.get(q.query) };
    }),
  };
  fs.mkdirSync(o.out, { recursive: true });
  const base = path.join(o.out, `tpch-sf${o.sf}${o.comparePostgres ? '-vs-postgres' : ''}`);
  fs.writeFileSync(`${base}.md`, markdown(report));
  fs.writeFileSync(`${base}.svg`, svgChart(report));
  fs.writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  const valid = report.rows.filter((r) => r.valid.startsWith('valid')).length;
  const unchecked = report.rows.filter((r) => r.valid === 'not checked').length;
  log(`\n${valid} of ${report.rows.length} valid${unchecked > 0 ? `, ${unchecked} not checked (no reference answers: run once with --compare-postgres)` : ''}; report: ${base}.md`);
  log(markdown(report));
  if (report.rows.some((r) => r.valid.startsWith('INVALID') || r.valid.startsWith('error'))) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`tpch: ${(err as Error).message}`);
  process.exit(1);
});
