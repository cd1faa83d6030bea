// Runs .slt blocks through the real `pg` driver (simple query protocol, every value as text).
import { Client } from 'pg';
import { SltBlock } from './slt-file';

const rawText = { getTypeParser: () => (value: string) => value };

export interface SltOutcome {
  block: SltBlock;
  /** Rows as 'a|b|NULL' lines (header first when asked), or the error's SQLSTATE. */
  rows: string[] | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export async function runBlock(client: Client, block: SltBlock): Promise<SltOutcome> {
  try {
    const result = await client.query({ text: block.sql, rowMode: 'array', types: rawText } as any);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    let rows: string[] = (last.rows ?? []).map((r: unknown[]) => r.map((v) => (v === null ? 'NULL' : String(v))).join('|'));
    if (block.kind === 'query' && block.rowsort) rows = rows.slice().sort();
    if (block.kind === 'query' && block.header) rows.unshift(last.fields.map((f: { name: string }) => f.name).join('|'));
    return { block, rows, errorCode: null, errorMessage: null };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { block, rows: null, errorCode: e.code ?? 'none', errorMessage: e.message };
  }
}

/** A mismatch description, or null when the outcome is what the block expects. */
export function checkOutcome(o: SltOutcome): string | null {
  const b = o.block;
  if (b.kind === 'statement') {
    if (b.expectError === null) return o.errorCode === null ? null : `expected ok, got error ${o.errorCode}: ${o.errorMessage}`;
    if (o.errorCode === null) return `expected error ${b.expectError}, got success`;
    return o.errorCode === b.expectError ? null : `expected error ${b.expectError}, got ${o.errorCode}: ${o.errorMessage}`;
  }
  if (o.errorCode !== null) return `query failed with ${o.errorCode}: ${o.errorMessage}`;
  const got = o.rows!.join('\n');
  const want = b.expected.join('\n');
  return got === want ? null : `rows differ\n--- expected\n${want}\n--- got\n${got}`;
}
