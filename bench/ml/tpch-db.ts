// An embedded TPC-H database for the learned-optimizer benchmarks: loaded once into a data
// directory (':memory:' or a path) and reused when that directory already holds the tables.
import * as fs from 'fs';
import * as path from 'path';
import { open } from '../../src/index';
import { EmbeddedDatabase, OpenSettings } from '../../src/embedded/embedded-database';
import { TABLES, tableFile, tableStream } from '../tpch/data-source';

const repoRoot = path.resolve(__dirname, '../../..');

export function statements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Where a scale factor's .tbl files are: ours, the shared ones, or SF 1's in the main worktree (read only). */
function dataFile(sf: string, table: string): string | null {
  const own = tableFile(sf, table);
  if (own !== null) return own;
  const main = path.join('/work/main/bench/tpch/data', `sf${sf}`, `${table}.tbl`);
  return fs.existsSync(main) ? main : null;
}

export async function openTpch(sf: string, dir: string, settings: OpenSettings, log: (line: string) => void): Promise<EmbeddedDatabase> {
  const reuse = dir !== ':memory:' && fs.existsSync(path.join(dir, 'tpch-loaded'));
  const db = await open(dir, settings);
  if (reuse) {
    log(`reusing TPC-H SF ${sf} in ${dir}`);
    return db;
  }
  log(`loading TPC-H SF ${sf}${dir === ':memory:' ? '' : ` into ${dir}`}`);
  const t0 = performance.now();
  await db.exec(fs.readFileSync(path.join(repoRoot, 'bench/tpch/schema.sql'), 'utf8'));
  for (const t of TABLES) {
    const f = dataFile(sf, t);
    if (f === null) throw new Error(`no data for ${t} at SF ${sf} (generate it with npm run tpch:gen)`);
    await db.copyFrom(t, tableStream(f), { delimiter: '|' });
  }
  for (const stmt of statements(fs.readFileSync(path.join(repoRoot, 'bench/tpch/keys.sql'), 'utf8'))) await db.exec(stmt);
  await db.exec('analyze');
  if (dir !== ':memory:') fs.writeFileSync(path.join(dir, 'tpch-loaded'), `sf ${sf}\n`);
  log(`loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return db;
}
