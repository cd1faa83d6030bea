// Where a scale factor's .tbl files come from: the shared reference files (SF 0.01 plain, SF 0.1
// gzipped), or bench/tpch/data/sf<N>/ for data produced by a generator. Lines are streamed with the
// trailing '|' stripped, as COPY needs.
import * as fs from 'fs';
import * as path from 'path';
import { createGunzip } from 'zlib';
import { Readable, Transform } from 'stream';

export const TABLES = ['region', 'nation', 'part', 'supplier', 'partsupp', 'customer', 'orders', 'lineitem'] as const;

export function sharedDir(): string {
  return path.resolve(__dirname, '../../../../shared/tpch');
}

/** The file holding a table at a scale factor, or null when none exists here. */
export function tableFile(sf: string, table: string): string | null {
  const candidates = [
    path.join(sharedDir(), `sf${sf}`, `${table}.tbl`),
    path.join(sharedDir(), `sf${sf}`, `${table}.tbl.gz`),
    path.resolve(__dirname, '../../../bench/tpch/data', `sf${sf}`, `${table}.tbl`),
  ];
  return candidates.find((f) => fs.existsSync(f)) ?? null;
}

/** Removes the '|' that ends every dbgen line, across chunk boundaries. */
function stripTrailingBar(): Transform {
  let carry = '';
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = carry + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      done(null, Buffer.from(text.slice(0, cut).replace(/\|\n/g, '\n'), 'latin1'));
    },
    flush(done) {
      done(null, Buffer.from(carry.replace(/\|$/, ''), 'latin1'));
    },
  });
}

export function tableStream(file: string): Readable {
  const raw = fs.createReadStream(file);
  const plain = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  return plain.pipe(stripTrailingBar());
}
