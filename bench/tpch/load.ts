// Loads TPC-H tables through the wire with COPY FROM STDIN (psql's \copy reading pstdin), the same
// way for Tessera and PostgreSQL, timing each table.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TABLES, tableFile, tableStream } from './data-source';

export interface LoadTiming {
  table: string;
  rows: number;
  seconds: number;
}

export function psql(port: number, args: string[], input?: NodeJS.ReadableStream | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`psql failed (${code}): ${err}`))));
    if (input === undefined) p.stdin.end();
    else if (typeof input === 'string') p.stdin.end(input);
    else input.pipe(p.stdin);
  });
}

export async function loadTpch(port: number, sf: string, log: (line: string) => void): Promise<LoadTiming[]> {
  const dir = path.resolve(__dirname, '../../../bench/tpch');
  await psql(port, [], fs.readFileSync(path.join(dir, 'schema.sql'), 'utf8'));
  const timings: LoadTiming[] = [];
  for (const table of TABLES) {
    const file = tableFile(sf, table);
    if (file === null) throw new Error(`no data for ${table} at SF ${sf} (the generator is not built yet; SF 0.01 and 0.1 come from ../shared/tpch)`);
    const start = performance.now();
    const out = await psql(port, ['-c', `\\copy ${table} from pstdin with (delimiter '|')`], tableStream(file));
    void out;
    const seconds = (performance.now() - start) / 1000;
    const rows = Number((await psql(port, ['-At', '-c', `select count(*) from ${table}`])).trim());
    timings.push({ table, rows, seconds });
    log(`  ${table.padEnd(9)} ${String(rows).padStart(9)} rows  ${seconds.toFixed(2)} s  ${Math.round(rows / seconds)} rows/s`);
  }
  await psql(port, [], fs.readFileSync(path.join(dir, 'keys.sql'), 'utf8'));
  return timings;
}
