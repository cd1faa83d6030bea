// Tessera inside a Node process: the same engine as the server, with node-postgres-shaped results.
//   const db = await open(':memory:');  await db.query('select $1::int + 1 as n', [41]);
import { Readable } from 'stream';
import { Database } from '../engine/database';
import { ExecuteResult, PreparedStatement } from '../engine/session-api';
import { EngineSession } from '../engine/session';
import { Scalar } from '../types/vector';
import { parseScalar } from '../types/text-format';
import { SqlError, SqlState } from '../types/sql-error';
import { QueryResult, ResultOptions, buildRows, fieldDefs, splitCommandTag } from './result';
import { startServer } from '../wire/server';

export interface OpenSettings {
  /** Any server setting (buffer_pool_size, synchronous_commit, TimeZone, …). */
  [name: string]: string | number | boolean | undefined;
}

export interface CopyFromOptions {
  format?: 'text' | 'csv';
  delimiter?: string;
  header?: boolean;
  null?: string;
  columns?: string[];
}

/** Something that can run queries: the database itself or a transaction. */
export interface Queryable {
  query<R = any>(sql: string, params?: unknown[], options?: ResultOptions): Promise<QueryResult<R>>;
  exec(sql: string, options?: ResultOptions): Promise<QueryResult[]>;
}

/** pg's prepareValue: how JavaScript values become parameter text. */
function paramText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return '\\x' + value.toString('hex');
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A JS array as an array literal, as node-postgres writes one: '{1,"a b",NULL,{2,3}}'. */
function arrayLiteral(items: unknown[]): string {
  const parts = items.map((x) => {
    if (Array.isArray(x)) return arrayLiteral(x);
    const text = paramText(x);
    return text === null ? 'NULL' : '"' + text.replace(/[\\"]/g, '\\$&') + '"';
  });
  return '{' + parts.join(',') + '}';
}

/** Runs statements on one session, one at a time (a session is a single connection's state). */
class SessionRunner implements Queryable {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly session: EngineSession) {}

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  query<R = any>(sql: string, params: unknown[] = [], options: ResultOptions = {}): Promise<QueryResult<R>> {
    return this.serialize(async () => {
      const stmt = this.session.prepare(sql, []);
      const fs = this.session.settings.format();
      if (params.length !== stmt.paramTypes.length)
        throw new SqlError(SqlState.protocolViolation, `bind message supplies ${params.length} parameters, but prepared statement "" requires ${stmt.paramTypes.length}`);
      const values: Scalar[] = params.map((p, i) => {
        const text = paramText(p);
        return text === null ? null : parseScalar(stmt.paramTypes[i], text, fs);
      });
      const result = await this.execute(stmt, values);
      return this.shape(result, options) as QueryResult<R>;
    });
  }

  exec(sql: string, options: ResultOptions = {}): Promise<QueryResult[]> {
    return this.serialize(async () => {
      const out: QueryResult[] = [];
      try {
        for (const stmt of this.session.parseSimple(sql)) out.push(this.shape(await this.execute(stmt, []), options));
      } finally {
        await this.session.endOfCommandGroup();
      }
      return out;
    });
  }

  /** Runs COPY … FROM STDIN and feeds it the data. */
  copy(sql: string, data: string | Buffer | Readable | AsyncIterable<string | Buffer>): Promise<number> {
    return this.serialize(async () => {
      const [stmt] = this.session.parseSimple(sql);
      const result = await this.session.execute(stmt, []);
      if (result.kind !== 'copyIn') throw new Error('copy: statement did not start COPY FROM STDIN');
      try {
        if (typeof data === 'string' || Buffer.isBuffer(data)) result.sink.write(Buffer.from(data));
        else for await (const chunk of data as AsyncIterable<string | Buffer>) result.sink.write(Buffer.from(chunk));
      } catch (err) {
        result.sink.fail(String(err));
        throw err;
      }
      const tag = await result.sink.end();
      await this.session.endOfCommandGroup();
      return Number(tag.split(' ')[1]);
    });
  }

  private async execute(stmt: PreparedStatement, params: Scalar[]): Promise<ExecuteResult> {
    const result = await this.session.execute(stmt, params);
    if (result.kind === 'copyIn') {
      result.sink.fail('COPY FROM STDIN needs data: use copyFrom()');
      throw new SqlError(SqlState.featureNotSupported, 'COPY FROM STDIN through query(): use copyFrom()');
    }
    return result;
  }

  private shape(result: ExecuteResult, options: ResultOptions): QueryResult {
    const fs = this.session.settings.format();
    switch (result.kind) {
      case 'rows': {
        const { command } = splitCommandTag(result.command);
        return { command, rowCount: result.rowCount, rows: buildRows(result.batches, result.fields, fs, options), fields: fieldDefs(result.fields) };
      }
      case 'command':
      case 'copyOut': {
        const { command, rowCount } = splitCommandTag(result.command);
        return { command, rowCount, rows: [], fields: [] };
      }
      default:
        return { command: '', rowCount: null, rows: [], fields: [] };
    }
  }
}

export class EmbeddedDatabase implements Queryable {
  private readonly main: SessionRunner;
  private readonly servers: { close(): Promise<void> }[] = [];
  private closed = false;

  private constructor(readonly database: Database) {
    this.main = new SessionRunner(database.createSession({ user: 'postgres', database: 'postgres', applicationName: 'tessera-embedded' }));
  }

  static async open(dir: string, settings: OpenSettings = {}): Promise<EmbeddedDatabase> {
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) map.set(k, typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v));
    const database = await Database.open({ dir: dir === ':memory:' ? null : dir, settings: map });
    return new EmbeddedDatabase(database);
  }

  query<R = any>(sql: string, params?: unknown[], options?: ResultOptions): Promise<QueryResult<R>> {
    this.checkOpen();
    return this.main.query<R>(sql, params, options);
  }

  exec(sql: string, options?: ResultOptions): Promise<QueryResult[]> {
    this.checkOpen();
    return this.main.exec(sql, options);
  }

  /**
   * Runs fn in a transaction on its own session (as a pooled pg client would): COMMIT when fn
   * resolves, ROLLBACK when it throws.
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.checkOpen();
    const session = this.database.createSession({ user: 'postgres', database: 'postgres', applicationName: 'tessera-embedded' });
    const tx = new SessionRunner(session);
    try {
      await tx.exec('BEGIN');
      const value = await fn(tx);
      await tx.exec('COMMIT');
      return value;
    } catch (err) {
      if (session.transactionStatus !== 'I') await tx.exec('ROLLBACK');
      throw err;
    } finally {
      await session.close();
    }
  }

  /** COPY table FROM STDIN with the given data (a string, Buffer, or stream of chunks). */
  copyFrom(table: string, data: string | Buffer | Readable | AsyncIterable<string | Buffer>, options: CopyFromOptions = {}): Promise<number> {
    this.checkOpen();
    const opts: string[] = [`format ${options.format ?? 'text'}`];
    if (options.delimiter !== undefined) opts.push(`delimiter ${quoteLiteral(options.delimiter)}`);
    if (options.header) opts.push('header true');
    if (options.null !== undefined) opts.push(`null ${quoteLiteral(options.null)}`);
    const cols = options.columns ? ` (${options.columns.map(quoteIdent).join(', ')})` : '';
    return this.main.copy(`COPY ${quoteIdent(table)}${cols} FROM STDIN WITH (${opts.join(', ')})`, data);
  }

  /** Serves this database over the PostgreSQL wire protocol (so psql can look inside); port 0 picks a free one. */
  async listen(port: number, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
    this.checkOpen();
    const server = await startServer(this.database, { host, port, authMethod: 'trust', users: new Map() });
    this.servers.push(server);
    return { port: server.port, close: () => server.close() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.servers) await s.close();
    await this.database.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the database is closed');
  }
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : '"' + name.replace(/"/g, '""') + '"';
}
function quoteLiteral(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}
