// Where a scale factor's .tbl files come from: the shared reference files (SF 0.01 plain, SF 0.1
// gzipped), or bench/tpch/data/sf<N>/, written by our dbgen (bench/tpch/dbgen) on first use and reused
// once complete. Lines are streamed with the trailing '|' stripped, as COPY needs.
import * as fs from 'fs';
import * as path from 'path';
import { createGunzip } from 'zlib';
import { Transform } from 'stream';
import { generateFiles, isComplete, progressPrinter } from './dbgen/files';

export const TABLES = ['region', 'nation', 'part', 'supplier', 'partsupp', 'customer', 'orders', 'lineitem'] as const;

export function sharedDir(): string {
  return path.resolve(__dirname, '../../../../shared/tpch');
}

/** Where generated data for a scale factor lives (gitignored). */
export function generatedDir(sf: string): string {
  return path.resolve(__dirname, '../../../bench/tpch/data', `sf${sf}`);
}

/**
 * Makes sure every table of `sf` has a file: the shared ones, or generated ones (reused when a
 * previous generation finished, regenerated otherwise).
 */
export async function ensureData(sf: string, log: (line: string) => void): Promise<void> {
  const dir = generatedDir(sf);
  if (process.env.TESSERA_TPCH_TBL !== undefined && TABLES.every((t) => fs.existsSync(path.join(process.env.TESSERA_TPCH_TBL!, `${t}.tbl`)))) return;
  if (TABLES.every((t) => tableFile(sf, t) !== null && !tableFile(sf, t)!.startsWith(dir))) return;
  if (isComplete(dir, Number(sf))) {
    log(`using generated SF ${sf} data in ${dir}`);
    return;
  }
  log(`generating SF ${sf} data into ${dir}`);
  const start = performance.now();
  await generateFiles(Number(sf), dir, { onProgress: progressPrinter(log) });
  log(`generated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

/** The file holding a table at a scale factor, or null when none exists here. */
export function tableFile(sf: string, table: string): string | null {
  const candidates = [
    ...(process.env.TESSERA_TPCH_TBL !== undefined ? [path.join(process.env.TESSERA_TPCH_TBL, `${table}.tbl`)] : []),
    path.join(sharedDir(), `sf${sf}`, `${table}.tbl`),
    path.join(sharedDir(), `sf${sf}`, `${table}.tbl.gz`),
    path.resolve(__dirname, '../../../bench/tpch/data', `sf${sf}`, `${table}.tbl`),
  ];
  return candidates.find((f) => fs.existsSync(f)) ?? null;
}

/**
 * Removes the '|' that ends every dbgen line, across chunk boundaries, working on bytes (no string
 * conversion), and counts rows and bytes as they pass for progress displays.
 */
export class StripTrailingBar extends Transform {
  rows = 0;
  bytes = 0;
  private pendingBar = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let o = 0;
    // A '|' held back from the previous chunk is written unless this chunk starts a new line.
    if (this.pendingBar && chunk[0] !== 0x0a) out[o++] = 0x7c;
    this.pendingBar = false;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) break;
      const end = nl > from && chunk[nl - 1] === 0x7c ? nl - 1 : nl;
      o += chunk.copy(out, o, from, end);
      out[o++] = 0x0a;
      this.rows++;
      from = nl + 1;
    }
    let end = chunk.length;
    if (end > from && chunk[end - 1] === 0x7c) {
      this.pendingBar = true;
      end--;
    }
    o += chunk.copy(out, o, from, end);
    done(null, out.subarray(0, o));
  }

  override _flush(done: (err?: Error | null) => void): void {
    done(); // a final '|' without a newline ends the last row
  }
}

export function tableStream(file: string): StripTrailingBar {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const plain = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  return plain.pipe(new StripTrailingBar());
}
