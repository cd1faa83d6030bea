// Single-threaded generation of whole tables into files (used by tests and small scale factors).
import * as fs from 'fs';
import * as path from 'path';
import { FAMILIES, FAMILY_TABLES, familyRows, generateRange } from './families';
import { scaleFor } from './scale';
import { textPool } from './text';
import { RowWriter } from './writer';

export function generateSingle(sf: number, dir: string): void {
  const scale = scaleFor(sf);
  const pool = textPool();
  fs.mkdirSync(dir, { recursive: true });
  for (const family of FAMILIES) {
    const fds = FAMILY_TABLES[family].map((t) => fs.openSync(path.join(dir, `${t}.tbl`), 'w'));
    const writers = fds.map((fd) => new RowWriter((chunk) => fs.writeSync(fd, chunk)));
    generateRange(family, scale, pool, 1, familyRows(family, scale), writers);
    writers.forEach((w) => w.flush());
    fds.forEach((fd) => fs.closeSync(fd));
  }
}

if (require.main === module) {
  const t0 = Date.now();
  generateSingle(Number(process.argv[2]), process.argv[3]);
  console.log(`${(Date.now() - t0) / 1000} s`);
}
