// Row write locks, held from a transaction's UPDATE/DELETE of a committed row until it ends, as
// PostgreSQL's tuple locks are: a second writer of the same row waits for the first to finish,
// then (READ COMMITTED) re-reads the row's newest version or (REPEATABLE READ, SERIALIZABLE)
// fails with 40001 if it was changed. An INSERT locks the unique keys it adds (lockNamed), so a
// second inserter of a key waits for the first transaction to end, as PostgreSQL's does.
// A wait that would close a cycle of waiting transactions fails with 40P01 instead.
import { SqlError, SqlState } from '../types/sql-error';
import { WaitGraph } from './wait-graph';

export type LockOwner = object;

export class RowLocks {
  /** "table:row" → the transaction holding it. */
  private readonly held = new Map<string, LockOwner>();
  private readonly byOwner = new Map<LockOwner, string[]>();
  /** Transactions waiting for a row lock now. */
  private readonly waitingOwners = new Set<LockOwner>();

  /** `graph`: who waits for whom, shared with the table locks (deadlock detection across both). */
  constructor(private readonly graph: WaitGraph = new WaitGraph()) {}
  /** Resolvers of the waits on each owner's end. */
  private readonly waiters = new Map<LockOwner, (() => void)[]>();

  /**
   * Takes the locks on `rows` of `tableId` for `owner`, waiting for other holders to end.
   * Resolves to true when it had to wait (the rows may have changed meanwhile).
   */
  async lock(owner: LockOwner, tableId: number, rows: ArrayLike<number>, checkCancel: () => void): Promise<boolean> {
    const keys: string[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) keys[i] = `${tableId}:${rows[i]}`;
    return this.lockNamed(owner, keys, checkCancel);
  }

  /** Takes a row's lock if no other transaction holds it (NOWAIT, SKIP LOCKED); false if one does. */
  tryLock(owner: LockOwner, tableId: number, row: number): boolean {
    const key = `${tableId}:${row}`;
    const holder = this.held.get(key);
    if (holder === undefined) this.take(owner, key);
    return holder === undefined || holder === owner;
  }

  private take(owner: LockOwner, key: string): void {
    this.held.set(key, owner);
    let list = this.byOwner.get(owner);
    if (list === undefined) this.byOwner.set(owner, (list = []));
    list.push(key);
  }

  /** Takes locks named by the caller (names never of the "table:row" form); true when it had to wait. */
  async lockNamed(owner: LockOwner, keys: readonly string[], checkCancel: () => void): Promise<boolean> {
    let waited = false;
    for (const key of keys) {
      for (;;) {
        const holder = this.held.get(key);
        if (holder === undefined) {
          this.take(owner, key);
          break;
        }
        if (holder === owner) break;
        await this.waitFor(owner, holder, checkCancel);
        waited = true;
      }
    }
    return waited;
  }

  private async waitFor(owner: LockOwner, holder: LockOwner, checkCancel: () => void): Promise<void> {
    this.graph.wait(owner, [holder]);
    if (this.graph.closesCycle(owner)) {
      this.graph.done(owner);
      throw new SqlError(SqlState.deadlockDetected, 'deadlock detected', { detail: 'Two transactions wait for rows or tables the other has locked.' });
    }
    this.waitingOwners.add(owner);
    let wake!: () => void;
    const ended = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
    let list = this.waiters.get(holder);
    if (list === undefined) this.waiters.set(holder, (list = []));
    list.push(wake);
    try {
      // Poll so a CancelRequest or statement_timeout can end the wait.
      for (;;) {
        const tick = new Promise<boolean>((r) => setTimeout(() => r(false), 20).unref());
        if (await Promise.race([ended, tick])) return;
        checkCancel();
      }
    } finally {
      this.graph.done(owner);
      this.waitingOwners.delete(owner);
    }
  }

  /** The transaction ended (after its commit was published, or on abort): its locks go, its waiters wake. */
  releaseAll(owner: LockOwner): void {
    for (const key of this.byOwner.get(owner) ?? []) if (this.held.get(key) === owner) this.held.delete(key);
    this.byOwner.delete(owner);
    const w = this.waiters.get(owner);
    this.waiters.delete(owner);
    for (const wake of w ?? []) wake();
  }

  /** Transactions waiting for a lock now. */
  get waiting(): number {
    return this.waitingOwners.size;
  }

  /** A table's rows moved (compaction): locks follow their rows; locks on rows that are gone go. */
  remap(tableId: number, ids: Float64Array): void {
    const prefix = `${tableId}:`;
    for (const [owner, keys] of this.byOwner) {
      const kept: string[] = [];
      for (const key of keys) {
        if (!key.startsWith(prefix)) {
          kept.push(key);
          continue;
        }
        if (this.held.get(key) === owner) this.held.delete(key);
        const old = Number(key.slice(prefix.length));
        const moved = old < ids.length ? ids[old] : -1;
        if (moved < 0) continue;
        const next = `${prefix}${moved}`;
        this.held.set(next, owner);
        kept.push(next);
      }
      this.byOwner.set(owner, kept);
    }
  }

  /** Locks currently held (for tests). */
  get size(): number {
    return this.held.size;
  }
}
