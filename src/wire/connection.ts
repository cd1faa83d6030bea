// One client connection: startup and authentication, then the simple and extended query protocols
// and COPY, over a Session. Messages are handled strictly in order by one async loop; handlers that
// need more input (COPY FROM STDIN) read it from the same loop.
import { Socket } from 'net';
import { DatabaseHandle, ExecuteResult, Field, PreparedStatement, Session } from '../engine/session-api';
import { SqlError, SqlState, toSqlError } from '../types/sql-error';
import { Batch, Scalar } from '../types/vector';
import { FormatSettings, formatCell, parseScalar } from '../types/text-format';
import { DataType, Types } from '../types/data-type';
import { AuthCode, Backend, Frontend, StartupCode } from './protocol-codes';
import { BodyReader, Message, MessageReader, ProtocolViolation } from './message-reader';
import { MessageWriter } from './message-writer';
import { ScramExchange, ScramVerifier } from './scram';
import { decodeBinaryParam, encodeBinaryCell, supportsBinary } from './binary-format';

export interface AuthSettings {
  method: 'trust' | 'scram-sha-256';
  /** SCRAM verifiers by user name. */
  verifiers: Map<string, ScramVerifier>;
}

interface Portal {
  stmt: PreparedStatement;
  params: Scalar[];
  resultFormats: number[];
  result: ExecuteResult | null;
  /** Rows already sent (Execute with a row limit resumes here). */
  sent: number;
}

const FLUSH_BYTES = 1 << 20;

export class Connection {
  private readonly reader = new MessageReader();
  private readonly out = new MessageWriter();
  private session: Session | null = null;
  private waiting: (() => void) | null = null;
  private closed = false;
  private skippingUntilSync = false;
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();

  constructor(
    private readonly socket: Socket,
    private readonly db: DatabaseHandle,
    private readonly auth: AuthSettings,
    private readonly onClose: (c: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      this.reader.push(chunk);
      const w = this.waiting;
      this.waiting = null;
      w?.();
    });
    socket.on('close', () => this.shutdown());
    socket.on('error', () => this.shutdown());
    void this.run();
  }

  /** Ends the connection (server shutdown): in-flight work is cancelled. */
  terminate(): void {
    this.session?.cancel();
    this.socket.end();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const w = this.waiting;
    this.waiting = null;
    w?.();
    void this.session?.close();
    this.onClose(this);
  }

  private async readMessage(): Promise<Message | null> {
    for (;;) {
      if (this.closed) return null;
      const m = this.reader.next();
      if (m !== null) return m;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private async flush(): Promise<void> {
    if (this.out.size === 0 || this.closed) return;
    const ok = this.socket.write(this.out.take());
    if (!ok && !this.closed) await new Promise<void>((resolve) => this.socket.once('drain', resolve));
  }

  private async run(): Promise<void> {
    try {
      if (!(await this.startup())) return;
      for (;;) {
        const m = await this.readMessage();
        if (m === null) return;
        if (m.type === Frontend.terminate) {
          this.socket.end();
          return;
        }
        await this.handle(m);
        if (this.out.size > FLUSH_BYTES) await this.flush();
      }
    } catch (err) {
      if (err instanceof ProtocolViolation) this.fatal(SqlState.protocolViolation, err.message);
      else if (err instanceof SqlError && err.severity === 'FATAL') this.fatal(err.code, err.message);
      else {
        console.error('tessera: connection error', err);
        this.fatal(SqlState.internalError, String((err as Error).message ?? err));
      }
    }
  }

  private fatal(code: string, message: string): void {
    this.writeError(new SqlError(code as never, message, { severity: 'FATAL' }));
    if (!this.closed) this.socket.end(this.out.take());
  }

  // ---- startup ----

  private async startup(): Promise<boolean> {
    for (;;) {
      const m = await this.readMessage();
      if (m === null) return false;
      const r = new BodyReader(m.body);
      const code = r.int32();
      if (code === StartupCode.sslRequest || code === StartupCode.gssEncRequest) {
        this.socket.write(Buffer.from('N'));
        continue;
      }
      if (code === StartupCode.cancelRequest) {
        const pid = r.int32();
        const key = r.int32();
        this.db.findSession(pid, key)?.cancel();
        this.socket.end();
        return false;
      }
      if (code >> 16 !== 3) {
        this.fatal(SqlState.featureNotSupported, `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0 to 3.0`);
        return false;
      }
      const params: Record<string, string> = {};
      while (r.remaining > 1) {
        const k = r.cstring();
        if (k === '') break;
        params[k] = r.cstring();
      }
      this.reader.startupPhase = false;
      const user = params.user;
      if (user === undefined || user === '') {
        this.fatal(SqlState.invalidAuthorizationSpecification, 'no PostgreSQL user name specified in startup packet');
        return false;
      }
      if (!(await this.authenticate(user))) return false;
      const session = this.db.createSession({ user, database: params.database ?? user, applicationName: params.application_name, parameters: params });
      this.session = session;
      this.out.begin(Backend.authentication).int32(AuthCode.ok).end();
      for (const [k, v] of session.reportedParameters()) this.out.parameterStatus(k, v);
      this.out.begin(Backend.backendKeyData).int32(session.processId).int32(session.secretKey).end();
      this.out.readyForQuery(session.transactionStatus);
      await this.flush();
      return true;
    }
  }

  private async authenticate(user: string): Promise<boolean> {
    if (this.auth.method === 'trust') return true;
    const failed = () => {
      this.fatal(SqlState.invalidPassword, `password authentication failed for user "${user}"`);
      return false;
    };
    const exchange = new ScramExchange(this.auth.verifiers.get(user) ?? null);
    this.out.begin(Backend.authentication).int32(AuthCode.sasl).cstring('SCRAM-SHA-256').int8(0).end();
    await this.flush();
    const first = await this.readMessage();
    if (first === null || first.type !== Frontend.password) return false;
    const r1 = new BodyReader(first.body);
    const mechanism = r1.cstring();
    if (mechanism !== 'SCRAM-SHA-256') {
      this.fatal(SqlState.protocolViolation, 'client selected an invalid SASL authentication mechanism');
      return false;
    }
    const len = r1.int32();
    const serverFirst = exchange.first(r1.bytes(len).toString('utf8'));
    this.out.begin(Backend.authentication).int32(AuthCode.saslContinue).bytes(Buffer.from(serverFirst)).end();
    await this.flush();
    const second = await this.readMessage();
    if (second === null || second.type !== Frontend.password) return false;
    const serverFinal = exchange.final(second.body.toString('utf8'));
    if (serverFinal === null || !this.auth.verifiers.has(user)) return failed();
    this.out.begin(Backend.authentication).int32(AuthCode.saslFinal).bytes(Buffer.from(serverFinal)).end();
    return true;
  }

  // ---- messages ----

  private async handle(m: Message): Promise<void> {
    const session = this.session!;
    if (this.skippingUntilSync && m.type !== Frontend.sync) return;
    switch (m.type) {
      case Frontend.query:
        return this.simpleQuery(new BodyReader(m.body).cstring());
      case Frontend.sync:
        this.skippingUntilSync = false;
        await this.guard(() => session.endOfCommandGroup());
        this.afterStatement();
        this.out.readyForQuery(session.transactionStatus);
        return this.flush();
      case Frontend.flush:
        return this.flush();
      case Frontend.parse:
      case Frontend.bind:
      case Frontend.describe:
      case Frontend.execute:
      case Frontend.close:
        if (!(await this.guard(() => this.extended(m)))) this.skippingUntilSync = true;
        return;
      case Frontend.copyData:
      case Frontend.copyDone:
      case Frontend.copyFail:
        // Stray COPY messages outside COPY are ignored, as PostgreSQL does.
        return;
      default:
        throw new ProtocolViolation(`invalid frontend message type ${m.type}`);
    }
  }

  /** Runs fn; an error becomes an ErrorResponse (the session lives on). Returns whether it succeeded. */
  private async guard(fn: () => Promise<void> | void): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      if (err instanceof ProtocolViolation) throw err;
      const e = toSqlError(err);
      if (!(err instanceof SqlError)) console.error('tessera: internal error', err);
      this.afterStatement();
      this.writeError(e);
      return false;
    }
  }

  private writeError(e: SqlError, notice = false): void {
    const w = this.out.begin(notice ? Backend.noticeResponse : Backend.errorResponse);
    w.int8(0x53).cstring(e.severity).int8(0x56).cstring(e.severity);
    w.int8(0x43).cstring(e.code).int8(0x4d).cstring(e.message);
    if (e.detail !== undefined) w.int8(0x44).cstring(e.detail);
    if (e.hint !== undefined) w.int8(0x48).cstring(e.hint);
    if (e.position !== undefined) w.int8(0x50).cstring(String(e.position));
    if (e.schema !== undefined) w.int8(0x73).cstring(e.schema);
    if (e.table !== undefined) w.int8(0x74).cstring(e.table);
    if (e.column !== undefined) w.int8(0x63).cstring(e.column);
    if (e.constraint !== undefined) w.int8(0x6e).cstring(e.constraint);
    w.int8(0).end();
  }

  /** Notices and changed settings raised by the last statement. */
  private afterStatement(): void {
    const session = this.session!;
    for (const n of session.takeNotices()) {
      const w = this.out.begin(Backend.noticeResponse);
      w.int8(0x53).cstring(n.severity).int8(0x56).cstring(n.severity).int8(0x43).cstring(n.code).int8(0x4d).cstring(n.message);
      if (n.detail !== undefined) w.int8(0x44).cstring(n.detail);
      w.int8(0).end();
    }
    for (const [k, v] of session.takeParameterChanges()) this.out.parameterStatus(k, v);
  }

  private async simpleQuery(sql: string): Promise<void> {
    const session = this.session!;
    await this.guard(async () => {
      const stmts = session.parseSimple(sql);
      for (const stmt of stmts) {
        const result = await session.execute(stmt, []);
        await this.sendResult(result, [], null, true);
        this.afterStatement();
      }
    });
    await this.guard(() => session.endOfCommandGroup());
    this.afterStatement();
    this.out.readyForQuery(session.transactionStatus);
    await this.flush();
  }

  private formatSettings(): FormatSettings {
    const s = this.session!;
    return { timeZone: s.setting('TimeZone'), dateStyle: s.setting('DateStyle'), extraFloatDigits: Number(s.setting('extra_float_digits')), intervalStyle: s.setting('IntervalStyle') };
  }

  private rowDescription(fields: Field[], formats: number[]): void {
    const w = this.out.begin(Backend.rowDescription).int16(fields.length);
    fields.forEach((f, i) => {
      const fmt = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i];
      w.cstring(f.name).int32(f.tableOid).int16(f.columnAttr).int32(f.type.oid).int16(f.type.typlen).int32(f.type.typmod).int16(fmt);
    });
    w.end();
  }

  /**
   * Writes a statement's result. `portal` (extended protocol) limits rows and remembers progress;
   * `describe` writes RowDescription first (simple protocol).
   */
  private async sendResult(result: ExecuteResult, formats: number[], portal: { limit: number; p: Portal } | null, describe: boolean): Promise<void> {
    switch (result.kind) {
      case 'empty':
        this.out.empty(Backend.emptyQueryResponse);
        return;
      case 'command':
        this.out.commandComplete(result.command);
        return;
      case 'rows': {
        if (describe) this.rowDescription(result.fields, formats);
        const before = portal?.p.sent ?? 0;
        const done = await this.sendRows(result.batches, result.fields, formats, portal);
        if (!done) this.out.empty(Backend.portalSuspended);
        else if (portal !== null && result.command.startsWith('SELECT '))
          // A portal's completion tag counts the rows of this Execute, as PostgreSQL's does.
          this.out.commandComplete(`SELECT ${portal.p.sent - before}`);
        else this.out.commandComplete(result.command);
        return;
      }
      case 'copyOut': {
        this.out.begin(Backend.copyOutResponse).int8(result.format === 'binary' ? 1 : 0).int16(result.columnCount);
        for (let i = 0; i < result.columnCount; i++) this.out.int16(result.format === 'binary' ? 1 : 0);
        this.out.end();
        for (const chunk of result.data) {
          this.out.begin(Backend.copyData).bytes(chunk).end();
          if (this.out.size > FLUSH_BYTES) await this.flush();
        }
        this.out.empty(Backend.copyDone);
        this.out.commandComplete(result.command);
        return;
      }
      case 'copyIn':
        return this.copyIn(result);
    }
  }

  private async copyIn(result: Extract<ExecuteResult, { kind: 'copyIn' }>): Promise<void> {
    this.out.begin(Backend.copyInResponse).int8(result.format === 'binary' ? 1 : 0).int16(result.columnCount);
    for (let i = 0; i < result.columnCount; i++) this.out.int16(result.format === 'binary' ? 1 : 0);
    this.out.end();
    await this.flush();
    let error: unknown = null;
    for (;;) {
      const m = await this.readMessage();
      if (m === null) {
        result.sink.fail('connection lost');
        return;
      }
      if (m.type === Frontend.copyData) {
        if (error === null) {
          try {
            result.sink.write(m.body);
          } catch (err) {
            error = err;
          }
        }
        continue;
      }
      if (m.type === Frontend.copyDone) {
        if (error !== null) throw error;
        this.out.commandComplete(await result.sink.end());
        return;
      }
      if (m.type === Frontend.copyFail) {
        const msg = new BodyReader(m.body).cstring();
        result.sink.fail(msg);
        throw new SqlError(SqlState.queryCanceled, `COPY from stdin failed: ${msg}`);
      }
      if (m.type === Frontend.flush || m.type === Frontend.sync) continue;
      result.sink.fail('unexpected message during COPY');
      throw new ProtocolViolation(`unexpected message type ${m.type} during COPY from stdin`);
    }
  }

  /** Writes DataRows; returns true when all rows were sent. */
  private async sendRows(batches: Batch[], fields: Field[], formats: number[], portal: { limit: number; p: Portal } | null): Promise<boolean> {
    const fs = this.formatSettings();
    const fmt = (c: number) => (formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[c]);
    const binary = fields.map((_, c) => fmt(c) === 1);
    let skip = portal?.p.sent ?? 0;
    let budget = portal !== null && portal.limit > 0 ? portal.limit : Infinity;
    let sent = 0;
    for (const b of batches) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      for (let r = skip; r < b.length; r++) {
        if (budget === 0) {
          if (portal !== null) portal.p.sent += sent;
          return false;
        }
        const row = b.selection !== undefined ? b.selection[r] : r;
        const w = this.out.begin(Backend.dataRow).int16(b.columns.length);
        for (let c = 0; c < b.columns.length; c++) {
          if (binary[c]) {
            const bytes = encodeBinaryCell(b.columns[c], row, fields[c].type);
            if (bytes === null) w.int32(-1);
            else w.int32(bytes.length).bytes(bytes);
          } else w.cell(formatCell(b.columns[c], row, fs));
        }
        w.end();
        sent++;
        budget--;
        if (this.out.size > FLUSH_BYTES) await this.flush();
      }
      skip = 0;
    }
    if (portal !== null) portal.p.sent += sent;
    // Reaching the row limit suspends the portal even if no rows remain (PostgreSQL cannot tell either).
    return !(portal !== null && portal.limit > 0 && budget === 0);
  }

  // ---- extended query ----

  private async extended(m: Message): Promise<void> {
    const session = this.session!;
    const r = new BodyReader(m.body);
    switch (m.type) {
      case Frontend.parse: {
        const name = r.cstring();
        const sql = r.cstring();
        const n = r.int16();
        const oids: number[] = [];
        for (let i = 0; i < n; i++) oids.push(r.int32());
        if (name !== '' && this.statements.has(name))
          throw new SqlError(SqlState.duplicateObject.replace('42710', '42P05') as never, `prepared statement "${name}" already exists`);
        this.statements.set(name, session.prepare(sql, oids));
        this.out.empty(Backend.parseComplete);
        return;
      }
      case Frontend.bind: {
        const portalName = r.cstring();
        const stmtName = r.cstring();
        const stmt = this.statements.get(stmtName);
        if (stmt === undefined) throw new SqlError(SqlState.invalidSqlStatementName, `prepared statement "${stmtName}" does not exist`);
        const nf = r.int16();
        const paramFormats: number[] = [];
        for (let i = 0; i < nf; i++) paramFormats.push(r.int16());
        const np = r.int16();
        if (np !== stmt.paramTypes.length)
          throw new SqlError(SqlState.protocolViolation, `bind message supplies ${np} parameters, but prepared statement "${stmtName}" requires ${stmt.paramTypes.length}`);
        const fs = this.formatSettings();
        const params: Scalar[] = [];
        for (let i = 0; i < np; i++) {
          const len = r.int32();
          if (len === -1) {
            params.push(null);
            continue;
          }
          const bytes = r.bytes(len);
          const format = paramFormats.length === 0 ? 0 : paramFormats.length === 1 ? paramFormats[0] : paramFormats[i];
          const type: DataType = stmt.paramTypes[i] ?? Types.text;
          params.push(format === 1 ? decodeBinaryParam(bytes, type) : parseScalar(type, bytes.toString('utf8'), fs));
        }
        const nr = r.int16();
        const resultFormats: number[] = [];
        for (let i = 0; i < nr; i++) resultFormats.push(r.int16());
        if (stmt.fields !== null)
          stmt.fields.forEach((f, c) => {
            const fmt = resultFormats.length === 0 ? 0 : resultFormats.length === 1 ? resultFormats[0] : resultFormats[c];
            if (fmt === 1 && !supportsBinary(f.type)) throw new SqlError(SqlState.featureNotSupported, `binary output of type ${f.type.name} is not supported yet`);
          });
        this.portals.set(portalName, { stmt, params, resultFormats, result: null, sent: 0 });
        this.out.empty(Backend.bindComplete);
        return;
      }
      case Frontend.describe: {
        const kind = String.fromCharCode(r.byte());
        const name = r.cstring();
        if (kind === 'S') {
          const stmt = this.statements.get(name);
          if (stmt === undefined) throw new SqlError(SqlState.invalidSqlStatementName, `prepared statement "${name}" does not exist`);
          const w = this.out.begin(Backend.parameterDescription).int16(stmt.paramTypes.length);
          for (const t of stmt.paramTypes) w.int32(t.oid);
          w.end();
          if (stmt.fields === null) this.out.empty(Backend.noData);
          else this.rowDescription(stmt.fields, []);
        } else {
          const p = this.portals.get(name);
          if (p === undefined) throw new SqlError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
          if (p.stmt.fields === null) this.out.empty(Backend.noData);
          else this.rowDescription(p.stmt.fields, p.resultFormats);
        }
        return;
      }
      case Frontend.execute: {
        const name = r.cstring();
        const limit = r.int32();
        const p = this.portals.get(name);
        if (p === undefined) throw new SqlError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
        if (p.result === null) p.result = await session.execute(p.stmt, p.params);
        await this.sendResult(p.result, p.resultFormats, { limit, p }, false);
        this.afterStatement();
        return;
      }
      case Frontend.close: {
        const kind = String.fromCharCode(r.byte());
        const name = r.cstring();
        if (kind === 'S') this.statements.delete(name);
        else this.portals.delete(name);
        this.out.empty(Backend.closeComplete);
        return;
      }
    }
  }
}
