// What the standby benches (standby-fetch.ts, standby-fetch-limit.ts) share: their arguments, the
// TPC-H schema and .tbl files loaded into a standby cluster's leader, and the queries' statements.
import * as fs from 'fs';
import * as path from 'path';

export const TPCH = path.resolve(__dirname, '../../../../shared/tpch');
/** Load order: lineitem first, so table ids (and the chunks' placement) stay those of the committed results. */
const TABLES = ['lineitem', 'orders', 'customer', 'nation', 'region', 'supplier', 'part', 'partsupp'];

export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** The query's statements but Q15's CREATE/DROP VIEW (DDL runs on the leader). */
export function selectOf(q: number): { view: string; select: string; drop: string } {
  const parts = fs.readFileSync(path.join(TPCH, 'queries', `q${String(q).padStart(2, '0')}.sql`), 'utf8').split(';').map((p) => p.trim()).filter((p) => p !== '');
  return {
    view: parts.filter((p) => /^create\s+view/i.test(p)).join(';\n'),
    select: parts.filter((p) => !/^(create|drop)\s+view/i.test(p)).join(';\n'),
    drop: parts.filter((p) => /^drop\s+view/i.test(p)).join(';\n'),
  };
}

/** The TPC-H schema and every table of `sfDir` (.tbl files), through the leader. */
export async function loadTpchTables(leader: { exec(sql: string): Promise<unknown>; copyFrom(table: string, text: string, options: { delimiter: string }): Promise<unknown> }, sfDir: string): Promise<void> {
  await leader.exec(fs.readFileSync(path.join(TPCH, 'schema.sql'), 'utf8'));
  for (const t of TABLES) await leader.copyFrom(t, fs.readFileSync(path.join(sfDir, `${t}.tbl`), 'utf8').replace(/\|\n/g, '\n'), { delimiter: '|' });
}
