// node dist/bench/tpch/reference-answers.js --port N [--host H] [--database D] --sf N --out DIR
//        [--rewrite q17,q20] [--queries q01,q02] [--timeout S]
// node dist/bench/tpch/reference-answers.js --port N [--database D] --sf N --prove-rewrites [--timeout S]
// PostgreSQL 15's answers to the 22 queries on an already loaded PostgreSQL (SF 10 has no published
// answers): each <query>.out in psql's unaligned format (what compare-answers.ts reads), and
// sources.json saying where each came from and how long PostgreSQL took. The queries listed in
// --rewrite are answered by their hand-decorrelated rewrite (queries-decorrelated/), which
// PostgreSQL finishes where it cannot finish the original (it re-runs the correlated subquery per
// outer row). --prove-rewrites runs each query that has a rewrite both ways on the same database
// and checks the answers are equal under compare-answers.ts's rules (exit 1 when they differ).
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { compareAnswer } from './compare-answers';
import { decorrelatedSql, queryNames, querySql, rawText, render } from './run-queries';

export interface AnswerSource {
  /** 'query': the TPC-H text itself; 'decorrelated rewrite': queries-decorrelated/<query>.sql. */
  from: 'query' | 'decorrelated rewrite';
  ms: number;
  rows: number;
}

interface Options {
  port: number;
  host: string;
  database: string;
  sf: number;
  out: string;
  rewrite: string[];
  only: string[];
  timeout: number;
  prove: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { port: 0, host: '127.0.0.1', database: 'postgres', sf: 1, out: '', rewrite: [], only: queryNames(), timeout: 0, prove: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--database') o.database = argv[++i];
    else if (a === '--sf') o.sf = Number(argv[++i]);
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--rewrite') o.rewrite = argv[++i].split(',');
    else if (a === '--queries') o.only = argv[++i].split(',');
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--prove-rewrites') o.prove = true;
    else throw new Error(`unknown option ${a} (use --port N --host H --database D --sf N --out DIR --rewrite q17,q20 --queries q01 --timeout S --prove-rewrites)`);
  }
  if (!(o.port > 0) || (!o.prove && o.out === '')) throw new Error('--port and --out (or --prove-rewrites) are required');
  return o;
}

async function timed(client: Client, sql: string): Promise<{ output: string; rows: number; ms: number }> {
  const start = performance.now();
  const result = await client.query({ text: sql, rowMode: 'array', types: rawText } as any);
  return { ...render(result), ms: performance.now() - start };
}

function rewriteOf(name: string): string {
  const sql = decorrelatedSql(name);
  if (sql === null) throw new Error(`${name} has no decorrelated rewrite in bench/tpch/queries-decorrelated`);
  return sql;
}

async function saveAnswers(client: Client, o: Options): Promise<void> {
  fs.mkdirSync(o.out, { recursive: true });
  const sourcesFile = path.join(o.out, 'sources.json');
  const sources: Record<string, AnswerSource> = fs.existsSync(sourcesFile) ? JSON.parse(fs.readFileSync(sourcesFile, 'utf8')) : {};
  for (const name of o.only) {
    const from = o.rewrite.includes(name) ? 'decorrelated rewrite' : 'query';
    const r = await timed(client, from === 'query' ? querySql(name, o.sf) : rewriteOf(name));
    // Q15 creates and drops a view: render() keeps the statement that returned rows.
    fs.writeFileSync(path.join(o.out, `${name}.out`), r.output);
    sources[name] = { from, ms: Math.round(r.ms), rows: r.rows };
    fs.writeFileSync(sourcesFile, JSON.stringify(sources, null, 2) + '\n');
    console.log(`${name}  ${(r.ms / 1000).toFixed(1).padStart(8)} s  ${String(r.rows).padStart(6)} rows  (${from})`);
  }
}

async function proveRewrites(client: Client, o: Options): Promise<boolean> {
  let ok = true;
  for (const name of o.only.filter((q) => decorrelatedSql(q) !== null)) {
    const original = await timed(client, querySql(name, o.sf));
    const rewrite = await timed(client, rewriteOf(name));
    const problem = compareAnswer(name, original.output, rewrite.output);
    // An answer with no rows, or only NULL cells (Q17 at SF 0.01: no lineitem qualifies), agrees
    // with any rewrite that also finds nothing: reported, and not counted as a proof.
    const empty = original.output.trim().split('\n').slice(1).every((line) => line.split('|').every((cell) => cell === ''));
    if (problem !== null || empty) ok = false;
    const verdict = problem !== null ? `DIFFER: ${problem.split('\n')[0]}` : empty ? 'same, but no rows or only NULLs (proves nothing)' : 'same answer';
    console.log(`${name} SF ${o.sf}: original ${original.ms.toFixed(0)} ms, rewrite ${rewrite.ms.toFixed(0)} ms, ${original.rows} rows: ${verdict}`);
    console.log(`  ${original.output.trim().split('\n').slice(1, 4).join(' / ')}${original.rows > 3 ? ' / …' : ''}`);
  }
  return ok;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const client = new Client({ host: o.host, port: o.port, user: 'postgres', database: o.database });
  await client.connect();
  try {
    await client.query(`set statement_timeout = '${o.timeout}s'`);
    if (o.prove) {
      if (!(await proveRewrites(client, o))) process.exitCode = 1;
    } else await saveAnswers(client, o);
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`reference-answers: ${(err as Error).message}`);
  process.exit(1);
});
