// An open database: storage, row locks and the commit log of concurrent transactions, and the sessions connected to it. Both the wire
// server and the embedded API open one of these.
import { KvStore, Storage } from '../storage/api';
import { openStorage } from '../storage';
import { PolicyName, makePool } from '../buffer/buffer-pool';
import { AccessTrace } from '../buffer/access-trace';
import { memoryBytes } from './memory-units';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { SharedChunkCache } from '../buffer/shared-chunk-cache';
import { Vector } from '../types/vector';
import { loadParser } from '../sql/parse';
import { DatabaseHandle, SessionOptions } from './session-api';
import { EngineDatabase, EngineSession } from './session';
import { CommitLog, RowLocks, TableLocks, WaitGraph } from '../txn';
import { ActiveReaders } from './active-readers';
import { lockDataDirectory } from './data-dir-lock';
import { LearnedOptimizer } from '../ml/learned-optimizer';
import type { InterconnectStatsRow } from '../sql/bind-interconnect-stats';
import type { ClusterNodeRow } from '../sql/bind-cluster-nodes';
import type { RouteStatsRow } from '../sql/bind-route-stats';
import type { RemoteFragmentProvider } from '../exec/parallel/remote-types';

export interface DatabaseOptions {
  /** Data directory, or null / ':memory:' for a database with no files. */
  dir: string | null;
  /** Settings from the conf file and -c options (raw text values). */
  settings?: Map<string, string>;
  /**
   * The storage's key-value store instead of one on `dir` (tests: writes that can be held back or
   * failed; a cluster node: its replicated store). Whoever supplies it owns it and locks `dir`.
   */
  kv?: KvStore;
  /**
   * `kv` is a cluster follower's copy of the leader's store, which the leader writes: every session is
   * read-only, as on a PostgreSQL hot standby (writes 25006), and the copy's changes are published by
   * `storage.refreshCommitted` (see cluster/standby.ts).
   */
  hotStandby?: boolean;
}

/** '256MB', '1GB', '8kB', '1048576' → bytes. */
export function parseBytes(text: string): number {
  const bytes = memoryBytes(text);
  if (bytes === null) throw new Error(`invalid memory size "${text}"`);
  return bytes;
}

function isOn(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  return ['on', 'true', 'yes', '1'].includes(text.trim().toLowerCase());
}

export class Database implements DatabaseHandle, EngineDatabase {
  /** Who waits for whom, across row and table locks, so a deadlock through both is found. */
  private readonly waits = new WaitGraph();
  readonly rowLocks = new RowLocks(this.waits);
  readonly tableLocks = new TableLocks(this.waits);
  readonly commitLog = new CommitLog();
  readonly readers = new ActiveReaders();
  private readonly sessions = new Map<number, EngineSession>();
  private nextProcessId = 1000 + (process.pid % 1000) * 100;
  /** The learned cardinality model, kept in the database's own store. */
  readonly ml: LearnedOptimizer;
  /**
   * Provider of tessera_interconnect_stats()'s rows, set by the cluster layer when this node joins a
   * cluster (the engine does not import the cluster); undefined: the function returns no rows.
   */
  interconnectStats: (() => InterconnectStatsRow[]) | undefined = undefined;
  /** Provider of tessera_cluster_nodes()'s rows, set likewise by the cluster layer. */
  clusterNodes: (() => ClusterNodeRow[]) | undefined = undefined;
  /** Provider of tessera_route_stats()'s rows: this node's statement router (set by the cluster's main layer). */
  routeStats: (() => RouteStatsRow[]) | undefined = undefined;
  /**
   * Other cluster nodes that take morsels of parallel fragments (set by the cluster layer on the
   * leader: cluster/fragment-provider.ts); undefined: parallel query uses this node's workers only.
   */
  remoteFragments: RemoteFragmentProvider | undefined = undefined;
  /** Every session is read-only: the store is a cluster follower's copy (DatabaseOptions.hotStandby). */
  hotStandby = false;
  /**
   * Set by the cluster layer on a leader: null while it may answer statements, else a wait for that
   * (rejected when it may no longer lead; cluster/read-lease.ts). Undefined: no gate.
   */
  readGate: (() => Promise<void> | null) | undefined = undefined;

  private constructor(
    readonly storage: Storage,
    readonly settings: Map<string, string>,
    private readonly releaseDirectory: () => void,
    private readonly trace: AccessTrace | null = null,
    readonly spillDirectory: string = os.tmpdir(),
  ) {
    this.ml = LearnedOptimizer.open(storage.aux);
  }

  static async open(options: DatabaseOptions): Promise<Database> {
    await loadParser();
    const settings = new Map<string, string>();
    for (const [k, v] of options.settings ?? []) settings.set(k.toLowerCase() === 'timezone' ? 'TimeZone' : k, v);
    if (options.hotStandby === true) {
      settings.set('default_transaction_read_only', 'on');
      settings.set('in_hot_standby', 'on');
    }
    const dir = options.dir === ':memory:' ? null : options.dir;
    const release = dir === null || options.kv !== undefined ? () => undefined : lockDataDirectory(dir);
    try {
      const policy = (settings.get('buffer_replacement') ?? 'lirs') as PolicyName;
      const pool = makePool<Vector>(policy, parseBytes(settings.get('buffer_pool_size') ?? '256MB'));
      // buffer_trace_file: every chunk access is recorded for the replacement benchmark.
      const tracePath = settings.get('buffer_trace_file') ?? '';
      if (tracePath !== '') pool.trace = new AccessTrace(tracePath);
      // Chunks in shared memory: parallel query workers read them without copies.
      const cache = new SharedChunkCache(pool);
      const storage = await openStorage({
        dir,
        cache,
        synchronousCommit: isOn(settings.get('synchronous_commit'), true),
        kv: options.kv,
        readOnlyCopy: options.hotStandby === true,
      });
      // Temp files of operators over work_mem; leftovers of a crash are removed.
      const spillDir = dir === null ? path.join(os.tmpdir(), `tessera-spill-${process.pid}`) : path.join(dir, 'tmp');
      fs.rmSync(spillDir, { recursive: true, force: true });
      const db = new Database(storage, settings, release, pool.trace, spillDir);
      db.hotStandby = options.hotStandby === true;
      return db;
    } catch (err) {
      release();
      throw err;
    }
  }

  createSession(options: SessionOptions): EngineSession {
    const pid = this.nextProcessId++;
    const session = new EngineSession(this, options, pid);
    this.sessions.set(pid, session);
    return session;
  }

  findSession(processId: number, secretKey: number): EngineSession | undefined {
    const s = this.sessions.get(processId);
    return s !== undefined && s.secretKey === secretKey ? s : undefined;
  }

  /** Dead row versions are collected once this many are in a table (and they are half its rows). */
  private static readonly GC_MIN_DEAD = 1024;
  /** Tables being compacted now. */
  private readonly compacting = new Set<number>();
  private closing = false;

  /**
   * After a commit: compacts the tables it wrote whose dead versions are half their rows (see
   * storage/compaction.ts), beside the sessions: writers go on, statements are not held back.
   * Open transactions that wrote the table are moved onto the new RowIds (their row locks at once);
   * the generation it replaced is dropped once the statements running at the switch and the
   * REPEATABLE READ / SERIALIZABLE snapshots older than it have ended.
   */
  async collectGarbage(tables: number[]): Promise<void> {
    if (this.closing) return;
    // One compaction per table at a time; a big table's copy does not hold back a small hot one's.
    const mine = tables.filter((id) => !this.compacting.has(id));
    if (mine.length === 0) return;
    for (const id of mine) this.compacting.add(id);
    // After the statement that committed has ended.
    await new Promise((r) => setImmediate(r));
    try {
      for (const id of mine) {
        let done: { ids: Float64Array; version: number } | null = null;
        try {
          done = await this.storage.compact(id, Database.GC_MIN_DEAD, {
            ready: () => !this.closing && !this.writersBlockCompaction(id),
            moved: (ids) => this.rowLocks.remap(id, ids),
          });
        } catch {
          // The table changed shape or a writer could not be moved: a later commit tries again.
        }
        this.compacting.delete(id);
        if (done !== null) {
          const drop: Promise<void> = this.dropRetiredLater(id, done.version).finally(() => this.retiring.delete(drop));
          this.retiring.add(drop);
        }
      }
    } finally {
      for (const id of mine) this.compacting.delete(id);
    }
  }

  /** Drops of retired generations waiting for their readers (awaited by close). */
  private readonly retiring = new Set<Promise<void>>();

  private async dropRetiredLater(tableId: number, version: number): Promise<void> {
    await this.readers.statementsEnded();
    // Snapshots taken before the switch read the old generation until their transactions end.
    // So does a COPY receiving rows into a transaction that wrote the table before the switch
    // (between its messages no statement runs, but its key checks read the old rows). Other
    // transactions behind move onto the new rows at their next statement, before reading.
    const held = () => {
      for (const s of this.sessions.values()) {
        if ((s.snapshotVersion ?? Infinity) < version) return true;
        const txn = s.writeTxnOrNull;
        if (s.copying && txn !== null && this.storage.writerBlocksCompaction(txn, tableId)) return true;
      }
      return false;
    };
    while (!this.closing && held()) await new Promise((r) => setTimeout(r, 10).unref());
    if (!this.closing) await this.storage.dropRetired(tableId, version).catch(() => undefined);
  }

  /** Whether an open transaction's writes to the table cannot be moved onto a compacted table now. */
  private writersBlockCompaction(tableId: number): boolean {
    for (const s of this.sessions.values()) {
      const txn = s.writeTxnOrNull;
      if (txn !== null && this.storage.writerBlocksCompaction(txn, tableId)) return true;
    }
    return false;
  }

  unregister(session: EngineSession): void {
    this.sessions.delete(session.processId);
  }

  /** close() was called: statements of sessions still holding this engine are refused (see EngineSession.execute). */
  get closed(): boolean {
    return this.closing;
  }

  async close(): Promise<void> {
    // Retired generations not dropped yet are removed at the next open (leftover keys).
    this.closing = true;
    for (const s of [...this.sessions.values()]) await s.close();
    await Promise.all([...this.retiring]);
    await this.ml.close();
    await this.storage.close();
    this.trace?.close();
    this.releaseDirectory();
  }
}
