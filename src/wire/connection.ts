// One client connection: startup, then one async loop that handles messages strictly in order —
// the simple query protocol here, the extended one in extended-query.ts, COPY in copy-protocol.ts.
// Handlers that need more input (COPY FROM STDIN) read it from the same loop.
import { Socket } from 'net';
import { ExecuteResult, Session } from '../engine/session-api';
import { SqlError, SqlState, toSqlError } from '../types/sql-error';
import { FormatSettings } from '../types/text-format';
import { runCopyIn, runCopyOut } from './copy-protocol';
import { ExtendedQuery } from './extended-query';
import { BodyReader, Message, ProtocolViolation } from './message-reader';
import { AuthCode, Backend, Frontend } from './protocol-codes';
import { writeDataRows } from './result-writer';
import { ConnectionClosed, SocketIO } from './socket-io';
import { StartupContext, runStartup } from './startup';

export interface ConnectionContext extends StartupContext {
  /** Startup and authentication must finish within this time (PostgreSQL's authentication_timeout). */
  startupTimeoutMs: number;
}

export class Connection {
  private readonly io: SocketIO;
  private session: Session | null = null;
  private extended: ExtendedQuery | null = null;
  private skippingUntilSync = false;
  /** A message is being handled (a statement may be running). */
  private busy = false;
  private stopping = false;
  /** A FATAL error went out: nothing more is said on this connection. */
  private fatalSent = false;
  /** Resolves when the connection is over and its session closed. */
  readonly finished: Promise<void>;

  constructor(socket: Socket, private readonly ctx: ConnectionContext) {
    this.io = new SocketIO(socket);
    // The client went away: a running statement has no one to answer to.
    this.io.onClose(() => {
      if (this.busy) this.session?.cancel();
    });
    this.finished = this.run();
  }

  /** Server shutdown: cancels the running statement, then ends the connection with FATAL 57P01. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.busy) this.session?.cancel();
    this.io.interrupt();
  }

  /** Drops the socket without ceremony (shutdown grace period over). */
  destroy(): void {
    this.io.destroy();
  }

  private async run(): Promise<void> {
    try {
      if (!(await this.startup())) return;
      await this.messageLoop();
    } catch (err) {
      this.fail(err);
    } finally {
      if (this.stopping && !this.fatalSent && !this.io.closed) this.io.out.error(new SqlError(SqlState.adminShutdown, 'terminating connection due to administrator command', { severity: 'FATAL' }));
      await this.closeSession();
      this.io.end();
    }
  }

  /** A fatal error: tell the client (if it is still there) and end the connection. */
  private fail(err: unknown): void {
    if (err instanceof ConnectionClosed) return;
    let e: SqlError;
    if (err instanceof ProtocolViolation) e = new SqlError(SqlState.protocolViolation, err.message, { severity: 'FATAL' });
    else if (err instanceof SqlError) e = err.severity === 'ERROR' ? new SqlError(err.code, err.message, { severity: 'FATAL', detail: err.detail, hint: err.hint }) : err;
    else {
      console.error('tessera: internal error in connection', err);
      e = new SqlError(SqlState.internalError, String((err as Error)?.message ?? err), { severity: 'FATAL' });
    }
    this.io.out.error(e);
    this.fatalSent = true;
  }

  private async closeSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s === null) return;
    try {
      await s.close();
    } catch (err) {
      console.error('tessera: error closing session', err);
    }
  }

  // ---- startup ----

  private async startup(): Promise<boolean> {
    const timer = setTimeout(() => {
      this.io.out.error(new SqlError(SqlState.queryCanceled, 'canceling authentication due to timeout', { severity: 'FATAL' }));
      this.io.end();
    }, this.ctx.startupTimeoutMs);
    timer.unref();
    let request;
    try {
      request = await runStartup(this.io, this.ctx);
    } finally {
      clearTimeout(timer);
    }
    if (request === null || this.io.closed) return false;
    const session = this.ctx.db.createSession({ user: request.user, database: request.database, applicationName: request.applicationName, parameters: request.parameters });
    this.session = session;
    this.extended = new ExtendedQuery(this.io, session, () => this.formatSettings(), () => this.sendNotices());
    const out = this.io.out;
    out.begin(Backend.authentication).int32(AuthCode.ok).end();
    for (const [k, v] of session.reportedParameters()) out.parameterStatus(k, v);
    session.takeParameterChanges(); // already reported above
    out.begin(Backend.backendKeyData).int32(session.processId).int32(session.secretKey).end();
    this.sendNotices();
    out.readyForQuery(session.transactionStatus);
    await this.io.flush();
    return true;
  }

  // ---- message loop ----

  private async messageLoop(): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const m = await this.io.readMessage();
      if (m === null || m.type === Frontend.terminate) return;
      // After an error in an extended-query batch everything up to Sync is discarded.
      if (this.skippingUntilSync && m.type !== Frontend.sync) continue;
      this.busy = true;
      try {
        await this.dispatch(m);
      } finally {
        this.busy = false;
      }
      if (this.io.mustFlush) await this.io.flush();
    }
  }

  /** Handles one message: the handler's own promise, not wrapped in another one (every simple query passes here). */
  private dispatch(m: Message): Promise<void> {
    switch (m.type) {
      case Frontend.query:
        return this.simpleQuery(m);
      default:
        return this.dispatchOther(m);
    }
  }

  private async dispatchOther(m: Message): Promise<void> {
    switch (m.type) {
      case Frontend.parse:
      case Frontend.bind:
      case Frontend.describe:
      case Frontend.execute:
      case Frontend.close:
        try {
          await this.extended!.handle(m);
        } catch (err) {
          this.reportError(err);
          this.skippingUntilSync = true;
          // PostgreSQL flushes every error at once, so a pipelining client learns of it before its Sync.
          await this.io.flush();
        }
        return;
      case Frontend.sync:
        this.skippingUntilSync = false;
        await this.readyForQuery();
        return this.io.flush();
      case Frontend.flush:
        return this.io.flush();
      case Frontend.copyData:
      case Frontend.copyDone:
      case Frontend.copyFail:
        // Left over from a COPY that already failed: dropped, as the protocol says.
        return;
      case Frontend.functionCall:
        this.reportError(new SqlError(SqlState.featureNotSupported, 'fast-path function calls are not supported'));
        await this.readyForQuery();
        return this.io.flush();
      default:
        throw new ProtocolViolation(`invalid frontend message type ${m.type}`);
    }
  }

  /**
   * Sends an error raised while handling a message as ErrorResponse; the session lives on.
   * Fatal conditions (client gone, broken framing, FATAL errors) propagate and end the connection.
   */
  private reportError(err: unknown): void {
    if (err instanceof ConnectionClosed || err instanceof ProtocolViolation) throw err;
    if (!(err instanceof SqlError)) console.error('tessera: internal error', err);
    const e = toSqlError(err);
    if (e.severity !== 'ERROR') throw e;
    this.sendNotices();
    this.io.out.error(e);
  }

  /** NoticeResponse for each notice the session raised since the last call. */
  private sendNotices(): void {
    for (const n of this.session!.takeNotices()) this.io.out.notice(n);
  }

  /** ParameterStatus for each reported setting that changed (SET TimeZone …); PostgreSQL sends them just before ReadyForQuery. */
  private sendParameterChanges(): void {
    for (const [k, v] of this.session!.takeParameterChanges()) this.io.out.parameterStatus(k, v);
  }

  /**
   * End of a simple query or of an extended batch: implicit commit, then ReadyForQuery. A promise
   * only when the session had a transaction to end (inside a block nothing is waited for).
   */
  private readyForQuery(): Promise<void> | undefined {
    let ending: Promise<void> | undefined;
    try {
      ending = this.session!.endOfCommandGroup();
    } catch (err) {
      this.reportError(err);
    }
    if (ending === undefined) {
      this.sendReadyForQuery();
      return undefined;
    }
    return ending.then(
      () => this.sendReadyForQuery(),
      (err: unknown) => {
        this.reportError(err);
        this.sendReadyForQuery();
      },
    );
  }

  private sendReadyForQuery(): void {
    const session = this.session!;
    this.sendNotices();
    this.sendParameterChanges();
    // Portals live until their transaction ends.
    if (session.transactionStatus === 'I') this.extended!.dropPortals();
    this.io.out.readyForQuery(session.transactionStatus);
  }

  private formatSettings(): FormatSettings {
    return this.session!.formatSettings();
  }

  // ---- simple query ----

  private async simpleQuery(m: Message): Promise<void> {
    const session = this.session!;
    this.extended!.dropUnnamed();
    try {
      const r = new BodyReader(m.body);
      const sql = r.cstring();
      r.end();
      const stmts = session.parseSimple(sql);
      if (stmts.length === 0) this.io.out.empty(Backend.emptyQueryResponse);
      for (const stmt of stmts) {
        const result = await session.execute(stmt, []);
        this.sendNotices();
        // A command tag or a result that fits the buffer is written without an await.
        const writing = this.writeSimpleResult(result);
        if (writing !== undefined) await writing;
        if (this.io.mustFlush) await this.io.flush();
      }
    } catch (err) {
      // The rest of the query string is skipped.
      this.reportError(err);
    }
    const ending = this.readyForQuery();
    if (ending !== undefined) await ending;
    // The whole response (results, notices, ReadyForQuery) goes out in one socket write.
    const writing = this.io.flush();
    if (writing !== undefined) await writing;
  }

  private writeSimpleResult(result: ExecuteResult): Promise<void> | undefined {
    const out = this.io.out;
    switch (result.kind) {
      case 'empty':
        out.empty(Backend.emptyQueryResponse);
        return undefined;
      case 'command':
        out.commandComplete(result.command);
        return undefined;
      case 'rows': {
        out.rowDescription(result.fields, []);
        const written = writeDataRows(this.io, result.batches, [], this.formatSettings(), { batch: 0, row: 0 }, 0);
        if (typeof written === 'number') {
          out.commandComplete(result.command);
          return undefined;
        }
        return written.then(() => void out.commandComplete(result.command));
      }
      case 'copyIn':
        return runCopyIn(this.io, result);
      case 'copyOut':
        return runCopyOut(this.io, result);
    }
  }
}
