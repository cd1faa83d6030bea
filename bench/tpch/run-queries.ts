// Runs the 22 queries over one connection: a warm-up run, then N timed runs (median reported).
// Results are rendered as psql's unaligned output so they compare with the reference answers.
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';

export interface QueryTiming {
  query: string;
  medianMs: number;
  runsMs: number[];
  rows: number;
  /** Header + rows as `psql -A -F '|'` prints them. */
  output: string;
  error: string | null;
  /** The query was canceled by the time limit (its time is then at least that limit). */
  timedOut: boolean;
  /** Where output came from when the query itself did not finish: the decorrelated rewrite's answer. */
  outputFrom: 'query' | 'decorrelated rewrite' | null;
}

export interface RunOptions {
  // runs = 0: each query runs once, cold, and that run is timed (SF 10: a warm-up run costs minutes).

  /** Cancel a query after this many seconds (statement_timeout); it is then not repeated. */
  timeoutSeconds?: number;
  /** Only these queries (names as q01..q22); absent: all 22. */
  only?: readonly string[];
  /** The scale factor (Q11's FRACTION depends on it); absent: 1. */
  sf?: number;
  /** Called before and after each query on the same connection (per-query memory measurement). */
  beforeEach?: (name: string, client: Client) => Promise<void>;
  afterEach?: (name: string, client: Client) => Promise<void>;
}

export const rawText = { getTypeParser: () => (value: string) => value };

export function queryNames(): string[] {
  return Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);
}

/**
 * The query's text. Q11's FRACTION is 0.0001 / SF (TPC-H 2.4.11.3); the file holds SF 1's, which
 * leaves no rows at SF 10, so scale factors above 1 get theirs. Below 1 the file's value stays:
 * the reference answers in ../shared/tpch (SF 0.01, 0.1) were made with it.
 */
export function querySql(name: string, sf = 1): string {
  const sql = fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/queries', `${name}.sql`), 'utf8');
  if (name !== 'q11' || sf <= 1) return sql;
  return sql.replace('0.0001000000', (0.0001 / sf).toFixed(12));
}

/** A hand-decorrelated rewrite with the same answer (Q17, Q20), used only to get a reference answer. */
export function decorrelatedSql(name: string): string | null {
  const file = path.resolve(__dirname, '../../../bench/tpch/queries-decorrelated', `${name}.sql`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

export function render(result: any): { output: string; rows: number } {
  const results = Array.isArray(result) ? result : [result];
  const withRows = results.find((r) => r.fields !== undefined && r.fields.length > 0) ?? results[0];
  const lines = [withRows.fields.map((f: { name: string }) => f.name).join('|')];
  for (const row of withRows.rows as unknown[][]) lines.push(row.map((v) => (v === null ? '' : String(v))).join('|'));
  return { output: lines.join('\n') + '\n', rows: withRows.rows.length };
}

export async function runQueries(port: number, runs: number, log: (line: string) => void, options: RunOptions = {}): Promise<QueryTiming[]> {
  const limit = options.timeoutSeconds ?? 0;
  // A connection the server ended (a cluster node's FATAL 57P01 when its leader is lost) fails its
  // query, which is reported; the next query gets a new connection instead of the run ending.
  let lost = false;
  const connect = async (): Promise<Client> => {
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    c.on('error', () => (lost = true));
    await c.connect();
    lost = false;
    if (limit > 0) await c.query(`set statement_timeout = '${limit}s'`);
    return c;
  };
  let client = await connect();
  const timings: QueryTiming[] = [];
  try {
    for (const name of queryNames().filter((q) => options.only === undefined || options.only.includes(q))) {
      if (lost) {
        await client.end().catch(() => undefined);
        client = await connect();
      }
      const sql = querySql(name, options.sf);
      await options.beforeEach?.(name, client);
      const runsMs: number[] = [];
      let rendered = { output: '', rows: 0 };
      let error: string | null = null;
      let timedOut = false;
      let outputFrom: QueryTiming['outputFrom'] = null;
      try {
        for (let r = runs === 0 ? 1 : 0; r <= Math.max(runs, 1); r++) {
          const start = performance.now();
          const result = await client.query({ text: sql, rowMode: 'array', types: rawText } as any);
          const ms = performance.now() - start;
          if (r > 0) runsMs.push(ms);
          rendered = render(result);
          outputFrom = 'query';
        }
      } catch (err) {
        if (limit > 0 && (err as { code?: string }).code === '57014') {
          timedOut = true;
          // Q15's view may be left behind by a canceled run.
          await client.query('drop view if exists revenue0').catch(() => undefined);
          const rewrite = decorrelatedSql(name);
          if (rewrite !== null) {
            await client.query('set statement_timeout = 0');
            rendered = render(await client.query({ text: rewrite, rowMode: 'array', types: rawText } as any));
            outputFrom = 'decorrelated rewrite';
            await client.query(`set statement_timeout = '${limit}s'`);
          }
        } else {
          error = (err as Error).message;
          if ((err as { code?: string }).code?.startsWith('57P') === true) lost = true;
        }
      }
      await options.afterEach?.(name, client);
      const sorted = runsMs.slice().sort((a, b) => a - b);
      const medianMs = sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
      timings.push({ query: name, medianMs, runsMs, rows: rendered.rows, output: rendered.output, error, timedOut, outputFrom });
      const what = timedOut ? `canceled after ${limit} s${outputFrom === 'decorrelated rewrite' ? ' (answer taken from the decorrelated rewrite)' : ''}` : error === null ? `${medianMs.toFixed(1).padStart(9)} ms  ${rendered.rows} rows` : `ERROR ${error}`;
      log(`  ${name}  ${what}`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return timings;
}
