// The rows a write transaction deleted, kept apart from the row groups' committed deletion bitmaps.
// A group's committed bitmap is immutable (snapshots share it) and up to 65,536 bytes; a
// transaction that deletes a row of a full group used to copy it whole on its first deletion there
// (pgbench's UPDATE of an account: every transaction). Here the transaction's deletions in a group
// are a set of offsets, and a dense bitmap (committed bits plus these) is made only when asked for:
// by a reader that wants the whole group's bitmap (a scan of the transaction's own view). Point
// readers (index lookups, key checks, liveness of one row) test the committed bitmap and the set.
//
// The bitmap made for a reader is never written afterwards (a later deletion makes a new one), so
// a reader holding it keeps the rows it saw. Past SPARSE_MAX deletions in one group (a bulk DELETE)
// the transaction takes a new bitmap of its own for the group and sets further deletions in it
// (TxnTable.delete). At commit the set becomes a layer over the committed bitmap, not a copy of
// it (see layered-deletions.ts).

/** A transaction's view of which rows it deleted itself (what a snapshot of its own view consults). */
export interface OwnDeletedRows {
  /** Whether the transaction deleted row `offset` of the group itself (committed deletions not included). */
  has(group: number, offset: number): boolean;
  /** The group's whole bitmap as the transaction sees it, or undefined when it deleted nothing there (the committed one applies). */
  dense(group: number): Uint8Array | undefined;
}

/**
 * The length of a bitmap made for a group of `rowCount` rows: with room for rows appended later
 * (an UPDATE appends its new version right after; later commits append to the committed copy), so
 * those appends need not copy it again.
 */
export function bitmapLength(rowCount: number, maxRows: number): number {
  return Math.min(maxRows, rowCount + (rowCount >> 3) + 64);
}

export class OwnDeletions {
  /** Offsets deleted, by group (only groups with at least one). */
  private sets: Map<number, Set<number>> | null = null;
  /** The last dense bitmap made per group, the committed bitmap it was made from, and whether it still holds every offset of the set. */
  private made: Map<number, { base: Uint8Array | null; bitmap: Uint8Array; current: boolean }> | null = null;

  constructor(private readonly maxRows: number) {}

  has(group: number, offset: number): boolean {
    if (this.sets === null) return false;
    const set = this.sets.get(group);
    return set !== undefined && set.has(offset);
  }

  /** Records a deletion (the caller checked the row was live). Returns how many the group has now. */
  add(group: number, offset: number): number {
    this.sets ??= new Map();
    let set = this.sets.get(group);
    if (set === undefined) this.sets.set(group, (set = new Set()));
    set.add(offset);
    const made = this.made?.get(group);
    if (made !== undefined) made.current = false;
    return set.size;
  }

  /** Groups with deletions. */
  groups(): Iterable<number> {
    return this.sets?.keys() ?? [];
  }

  get empty(): boolean {
    return this.sets === null || this.sets.size === 0;
  }

  /** Offsets deleted in the group, in no order. */
  offsets(group: number): Iterable<number> {
    return this.sets?.get(group) ?? [];
  }

  /**
   * The group's bitmap: `base` (its committed bitmap, maybe null) with this transaction's
   * deletions set, at least `rowCount` long; undefined when none are in the group. Made again
   * only after a deletion or when the committed bitmap or the row count outgrew the last one.
   */
  dense(group: number, base: Uint8Array | null, rowCount: number): Uint8Array | undefined {
    const set = this.sets?.get(group);
    if (set === undefined) return undefined;
    const made = this.made?.get(group);
    if (made !== undefined && made.current && made.base === base && made.bitmap.length >= rowCount) return made.bitmap;
    const bitmap = new Uint8Array(Math.max(bitmapLength(rowCount, this.maxRows), rowCount));
    if (base !== null) bitmap.set(base.length > rowCount ? base.subarray(0, rowCount) : base);
    for (const off of set) bitmap[off] = 1;
    (this.made ??= new Map()).set(group, { base, bitmap, current: true });
    return bitmap;
  }

  /**
   * The group's bitmap with its deletions set, for the transaction to keep as the group's own
   * (at commit, or to write further deletions into in place); the group's set is dropped. With
   * `writable` it is a new bitmap no reader was given.
   */
  detach(group: number, base: Uint8Array | null, rowCount: number, writable: boolean): Uint8Array | undefined {
    if (writable) this.made?.delete(group);
    const bitmap = this.dense(group, base, rowCount);
    this.sets?.delete(group);
    this.made?.delete(group);
    return bitmap;
  }

  /** The group's offsets (in no order), dropped from this set (at commit, when they become committed deletions). */
  take(group: number): Iterable<number> {
    const set = this.sets?.get(group) ?? [];
    this.sets?.delete(group);
    this.made?.delete(group);
    return set;
  }

  /** An independent copy (a savepoint's); bitmaps made are not shared (they are rebuilt on demand). */
  clone(): OwnDeletions {
    const c = new OwnDeletions(this.maxRows);
    if (this.sets !== null) c.sets = new Map([...this.sets].map(([g, set]) => [g, new Set(set)]));
    return c;
  }
}
