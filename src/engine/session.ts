// A client session: binds and runs statements, owns the transaction state and settings.
// The wire server and the embedded API are thin adapters over this class.
import type { InterconnectStatsRow } from '../sql/bind-interconnect-stats';
import type { ClusterNodeRow } from '../sql/bind-cluster-nodes';
import type { RouteStatsRow } from '../sql/bind-route-stats';
import type { RemoteFragmentProvider } from '../exec/parallel/remote-types';
import * as os from 'os';
import { currentMicros } from '../types/datetime';
import { memoryBytes } from './memory-units';
import { standbyFetchLimitBytes } from './standby-fetch-limit';
import { randomInt } from 'crypto';
import { PlanNode } from '../plan/plan';
import { memoizedForFrozen } from '../plan/frozen-memo';
import { Storage, StorageSnapshot, TableSnapshot, TxnImage, WriteTxn, CatalogView, RowId, TableDef, uniqueKeysOf } from '../storage/api';
import { hashKeys } from '../storage/key-hash';
import { Types, typeFromOid } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { Batch, Scalar, Vector } from '../types/vector';
import { FormatSettings } from '../types/text-format';
import { vectorFromScalars } from '../types/vector-ops';
import { BindContext } from '../sql/bind-context';
import { bindStatement } from '../sql/bind-statement';
import { BoundStatement } from '../sql/bound-statement';
import { ParsedStatement, parseSql } from '../sql/parse';
import { ExecContext } from '../exec/context';
import { executePlan, executePlanAsync, executePlanWithStats } from '../exec/execute';
import { ExecuteResult, Field, Notice, PreparedStatement, Session, SessionOptions, TransactionStatus } from './session-api';
import { SessionSettings, canonicalName, parseDurationMs } from './settings';
import { CommitLog, IsolationLevel, RowLockMode, RowLocks, TableLocks, TableLockMode, parseIsolation, readOnlyViolation, usesTransactionSnapshot, writeCommandName } from '../txn';
import { ActiveReaders } from './active-readers';
import { runCopyFrom, runCopyTo } from './copy';
import { runDelete, runInsert, runUpdate } from './dml';
import { runDdl } from './ddl';
import { sessionSequences } from './sequence-functions';
import { explainLines } from '../planner/explain';
import { refuseReadWriteOnStandby, refuseSerializableOnStandby, runTransactionStatement } from './transaction-control';
import { LearnedOptimizer, parseMlMode } from '../ml/learned-optimizer';
import { hasMlAnnotations, planTimesFromExecution, samplesFromExecution } from '../ml/learn-from-execution';
import { NodeStats } from '../exec/execute';
import { CachedStatement, StatementCache, preparedEntry, statementCacheChecks, verifyCachedPlan } from './statement-cache';
import { LiteralScan } from '../sql/literal-params';
import { statementLocks } from './statement-locks';
import { columnsRead } from './columns-read';
import { runLockingSelect } from './locking-select';

/** INSERTs of at most this many rows lock their unique keys (see lockInsertedKeys). */
export const INSERT_KEY_LOCK_ROWS = 10000;

/** What the session needs from its database. */
export interface EngineDatabase {
  readonly storage: Storage;
  /** Where operators over work_mem write temp files (the data directory's tmp/); absent: the OS's. */
  readonly spillDirectory?: string;
  readonly rowLocks: RowLocks;
  readonly tableLocks: TableLocks;
  readonly commitLog: CommitLog;
  collectGarbage(tables: number[]): Promise<void>;
  readonly readers: ActiveReaders;
  readonly settings: Map<string, string>;
  /** The learned optimizer (absent in contexts without one: classic planning only). */
  readonly ml?: LearnedOptimizer;
  /** Set by the cluster layer: its interconnect's per-peer counters (tessera_interconnect_stats()). */
  interconnectStats?: () => InterconnectStatsRow[];
  /** Set by the cluster layer: the cluster's nodes (tessera_cluster_nodes()). */
  clusterNodes?: () => ClusterNodeRow[];
  /** Set by the cluster layer: its statement router's counters (tessera_route_stats()). */
  routeStats?: () => RouteStatsRow[];
  /** Set by the cluster layer on the leader: other nodes that take morsels of parallel fragments. */
  remoteFragments?: RemoteFragmentProvider;
  /** The engine was closed (its sessions' statements are refused). */
  readonly closed?: boolean;
  /** A cluster leader's gate (Database.readGate): statements wait while it is shut. */
  readonly readGate?: (() => Promise<void> | null) | undefined;
  /** A cluster follower's read-only engine over its copy of the leader's store (no transaction may write). */
  readonly hotStandby?: boolean;
  unregister(session: EngineSession): void;
}

/** A savepoint's record of the transaction's locks (what ROLLBACK TO keeps). */
export interface SavepointLocks {
  rows: number;
  tables: Map<number, TableLockMode>;
}

interface EnginePrepared extends PreparedStatement {
  readonly parsed: ParsedStatement;
  /** A simple query whose shape is cached: its plan and this string's literals as parameter values. */
  readonly cached?: { entry: CachedStatement; params: Scalar[] };
  /** A simple query whose shape was seen before: a cache entry is made when it is bound. */
  readonly shape?: { sql: string; scan: LiteralScan };
  /** A prepared statement (extended protocol): its bound plan, kept from its second execution on. */
  readonly reuse?: { executions: number; entry: CachedStatement | null };
}

/** work_mem's text ('4MB', '64kB', or a bare number of kB) in bytes; 4MB when unreadable. */
function workMemBytes(text: string): number {
  if (text === lastWorkMem.text) return lastWorkMem.bytes;
  const bytes = memoryBytes(text, 1024) ?? 4 * 1024 * 1024;
  lastWorkMem = { text, bytes };
  return bytes;
}
/** The last work_mem parsed (every statement asks; it rarely changes). */
let lastWorkMem = { text: '', bytes: 0 };

/** fn, remembering its last argument and result (settings every statement parses; they rarely change). A throw is not remembered. */
function lastOf<T>(fn: (text: string) => T): (text: string) => T {
  let text: string | null = null;
  let result: T;
  return (t) => {
    if (t !== text) {
      result = fn(t);
      text = t;
    }
    return result;
  };
}
const statementTimeoutMs = lastOf((t) => parseDurationMs('statement_timeout', t));
const defaultIsolation = lastOf((t) => parseIsolation('default_transaction_isolation', t));
const fetchLimitBytes = lastOf(standbyFetchLimitBytes);
const defaultReadOnly = lastOf((t) => ['on', 'true', 'yes', '1'].includes(t.toLowerCase()));

/** hasMlAnnotations, remembered for frozen plans (the statement cache's, run many times). */
const mlAnnotated = memoizedForFrozen(hasMlAnnotations);

const queryCanceled = () => new SqlError(SqlState.queryCanceled, 'canceling statement due to user request');

/** takeNotices() when there is none (frozen: nothing may be added to it). */
const NO_NOTICES: Notice[] = Object.freeze([]) as unknown as Notice[];

export class EngineSession implements Session {
  readonly processId: number;
  readonly secretKey = randomInt(1, 0x7fffffff);
  readonly settings: SessionSettings;
  private status: TransactionStatus = 'I';
  private inBlock = false;
  private txn: WriteTxn | null = null;
  /** The current transaction's isolation level (default_transaction_isolation when it began). */
  isolation: IsolationLevel = 'read committed';
  /** READ ONLY transaction (BEGIN READ ONLY, SET TRANSACTION READ ONLY, default_transaction_read_only). */
  readOnly = false;
  /** REPEATABLE READ / SERIALIZABLE: the snapshot taken by the transaction's first statement. */
  private txnSnapshot: StorageSnapshot | null = null;
  /** Whether a statement has taken a snapshot in this transaction (SET TRANSACTION must come first). */
  snapshotTaken = false;
  /** SERIALIZABLE: tables read by the transaction (its read set). */
  private readonly readTables = new Set<number>();
  /** Open savepoints, innermost last; image null when the transaction had not written yet. */
  savepoints: { name: string; image: TxnImage | null; locks?: SavepointLocks }[] = [];
  private notices: Notice[] = [];
  private cancelRequested = false;
  private statementDeadline = 0;
  private transactionStartMicros = 0;
  /** Time spent binding and planning the current statement (EXPLAIN ANALYZE's Planning Time). */
  private planningMs = 0;
  /** Bound plans of simple-query strings by shape (statement-cache.ts). */
  readonly statementCache = new StatementCache();
  /** The transaction ran DDL: the statement cache stands aside until it ends. */
  private ddlInTransaction = false;
  /** Statements started since the last ReadyForQuery (endOfCommandGroup): a group's first may be refused for its fetch size. */
  private groupStatements = 0;

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
    const look = this.statementCacheUsable() ? this.statementCache.lookup(sql) : null;
    if (look !== null && look.hit !== null) {
      const cached: EnginePrepared = { sql, paramTypes: [], fields: null, isEmpty: false, parsed: { ast: look.hit.ast, text: sql, offset: 0 }, cached: { entry: look.hit, params: look.params } };
      return [cached];
    }
    const parsed = parseSql(sql);
    if (parsed.length === 0) return [this.emptyStatement(sql)];
    if (look !== null && parsed.length === 1) {
      if (!look.seenBefore) this.statementCache.noteSeen(look.scan);
      else return [{ sql: parsed[0].text, paramTypes: [], fields: null, isEmpty: false, parsed: parsed[0], shape: { sql, scan: look.scan } } as EnginePrepared];
    }
    return parsed.map((p) => ({ sql: p.text, paramTypes: [], fields: null, isEmpty: false, parsed: p }) as EnginePrepared);
  }

  /** Whether simple queries may use (and fill) the statement cache now. */
  private statementCacheUsable(): boolean {
    if (this.ddlInTransaction) return false;
    // What the settings say, worked out again only when one changed (asked twice per statement).
    if (this.cacheUsableAt !== this.settings.version) {
      this.cacheUsableBySettings = this.settings.get('plan_cache_mode') !== 'force_custom_plan' && (this.db.ml === undefined || this.settings.get('ml_optimizer') === 'off');
      this.cacheUsableAt = this.settings.version;
    }
    return this.cacheUsableBySettings;
  }
  private cacheUsableAt = -1;
  private cacheUsableBySettings = false;

  prepare(sql: string, paramTypeOids: number[]): PreparedStatement {
    const parsed = parseSql(sql);
    if (parsed.length === 0) return this.emptyStatement(sql);
    if (parsed.length > 1) throw new SqlError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    const ctx = this.bindContext(paramTypeOids.map((oid) => typeForOid(oid)));
    const bound = bindStatement(parsed[0], ctx);
    const paramTypes = ctx.paramTypes.map((t) => (t.name === 'unknown' ? Types.text : t));
    return { sql, paramTypes, fields: fieldsOf(bound), isEmpty: false, parsed: parsed[0], reuse: { executions: 0, entry: null } } as EnginePrepared;
  }

  private emptyStatement(sql: string): EnginePrepared {
    return { sql, paramTypes: [], fields: null, isEmpty: true, parsed: { ast: undefined, text: '', offset: 0 } };
  }

  async execute(stmt: PreparedStatement, params: Scalar[]): Promise<ExecuteResult> {
    if (stmt.isEmpty) return { kind: 'empty' };
    // A cluster follower's standby engine is closed when the node is promoted or its copy replaced:
    // a connection still holding it must not read a copy no longer kept current.
    if (this.db.closed === true) throw new SqlError(SqlState.adminShutdown, 'terminating connection because its engine was closed (this node stopped serving it); reconnect');
    this.cancelRequested = false;
    this.groupStatements++;
    const gate = this.db.readGate?.();
    if (gate) await gate;
    const leave = this.db.readers.enterStatementNow() ?? (await this.db.readers.enterStatement());
    try {
      return await this.executeEntered(stmt as EnginePrepared, params);
    } finally {
      leave();
    }
  }

  private async executeEntered(stmt: EnginePrepared, params: Scalar[]): Promise<ExecuteResult> {
    const timeout = statementTimeoutMs(this.settings.get('statement_timeout'));
    this.statementDeadline = timeout > 0 ? Date.now() + timeout : 0;
    if (this.status === 'I') {
      this.transactionStartMicros = currentMicros();
      if (this.txn === null && !this.snapshotTaken) this.resetTransactionState(null);
    }
    let parsed = stmt.parsed;
    let shape = stmt.shape;
    const reuse = stmt.reuse;
    if (reuse !== undefined && reuse.entry !== null) {
      const locked = this.statementCacheUsable() ? this.lockTablesOf(reuse.entry) : false;
      if (locked !== false && (locked === true || (await locked)) && StatementCache.valid(reuse.entry, this.catalog(), this.settings.version)) {
        if (statementCacheChecks.verify && this.status !== 'E') verifyCachedPlan(reuse.entry, params, () => bindStatement(parsed, this.bindContext(stmt.paramTypes.slice())), stmt.sql);
        return this.executeCached(reuse.entry, params);
      }
      reuse.entry = null;
    }
    if (stmt.cached !== undefined) {
      const { entry } = stmt.cached;
      const locked = this.statementCacheUsable() ? this.lockTablesOf(entry) : false;
      if (locked !== false && (locked === true || (await locked)) && StatementCache.valid(entry, this.catalog(), this.settings.version)) {
        if (statementCacheChecks.verify && this.status !== 'E') verifyCachedPlan(entry, stmt.cached.params, () => bindStatement(parseSql(stmt.sql)[0], this.bindContext([])), stmt.sql);
        return this.executeCached(entry, stmt.cached.params);
      }
      // Something binding read changed (DDL, a setting): bound anew, and cached anew from this binding.
      [parsed] = parseSql(stmt.sql);
      const scan = this.statementCache.forget(stmt.sql);
      shape = scan === null ? undefined : { sql: stmt.sql, scan };
    }
    try {
      let ctx = this.bindContext(stmt.paramTypes.slice());
      this.refuseIfAborted(parsed.ast);
      const bindStart = performance.now();
      let bound = bindStatement(parsed, ctx);
      // Waited for another transaction's table lock: bound again against what it committed (a DROP, an ALTER), as PostgreSQL looks the names up again.
      for (let w = this.lockTables(bound); w !== false && (await w); w = this.lockTables(bound)) {
        ctx = this.bindContext(stmt.paramTypes.slice());
        bound = bindStatement(parsed, ctx);
      }
      if (shape !== undefined && this.statementCacheUsable())
        this.statementCache.build(shape.sql, shape.scan, parsed.ast, bound, {
          catalog: ctx.catalog,
          settingsVersion: this.settings.version,
          bind: (ast, paramTypes) => bindStatement({ ast, text: parsed.text, offset: parsed.offset }, this.bindContext(paramTypes)),
        });
      // A prepared statement executed again keeps its plan (not the first time: most are run once).
      if (reuse !== undefined && ++reuse.executions >= 2 && this.statementCacheUsable())
        reuse.entry = preparedEntry(parsed.ast, bound, ctx.paramTypes, ctx.catalog, this.settings.version);
      this.planningMs = performance.now() - bindStart;
      const prepared = this.prepareRead(bound);
      if (prepared !== null) await prepared;
      const result = await this.run(bound, params, ctx.paramTypes);
      await this.awaitDurableReads();
      if (!this.inBlock && result.kind !== 'copyIn') await this.commitImplicit();
      if (result.kind === 'copyIn') this.copying = true;
      return result;
    } catch (err) {
      await this.failStatement();
      throw err;
    }
  }

  /** executeEntered for a statement whose bound plan is cached (statement-cache.ts): no parse, bind or plan. */
  private async executeCached(entry: CachedStatement, params: Scalar[]): Promise<ExecuteResult> {
    try {
      this.refuseIfAborted(entry.ast);
      this.planningMs = 0;
      this.statementCache.hits++;
      const prepared = this.prepareRead(entry.bound);
      if (prepared !== null) await prepared;
      const result = await this.run(entry.bound, params, entry.paramTypes);
      await this.awaitDurableReads();
      if (!this.inBlock) await this.commitImplicit();
      return result;
    } catch (err) {
      await this.failStatement();
      throw err;
    }
  }

  /**
   * Takes the table locks a statement needs (statement-locks.ts), held until the transaction ends;
   * true when it had to wait for another transaction (what that one committed may change the binding).
   */
  private lockTables(bound: BoundStatement): false | Promise<boolean> {
    const { mode, tables } = statementLocks(bound, this.currentCatalog);
    if (tables.length === 0) return false;
    return this.db.tableLocks.lock(this, tables, mode, this.checkCancel);
  }

  /**
   * For a cached plan: takes its table locks. True at once when nothing had to wait (no promise, as
   * for nearly every statement); else a promise of true once they are taken. An error fails the statement.
   */
  private lockTablesOf(entry: CachedStatement): true | Promise<true> {
    let w: false | Promise<boolean>;
    try {
      this.refuseIfAborted(entry.ast);
      w = this.lockTables(entry.bound);
    } catch (err) {
      return this.failStatement().then(() => Promise.reject(err));
    }
    if (w === false) return true;
    return w.then(
      () => true as const,
      (err: unknown) => this.failStatement().then(() => Promise.reject(err)),
    );
  }

  /**
   * A cluster standby's store keeps some chunks only as markers (their bytes are on other nodes):
   * they are fetched before a reading statement runs (storage.prepareRead). Usually null (no wait).
   */
  private prepareRead(bound: BoundStatement): Promise<void> | null {
    if (this.db.hotStandby !== true || this.db.storage.prepareRead === undefined || (bound.kind !== 'query' && bound.kind !== 'explain' && bound.kind !== 'copyTo')) return null;
    const columns = columnsRead(bound);
    if (columns.size === 0) return null;
    return this.db.storage.prepareRead(columns, this.txnSnapshot, this.fetchLimit());
  }

  /**
   * standby_fetch_limit, for the first statement of a command group (a simple Query, or extended
   * messages up to Sync) outside a transaction block: refused, it has sent the client nothing the
   * statement router cannot hold back (ParseComplete, BindComplete, descriptions), so the router runs
   * the unit on the leader instead (cluster/routed-session.ts). A later statement of the group follows
   * rows already sent, and a transaction block's statement a snapshot that is this node's: those fetch
   * what they need, however much. (The router sends a standby no transaction block; a session opened
   * on a standby directly would get the 53T01 error.)
   */
  private fetchLimit(): number | undefined {
    return this.groupStatements === 1 && !this.inBlock ? fetchLimitBytes(this.settings.get('standby_fetch_limit')) : undefined;
  }

  /** In an aborted transaction block only COMMIT, ROLLBACK and ROLLBACK TO are accepted (25P02). */
  private refuseIfAborted(ast: Record<string, any> | undefined): void {
    if (this.status !== 'E') return;
    const tag = ast !== undefined ? Object.keys(ast)[0] : '';
    const kind = tag === 'TransactionStmt' ? ast!.TransactionStmt.kind : '';
    // PREPARE TRANSACTION of an aborted block rolls it back, as PostgreSQL's does.
    if (kind !== 'TRANS_STMT_ROLLBACK' && kind !== 'TRANS_STMT_COMMIT' && kind !== 'TRANS_STMT_ROLLBACK_TO' && kind !== 'TRANS_STMT_PREPARE')
      throw new SqlError(SqlState.inFailedSqlTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
  }

  /** Nothing to wait for (undefined, no promise) inside a transaction block. */
  endOfCommandGroup(): Promise<void> | undefined {
    this.groupStatements = 0;
    if (this.inBlock) return undefined;
    this.settings.endTransaction(true);
    return this.commitImplicit();
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
    // Asked after every statement; nearly always there is none (no new array then).
    if (n.length === 0) return NO_NOTICES;
    this.notices = [];
    return n;
  }
  notice(message: string, code: string = SqlState.successfulCompletion, severity: Notice['severity'] = 'NOTICE'): void {
    this.notices.push({ severity, code, message });
  }
  setting(name: string): string {
    return this.settings.get(name);
  }
  formatSettings(): FormatSettings {
    return this.settings.format();
  }

  async close(): Promise<void> {
    this.abortTxn();
    this.db.unregister(this);
  }

  /** The catalog as this session sees it (its own uncommitted DDL included). */
  catalog(): CatalogView {
    return this.txn !== null ? this.db.storage.catalogIn(this.txn) : this.db.storage.catalog();
  }
  /** catalog(), for who needs it only sometimes (statementLocks: DROP). */
  private readonly currentCatalog = (): CatalogView => this.catalog();

  bindContext(paramTypes: import('../types/data-type').DataType[]): BindContext {
    const storage = this.db.storage;
    const txn = this.txn;
    const snap = this.txnSnapshot;
    const visible = (id: number): TableSnapshot => {
      if (txn !== null) return txn.table(id);
      if (snap !== null) {
        try {
          return snap.table(id);
        } catch (err) {
          if (err instanceof SqlError) throw err; // else created after the snapshot
        }
      }
      return storage.snapshot(id);
    };
    return {
      catalog: this.catalog(),
      format: this.settings.format(),
      paramTypes,
      ctePlans: [],
      nextCteId: 0,
      expandingViews: new Set(),
      tableRowCount: (id) => visible(id).liveRowCount,
      tableStatistics: (id) => {
        const t = visible(id);
        const stats = t.statistics();
        const rows = t.liveRowCount;
        // Distinct counts cannot exceed the live rows (deletions are only counted by ANALYZE).
        const uniqueKeys = uniqueKeysOf(t.def).map((k) => k.columns);
        return { rowCount: rows, columns: stats === null ? [] : stats.columns.map((c) => (c.distinct > rows ? { ...c, distinct: Math.max(1, rows) } : c)), uniqueKeys };
      },
      cardinalityModel: this.cardinalityModel(),
      sessionUser: this.options.user,
      database: this.options.database,
      setting: (name) => this.settings.get(name),
      settingNames: () => this.settings.names(),
      processId: this.processId,
      storageStats: () => storage.storageStats(),
      bufferStats: () => storage.bufferStats(),
      commitStats: () => storage.commitQueueStats(),
      interconnectStats: () => this.db.interconnectStats?.() ?? [],
      clusterNodes: () => this.db.clusterNodes?.() ?? [],
      routeStats: () => this.db.routeStats?.() ?? [],
      mlModelStatus: this.db.ml === undefined ? undefined : () => this.db.ml!.status(),
      sequenceState: (def) => storage.sequences.state(def),
    };
  }

  private cardinalityModel() {
    const mode = parseMlMode(this.settings.get('ml_optimizer')) ?? 'off';
    if (this.db.ml === undefined || mode === 'off') return undefined;
    const storage = this.db.storage;
    // Samples come from the latest committed data (an estimate: no read dependency for serializable).
    let ctx: ExecContext | null = null;
    return this.db.ml.model(mode, { snapshot: (id) => storage.snapshot(id), context: () => (ctx ??= this.execContext([])) });
  }

  /** Feeds the true rows of the plan's featurized subplans to the learned optimizer. */
  private readonly learnFrom = (plan: PlanNode) => {
    const start = performance.now();
    return (stats: Map<PlanNode, NodeStats>): void => {
      if (this.db.ml === undefined || !mlAnnotated(plan)) return;
      this.db.ml.learn(samplesFromExecution(plan, stats), this.settings.get('ml_learn') !== 'off');
      this.db.ml.recordPlanTimes(planTimesFromExecution(plan, stats, performance.now() - start));
    };
  };

  /** `consistent`: outside a transaction, every table as of this one moment (for statements that pause). */
  execContext(params: Scalar[], consistent = false): ExecContext {
    const storage = this.db.storage;
    const committed = consistent ? storage.snapshotAll() : (id: number) => storage.snapshot(id);
    return {
      params,
      snapshot: (id) => this.readTable(id, committed),
      format: this.settings.format(),
      statementStartMicros: currentMicros(),
      transactionStartMicros: this.transactionStartMicros,
      checkCancel: this.checkCancel,
      sequences: this.sequenceFunctions,
      setConfig: this.setConfig,
      workMem: { bytes: workMemBytes(this.settings.get('work_mem')), dir: this.db.spillDirectory ?? os.tmpdir() },
    };
  }

  /** set_config(): as SET, or SET LOCAL with is_local (outside a block: until the end of the implicit transaction). */
  private readonly setConfig = (name: string, value: string | null, isLocal: boolean): string | null => {
    this.settings.set(name.toLowerCase(), value, isLocal);
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
  async runPlanAsync(plan: PlanNode, params: Scalar[], onStats = this.learnFrom(plan)): Promise<Batch[]> {
    const ctx = this.execContext(params, true);
    const p = this.parallelSettings();
    ctx.parallelWorkers = p.workers;
    ctx.parallelMinRows = p.minRows;
    ctx.parallelJoinBuildRows = p.joinBuildRows;
    ctx.parallelSharedJoinRows = p.sharedJoinRows;
    ctx.parallelRoundBytes = p.roundBytes;
    if (this.db.remoteFragments !== undefined && p.cluster) {
      ctx.remoteFragments = this.db.remoteFragments;
      ctx.clusterJoinDistribution = p.joinDistribution;
    }
    const leave = this.db.readers.enter();
    try {
      return await executePlanAsync(plan, ctx, onStats);
    } finally {
      leave();
    }
  }

  /** The parallel-execution settings, read again only when a setting changed (every query asks). */
  private parallelSettings(): { workers: number; minRows: number; joinBuildRows: number; sharedJoinRows: number; roundBytes: number; cluster: boolean; joinDistribution: string } {
    if (this.parallelAt?.version !== this.settings.version) {
      this.parallelAt = {
        version: this.settings.version,
        workers: Number(this.settings.get('max_parallel_workers')),
        minRows: Number(this.settings.get('parallel_min_rows')),
        joinBuildRows: Number(this.settings.get('parallel_join_build_rows')),
        sharedJoinRows: Number(this.settings.get('parallel_shared_join_rows')),
        cluster: this.settings.get('cluster_parallel_query') === 'on',
        joinDistribution: this.settings.get('cluster_join_distribution'),
        // The buffer pool's capacity is fixed when the database opens.
        roundBytes: this.db.storage.bufferStats().capacityBytes / 2,
      };
    }
    return this.parallelAt;
  }
  private parallelAt: { version: number; workers: number; minRows: number; joinBuildRows: number; sharedJoinRows: number; roundBytes: number; cluster: boolean; joinDistribution: string } | null = null;

  /** Runs a plan to completion. */
  runPlan(plan: PlanNode, params: Scalar[], extraCtes?: Map<number, Batch[]>): Batch[] {
    const ctx = this.execContext(params);
    if (extraCtes !== undefined) ctx.ctes = extraCtes;
    return executePlan(plan, ctx);
  }

  /**
   * The write transaction, begun on first use: its writes stay private until COMMIT (based on the
   * transaction's snapshot under REPEATABLE READ / SERIALIZABLE, on the latest commit otherwise).
   */
  async writeTxn(): Promise<WriteTxn> {
    return this.writeTxnNow();
  }

  /** writeTxn without a promise (the DML path, once per statement). */
  writeTxnNow(): WriteTxn {
    if (this.txn !== null) return this.txn;
    this.txn = this.db.storage.begin(this.txnSnapshot ?? undefined);
    return this.txn;
  }

  /** COPY FROM STDIN finished: commit unless inside a transaction block. */
  async finishCopy(): Promise<void> {
    this.copying = false;
    if (!this.inBlock) await this.commitImplicit();
  }

  /** A statement (or COPY) failed outside execute(): same rules as a failed statement. */
  abortAfterError(): void {
    this.copying = false;
    void this.failStatement();
    // The error is answered with the end of the command group, which waits (see commitImplicit).
    this.readDecided();
  }

  private async commitImplicit(): Promise<void> {
    const txn = this.txn;
    if (txn === null) {
      this.endTransaction();
      // Nothing when the statements waited already; a failed COPY's error waits here.
      await this.readsDurable(true);
      return;
    }
    this.txn = null;
    const serializable = this.isolation === 'serializable' && this.txnSnapshot !== null;
    const snapshotVersion = this.txnSnapshot?.version ?? 0;
    const log = this.db.commitLog;
    try {
      // Statements still reading the chunks this commit removes finish first; new ones wait until it is written.
      let reopen: (() => void) | null = null;
      if (txn.rewritesChunks) {
        await this.db.readers.idle();
        reopen = this.db.readers.closeGate();
      }
      await txn.commit({
        validate: () => {
          if (serializable) log.validate(snapshotVersion, this.readTables);
        },
        committed: (version) => log.record(version, txn.writtenTables()),
        // Decided (visible, its durable write queued): the row locks go now, so their waiters go on
        // while the write is in flight; the rest of the transaction's state goes once it is durable.
        decided: () => this.db.rowLocks.releaseAll(this),
      }).finally(() => reopen?.());
      // Durable, so is every commit decided before it (what its statements read).
      this.readVersion = 0;
    } catch (err) {
      // A refused commit (40001, 23505) may have been refused because of a decided commit.
      this.readDecided();
      await this.readsDurable(true);
      throw err;
    } finally {
      this.endTransaction();
    }
    void this.db.collectGarbage(txn.writtenTables());
  }

  /** Ends the transaction without committing: its writes are dropped, its row locks released. */
  abortTxn(): void {
    if (this.txn !== null) {
      this.txn.abort();
      this.txn = null;
    }
    this.endTransaction();
  }

  /** Where the transaction's row and table locks are at a SAVEPOINT. */
  lockMark(): SavepointLocks {
    return { rows: this.db.rowLocks.mark(), tables: this.db.tableLocks.mark(this) };
  }

  /** ROLLBACK TO SAVEPOINT: the row and table locks taken since the savepoint go, as in PostgreSQL. */
  releaseLocksSince(mark: SavepointLocks): void {
    this.db.rowLocks.releaseSince(this, mark.rows);
    this.db.tableLocks.releaseSince(this, mark.tables);
  }

  /** Forgets the per-transaction state (locks, snapshot, savepoints, read set). */
  private endTransaction(): void {
    this.db.rowLocks.releaseAll(this);
    this.db.tableLocks.releaseAll(this);
    this.db.commitLog.end(this);
    this.txnSnapshot = null;
    this.snapshotTaken = false;
    this.readTables.clear();
    this.savepoints = [];
    this.ddlInTransaction = false;
  }

  /** A new transaction: its isolation level is the one BEGIN names, else default_transaction_isolation. */
  resetTransactionState(level: IsolationLevel | null): void {
    this.isolation = level ?? defaultIsolation(this.settings.get('default_transaction_isolation'));
    this.readOnly = this.db.hotStandby === true || defaultReadOnly(this.settings.get('default_transaction_read_only'));
    this.txnSnapshot = null;
    this.snapshotTaken = false;
    this.readTables.clear();
    this.savepoints = [];
  }

  /**
   * Called before a statement reads or writes: READ COMMITTED moves its own writes onto the latest
   * commit (a fresh snapshot per statement); REPEATABLE READ / SERIALIZABLE take the transaction's
   * snapshot once, at its first statement, as PostgreSQL does.
   */
  beginStatement(): void {
    this.snapshotTaken = true;
    if (!usesTransactionSnapshot(this.isolation)) {
      this.txn?.refresh();
      return;
    }
    if (this.txnSnapshot === null) {
      if (this.isolation === 'serializable') refuseSerializableOnStandby(this.db, true);
      this.txnSnapshot = this.db.storage.snapshotState();
      if (this.isolation === 'serializable') this.db.commitLog.begin(this, this.txnSnapshot.version);
    }
  }

  /** The newest commit version the statements may have read and not yet waited for (see awaitDurableReads). */
  private readVersion = 0;

  /**
   * Commits are visible once decided, before their write is durable (storage/write-pipeline.ts).
   * A statement that is not part of a transaction that has written (an autocommit SELECT, the
   * statements of a read-only transaction, whose COMMIT then has nothing left to wait for) waits,
   * before its result is returned, until every commit its snapshots held is durable: a client
   * never sees data a crash could still take back. A writing transaction's statements do not
   * wait: its own COMMIT is written after those commits, so it is acknowledged only once they are
   * durable too; if it rolls back, or its COMMIT fails, that waits instead (readsDurable).
   * Usually nothing is pending and this is one comparison.
   */
  private async awaitDurableReads(): Promise<void> {
    if (this.txn === null) await this.readsDurable(false);
  }

  /**
   * Waits until every commit the transaction's statements may have read is durable. `quiet`: a
   * failed store (58030) is not this statement's error (ROLLBACK, a COMMIT that already failed).
   */
  async readsDurable(quiet: boolean): Promise<void> {
    const version = this.readVersion;
    this.readVersion = 0;
    if (version === 0) return;
    const wait = this.db.storage.durableAt(version);
    if (wait === null) return;
    if (quiet) await wait.catch(() => undefined);
    else await wait;
  }

  /** A table's data as this transaction reads it (own writes, else its snapshot, else the latest commit). */
  private readTable(id: number, committed: (id: number) => TableSnapshot): TableSnapshot {
    if (this.isolation === 'serializable') this.readTables.add(id);
    // At least the version of the snapshot read below (the latest commit's when there is no transaction snapshot).
    const seen = this.txnSnapshot?.version ?? this.db.storage.version;
    if (seen > this.readVersion) this.readVersion = seen;
    if (this.txn !== null) return this.txn.table(id);
    if (this.txnSnapshot !== null) {
      try {
        return this.txnSnapshot.table(id);
      } catch (err) {
        // A table created after the snapshot: its committed state (its catalog entry is current too).
        if (err instanceof SqlError) throw err;
      }
    }
    return committed(id);
  }

  /** Whether a REPEATABLE READ / SERIALIZABLE snapshot is open (old row versions must stay). */
  get holdsSnapshot(): boolean {
    return this.txnSnapshot !== null;
  }

  /** A COPY FROM STDIN is receiving rows (outside any running statement): its key checks read the table as its transaction does. */
  copying = false;

  /** The REPEATABLE READ / SERIALIZABLE snapshot held, or null. */
  get transactionSnapshot(): StorageSnapshot | null {
    return this.txnSnapshot;
  }

  /** The commit version of the REPEATABLE READ / SERIALIZABLE snapshot held, or null. */
  get snapshotVersion(): number | null {
    return this.txnSnapshot?.version ?? null;
  }

  /** The transaction savepoints and ROLLBACK TO work on (for transaction-control.ts). */
  get writeTxnOrNull(): WriteTxn | null {
    return this.txn;
  }
  set writeTxnOrNull(txn: WriteTxn | null) {
    this.txn = txn;
  }
  get inTransactionBlock(): boolean {
    return this.inBlock;
  }
  set inTransactionBlock(v: boolean) {
    this.inBlock = v;
  }
  setStatus(s: TransactionStatus): void {
    this.status = s;
  }

  /**
   * Locks the unique keys an INSERT adds until the transaction ends (PostgreSQL's inserter holds
   * its transaction lock): a second inserter of one of them waits for the first transaction to
   * end, then fails with 23505 if it committed the key, or goes on if it rolled back. Big inserts
   * (more than INSERT_KEY_LOCK_ROWS rows in the statement, `statementRows`, not only in this batch) are left to the check at commit.
   */
  async lockInsertedKeys(table: TableDef, columns: Vector[], n: number, statementRows = n): Promise<void> {
    if (n === 0 || statementRows > INSERT_KEY_LOCK_ROWS) return;
    if (!(await this.lockKeysOf(table, columns, n))) return;
    // It waited for a transaction that inserted one of the keys: checked against the commits now.
    const probe = this.db.storage.begin();
    try {
      probe.append(table.id, columns);
    } finally {
      probe.abort();
    }
  }

  /** Locks the unique keys of `n` rows until the transaction ends (see lockInsertedKeys); true when it waited for another transaction. */
  async lockKeysOf(table: TableDef, columns: Vector[], n: number): Promise<boolean> {
    const names: string[] = [];
    for (const k of uniqueKeysOf(table)) {
      const { hashes, nulls } = hashKeys(columns, k.columns, n);
      for (let i = 0; i < n; i++) if (nulls === null || nulls[i] === 0) names.push(`k${table.id}/${k.name}/${hashes[i]}`);
    }
    return names.length > 0 && this.db.rowLocks.lockNamed(this, names, this.checkCancel);
  }

  /** A row's lock without waiting (SELECT … NOWAIT / SKIP LOCKED); the transaction's own rows need none. */
  tryLockRow(tableId: number, rowId: RowId, mode: RowLockMode = 'exclusive'): boolean {
    const txn = this.txn!;
    if (txn.isOwnRow(tableId, rowId)) return true;
    const now = txn.rowsNow(tableId, [rowId]);
    // Changed since the statement read it: lockRows says so (the statement runs again, or 40001).
    if (now === null || now[0] < 0) return true;
    return this.db.rowLocks.tryLock(this, tableId, now[0], mode);
  }

  /**
   * Takes the row locks for an UPDATE/DELETE (or FOR UPDATE) of committed rows the statement read.
   * Returns true when READ COMMITTED must re-run the statement (a commit changed one of the rows
   * since its snapshot, typically the writer it waited for); REPEATABLE READ and SERIALIZABLE fail
   * with 40001 then, as PostgreSQL does. Locks are named by the rows' RowIds in the table's
   * committed state now: a compaction since the statement read the rows (or during the wait) moved
   * them, which alone changes no row.
   */
  async lockRows(tableId: number, rowIds: ArrayLike<RowId>, mode: RowLockMode = 'exclusive'): Promise<boolean> {
    const txn = this.txn!;
    const committed: RowId[] = [];
    for (let i = 0; i < rowIds.length; i++) if (!txn.isOwnRow(tableId, rowIds[i])) committed.push(rowIds[i]);
    if (committed.length === 0) return false;
    const locks = this.db.rowLocks;
    for (;;) {
      const now = txn.rowsNow(tableId, committed);
      if (now === null || now.includes(-1)) return this.rowsChanged();
      // Nobody else holds them: locked with nothing run in between, so they are still what rowsNow found.
      if (locks.lockNow(this, tableId, now, mode)) return false;
      const moves = locks.moveCount(tableId);
      const mark = locks.mark();
      await locks.lock(this, tableId, now, this.checkCancel, mode);
      if (locks.moveCount(tableId) !== moves) {
        // Compacted while it waited: lock() stopped there (its RowIds name other rows now, or none).
        // What it took goes, and the rows are locked again under their new RowIds.
        locks.releaseSince(this, mark);
        continue;
      }
      const after = txn.rowsNow(tableId, committed);
      return after === null || after.includes(-1) ? this.rowsChanged() : false;
    }
  }

  private rowsChanged(): true {
    if (usesTransactionSnapshot(this.isolation)) throw new SqlError(SqlState.serializationFailure, 'could not serialize access due to concurrent update');
    return true;
  }

  /**
   * A failed statement: inside a block the transaction is aborted until ROLLBACK or ROLLBACK TO a
   * savepoint (which restores the savepoint's image, so the writes are kept until then); otherwise
   * rolled back now.
   */
  private async failStatement(): Promise<void> {
    // The error may come from any commit decided so far (a duplicate key, a conflict, a row's
    // value): it is answered (outside a block), or the block's ROLLBACK returns, once they are durable.
    this.readDecided();
    if (this.inBlock && this.savepoints.length > 0) {
      this.status = 'E';
      return;
    }
    this.abortTxn();
    if (this.inBlock) this.status = 'E';
    else {
      this.settings.endTransaction(false);
      await this.readsDurable(true);
    }
  }

  /** Counts every commit decided so far as read (see readsDurable): an error may depend on any of them. */
  private readDecided(): void {
    const version = this.db.storage.version;
    if (version > this.readVersion) this.readVersion = version;
  }

  private async run(bound: BoundStatement, params: Scalar[], paramTypes: readonly unknown[]): Promise<ExecuteResult> {
    // Allowed in a read-only transaction, not on a hot standby (PostgreSQL: PreventCommandDuringRecovery).
    if (this.db.hotStandby === true && (bound.kind === 'analyze' || (bound.kind === 'noop' && bound.command === 'VACUUM'))) {
      throw new SqlError(SqlState.readOnlySqlTransaction, `cannot execute ${bound.kind === 'analyze' ? 'ANALYZE' : 'VACUUM'} during recovery`);
    }
    if (this.readOnly) {
      const command = writeCommandName(bound);
      if (command !== null) throw readOnlyViolation(command);
    }
    if (bound.kind !== 'transaction' && bound.kind !== 'set' && bound.kind !== 'show' && bound.kind !== 'noop') this.beginStatement();
    switch (bound.kind) {
      case 'query': {
        this.checkParams(params, paramTypes);
        const batches = await this.runPlanAsync(bound.plan, params);
        return rowsResult(bound.plan, batches, 'SELECT');
      }
      case 'insert':
        return runInsert(this, bound, params);
      case 'update':
        return runUpdate(this, bound, params);
      case 'delete':
        return runDelete(this, bound, params);
      case 'lockingSelect':
        this.checkParams(params, paramTypes);
        return runLockingSelect(this, bound, params);
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
        this.ddlInTransaction = true;
        return runDdl(this, bound);
      case 'transaction':
        return this.runTransaction(bound);
      case 'set':
        if (bound.name === 'all') throw notSupported('RESET ALL');
        if (bound.name === 'transaction_isolation') return this.setTransactionIsolation(bound.value, bound.local);
        if (bound.name === 'transaction_read_only' || bound.name === 'default_transaction_read_only') refuseReadWriteOnStandby(this.db, bound.value);
        if (bound.name === 'transaction_read_only') {
          if (!this.inBlock) this.notice('SET TRANSACTION can only be used in transaction blocks', SqlState.noActiveSqlTransaction, 'WARNING');
          else this.readOnly = ['on', 'true', 'yes', '1'].includes((bound.value ?? 'off').toLowerCase());
          return { kind: 'command', command: 'SET' };
        }
        if (bound.local && !this.inBlock) {
          this.notice('SET LOCAL can only be used in transaction blocks', SqlState.noActiveSqlTransaction, 'WARNING');
          return { kind: 'command', command: 'SET' };
        }
        if (bound.name === 'default_transaction_isolation' && bound.value !== null) parseIsolation(bound.name, bound.value);
        this.settings.set(bound.name, bound.value, bound.local);
        return { kind: 'command', command: bound.value === null ? 'RESET' : 'SET' };
      case 'show': {
        const rows =
          bound.name === 'all' ? this.settings.all() : [[bound.name, bound.name === 'transaction_isolation' ? this.isolation : bound.name === 'transaction_read_only' ? (this.readOnly ? 'on' : 'off') : this.settings.get(bound.name)]];
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
          this.checkParams(params, paramTypes);
          const start = performance.now();
          const learn = this.learnFrom(bound.plan);
          let stats = new Map<PlanNode, NodeStats>();
          await this.runPlanAsync(bound.plan, params, (s) => (stats = s));
          const executionMs = performance.now() - start;
          learn(stats);
          const o = bound.options ?? { costs: true, timing: true, summary: true, buffers: true };
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

  private checkParams(params: Scalar[], paramTypes: readonly unknown[]): void {
    if (params.length < paramTypes.length)
      throw new SqlError(SqlState.protocolViolation, `bind message supplies ${params.length} parameters, but prepared statement requires ${paramTypes.length}`);
  }

  private async runTransaction(bound: Extract<BoundStatement, { kind: 'transaction' }>): Promise<ExecuteResult> {
    return runTransactionStatement(this, bound);
  }

  /** COMMIT of the open transaction (for transaction-control.ts). */
  commitTransaction(): Promise<void> {
    return this.commitImplicit();
  }

  /** The transaction block ended: SET LOCAL values lapse, and a rollback also undoes plain SETs. */
  endSettingsTransaction(committed: boolean): void {
    this.settings.endTransaction(committed);
  }

  /** SET TRANSACTION ISOLATION LEVEL / SET transaction_isolation: only before the transaction's first query. */
  private setTransactionIsolation(value: string | null, fromSetTransaction: boolean): ExecuteResult {
    const level = parseIsolation('transaction_isolation', value ?? this.settings.get('default_transaction_isolation'));
    if (level === 'serializable' && value !== null) refuseSerializableOnStandby(this.db);
    if (!this.inBlock) {
      if (fromSetTransaction) this.notice('SET TRANSACTION can only be used in transaction blocks', SqlState.noActiveSqlTransaction, 'WARNING');
      return { kind: 'command', command: 'SET' };
    }
    if (level !== this.isolation) {
      if (this.snapshotTaken) throw new SqlError(SqlState.activeSqlTransaction, 'SET TRANSACTION ISOLATION LEVEL must be called before any query');
      if (this.savepoints.length > 0) throw new SqlError(SqlState.activeSqlTransaction, 'SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction');
    }
    this.isolation = level;
    return { kind: 'command', command: 'SET' };
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
    case 'lockingSelect':
      return fieldsFromOutput(bound.targets.output);
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

