// sqllogictest-style files (after DuckDB's test/sql and DataFusion's .slt): blocks of
//   statement ok | statement error <SQLSTATE>   followed by SQL
//   query [rowsort]                            followed by SQL, '----', expected rows
// Rows are cells joined by '|', NULL as 'NULL'. Blocks are separated by blank lines; '#' starts a comment.
import * as fs from 'fs';

export type SltBlock =
  | { kind: 'statement'; sql: string; expectError: string | null; line: number }
  | { kind: 'query'; sql: string; rowsort: boolean; expected: string[]; line: number; header: boolean };

export function parseSlt(text: string): SltBlock[] {
  const lines = text.split('\n');
  const blocks: SltBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const start = i + 1;
    const words = line.split(/\s+/);
    i++;
    const sqlLines: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && lines[i].trim() !== '----') sqlLines.push(lines[i++]);
    const sql = sqlLines.join('\n');
    if (words[0] === 'statement') {
      blocks.push({ kind: 'statement', sql, expectError: words[1] === 'error' ? words[2] ?? '' : null, line: start });
      continue;
    }
    if (words[0] !== 'query') throw new Error(`line ${start}: expected 'statement' or 'query', got '${line}'`);
    const expected: string[] = [];
    if (lines[i]?.trim() === '----') {
      i++;
      while (i < lines.length && lines[i] !== '') expected.push(lines[i++]);
    }
    blocks.push({ kind: 'query', sql, rowsort: words.includes('rowsort'), header: words.includes('header'), expected, line: start });
  }
  return blocks;
}

export function formatSlt(blocks: SltBlock[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.kind === 'statement') out.push(`statement ${b.expectError === null ? 'ok' : `error ${b.expectError}`}\n${b.sql}\n`);
    else out.push(`query${b.rowsort ? ' rowsort' : ''}${b.header ? ' header' : ''}\n${b.sql}\n----\n${b.expected.join('\n')}${b.expected.length ? '\n' : ''}`);
  }
  return out.join('\n');
}

export function readSlt(file: string): SltBlock[] {
  return parseSlt(fs.readFileSync(file, 'utf8'));
}
