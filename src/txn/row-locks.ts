// Row write locks, held from a transaction's UPDATE/DELETE of a committed row until it ends, as
// PostgreSQL's tuple locks are: a second writer of the same row waits for the first to finish,
// then (READ COMMITTED) re-reads the row's newest version or (REPEATABLE READ, SERIALIZABLE)
// fails with 40001 if it was changed. An INSERT locks the unique keys it adds (lockNamed), so a
// second inserter of a key waits for the first transaction to end, as PostgreSQL's does.
// A wait that would close a cycle of waiting transactions fails with 40P01 instead.
// SELECT … FOR SHARE takes row locks in share mode: several transactions hold them together, and
// an exclusive lock (UPDATE, DELETE, FOR UPDATE) waits for all of them, as in PostgreSQL.
import { SqlError, SqlState } from '../types/sql-error';
import { WaitGraph } from './wait-graph';

export type LockOwner = object;

/** 'share': FOR SHARE / FOR KEY SHARE; 'exclusive': everything else. */
export type RowLockMode = 'exclusive' | 'share';

export class RowLocks {
  /** "table:row" → the transaction holding it. */
  private readonly held = new Map<string, LockOwner>();
  /** "table:row" → the transactions holding it in share mode (a key absent: none). */
  private readonly shared = new Map<string, Set<LockOwner>>();
  /** Each owner's keys, with the order they were taken in (see mark / releaseSince). */
  private readonly byOwner = new Map<LockOwner, Map<string, number>>();
  private taken = 0;
  /** Transactions waiting for a row lock now. */
  private readonly waitingOwners = new Set<LockOwner>();

  /** `graph`: who waits for whom, shared with the table locks (deadlock detection across both). */
  constructor(private readonly graph: WaitGraph = new WaitGraph()) {}
  /** Resolvers of the waits on each owner's end. */
  private readonly waiters = new Map<LockOwner, (() => void)[]>();

  /**
   * Takes the locks on `rows` of `tableId` for `owner`, waiting for other holders to end.
   * Resolves to true when it had to wait (the rows may have changed meanwhile). When the table's
   * rows moved during a wait (moveCount changed) it stops there, some rows not locked: the RowIds
   * it was given name other rows now, and the caller locks the rows again under their new ones.
   */
  async lock(owner: LockOwner, tableId: number, rows: ArrayLike<number>, checkCancel: () => void, mode: RowLockMode = 'exclusive'): Promise<boolean> {
    const keys: string[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) keys[i] = `${tableId}:${rows[i]}`;
    const moves = this.moveCount(tableId);
    return this.lockKeys(owner, keys, checkCancel, mode, () => this.moveCount(tableId) !== moves);
  }

  /**
   * Takes the locks on `rows` of `tableId` for `owner` at once when no other transaction holds one
   * of them in a conflicting mode (no promise, no wait: nearly every UPDATE); false, taking none,
   * when one does (lock() then waits).
   */
  lockNow(owner: LockOwner, tableId: number, rows: ArrayLike<number>, mode: RowLockMode = 'exclusive'): boolean {
    if (rows.length === 1) {
      const key = `${tableId}:${rows[0]}`;
      if (this.blocked(owner, key, mode)) return false;
      this.take(owner, key, mode);
      return true;
    }
    const keys: string[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) if (this.blocked(owner, (keys[i] = `${tableId}:${rows[i]}`), mode)) return false;
    for (let i = 0; i < keys.length; i++) this.take(owner, keys[i], mode);
    return true;
  }

  /** Whether blockers() would name anyone, without making the list. */
  private blocked(owner: LockOwner, key: string, mode: RowLockMode): boolean {
    const holder = this.held.get(key);
    if (holder !== undefined) return holder !== owner;
    if (mode !== 'exclusive') return false;
    const sharers = this.shared.get(key);
    if (sharers === undefined) return false;
    for (const o of sharers) if (o !== owner) return true;
    return false;
  }

  /** Takes a row's lock if no other transaction holds it in a conflicting mode (NOWAIT, SKIP LOCKED); false if one does. */
  tryLock(owner: LockOwner, tableId: number, row: number, mode: RowLockMode = 'exclusive'): boolean {
    const key = `${tableId}:${row}`;
    if (this.blockers(owner, key, mode).length > 0) return false;
    this.take(owner, key, mode);
    return true;
  }

  /** The other transactions `owner` must wait for to take `key` in `mode`. */
  private blockers(owner: LockOwner, key: string, mode: RowLockMode): LockOwner[] {
    const holder = this.held.get(key);
    if (holder !== undefined) return holder === owner ? [] : [holder];
    const sharers = mode === 'exclusive' ? this.shared.get(key) : undefined;
    if (sharers === undefined) return [];
    const others: LockOwner[] = [];
    for (const o of sharers) if (o !== owner) others.push(o);
    return others;
  }

  private take(owner: LockOwner, key: string, mode: RowLockMode): void {
    if (this.held.get(key) === owner) return;
    if (mode === 'exclusive') this.held.set(key, owner);
    else {
      let sharers = this.shared.get(key);
      if (sharers === undefined) this.shared.set(key, (sharers = new Set()));
      sharers.add(owner);
    }
    let mine = this.byOwner.get(owner);
    if (mine === undefined) this.byOwner.set(owner, (mine = new Map()));
    // A share lock made exclusive keeps its place (a savepoint rolled back to keeps it exclusive).
    if (!mine.has(key)) mine.set(key, this.taken++);
  }

  /** `owner`'s hold on `key` goes. */
  private drop(owner: LockOwner, key: string): void {
    if (this.held.get(key) === owner) this.held.delete(key);
    const sharers = this.shared.get(key);
    if (sharers !== undefined && sharers.delete(owner) && sharers.size === 0) this.shared.delete(key);
  }

  /** Takes locks named by the caller (names never of the "table:row" form); true when it had to wait. */
  async lockNamed(owner: LockOwner, keys: readonly string[], checkCancel: () => void, mode: RowLockMode = 'exclusive'): Promise<boolean> {
    return this.lockKeys(owner, keys, checkCancel, mode, null);
  }

  /** lockNamed that gives up after a wait when `moved()` says the keys name other rows now. */
  private async lockKeys(owner: LockOwner, keys: readonly string[], checkCancel: () => void, mode: RowLockMode, moved: (() => boolean) | null): Promise<boolean> {
    let waited = false;
    for (const key of keys) {
      for (;;) {
        const blockers = this.blockers(owner, key, mode);
        if (blockers.length === 0) {
          this.take(owner, key, mode);
          break;
        }
        await this.waitFor(owner, blockers, checkCancel);
        waited = true;
        if (moved?.() === true) return true;
      }
    }
    return waited;
  }

  /** Waits until one of `holders` ends (or releases locks). */
  private async waitFor(owner: LockOwner, holders: LockOwner[], checkCancel: () => void): Promise<void> {
    this.graph.wait(owner, holders);
    if (this.graph.closesCycle(owner)) {
      this.graph.done(owner);
      throw new SqlError(SqlState.deadlockDetected, 'deadlock detected', { detail: 'Two transactions wait for rows or tables the other has locked.' });
    }
    this.waitingOwners.add(owner);
    let wake!: () => void;
    const ended = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
    for (const holder of holders) {
      let list = this.waiters.get(holder);
      if (list === undefined) this.waiters.set(holder, (list = []));
      list.push(wake);
    }
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
    for (const key of this.byOwner.get(owner)?.keys() ?? []) this.drop(owner, key);
    this.byOwner.delete(owner);
    this.wakeWaitersOn(owner);
  }

  /** Where a savepoint is: locks taken after it are those releaseSince releases. */
  mark(): number {
    return this.taken;
  }

  /**
   * ROLLBACK TO SAVEPOINT: the locks `owner` took after `mark` go (as PostgreSQL releases a rolled
   * back subtransaction's locks); those taken before stay. Waiters on `owner` look again.
   */
  releaseSince(owner: LockOwner, mark: number): void {
    const mine = this.byOwner.get(owner);
    if (mine === undefined) return;
    let released = false;
    for (const [key, at] of mine) {
      if (at < mark) continue;
      mine.delete(key);
      this.drop(owner, key);
      released = true;
    }
    if (released) this.wakeWaitersOn(owner);
  }

  private wakeWaitersOn(owner: LockOwner): void {
    const w = this.waiters.get(owner);
    this.waiters.delete(owner);
    for (const wake of w ?? []) wake();
  }

  /** Transactions waiting for a lock now. */
  get waiting(): number {
    return this.waitingOwners.size;
  }

  /** How many times each table's rows moved (remap): a wait that saw it change took its locks under stale RowIds. */
  private readonly moves = new Map<number, number>();

  /** Changes whenever the table's rows move to new RowIds (see remap). */
  moveCount(tableId: number): number {
    return this.moves.get(tableId) ?? 0;
  }

  /** A table's rows moved (compaction): locks follow their rows; locks on rows that are gone go. */
  remap(tableId: number, ids: Float64Array): void {
    this.moves.set(tableId, this.moveCount(tableId) + 1);
    const prefix = `${tableId}:`;
    for (const [owner, keys] of this.byOwner) {
      const kept = new Map<string, number>();
      for (const [key, at] of keys) {
        if (!key.startsWith(prefix)) {
          kept.set(key, at);
          continue;
        }
        const mode: RowLockMode = this.held.get(key) === owner ? 'exclusive' : 'share';
        this.drop(owner, key);
        const old = Number(key.slice(prefix.length));
        const moved = old < ids.length ? ids[old] : -1;
        if (moved < 0) continue;
        const next = `${prefix}${moved}`;
        if (mode === 'exclusive') this.held.set(next, owner);
        else {
          let sharers = this.shared.get(next);
          if (sharers === undefined) this.shared.set(next, (sharers = new Set()));
          sharers.add(owner);
        }
        kept.set(next, at);
      }
      this.byOwner.set(owner, kept);
    }
  }

  /** Rows and keys locked now (for tests). */
  get size(): number {
    return this.held.size + this.shared.size;
  }
}
