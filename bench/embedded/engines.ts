// The three in-process engines the embedded benchmark compares, behind one small interface:
// Tessera embedded, PGlite (PostgreSQL compiled to WASM) and DuckDB's Node API. PGlite and DuckDB are
// dev dependencies used only here. Each loads the same '|'-delimited files (trailing '|' already
// stripped) and answers with cells as text where it can, so answers compare with PostgreSQL's.
import * as fs from 'fs';
import { open, EmbeddedDatabase } from '../../src/index';

export interface QueryAnswer {
  columns: string[];
  /** Cells as PostgreSQL's text output (null for NULL); null when the engine can't give text. */
  rows: (string | null)[][] | null;
  rowCount: number;
}

export interface Engine {
  readonly name: string;
  /** Runs DDL or any statements whose results are not needed. */
  exec(sql: string): Promise<void>;
  /** Loads a table from a '|'-delimited file. */
  load(table: string, file: string): Promise<void>;
  /** Runs a query text (possibly several statements, e.g. Q15's view); the answer of the one returning rows. */
  query(sql: string): Promise<QueryAnswer>;
  close(): Promise<void>;
}

export class TesseraEngine implements Engine {
  readonly name = 'Tessera';
  private constructor(private readonly db: EmbeddedDatabase) {}
  static async open(): Promise<TesseraEngine> {
    return new TesseraEngine(await open(':memory:', { buffer_pool_size: '2GB' }));
  }
  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }
  async load(table: string, file: string): Promise<void> {
    await this.db.copyFrom(table, fs.createReadStream(file), { delimiter: '|' });
  }
  async query(sql: string): Promise<QueryAnswer> {
    const results = await this.db.exec(sql, { rowMode: 'array', types: 'text' });
    const r = results.find((x) => x.fields.length > 0) ?? results[0];
    return { columns: r.fields.map((f) => f.name), rows: r.rows as (string | null)[][], rowCount: r.rows.length };
  }
  close(): Promise<void> {
    return this.db.close();
  }
}

/** OIDs that appear in TPC-H answers; PGlite's parsers for them are replaced by the identity (text as is). */
const TEXT_OIDS = [16, 20, 21, 23, 25, 700, 701, 1042, 1043, 1082, 1114, 1184, 1700];

export class PgliteEngine implements Engine {
  readonly name = 'PGlite';
  private constructor(private readonly db: any) {}
  static async open(): Promise<PgliteEngine> {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    await db.waitReady;
    return new PgliteEngine(db);
  }
  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }
  async load(table: string, file: string): Promise<void> {
    // PGlite reads COPY data from a Blob mounted at /dev/blob.
    const blob = new Blob([fs.readFileSync(file)]);
    await this.db.query(`COPY ${table} FROM '/dev/blob' WITH (DELIMITER '|')`, [], { blob });
  }
  async query(sql: string): Promise<QueryAnswer> {
    const parsers: Record<number, (v: string) => string> = {};
    for (const oid of TEXT_OIDS) parsers[oid] = (v) => v;
    const results: any[] = await this.db.exec(sql, { rowMode: 'array', parsers });
    const r = results.find((x) => x.fields.length > 0) ?? results[0];
    return { columns: r.fields.map((f: { name: string }) => f.name), rows: r.rows, rowCount: r.rows.length };
  }
  close(): Promise<void> {
    return this.db.close();
  }
}

export class DuckDbEngine implements Engine {
  readonly name = 'DuckDB';
  private constructor(
    private readonly instance: any,
    private readonly conn: any,
  ) {}
  static async open(): Promise<DuckDbEngine> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    return new DuckDbEngine(instance, await instance.connect());
  }
  async exec(sql: string): Promise<void> {
    await this.conn.run(sql);
  }
  async load(table: string, file: string): Promise<void> {
    await this.conn.run(`COPY ${table} FROM '${file.replace(/'/g, "''")}' (DELIMITER '|', HEADER false, QUOTE '')`);
  }
  async query(sql: string): Promise<QueryAnswer> {
    // DuckDB renders decimals, averages (double) and dates its own way, so its answers are counted, not compared.
    let rowCount = 0;
    let columns: string[] = [];
    for (const stmt of splitStatements(sql)) {
      const reader = await this.conn.runAndReadAll(stmt);
      if (reader.columnCount > 0 && /^\s*(select|with)/i.test(stmt)) {
        columns = reader.columnNames();
        rowCount = reader.currentRowCount;
      }
    }
    return { columns, rows: null, rowCount };
  }
  async close(): Promise<void> {
    this.conn.closeSync?.();
    this.instance.closeSync?.();
  }
}

/** Q15 holds three statements; DuckDB's run() takes one at a time. The queries have no ';' inside literals. */
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
