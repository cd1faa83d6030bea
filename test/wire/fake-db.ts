// A test double of the engine for protocol tests: a DatabaseHandle whose sessions understand a
// handful of made-up statements, so the wire server can be tested without the SQL engine.
//
//   select 1                     one int4 row, column "?column?"
//   series N                     N int4 rows 1..N in batches of 1000; odd batches carry a selection vector
//   wide N                       N rows (int4, text with UTF-8 and NULLs every 3rd row) for backpressure tests
//   echo $1 [$2 …]               one row with each parameter, typed as given by Parse (or text)
//   types                        one row of bool, int2, int8, float8, text, numeric (for format tests)
//   insert                       command "INSERT 0 1"
//   insert returning N           N rows, tag "INSERT 0 N"
//   begin / commit / rollback    transaction status T / I (an error inside T makes it E)
//   notice TEXT                  raises a NOTICE, command "DO"
//   set tz ZONE                  changes TimeZone (reported with ParameterStatus), command "SET"
//   error CODE TEXT              throws SqlError(CODE, TEXT) with position/detail/hint/table/… fields
//   fatal                        throws a FATAL SqlError
//   crash                        throws a TypeError (not a SqlError: the wire must answer XX000)
//   sleep                        runs until cancel() (→ 57014) or 10 s
//   copy in                      COPY FROM STDIN: text lines of integers ("bad" lines throw 22P02)
//   copy out N                   COPY TO STDOUT: N lines
//   (empty string)               EmptyQueryResponse
// Statements in a simple query are separated by ';'. "syntax" anywhere makes parseSimple throw 42601.
import { DatabaseHandle, ExecuteResult, Field, Notice, PreparedStatement, Session, SessionOptions, TransactionStatus } from '../../src/engine/session-api';
import { DataType, Types, typeFromOid } from '../../src/types/data-type';
import { SqlError, SqlState } from '../../src/types/sql-error';
import { Batch, Scalar } from '../../src/types/vector';
import { FormatSettings } from '../../src/types/text-format';
import { vectorFromScalars } from '../../src/types/vector-ops';

function field(name: string, type: DataType): Field {
  return { name, type, tableOid: 0, columnAttr: 0 };
}

function batchOf(types: DataType[], rows: Scalar[][]): Batch {
  return { length: rows.length, columns: types.map((t, c) => vectorFromScalars(t, rows.map((r) => r[c]))) };
}

interface FakeStatement extends PreparedStatement {
  /** The statement's words, lower-cased. */
  words: string[];
}

export class FakeSession implements Session {
  transactionStatus: TransactionStatus = 'I';
  readonly secretKey = Math.floor(Math.random() * 0x7fffffff);
  closed = false;
  cancelled = 0;
  /** Everything each COPY IN received, in order, and how it ended. */
  copies: { data: string; outcome: 'done' | string }[] = [];
  /** Every statement executed (text), for assertions. */
  executed: string[] = [];
  endOfGroupCalls = 0;
  private notices: Notice[] = [];
  private changes: [string, string][] = [];
  private settings = new Map<string, string>([
    ['TimeZone', 'UTC'],
    ['DateStyle', 'ISO, MDY'],
    ['extra_float_digits', '1'],
    ['IntervalStyle', 'postgres'],
  ]);
  private cancelWaiter: (() => void) | null = null;

  constructor(
    readonly processId: number,
    readonly options: SessionOptions,
    private readonly db: FakeDatabase,
  ) {
    for (const [k, v] of Object.entries(options.parameters ?? {})) if (k === 'TimeZone' || k === 'DateStyle') this.settings.set(k, v);
  }

  parseSimple(sql: string): PreparedStatement[] {
    if (/syntax/i.test(sql)) throw new SqlError(SqlState.syntaxError, 'syntax error at or near "syntax"', { position: sql.toLowerCase().indexOf('syntax') + 1 });
    if (sql.trim() === '') return [this.prepare('', [])];
    return sql
      .split(';')
      .filter((s) => s.trim() !== '')
      .map((s) => this.prepare(s, []));
  }

  prepare(sql: string, paramTypeOids: number[]): PreparedStatement {
    const words = sql.trim().split(/\s+/).filter((w) => w !== '');
    const lower = words.map((w) => w.toLowerCase());
    const nParams = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    const paramTypes: DataType[] = [];
    for (let i = 0; i < nParams; i++) paramTypes.push(typeFromOid(paramTypeOids[i] ?? 0) ?? Types.text);
    const stmt: FakeStatement = { sql, words: lower, paramTypes, fields: this.fieldsOf(lower, paramTypes), isEmpty: words.length === 0 };
    if (this.transactionStatus === 'E' && !['commit', 'rollback'].includes(lower[0])) throw this.aborted();
    return stmt;
  }

  private fieldsOf(w: string[], params: DataType[]): Field[] | null {
    switch (w[0]) {
      case 'select':
        return [field('?column?', Types.int4)];
      case 'series':
        return [field('n', Types.int4)];
      case 'wide':
        return [field('n', Types.int4), field('label', Types.text)];
      case 'echo':
        return params.map((t, i) => field(`p${i + 1}`, t));
      case 'types':
        return [field('b', Types.bool), field('s', Types.int2), field('l', Types.int8), field('f', Types.float8), field('t', Types.text), field('x', Types.numeric)];
      case 'insert':
        return w[1] === 'returning' ? [field('id', Types.int4)] : null;
      default:
        return null;
    }
  }

  private aborted(): SqlError {
    return new SqlError(SqlState.inFailedSqlTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
  }

  async execute(stmt: PreparedStatement, params: Scalar[]): Promise<ExecuteResult> {
    const s = stmt as FakeStatement;
    this.executed.push(s.sql.trim());
    const w = s.words;
    if (this.transactionStatus === 'E' && !['commit', 'rollback'].includes(w[0])) throw this.aborted();
    try {
      return await this.run(s, w, params);
    } catch (err) {
      if (this.transactionStatus === 'T') this.transactionStatus = 'E';
      throw err;
    }
  }

  private async run(s: FakeStatement, w: string[], params: Scalar[]): Promise<ExecuteResult> {
    if (s.isEmpty) return { kind: 'empty' };
    const n = Number(w[1] ?? 0);
    switch (w[0]) {
      case 'select':
        return { kind: 'rows', fields: s.fields!, batches: [batchOf([Types.int4], [[1]])], rowCount: 1, command: 'SELECT 1' };
      case 'series': {
        const batches: Batch[] = [];
        for (let start = 1; start <= n; start += 1000) {
          const count = Math.min(1000, n - start + 1);
          if ((batches.length & 1) === 0) {
            batches.push(batchOf([Types.int4], Array.from({ length: count }, (_, i) => [start + i])));
          } else {
            // The same rows hidden among filtered-out ones: the wire must honour `selection`.
            const rows: Scalar[][] = [];
            const sel: number[] = [];
            for (let i = 0; i < count; i++) {
              rows.push([-1]);
              sel.push(rows.length);
              rows.push([start + i]);
            }
            const b = batchOf([Types.int4], rows);
            batches.push({ length: count, columns: b.columns, selection: Uint32Array.from(sel) });
          }
        }
        return { kind: 'rows', fields: s.fields!, batches, rowCount: n, command: `SELECT ${n}` };
      }
      case 'wide': {
        const rows: Scalar[][] = [];
        for (let i = 1; i <= n; i++) rows.push([i, i % 3 === 0 ? null : `row ${i} – ünïcödé ${'x'.repeat(50)}`]);
        return { kind: 'rows', fields: s.fields!, batches: [batchOf([Types.int4, Types.text], rows)], rowCount: n, command: `SELECT ${n}` };
      }
      case 'echo':
        return { kind: 'rows', fields: s.fields!, batches: [batchOf(s.paramTypes, [params])], rowCount: 1, command: 'SELECT 1' };
      case 'types':
        return {
          kind: 'rows',
          fields: s.fields!,
          batches: [batchOf([Types.bool, Types.int2, Types.int8, Types.float8, Types.text, Types.numeric], [[true, -2, 2 ** 40, 1.5, 'héllo', { decimal: true, digits: 12345n, scale: 2 }]])],
          rowCount: 1,
          command: 'SELECT 1',
        };
      case 'insert':
        if (w[1] === 'returning') {
          const m = Number(w[2]);
          return { kind: 'rows', fields: s.fields!, batches: [batchOf([Types.int4], Array.from({ length: m }, (_, i) => [i + 1]))], rowCount: m, command: `INSERT 0 ${m}` };
        }
        return { kind: 'command', command: 'INSERT 0 1' };
      case 'begin':
        this.transactionStatus = 'T';
        return { kind: 'command', command: 'BEGIN' };
      case 'commit':
      case 'rollback': {
        const wasAborted = this.transactionStatus === 'E';
        this.transactionStatus = 'I';
        return { kind: 'command', command: wasAborted ? 'ROLLBACK' : w[0].toUpperCase() };
      }
      case 'notice':
        this.notices.push({ severity: 'NOTICE', code: '00000', message: s.sql.trim().slice(7), detail: 'fake detail' });
        return { kind: 'command', command: 'DO' };
      case 'set':
        this.settings.set('TimeZone', s.sql.trim().split(/\s+/)[2]);
        this.changes.push(['TimeZone', this.settings.get('TimeZone')!]);
        return { kind: 'command', command: 'SET' };
      case 'error': {
        const words = s.sql.trim().split(/\s+/);
        throw new SqlError(words[1] as SqlError['code'], words.slice(2).join(' '), {
          position: 3,
          detail: 'the detail',
          hint: 'the hint',
          schema: 'public',
          table: 't',
          column: 'c',
          constraint: 't_pkey',
        });
      }
      case 'fatal':
        throw new SqlError(SqlState.adminShutdown, 'terminating connection for a test', { severity: 'FATAL' });
      case 'crash':
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      case 'sleep':
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 10000);
          t.unref();
          this.cancelWaiter = () => {
            clearTimeout(t);
            resolve();
          };
        });
        if (this.cancelWaiter === null) throw new SqlError(SqlState.queryCanceled, 'canceling statement due to user request');
        this.cancelWaiter = null;
        return { kind: 'command', command: 'SLEPT' };
      case 'copy':
        if (w[1] === 'out') {
          const lines = Number(w[2]);
          const data = Array.from({ length: lines }, (_, i) => Buffer.from(`${i + 1}\n`));
          return { kind: 'copyOut', columnCount: 1, format: 'text', data, command: `COPY ${lines}` };
        }
        return { kind: 'copyIn', columnCount: 1, format: 'text', sink: this.copySink() };
      default:
        throw new SqlError(SqlState.syntaxError, `fake engine does not know "${s.sql.trim()}"`);
    }
  }

  private copySink() {
    const record = { data: '', outcome: 'pending' };
    this.copies.push(record);
    return {
      write: (chunk: Buffer) => {
        record.data += chunk.toString();
        if (/^bad$/m.test(record.data)) throw new SqlError(SqlState.invalidTextRepresentation, 'invalid input syntax for type integer: "bad"');
      },
      end: async () => {
        record.outcome = 'done';
        return `COPY ${record.data.split('\n').filter((l) => l !== '').length}`;
      },
      fail: (message: string) => {
        if (record.outcome === 'pending') record.outcome = message;
      },
    };
  }

  async endOfCommandGroup(): Promise<void> {
    this.endOfGroupCalls++;
  }

  cancel(): void {
    this.cancelled++;
    const w = this.cancelWaiter;
    this.cancelWaiter = null;
    w?.();
  }

  reportedParameters(): [string, string][] {
    return [
      ['server_version', '15.0'],
      ['server_encoding', 'UTF8'],
      ['client_encoding', 'UTF8'],
      ['DateStyle', this.settings.get('DateStyle')!],
      ['TimeZone', this.settings.get('TimeZone')!],
      ['integer_datetimes', 'on'],
      ['standard_conforming_strings', 'on'],
      ['application_name', this.options.applicationName ?? ''],
    ];
  }

  takeParameterChanges(): [string, string][] {
    return this.changes.splice(0);
  }

  takeNotices(): Notice[] {
    return this.notices.splice(0);
  }

  setting(name: string): string {
    const v = this.settings.get(name);
    if (v === undefined) throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
    return v;
  }

  formatSettings(): FormatSettings {
    return { timeZone: this.setting('TimeZone'), dateStyle: this.setting('DateStyle'), extraFloatDigits: Number(this.setting('extra_float_digits')), intervalStyle: this.setting('IntervalStyle') };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.db.sessions.delete(this.processId);
  }
}

export class FakeDatabase implements DatabaseHandle {
  readonly sessions = new Map<number, FakeSession>();
  /** Every session ever created, for assertions after it closed. */
  readonly created: FakeSession[] = [];
  private nextPid = 4242;

  createSession(options: SessionOptions): FakeSession {
    if (options.database === 'nosuchdb') throw new SqlError(SqlState.undefinedDatabase, `database "${options.database}" does not exist`);
    const s = new FakeSession(this.nextPid++, options, this);
    this.sessions.set(s.processId, s);
    this.created.push(s);
    return s;
  }

  findSession(processId: number, secretKey: number): FakeSession | undefined {
    const s = this.sessions.get(processId);
    return s !== undefined && s.secretKey === secretKey ? s : undefined;
  }

  /** The session of the most recent connection. */
  get last(): FakeSession {
    return this.created[this.created.length - 1];
  }

  async close(): Promise<void> {}
}
