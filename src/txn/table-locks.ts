// Table locks, held until the transaction ends, as PostgreSQL's relation locks are (reduced to the
// two modes that matter here): every statement that reads or writes a table takes it in 'share'
// mode (PostgreSQL's ACCESS SHARE / ROW EXCLUSIVE, which do not conflict with each other), and
// DROP TABLE, TRUNCATE and ALTER TABLE take it in 'exclusive' mode (ACCESS EXCLUSIVE). So a DROP
// waits for the transactions that used the table to end instead of failing their commits, and a
// statement waits for an uncommitted DROP or ALTER instead of reading a table about to change.
//
// Requests queue in order: a share request waits behind an exclusive one already waiting (so a
// stream of readers cannot starve a DROP), except when its transaction already holds the table
// (it would otherwise wait for a request that waits for it). A wait that would close a cycle of
// waiting transactions fails with 40P01, as row locks do.
import { SqlError, SqlState } from '../types/sql-error';
import type { LockOwner } from './row-locks';
import { WaitGraph } from './wait-graph';

export type TableLockMode = 'share' | 'exclusive';

interface TableEntry {
  /** Holders and the strongest mode each holds. */
  readonly holders: Map<LockOwner, TableLockMode>;
  /** Requests waiting, in arrival order. */
  readonly queue: { owner: LockOwner; mode: TableLockMode }[];
}

export class TableLocks {
  private readonly tables = new Map<number, TableEntry>();
  private readonly byOwner = new Map<LockOwner, Set<number>>();
  /** Transactions waiting for a table lock now. */
  private readonly waitingOwners = new Set<LockOwner>();
  /** Wakes the waiters whenever a lock is released (they re-check their own table). */
  private readonly wake = new Set<() => void>();

  /** `graph`: who waits for whom, shared with the row locks (deadlock detection across both). */
  constructor(private readonly graph: WaitGraph = new WaitGraph()) {}

  /**
   * Takes `mode` on each table for `owner`, waiting while another transaction's lock conflicts.
   * False at once (no promise) when nothing had to wait, as for nearly every statement; else a
   * promise of true (the tables may have changed meanwhile).
   */
  lock(owner: LockOwner, tableIds: readonly number[], mode: TableLockMode, checkCancel: () => void): false | Promise<boolean> {
    for (let i = 0; i < tableIds.length; i++) {
      const id = tableIds[i];
      let entry = this.tables.get(id);
      if (entry === undefined) this.tables.set(id, (entry = { holders: new Map(), queue: [] }));
      const held = entry.holders.get(owner);
      if (held === 'exclusive' || held === mode) continue;
      if (this.mustWait(entry, owner, mode, held !== undefined)) return this.waitThenLock(entry, owner, tableIds.slice(i), mode, held !== undefined, checkCancel);
      this.grant(entry, owner, id, mode);
    }
    return false;
  }

  /** Waits for the first of `tableIds` (its entry), then takes it and the rest as lock() does. */
  private async waitThenLock(entry: TableEntry, owner: LockOwner, tableIds: readonly number[], mode: TableLockMode, holdsAlready: boolean, checkCancel: () => void): Promise<true> {
    await this.waitFor(entry, owner, mode, holdsAlready, checkCancel);
    this.grant(entry, owner, tableIds[0], mode);
    const rest = this.lock(owner, tableIds.slice(1), mode, checkCancel);
    if (rest !== false) await rest;
    return true;
  }

  private grant(entry: TableEntry, owner: LockOwner, id: number, mode: TableLockMode): void {
    entry.holders.set(owner, mode);
    let mine = this.byOwner.get(owner);
    if (mine === undefined) this.byOwner.set(owner, (mine = new Set()));
    mine.add(id);
  }

  /**
   * Whether blockers() would name anyone, without making the list (every statement asks, for each
   * table it uses; nearly always no). Only for a request `owner` does not hold in exclusive mode.
   */
  private mustWait(entry: TableEntry, owner: LockOwner, mode: TableLockMode, holdsAlready: boolean): boolean {
    if (mode === 'exclusive') {
      if (entry.holders.size > (holdsAlready ? 1 : 0)) return true;
    } else {
      // `owner` holds no exclusive lock here, so an exclusive holder is another transaction.
      for (const m of entry.holders.values()) if (m === 'exclusive') return true;
    }
    if (holdsAlready) return false;
    for (let i = 0; i < entry.queue.length; i++) {
      const q = entry.queue[i];
      if (q.owner === owner) break;
      if (q.mode === 'exclusive' || mode === 'exclusive') return true;
    }
    return false;
  }

  /** The transactions `owner`'s request must wait for: conflicting holders, then earlier exclusive requests. */
  private blockers(entry: TableEntry, owner: LockOwner, mode: TableLockMode, holdsAlready: boolean): LockOwner[] {
    const out: LockOwner[] = [];
    for (const [other, m] of entry.holders) if (other !== owner && (mode === 'exclusive' || m === 'exclusive')) out.push(other);
    if (holdsAlready) return out;
    for (const q of entry.queue) {
      if (q.owner === owner) break;
      if (q.mode === 'exclusive' || mode === 'exclusive') out.push(q.owner);
    }
    return out;
  }

  private async waitFor(entry: TableEntry, owner: LockOwner, mode: TableLockMode, holdsAlready: boolean, checkCancel: () => void): Promise<void> {
    const request = { owner, mode };
    entry.queue.push(request);
    try {
      for (;;) {
        const blockers = this.blockers(entry, owner, mode, holdsAlready);
        if (blockers.length === 0) {
          // Granted before the others woken below look again, so two cannot both be granted.
          entry.holders.set(owner, mode);
          return;
        }
        this.graph.wait(owner, blockers);
        this.waitingOwners.add(owner);
        if (this.graph.closesCycle(owner)) throw new SqlError(SqlState.deadlockDetected, 'deadlock detected', { detail: 'Two transactions wait for rows or tables the other has locked.' });
        // Poll as well, so a CancelRequest or statement_timeout can end the wait.
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            this.wake.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, 20);
          timer.unref();
          this.wake.add(wake);
        });
        checkCancel();
      }
    } finally {
      this.graph.done(owner);
      this.waitingOwners.delete(owner);
      const at = entry.queue.indexOf(request);
      if (at >= 0) entry.queue.splice(at, 1);
      // Requests queued behind this one may go now.
      this.wakeAll();
    }
  }

  /** The transaction ended: its table locks go, and waiting requests re-check. */
  releaseAll(owner: LockOwner): void {
    const mine = this.byOwner.get(owner);
    if (mine === undefined) return;
    this.byOwner.delete(owner);
    for (const id of mine) {
      const entry = this.tables.get(id);
      if (entry === undefined) continue;
      entry.holders.delete(owner);
      if (entry.holders.size === 0 && entry.queue.length === 0) this.tables.delete(id);
    }
    this.wakeAll();
  }

  /** The tables `owner` holds and in which mode (a savepoint's record, for releaseSince). */
  mark(owner: LockOwner): Map<number, TableLockMode> {
    const out = new Map<number, TableLockMode>();
    for (const id of this.byOwner.get(owner) ?? []) {
      const mode = this.tables.get(id)?.holders.get(owner);
      if (mode !== undefined) out.set(id, mode);
    }
    return out;
  }

  /**
   * ROLLBACK TO SAVEPOINT: `owner` keeps only what it held at the savepoint (`before`, from mark):
   * tables locked since are released and a share lock made exclusive since is share again, as
   * PostgreSQL releases a rolled back subtransaction's locks. Waiting requests re-check.
   */
  releaseSince(owner: LockOwner, before: Map<number, TableLockMode>): void {
    const mine = this.byOwner.get(owner);
    if (mine === undefined) return;
    let changed = false;
    for (const id of [...mine]) {
      const entry = this.tables.get(id);
      const was = before.get(id);
      if (entry === undefined || entry.holders.get(owner) === was) continue;
      changed = true;
      if (was !== undefined) {
        entry.holders.set(owner, was);
        continue;
      }
      entry.holders.delete(owner);
      mine.delete(id);
      if (entry.holders.size === 0 && entry.queue.length === 0) this.tables.delete(id);
    }
    if (changed) this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of [...this.wake]) wake();
  }

  /** The mode `owner` holds on the table, if any (for tests and pg_locks-style views). */
  heldBy(owner: LockOwner, tableId: number): TableLockMode | undefined {
    return this.tables.get(tableId)?.holders.get(owner);
  }

  /** Transactions waiting for a table lock now. */
  get waiting(): number {
    return this.waitingOwners.size;
  }
}
