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
}

const rawText = { getTypeParser: () => (value: string) => value };

export function queryNames(): string[] {
  return Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);
}

export function querySql(name: string): string {
  return fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/queries', `${name}.sql`), 'utf8');
}

function render(result: any): { output: string; rows: number } {
  const results = Array.isArray(result) ? result : [result];
  const withRows = results.find((r) => r.fields !== undefined && r.fields.length > 0) ?? results[0];
  const lines = [withRows.fields.map((f: { name: string }) => f.name).join('|')];
  for (const row of withRows.rows as unknown[][]) lines.push(row.map((v) => (v === null ? '' : String(v))).join('|'));
  return { output: lines.join('\n') + '\n', rows: withRows.rows.length };
}

export async function runQueries(port: number, runs: number, log: (line: string) => void): Promise<QueryTiming[]> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  const timings: QueryTiming[] = [];
  try {
    for (const name of queryNames()) {
      const sql = querySql(name);
      const runsMs: number[] = [];
      let rendered = { output: '', rows: 0 };
      let error: string | null = null;
      try {
        for (let r = 0; r <= runs; r++) {
          const start = performance.now();
          const result = await client.query({ text: sql, rowMode: 'array', types: rawText } as any);
          const ms = performance.now() - start;
          if (r > 0) runsMs.push(ms);
          rendered = render(result);
        }
      } catch (err) {
        error = (err as Error).message;
      }
      const sorted = runsMs.slice().sort((a, b) => a - b);
      const medianMs = sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
      timings.push({ query: name, medianMs, runsMs, rows: rendered.rows, output: rendered.output, error });
      log(`  ${name}  ${error === null ? `${medianMs.toFixed(1).padStart(9)} ms  ${rendered.rows} rows` : `ERROR ${error}`}`);
    }
  } finally {
    await client.end();
  }
  return timings;
}
