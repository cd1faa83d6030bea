// Writes generated tables as <dir>/<table>.tbl. Each table is written to a temporary name and renamed
// when complete, and a marker file records a finished scale factor, so an interrupted run is never
// mistaken for complete data.
import * as fs from 'fs';
import * as path from 'path';
import { FAMILIES, FAMILY_TABLES } from './families';
import { generateParallel } from './parallel';

const MARKER = '.complete';

export interface Progress {
  table: string;
  rows: number;
  bytes: number;
  done: boolean;
}

/**
 * A progress printer: on a terminal one line per table rewritten in place, otherwise a plain line
 * per table when it is done and every few seconds meanwhile.
 */
export function progressPrinter(log: (line: string) => void): (p: Progress) => void {
  const start = performance.now();
  const tty = process.stdout.isTTY === true;
  let lastPlain = start;
  return (p) => {
    const mb = p.bytes / 1e6;
    const seconds = Math.max((performance.now() - start) / 1000, 1e-3);
    const line = `  ${p.table.padEnd(9)} ${String(p.rows).padStart(9)} rows ${mb.toFixed(1).padStart(8)} MB  ${(mb / seconds).toFixed(1).padStart(6)} MB/s`;
    if (tty) {
      process.stdout.write(`\r${line}\x1b[K${p.done ? '\n' : ''}`);
    } else if (p.done || performance.now() - lastPlain > 5000) {
      lastPlain = performance.now();
      log(`${line}${p.done ? '  done' : '  ...'}`);
    }
  };
}

export function allTables(): string[] {
  return FAMILIES.flatMap((f) => [...FAMILY_TABLES[f]]);
}

/** True when `dir` holds every table of scale factor `sf`, written completely by this generator. */
export function isComplete(dir: string, sf: number): boolean {
  const marker = path.join(dir, MARKER);
  if (!fs.existsSync(marker)) return false;
  try {
    const info = JSON.parse(fs.readFileSync(marker, 'utf8')) as { sf: number; sizes: Record<string, number> };
    return info.sf === sf && allTables().every((t) => fs.existsSync(path.join(dir, `${t}.tbl`)) && fs.statSync(path.join(dir, `${t}.tbl`)).size === info.sizes[t]);
  } catch {
    return false;
  }
}

export async function generateFiles(sf: number, dir: string, options: { workers?: number; onProgress?: (p: Progress) => void } = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, MARKER), { force: true });
  const fds = new Map<string, number>();
  const bytes = new Map<string, number>();
  const rowsSoFar = new Map<string, number>();
  const sizes: Record<string, number> = {};
  const tmp = (t: string) => path.join(dir, `${t}.tbl.partial`);
  for (const t of allTables()) {
    fds.set(t, fs.openSync(tmp(t), 'w'));
    bytes.set(t, 0);
  }
  try {
    await generateParallel(
      { sf, workers: options.workers },
      {
        write(table, chunk) {
          fs.writeSync(fds.get(table)!, chunk);
          bytes.set(table, bytes.get(table)! + chunk.length);
        },
        rows(table, rows) {
          rowsSoFar.set(table, rows);
          options.onProgress?.({ table, rows, bytes: bytes.get(table)!, done: false });
        },
        end(table, rows) {
          fs.closeSync(fds.get(table)!);
          fds.delete(table);
          fs.renameSync(tmp(table), path.join(dir, `${table}.tbl`));
          sizes[table] = bytes.get(table)!;
          options.onProgress?.({ table, rows, bytes: bytes.get(table)!, done: true });
        },
      },
    );
  } finally {
    for (const fd of fds.values()) fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ sf, sizes }, null, 2));
}
