// Loads TPC-H tables through the wire with COPY FROM STDIN (psql's \copy reading pstdin), the same
// way for Tessera and PostgreSQL, timing each table. Data comes from .tbl files, or with `stream`
// straight from the generator (no files). Progress per table (rows, MB/s) updates in place on a
// terminal and is logged as plain lines otherwise. A schema that already holds TPC-H rows is left
// alone unless `replace` is set.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Readable, Transform } from 'stream';
import { TABLES, ensureData, tableFile, tableStream, StripTrailingBar } from './data-source';
import { FAMILIES, FAMILY_TABLES } from './dbgen/families';
import { streamFamily } from './dbgen/stream';

export interface LoadTiming {
  table: string;
  rows: number;
  seconds: number;
}

export interface LoadOptions {
  /** Drop TPC-H tables that already hold rows instead of refusing to load. */
  replace?: boolean;
  /** Generate rows and pipe them into COPY without writing .tbl files. */
  stream?: boolean;
}

export function psql(port: number, args: string[], input?: NodeJS.ReadableStream | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`psql failed (${code}): ${err}`))));
    // psql may exit (on an error) before it read all input; that is reported through its exit code.
    p.stdin.on('error', () => undefined);
    if (input === undefined) p.stdin.end();
    else if (typeof input === 'string') p.stdin.end(input);
    else input.pipe(p.stdin);
  });
}

/** Row counts of the TPC-H tables that exist on the server (absent tables are left out). */
export async function existingTables(port: number): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const table of TABLES) {
    try {
      found.set(table, Number((await psql(port, ['-At', '-c', `select count(*) from ${table}`])).trim()));
    } catch {
      // no such table
    }
  }
  return found;
}

/** Prepares an empty TPC-H schema, refusing to drop rows unless asked to. */
async function prepareSchema(port: number, replace: boolean, log: (line: string) => void): Promise<void> {
  const existing = await existingTables(port);
  const filled = [...existing].filter(([, rows]) => rows > 0);
  if (filled.length > 0 && !replace) {
    const list = filled.map(([t, rows]) => `${t} (${rows} rows)`).join(', ');
    throw new Error(`the database already holds TPC-H data: ${list}; refusing to load over it (use --replace to drop and reload these tables)`);
  }
  if (existing.size > 0) {
    if (filled.length > 0) log(`dropping existing TPC-H tables: ${[...existing.keys()].join(', ')}`);
    await psql(port, [], [...existing.keys()].map((t) => `DROP TABLE ${t};`).join('\n'));
  }
  const dir = path.resolve(__dirname, '../../../bench/tpch');
  await psql(port, [], fs.readFileSync(path.join(dir, 'schema.sql'), 'utf8'));
}

type Counts = () => { rows: number; bytes: number };

/**
 * Progress of the tables being copied: on a terminal one line rewritten in place (tables copied
 * together share it), otherwise a plain line per table every few seconds and when it ends.
 */
class ProgressBoard {
  private readonly tty = process.stdout.isTTY === true;
  private readonly active = new Map<string, { counts: Counts; start: number }>();
  private lastPlain = performance.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: (line: string) => void) {}

  private text(table: string, long: boolean): string {
    const { counts, start } = this.active.get(table)!;
    const { rows, bytes } = counts();
    const s = Math.max((performance.now() - start) / 1000, 1e-3);
    const mbs = (bytes / 1e6 / s).toFixed(1);
    if (!long) return `${table} ${rows} rows ${mbs} MB/s`;
    return `  ${table.padEnd(9)} ${String(rows).padStart(9)} rows  ${(bytes / 1e6).toFixed(1).padStart(7)} MB  ${Math.round(rows / s).toString().padStart(8)} rows/s  ${mbs.padStart(6)} MB/s`;
  }

  private tick(): void {
    if (this.tty) {
      const tables = [...this.active.keys()];
      const line = tables.length === 1 ? this.text(tables[0], true) : `  ${tables.map((t) => this.text(t, false)).join('  |  ')}`;
      process.stdout.write(`\r${line}\x1b[K`);
    } else if (performance.now() - this.lastPlain >= 5000) {
      this.lastPlain = performance.now();
      for (const t of this.active.keys()) this.log(`${this.text(t, true)}  ...`);
    }
  }

  add(table: string, counts: Counts): void {
    this.active.set(table, { counts, start: performance.now() });
    this.lastPlain = performance.now();
    this.timer ??= setInterval(() => this.tick(), this.tty ? 250 : 1000);
  }

  finish(table: string, suffix: string): void {
    if (this.tty) process.stdout.write(`\r\x1b[K`);
    this.log(`${this.text(table, true)}  ${suffix}`);
    this.active.delete(table);
    if (this.active.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/** Counts rows (newlines) and bytes of a stream passing through. */
class Counter extends Transform {
  rows = 0;
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) this.rows++;
    done(null, chunk);
  }
}

async function copyTable(port: number, table: string, input: Readable, counts: Counts, board: ProgressBoard): Promise<LoadTiming> {
  const start = performance.now();
  board.add(table, counts);
  try {
    await psql(port, ['-c', `\\copy ${table} from pstdin with (delimiter '|')`], input);
  } catch (err) {
    board.finish(table, 'failed');
    throw err;
  }
  const seconds = (performance.now() - start) / 1000;
  board.finish(table, `${seconds.toFixed(2)} s`);
  const rows = Number((await psql(port, ['-At', '-c', `select count(*) from ${table}`])).trim());
  return { table, rows, seconds };
}

export async function loadTpch(port: number, sf: string, log: (line: string) => void, options: LoadOptions = {}): Promise<LoadTiming[]> {
  if (!options.stream) await ensureData(sf, log);
  await prepareSchema(port, options.replace === true, log);
  const timings: LoadTiming[] = [];
  const board = new ProgressBoard(log);
  if (options.stream) {
    // A family's tables are generated together, so they are copied concurrently.
    for (const family of FAMILIES) {
      const { streams, done } = streamFamily(Number(sf), family);
      const copies = FAMILY_TABLES[family].map((table) => {
        const counter = streams.get(table)!.pipe(new Counter());
        return copyTable(port, table, counter, () => counter, board);
      });
      try {
        const results = await Promise.all([...copies, done]);
        for (const r of results) if (r !== undefined) timings.push(r);
      } catch (err) {
        // A failed COPY stops reading; end generation instead of waiting on it forever.
        for (const s of streams.values()) s.destroy();
        await done.catch(() => undefined);
        throw err;
      }
    }
  } else {
    for (const table of TABLES) {
      const file = tableFile(sf, table);
      if (file === null) throw new Error(`no data for ${table} at SF ${sf}`);
      const input: StripTrailingBar = tableStream(file);
      timings.push(await copyTable(port, table, input, () => input, board));
    }
  }
  await psql(port, [], fs.readFileSync(path.resolve(__dirname, '../../../bench/tpch/keys.sql'), 'utf8'));
  return TABLES.map((t) => timings.find((x) => x.table === t)!);
}
