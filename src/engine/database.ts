// An open database: storage, row locks and the commit log of concurrent transactions, and the sessions connected to it. Both the wire
// server and the embedded API open one of these.
import { Storage } from '../storage/api';
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

export interface DatabaseOptions {
  /** Data directory, or null / ':memory:' for a database with no files. */
  dir: string | null;
  /** Settings from the conf file and -c options (raw text values). */
  settings?: Map<string, string>;
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
    const dir = options.dir === ':memory:' ? null : options.dir;
    const release = dir === null ? () => undefined : lockDataDirectory(dir);
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
      });
      // Temp files of operators over work_mem; leftovers of a crash are removed.
      const spillDir = dir === null ? path.join(os.tmpdir(), `tessera-spill-${process.pid}`) : path.join(dir, 'tmp');
      fs.rmSync(spillDir, { recursive: true, force: true });
      return new Database(storage, settings, release, pool.trace, spillDir);
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
  private gcRunning = false;

  /**
   * After a commit: compacts the tables it wrote whose dead versions are half their rows, while no
   * snapshot that could still see them exists (no REPEATABLE READ / SERIALIZABLE snapshot open, no
   * statement reading, nobody waiting for a row lock). Runs beside the sessions, not in their commits.
   */
  async collectGarbage(tables: number[]): Promise<void> {
    if (this.gcRunning) return;
    this.gcRunning = true;
    // After the statement that committed has ended.
    await new Promise((r) => setImmediate(r));
    try {
      for (const id of tables) {
        if (!this.oldSnapshotsGone()) return;
        if (this.writtenByOpenTransaction(id)) continue;
        let reopen: (() => void) | null = null;
        try {
          // The rewrite reuses the table's chunk keys: while it is written no statement may start.
          const safe = () => {
            if (!this.oldSnapshotsGone() || this.writtenByOpenTransaction(id)) return false;
            reopen = this.readers.closeGate();
            return true;
          };
          await this.storage.compact(id, Database.GC_MIN_DEAD, safe, (moved) => this.rowLocks.remap(id, moved));
        } catch {
          // Another commit came first or a snapshot appeared: a later commit tries again.
        } finally {
          (reopen as (() => void) | null)?.();
        }
      }
    } finally {
      this.gcRunning = false;
    }
  }

  /**
   * Whether an open transaction has written the table: its private state of the table predates the
   * rewrite's generation, so compacting now would fail its next statement or its commit with 40001
   * (even under READ COMMITTED, between two statements of one transaction block).
   */
  private writtenByOpenTransaction(tableId: number): boolean {
    for (const s of this.sessions.values()) if (s.writeTxnOrNull?.writtenTables().includes(tableId) === true) return true;
    return false;
  }

  private oldSnapshotsGone(): boolean {
    if (this.readers.busy || this.readers.statementsRunning > 0 || this.rowLocks.waiting > 0) return false;
    for (const s of this.sessions.values()) if (s.holdsSnapshot) return false;
    return true;
  }

  unregister(session: EngineSession): void {
    this.sessions.delete(session.processId);
  }

  async close(): Promise<void> {
    for (const s of [...this.sessions.values()]) await s.close();
    await this.ml.close();
    await this.storage.close();
    this.trace?.close();
    this.releaseDirectory();
  }
}
