// The SQL front door: PostgreSQL's own grammar (libpg-query, compiled to WASM) turns text into the
// PostgreSQL AST as JSON. Everything after this works on that AST.
import { SqlError, SqlState } from '../types/sql-error';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const pgQuery = require('libpg-query') as {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts: RawStmt[] };
};

/** One statement of a query string with its source text span. */
export interface RawStmt {
  stmt?: Record<string, any>;
  stmt_location?: number;
  stmt_len?: number;
}

export interface ParsedStatement {
  /** The statement AST node, e.g. { SelectStmt: {...} }; undefined for an empty statement. */
  ast: Record<string, any> | undefined;
  /** The statement's own text (for views, logging, and error positions). */
  text: string;
  /** Offset of `text` in the whole query string (error positions are reported against the whole string). */
  offset: number;
}

let loaded: Promise<void> | null = null;
let ready = false;

/** Loads the WASM parser once; call before the first parse (Database.open does). */
export function loadParser(): Promise<void> {
  loaded ??= pgQuery.loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

/** Splits and parses a query string; syntax errors become 42601 with a 1-based position. */
export function parseSql(sql: string): ParsedStatement[] {
  if (!ready) throw new Error('parser used before loadParser() finished');
  // Whitespace, comments or bare semicolons: no statements (EmptyQueryResponse), not an error.
  if (/^(\s|;|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*$/.test(sql)) return [];
  let result: { stmts: RawStmt[] };
  try {
    result = pgQuery.parseSync(sql);
  } catch (err) {
    const details = (err as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (err as Error).message;
    const position = details?.cursorPosition !== undefined ? charPosition(sql, details.cursorPosition) : undefined;
    throw new SqlError(SqlState.syntaxError, message, { position });
  }
  const out: ParsedStatement[] = [];
  // libpg-query reports byte offsets into the UTF-8 text; convert for non-ASCII input.
  const bytes = Buffer.from(sql, 'utf8');
  const ascii = bytes.length === sql.length;
  for (const raw of result.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const lenBytes = raw.stmt_len ?? bytes.length - startByte;
    const text = ascii ? sql.substr(startByte, lenBytes) : bytes.subarray(startByte, startByte + lenBytes).toString('utf8');
    const offset = ascii ? startByte : bytes.subarray(0, startByte).toString('utf8').length;
    out.push({ ast: raw.stmt, text, offset });
  }
  return out;
}

/** libpg-query's cursorPosition is a 0-based byte offset... PostgreSQL reports 1-based characters. */
function charPosition(sql: string, cursor: number): number {
  const bytes = Buffer.from(sql, 'utf8');
  if (bytes.length === sql.length) return cursor + 1;
  return bytes.subarray(0, cursor).toString('utf8').length + 1;
}
