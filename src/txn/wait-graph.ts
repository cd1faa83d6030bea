// Who waits for whom, across every kind of lock (row locks and table locks): one graph, so a
// cycle that runs through both kinds (a row-lock wait behind a transaction that waits for a table
// lock the first one holds) is found like any other, and fails with 40P01 instead of waiting for ever.
import type { LockOwner } from './row-locks';

export class WaitGraph {
  /** The transactions each waiting transaction waits for (a transaction waits for one lock at a time). */
  private readonly edges = new Map<LockOwner, readonly LockOwner[]>();

  /** `owner` now waits for `blockers` (replacing what it waited for before). */
  wait(owner: LockOwner, blockers: readonly LockOwner[]): void {
    this.edges.set(owner, blockers);
  }

  /** `owner` no longer waits. */
  done(owner: LockOwner): void {
    this.edges.delete(owner);
  }

  /** Whether following "waits for" edges from `owner` leads back to it. */
  closesCycle(owner: LockOwner): boolean {
    const seen = new Set<LockOwner>();
    const stack = [...(this.edges.get(owner) ?? [])];
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (o === owner) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      for (const next of this.edges.get(o) ?? []) stack.push(next);
    }
    return false;
  }
}
