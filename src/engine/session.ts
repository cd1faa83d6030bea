// A client session: binds and runs statements, owns the transaction state and settings.
// The wire server and the embedded API are thin adapters over this class.
import { currentMicros } from '../types/datetime';
import { randomInt } from 'crypto';
import { PlanNode } from '../plan/plan';
import { Storage, WriteTxn, CatalogView } from '../storage/api';
import { Types, typeFromOid } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { Batch, Scalar } from '../types/vector';
import { vectorFromScalars } from '../types/vector-ops';
import { BindContext } from '../sql/bind-context';
import { bindStatement } from '../sql/bind-statement';
import { BoundStatement } from '../sql/bound-statement';
import { ParsedStatement, parseSql } from '../sql/parse';
import { ExecContext } from '../exec/context';
import { executePlan, executePlanAsync, executePlanWithStats } from '../exec/execute';
import { ExecuteResult, Field, Notice, PreparedStatement, Session, SessionOptions, TransactionStatus } from './session-api';
import { SessionSettings, canonicalName, parseDurationMs } from './settings';
import { WriteLock } from './write-lock';
import { ActiveReaders } from './active-readers';
import { runCopyFrom, runCopyTo } from './copy';
import { runDelete, runInsert, runUpdate } from './dml';
import { runDdl } from './ddl';
import { sessionSequences } from './sequence-functions';
import { explainLines } from '../planner/explain';

/** What the session needs from its database. */
export interface EngineDatabase {
  readonly storage: Storage;
  readonly writeLock: WriteLock;
  readonly readers: ActiveReaders;
  readonly settings: Map<string, string>;
  unregister(session: EngineSession): void;
}

interface EnginePrepared extends PreparedStatement {
  readonly parsed: ParsedStatement;
}

const queryCanceled = () => new SqlError(SqlState.queryCanceled, 'canceling statement due to user request');

export class EngineSession implements Session {
  readonly processId: number;
  readonly secretKey = randomInt(1, 0x7fffffff);
  readonly settings: SessionSettings;
  private status: TransactionStatus = 'I';
  private inBlock = false;
  private txn: WriteTxn | null = null;
  private releaseLock: (() => void) | null = null;
  private notices: Notice[] = [];
  private cancelRequested = false;
  private statementDeadline = 0;
  private transactionStartMicros = 0;
  /** Time spent binding and planning the current statement (EXPLAIN ANALYZE's Planning Time). */
  private planningMs = 0;

  constructor(
    readonly db: EngineDatabase,
    readonly options: SessionOptions,
    processId: number,
  ) {
    this.processId = processId;
    const initial = new Map(db.settings);
    initial.set('session_authorization', options.user);
    if (options.applicationName !== undefined) initial.set('application_name', options.applicationName);
    for (const [k, v] of Object.entries(options.parameters ?? {})) if (k !== 'user' && k !== 'database' && k !== 'options') initial.set(k, v);
    this.settings = new SessionSettings(initial);
  }

  get transactionStatus(): TransactionStatus {
    return this.status;
  }

  parseSimple(sql: string): PreparedStatement[] {
    const parsed = parseSql(sql);
    if (parsed.length === 0) return [this.emptyStatement(sql)];
    return parsed.map((p) => ({ sql: p.text, paramTypes: [], fields: null, isEmpty: false, parsed: p }) as EnginePrepared);
  }

  prepare(sql: string, paramTypeOids: number[]): PreparedStatement {
    const parsed = parseSql(sql);
    if (parsed.length === 0) return this.emptyStatement(sql);
    if (parsed.length > 1) throw new SqlError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    const ctx = this.bindContext(paramTypeOids.map((oid) => typeForOid(oid)));
    const bound = bindStatement(parsed[0], ctx);
    const paramTypes = ctx.paramTypes.map((t) => (t.name === 'unknown' ? Types.text : t));
    return { sql, paramTypes, fields: fieldsOf(bound), isEmpty: false, parsed: parsed[0] } as EnginePrepared;
  }

  private emptyStatement(sql: string): EnginePrepared {
    return { sql, paramTypes: [], fields: null, isEmpty: true, parsed: { ast: undefined, text: '', offset: 0 } };
  }

  async execute(stmt: PreparedStatement, params: Scalar[]): Promise<ExecuteResult> {
    if (stmt.isEmpty) return { kind: 'empty' };
    const parsed = (stmt as EnginePrepared).parsed;
    this.cancelRequested = false;
    const timeout = parseDurationMs('statement_timeout', this.settings.get('statement_timeout'));
    this.statementDeadline = timeout > 0 ? Date.now() + timeout : 0;
    if (this.status === 'I') this.transactionStartMicros = currentMicros();
    try {
      const ctx = this.bindContext(stmt.paramTypes.slice());
      if (this.status === 'E') {
        const tag = parsed.ast !== undefined ? Object.keys(parsed.ast)[0] : '';
        const kind = tag === 'TransactionStmt' ? parsed.ast!.TransactionStmt.kind : '';
        if (kind !== 'TRANS_STMT_ROLLBACK' && kind !== 'TRANS_STMT_COMMIT' && kind !== 'TRANS_STMT_ROLLBACK_TO')
          throw new SqlError(SqlState.inFailedSqlTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
      }
      const bindStart = performance.now();
      const bound = bindStatement(parsed, ctx);
      this.planningMs = performance.now() - bindStart;
      const result = await this.run(bound, params, ctx);
      if (!this.inBlock && result.kind !== 'copyIn') await this.commitImplicit();
      return result;
    } catch (err) {
      await this.failStatement();
      throw err;
    }
  }

  async endOfCommandGroup(): Promise<void> {
    if (!this.inBlock) await this.commitImplicit();
  }

  cancel(): void {
    this.cancelRequested = true;
  }

  readonly checkCancel = (): void => {
    if (this.cancelRequested) {
      this.cancelRequested = false;
      throw queryCanceled();
    }
    if (this.statementDeadline !== 0 && Date.now() > this.statementDeadline)
      throw new SqlError(SqlState.queryCanceled, 'canceling statement due to statement timeout');
  };

  reportedParameters(): [string, string][] {
    return this.settings.reported();
  }
  takeParameterChanges(): [string, string][] {
    return this.settings.takeChanges();
  }
  takeNotices(): Notice[] {
    const n = this.notices;
    this.notices = [];
    return n;
  }
  notice(message: string, code: string = SqlState.successfulCompletion, severity: Notice['severity'] = 'NOTICE'): void {
    this.notices.push({ severity, code, message });
  }
  setting(name: string): string {
    return this.settings.get(name);
  }

  async close(): Promise<void> {
    this.abortTxn();
    this.db.unregister(this);
  }

  /** The catalog as this session sees it (its own uncommitted DDL included). */
  catalog(): CatalogView {
    return this.txn !== null ? this.db.storage.catalogIn(this.txn) : this.db.storage.catalog();
  }

  bindContext(paramTypes: import('../types/data-type').DataType[]): BindContext {
    const storage = this.db.storage;
    const txn = this.txn;
    return {
      catalog: this.catalog(),
      format: this.settings.format(),
      paramTypes,
      ctePlans: [],
      nextCteId: 0,
      expandingViews: new Set(),
      tableRowCount: (id) => (txn !== null ? txn.table(id) : storage.snapshot(id)).liveRowCount,
      tableStatistics: (id) => {
        const snap = txn !== null ? txn.table(id) : storage.snapshot(id);
        const stats = snap.statistics();
        const rows = snap.liveRowCount;
        // Distinct counts cannot exceed the live rows (deletions are only counted by ANALYZE).
        return { rowCount: rows, columns: stats === null ? [] : stats.columns.map((c) => (c.distinct > rows ? { ...c, distinct: Math.max(1, rows) } : c)) };
      },
      sessionUser: this.options.user,
      database: this.options.database,
      setting: (name) => this.settings.get(name),
      settingNames: () => this.settings.names(),
      processId: this.processId,
      storageStats: () => storage.storageStats(),
      sequenceState: (def) => storage.sequences.state(def),
    };
  }

  /** `consistent`: outside a transaction, every table as of this one moment (for statements that pause). */
  execContext(params: Scalar[], consistent = false): ExecContext {
    const storage = this.db.storage;
    const txn = this.txn;
    const committed = consistent ? storage.snapshotAll() : (id: number) => storage.snapshot(id);
    return {
      params,
      snapshot: (id) => (txn !== null ? txn.table(id) : committed(id)),
      format: this.settings.format(),
      statementStartMicros: currentMicros(),
      transactionStartMicros: this.transactionStartMicros,
      checkCancel: this.checkCancel,
      sequences: this.sequenceFunctions,
      setConfig: this.setConfig,
    };
  }

  /** set_config(): as SET (is_local: for the rest of the session too, as SET LOCAL is not kept apart yet). */
  private readonly setConfig = (name: string, value: string | null, isLocal: boolean): string | null => {
    void isLocal;
    this.settings.set(name.toLowerCase(), value);
    return this.settings.get(name.toLowerCase());
  };

  /** currval/lastval: this session's last nextval per sequence (PostgreSQL keeps them per backend). */
  private readonly seqLast = new Map<number, number>();
  private lastSeqId: number | null = null;
  private readonly sequenceFunctions = sessionSequences(this);

  /** @internal For sequence-functions.ts. */
  get sequenceMemory(): { last: Map<number, number>; lastId: number | null; setLastId(id: number): void } {
    return { last: this.seqLast, lastId: this.lastSeqId, setLastId: (id) => (this.lastSeqId = id) };
  }

  /**
   * Runs a query plan to completion, pausing every few milliseconds so the event loop serves other
   * sessions and CancelRequests meanwhile. Reads one consistent moment of every table.
   */
  async runPlanAsync(plan: PlanNode, params: Scalar[]): Promise<Batch[]> {
    const ctx = this.execContext(params, true);
    ctx.parallelWorkers = Number(this.settings.get('max_parallel_workers'));
    const leave = this.db.readers.enter();
    try {
      return await executePlanAsync(plan, ctx);
    } finally {
      leave();
    }
  }

  /** Runs a plan to completion. */
  runPlan(plan: PlanNode, params: Scalar[], extraCtes?: Map<number, Batch[]>): Batch[] {
    const ctx = this.execContext(params);
    if (extraCtes !== undefined) ctx.ctes = extraCtes;
    return executePlan(plan, ctx);
  }

  /** The write transaction, taking the database's write lock on first use. */
  async writeTxn(): Promise<WriteTxn> {
    if (this.txn !== null) return this.txn;
    this.releaseLock = await this.db.writeLock.acquire(this, this.checkCancel);
    this.txn = this.db.storage.begin();
    return this.txn;
  }

  /** COPY FROM STDIN finished: commit unless inside a transaction block. */
  async finishCopy(): Promise<void> {
    if (!this.inBlock) await this.commitImplicit();
  }

  /** A statement (or COPY) failed outside execute(): same rules as a failed statement. */
  abortAfterError(): void {
    this.abortTxn();
    if (this.inBlock) this.status = 'E';
  }

  private async commitImplicit(): Promise<void> {
    const txn = this.txn;
    if (txn === null) return;
    this.txn = null;
    try {
      // Statements still reading the chunks this commit removes finish first.
      if (txn.rewritesChunks) await this.db.readers.idle();
      await txn.commit();
    } finally {
      this.releaseWriteLock();
    }
  }

  private abortTxn(): void {
    if (this.txn !== null) {
      this.txn.abort();
      this.txn = null;
    }
    this.releaseWriteLock();
  }

  private releaseWriteLock(): void {
    const release = this.releaseLock;
    this.releaseLock = null;
    release?.();
  }

  /** A failed statement: inside a block the transaction is aborted until ROLLBACK; otherwise rolled back now. */
  private async failStatement(): Promise<void> {
    this.abortTxn();
    if (this.inBlock) this.status = 'E';
  }

  private async run(bound: BoundStatement, params: Scalar[], ctx: BindContext): Promise<ExecuteResult> {
    switch (bound.kind) {
      case 'query': {
        this.checkParams(params, ctx);
        const batches = await this.runPlanAsync(bound.plan, params);
        return rowsResult(bound.plan, batches, 'SELECT');
      }
      case 'insert':
        return runInsert(this, bound, params);
      case 'update':
        return runUpdate(this, bound, params);
      case 'delete':
        return runDelete(this, bound, params);
      case 'createTable':
      case 'drop':
      case 'createView':
      case 'addPrimaryKey':
      case 'truncate':
      case 'createSequence':
      case 'alterSequence':
      case 'alterTable':
      case 'createIndex':
      case 'analyze':
        return runDdl(this, bound);
      case 'transaction':
        return this.runTransaction(bound);
      case 'set':
        if (bound.name === 'all') throw notSupported('RESET ALL');
        if (bound.name === 'transaction_isolation') return { kind: 'command', command: 'SET' };
        this.settings.set(bound.name, bound.value);
        return { kind: 'command', command: bound.value === null ? 'RESET' : 'SET' };
      case 'show': {
        const rows = bound.name === 'all' ? this.settings.all() : [[bound.name, this.settings.get(bound.name)]];
        if (bound.name === 'all') {
          const plan: PlanNode = { kind: 'values', rows: [], output: [{ name: 'name', type: Types.text }, { name: 'setting', type: Types.text }] };
          const batch: Batch = { length: rows.length, columns: [vectorFromScalars(Types.text, rows.map((r) => r[0])), vectorFromScalars(Types.text, rows.map((r) => r[1]))] };
          return { ...rowsResult(plan, [batch], 'SHOW'), command: 'SHOW' } as ExecuteResult;
        }
        // The column is named as the setting is spelled (SHOW timezone → "TimeZone"), as in PostgreSQL.
        const plan: PlanNode = { kind: 'values', rows: [], output: [{ name: canonicalName(bound.name) ?? bound.name, type: Types.text }] };
        return { ...rowsResult(plan, [{ length: 1, columns: [vectorFromScalars(Types.text, [rows[0][1]])] }], 'SHOW'), command: 'SHOW' } as ExecuteResult;
      }
      case 'copyFrom':
        return runCopyFrom(this, bound);
      case 'copyTo':
        return runCopyTo(this, bound, params);

      case 'explain': {
        let lines: string[];
        if (bound.analyze) {
          // Runs the query (rows are discarded) and reports each node's actual rows and times.
          this.checkParams(params, ctx);
          const start = performance.now();
          const { stats } = executePlanWithStats(bound.plan, this.execContext(params));
          const executionMs = performance.now() - start;
          const o = bound.options ?? { costs: true, timing: true, summary: true };
          lines = explainLines(bound.plan, stats, o);
          if (o.summary) lines.push(`Planning Time: ${this.planningMs.toFixed(3)} ms`, `Execution Time: ${executionMs.toFixed(3)} ms`);
        } else {
          const o = bound.options ?? { costs: true, timing: false, summary: false };
          lines = explainLines(bound.plan, undefined, o);
          if (o.summary) lines.push(`Planning Time: ${this.planningMs.toFixed(3)} ms`);
        }
        const plan: PlanNode = { kind: 'values', rows: [], output: [{ name: 'QUERY PLAN', type: Types.text }] };
        return { ...rowsResult(plan, [{ length: lines.length, columns: [vectorFromScalars(Types.text, lines)] }], 'EXPLAIN'), command: 'EXPLAIN' } as ExecuteResult;
      }
      case 'noop':
        return { kind: 'command', command: bound.command };
    }
  }

  private checkParams(params: Scalar[], ctx: BindContext): void {
    if (params.length < ctx.paramTypes.length)
      throw new SqlError(SqlState.protocolViolation, `bind message supplies ${params.length} parameters, but prepared statement requires ${ctx.paramTypes.length}`);
  }

  private async runTransaction(bound: Extract<BoundStatement, { kind: 'transaction' }>): Promise<ExecuteResult> {
    switch (bound.action) {
      case 'begin':
        if (this.inBlock) this.notice('there is already a transaction in progress', SqlState.activeSqlTransaction, 'WARNING');
        this.inBlock = true;
        this.status = 'T';
        return { kind: 'command', command: 'BEGIN' };
      case 'commit': {
        if (!this.inBlock) {
          this.notice('there is no transaction in progress', SqlState.noActiveSqlTransaction, 'WARNING');
          return { kind: 'command', command: 'COMMIT' };
        }
        const failed = this.status === 'E';
        this.inBlock = false;
        this.status = 'I';
        if (failed) {
          this.abortTxn();
          return { kind: 'command', command: 'ROLLBACK' };
        }
        await this.commitImplicit();
        return { kind: 'command', command: 'COMMIT' };
      }
      case 'rollback':
        if (!this.inBlock) this.notice('there is no transaction in progress', SqlState.noActiveSqlTransaction, 'WARNING');
        this.abortTxn();
        this.inBlock = false;
        this.status = 'I';
        return { kind: 'command', command: 'ROLLBACK' };
      default:
        throw notSupported('savepoints');
    }
  }
}

function typeForOid(oid: number) {
  if (oid === 0) return Types.unknown;
  const t = typeFromOid(oid);
  if (t === undefined) throw new SqlError(SqlState.undefinedObject, `type with OID ${oid} does not exist`);
  return t;
}

export function fieldsFromOutput(output: PlanNode['output']): Field[] {
  return output.map((o) => ({ name: o.name, type: o.type.name === 'unknown' ? Types.text : o.type, tableOid: o.tableOid ?? 0, columnAttr: o.columnAttr ?? 0 }));
}

function fieldsOf(bound: BoundStatement): Field[] | null {
  switch (bound.kind) {
    case 'query':
      return fieldsFromOutput(bound.plan.output);
    case 'insert':
    case 'update':
    case 'delete':
      return bound.returning === null ? null : fieldsFromOutput(bound.returning.output);
    case 'show':
      return [{ name: canonicalName(bound.name) ?? bound.name, type: Types.text, tableOid: 0, columnAttr: 0 }];
    case 'explain':
      return [{ name: 'QUERY PLAN', type: Types.text, tableOid: 0, columnAttr: 0 }];
    default:
      return null;
  }
}

export function rowsResult(plan: { output: PlanNode['output'] }, batches: Batch[], verb: string): ExecuteResult {
  let rowCount = 0;
  for (const b of batches) rowCount += b.length;
  return { kind: 'rows', fields: fieldsFromOutput(plan.output), batches, rowCount, command: `${verb} ${rowCount}` };
}
