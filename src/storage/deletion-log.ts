// Which rows recent group commits deleted, per row group, so a transaction that rebases onto a
// later commit (every READ COMMITTED statement, and its own commit) can bring its private deletion
// bitmap of a group up to date by setting those few offsets, instead of copying the group's
// committed bitmap (up to 65,536 bytes) again and replaying its own deletions on the copy. Under
// pgbench every commit deletes a row of the few branch and teller groups, so without this each
// statement of each open transaction copied those bitmaps again (and the garbage collector swept
// the copies).
//
// Committed bitmaps are told apart by identity: each one a commit publishes gets a serial number
// (weakly held, so dropped bitmaps are forgotten), and each change is (serial before, serial after,
// offsets set). A change the log did not see (a solo commit, compaction, a reload) breaks the
// chain, and the caller copies the bitmap as before.

/** Changes kept per group: a transaction rebasing across more commits than this copies its bitmap. */
const MAX_CHANGES = 64;

interface Change {
  from: number;
  to: number;
  offsets: readonly number[];
}

export class DeletionLog {
  private readonly serials = new WeakMap<Uint8Array, number>();
  private nextSerial = 1;
  private readonly changes = new Map<string, Change[]>();

  private serialOf(bitmap: Uint8Array): number {
    let s = this.serials.get(bitmap);
    if (s === undefined) this.serials.set(bitmap, (s = this.nextSerial++));
    return s;
  }

  /**
   * A commit replaced the group's committed bitmap `before` by `after`: the same bits plus
   * `offsets` (`after` may also be longer, with the new rows not deleted). Null bitmaps (no
   * deletions) end the group's chain.
   */
  record(tableId: number, group: number, before: Uint8Array | null, after: Uint8Array | null, offsets: readonly number[]): void {
    if (before === after) return;
    const key = `${tableId}/${group}`;
    if (before === null || after === null) {
      this.changes.delete(key);
      return;
    }
    let list = this.changes.get(key);
    if (list === undefined) this.changes.set(key, (list = []));
    list.push({ from: this.serialOf(before), to: this.serialOf(after), offsets });
    if (list.length > MAX_CHANGES) list.shift();
  }

  /**
   * The offsets set in the group's committed bitmap `to` and not in `from` (an earlier committed
   * bitmap of it), as lists that may repeat none; null when the log cannot tell.
   */
  since(tableId: number, group: number, from: Uint8Array, to: Uint8Array): (readonly number[])[] | null {
    const f = this.serials.get(from);
    let at = this.serials.get(to);
    const list = this.changes.get(`${tableId}/${group}`);
    if (f === undefined || at === undefined || list === undefined) return null;
    const out: (readonly number[])[] = [];
    for (let i = list.length - 1; i >= 0 && at !== f; i--) {
      const c = list[i];
      if (c.to !== at) return null; // a change the log did not see
      out.push(c.offsets);
      at = c.from;
    }
    return at === f ? out : null;
  }

  /** Forgets a table's chains (dropped, truncated or rewritten). */
  forget(tableId: number): void {
    for (const key of [...this.changes.keys()]) if (key.startsWith(`${tableId}/`)) this.changes.delete(key);
  }
}
