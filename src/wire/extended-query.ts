// The extended query protocol: Parse → prepared statements, Bind → portals, Describe, Execute
// (with row limits and PortalSuspended), Close. Errors are thrown; the connection turns them into
// an ErrorResponse and skips to the next Sync.
import { ExecuteResult, PreparedStatement, Session } from '../engine/session-api';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { FormatSettings, parseScalar } from '../types/text-format';
import { Scalar } from '../types/vector';
import { binaryNotSupported, decodeBinaryParam, supportsBinary } from './binary-format';
import { runCopyIn, runCopyOut } from './copy-protocol';
import { BodyReader, Message, malformedMessage } from './message-reader';
import { formatOf } from './message-writer';
import { Backend, Frontend, WireState } from './protocol-codes';
import { RowCursor, portalTag, writeDataRows } from './result-writer';
import { SocketIO } from './socket-io';

/** A bound statement: parameters decoded, result formats chosen, executed at its first Execute. */
interface Portal {
  stmt: PreparedStatement;
  params: Scalar[];
  resultFormats: number[];
  /** Null until the first Execute runs the statement. */
  result: ExecuteResult | null;
  cursor: RowCursor;
  /** A rows result fully sent (further Executes send nothing but the completion tag). */
  done: boolean;
}

export class ExtendedQuery {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();

  constructor(
    private readonly io: SocketIO,
    private readonly session: Session,
    private readonly formatSettings: () => FormatSettings,
    /** Sends the notices and setting changes a statement raised (before its result). */
    private readonly afterStatement: () => void,
  ) {}

  /** Handles one of Parse/Bind/Describe/Execute/Close. */
  async handle(m: Message): Promise<void> {
    const r = new BodyReader(m.body);
    switch (m.type) {
      case Frontend.parse:
        return this.parse(r);
      case Frontend.bind:
        return this.bind(r);
      case Frontend.describe:
        return this.describe(r);
      case Frontend.execute:
        return this.execute(r);
      case Frontend.close:
        return this.close(r);
    }
  }

  /** A simple Query replaces the unnamed statement and portal, as in PostgreSQL. */
  dropUnnamed(): void {
    this.statements.delete('');
    this.portals.delete('');
  }

  /** Portals end with their transaction; call when ReadyForQuery says idle. */
  dropPortals(): void {
    this.portals.clear();
  }

  private parse(r: BodyReader): void {
    const name = r.cstring();
    const sql = r.cstring();
    const n = r.int16();
    const oids: number[] = [];
    for (let i = 0; i < n; i++) oids.push(r.int32() >>> 0);
    r.end();
    if (name !== '' && this.statements.has(name)) throw new SqlError(WireState.duplicatePreparedStatement, `prepared statement "${name}" already exists`);
    // The unnamed statement is replaced even when the new one fails to parse.
    if (name === '') this.statements.delete('');
    this.statements.set(name, this.session.prepare(sql, oids));
    this.io.out.empty(Backend.parseComplete);
  }

  private statement(name: string): PreparedStatement {
    const stmt = this.statements.get(name);
    if (stmt === undefined)
      throw new SqlError(SqlState.invalidSqlStatementName, name === '' ? 'unnamed prepared statement does not exist' : `prepared statement "${name}" does not exist`);
    return stmt;
  }

  private portal(name: string): Portal {
    const p = this.portals.get(name);
    if (p === undefined) throw new SqlError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
    return p;
  }

  private bind(r: BodyReader): void {
    const portalName = r.cstring();
    const stmtName = r.cstring();
    const paramFormats = readFormats(r);
    const np = r.int16();
    const values: (Buffer | null)[] = [];
    for (let i = 0; i < np; i++) {
      const len = r.int32();
      values.push(len === -1 ? null : r.bytes(len));
    }
    const resultFormats = readFormats(r);
    r.end();
    if (portalName === '') this.portals.delete('');
    else if (this.portals.has(portalName)) throw new SqlError(WireState.duplicateCursor, `cursor "${portalName}" already exists`);
    const stmt = this.statement(stmtName);
    if (paramFormats.length > 1 && paramFormats.length !== np)
      throw new SqlError(SqlState.protocolViolation, `bind message has ${paramFormats.length} parameter formats but ${np} parameters`);
    if (np !== stmt.paramTypes.length)
      throw new SqlError(SqlState.protocolViolation, `bind message supplies ${np} parameters, but prepared statement "${stmtName}" requires ${stmt.paramTypes.length}`);
    const fs = this.formatSettings();
    const params: Scalar[] = [];
    for (let i = 0; i < np; i++) {
      const v = values[i];
      const type: DataType = stmt.paramTypes[i] ?? Types.text;
      if (v === null) params.push(null);
      else if (formatOf(paramFormats, i) === 1) {
        if (!supportsBinary(type)) throw binaryNotSupported(type, 'input');
        params.push(decodeBinaryParam(v, type, i + 1));
      } else params.push(parseScalar(type, v.toString('utf8'), fs));
    }
    const fields = stmt.fields ?? [];
    if (resultFormats.length > 1 && resultFormats.length !== fields.length)
      throw new SqlError(SqlState.protocolViolation, `bind message has ${resultFormats.length} result formats but query has ${fields.length} columns`);
    fields.forEach((f, c) => {
      if (formatOf(resultFormats, c) === 1 && !supportsBinary(f.type)) throw binaryNotSupported(f.type, 'output');
    });
    this.portals.set(portalName, { stmt, params, resultFormats, result: null, cursor: { batch: 0, row: 0 }, done: false });
    this.io.out.empty(Backend.bindComplete);
  }

  private describe(r: BodyReader): void {
    const kind = r.byte();
    const name = r.cstring();
    r.end();
    const out = this.io.out;
    if (kind === 0x53 /* 'S' */) {
      const stmt = this.statement(name);
      out.begin(Backend.parameterDescription).int16(stmt.paramTypes.length);
      for (const t of stmt.paramTypes) out.int32(t.oid);
      out.end();
      // Result formats are not known before Bind: RowDescription says text for all.
      if (stmt.fields === null) out.empty(Backend.noData);
      else out.rowDescription(stmt.fields, []);
    } else if (kind === 0x50 /* 'P' */) {
      const p = this.portal(name);
      if (p.stmt.fields === null) out.empty(Backend.noData);
      else out.rowDescription(p.stmt.fields, p.resultFormats);
    } else throw malformedMessage(`invalid DESCRIBE message subtype ${kind}`);
  }

  private async execute(r: BodyReader): Promise<void> {
    const name = r.cstring();
    const limit = r.int32();
    r.end();
    const p = this.portal(name);
    if (p.result === null) {
      // The statement runs here, at the first Execute, not at Bind.
      const before = this.session.transactionStatus;
      p.result = await this.session.execute(p.stmt, p.params);
      // It ended the transaction block (COMMIT, ROLLBACK): the block's portals end too, as in
      // PostgreSQL, before a Sync (their rows may be views of memory lent to the transaction).
      if (before !== 'I' && this.session.transactionStatus === 'I') this.portals.clear();
    }
    this.afterStatement();
    const result = p.result;
    const out = this.io.out;
    switch (result.kind) {
      case 'empty':
        out.empty(Backend.emptyQueryResponse);
        return;
      case 'command':
        // PostgreSQL runs a utility/DML portal once; another Execute is refused.
        if (p.done) throw cannotRun(name);
        p.done = true;
        out.commandComplete(result.command);
        return;
      case 'rows': {
        const sent = p.done ? 0 : await writeDataRows(this.io, result.batches, p.resultFormats, this.formatSettings(), p.cursor, limit);
        // Reaching the limit suspends the portal even when no rows remain: PostgreSQL cannot tell either.
        if (limit > 0 && sent === limit) out.empty(Backend.portalSuspended);
        else {
          p.done = true;
          out.commandComplete(portalTag(result.command, sent));
        }
        // A finished portal keeps no rows in memory.
        if (p.done) p.result = { ...result, batches: [] };
        return;
      }
      case 'copyIn':
        if (p.done) throw cannotRun(name);
        p.done = true;
        return runCopyIn(this.io, result);
      case 'copyOut':
        if (p.done) throw cannotRun(name);
        p.done = true;
        return runCopyOut(this.io, result);
    }
  }

  private close(r: BodyReader): void {
    const kind = r.byte();
    const name = r.cstring();
    r.end();
    // Closing something that does not exist is not an error.
    if (kind === 0x53 /* 'S' */) this.statements.delete(name);
    else if (kind === 0x50 /* 'P' */) this.portals.delete(name);
    else throw malformedMessage(`invalid CLOSE message subtype ${kind}`);
    this.io.out.empty(Backend.closeComplete);
  }
}

function cannotRun(portal: string): SqlError {
  return new SqlError(SqlState.objectNotInPrerequisiteState, `portal "${portal}" cannot be run`);
}

function readFormats(r: BodyReader): number[] {
  const n = r.int16();
  const formats: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = r.int16();
    if (f !== 0 && f !== 1) throw new SqlError(SqlState.invalidParameterValue, `unsupported format code: ${f}`);
    formats.push(f);
  }
  return formats;
}
