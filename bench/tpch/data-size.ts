// Sizes for the TPC-H report: bytes of a data directory on disk (all files, LMDB's included) and
// of the raw .tbl files a scale factor was loaded from.
import * as fs from 'fs';
import * as path from 'path';
import { TABLES, tableFile } from './data-source';

export function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) bytes += directoryBytes(p);
    // Allocated blocks, not the apparent size: LMDB's map file is sparse.
    else if (e.isFile()) bytes += fs.statSync(p).blocks * 512;
  }
  return bytes;
}

/** Bytes of the plain .tbl files of a scale factor (null when any is missing or gzipped). */
export function rawTblBytes(sf: string): number | null {
  let bytes = 0;
  for (const t of TABLES) {
    const f = tableFile(sf, t);
    if (f === null || f.endsWith('.gz')) return null;
    bytes += fs.statSync(f).size;
  }
  return bytes;
}
