// A row group's committed deletions in layers: the group's bitmap (`deleted`, immutable once
// published) plus the offsets deleted since it was made (`since`, a small sorted list). pgbench's
// UPDATE of an account deletes one row of a full 65,536-row group per transaction; publishing each
// commit's deletions as a dense bitmap of its own copied 64 KiB per transaction (and left it to the
// garbage collector). A commit now adds its offsets to a copy of the short list (a few KiB at most)
// and folds the list into a new bitmap only every FOLD_AFTER deletions (fewer in smaller groups,
// see foldLimit).
//
// Point readers (liveness of a row, key checks, index lookups) test the bitmap and the list. Readers
// that want the whole bitmap (scans, compaction, writing the bitmap to disk) ask denseDeleted, which
// makes it once per layer and base (each published version of a group has its own layer object, so
// repeated scans of one version share one bitmap).

/** Offsets deleted in a full group's layer before its list is folded into a new bitmap. */
export const FOLD_AFTER = 256;

/**
 * The longest list a group of `rowCount` rows keeps before folding. Each commit copies the list
 * (a merge), a fold copies the bitmap (`rowCount` bytes, an allocation outside the JS heap): a
 * small group's bitmap is cheaper to copy than a long list (pgbench's branches and tellers).
 */
export function foldLimit(rowCount: number): number {
  return Math.max(8, Math.min(FOLD_AFTER, rowCount >> 8));
}

/**
 * Offsets deleted since a group's bitmap was made: ascending, never changed after construction. A
 * plain array of small integers (on the JS heap; a typed array of this size would be an external
 * allocation per commit, what the garbage collector handles slowest).
 */
export class DeletedSince {
  /** The dense bitmap last made, and the base it was made from. */
  private made: Uint8Array | null = null;
  private madeFrom: Uint8Array | null = null;

  constructor(readonly offsets: readonly number[]) {}

  get size(): number {
    return this.offsets.length;
  }

  has(off: number): boolean {
    const a = this.offsets;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid];
      if (v === off) return true;
      if (v < off) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** `base` with this layer's offsets set, at least `rowCount` long; the same array for the same base while long enough. */
  dense(base: Uint8Array | null, rowCount: number): Uint8Array {
    const made = this.made;
    if (made !== null && this.madeFrom === base && made.length >= rowCount) return made;
    const out = new Uint8Array(Math.max(rowCount, base?.length ?? 0));
    if (base !== null) out.set(base);
    for (let k = 0; k < this.offsets.length; k++) out[this.offsets[k]] = 1;
    this.made = out;
    this.madeFrom = base;
    return out;
  }
}

/** The deletion fields of a group state. */
export interface LayeredDeletions {
  rowCount: number;
  /** The group's bitmap (without the offsets of `since`); null when it had no deletions when made. */
  deleted: Uint8Array | null;
  /** Offsets deleted since `deleted` was made (absent: none). */
  since?: DeletedSince;
}

/** Whether row `off` of the group is deleted (false past the end of the bitmap and list). */
export function deletedAt(g: LayeredDeletions, off: number): boolean {
  return (g.deleted !== null && g.deleted[off] === 1) || (g.since !== undefined && g.since.has(off));
}

/** The group's deletions as one bitmap (null: none); made once per layer and base. */
export function denseDeleted(g: LayeredDeletions): Uint8Array | null {
  return g.since === undefined ? g.deleted : g.since.dense(g.deleted, g.rowCount);
}

/** Whether the group has any deletion (bitmap or layer). */
export function hasDeletions(g: LayeredDeletions): boolean {
  return g.deleted !== null || g.since !== undefined;
}

/**
 * The group's deletions with `added` deleted too (offsets already deleted are skipped): a new
 * layer when the list stays short, else the list folded into a new bitmap (no layer).
 */
export function withDeleted(g: LayeredDeletions, added: Iterable<number>): { deleted: Uint8Array | null; since: DeletedSince | undefined } {
  const fresh: number[] = [];
  for (const off of added) if (!deletedAt(g, off)) fresh.push(off);
  if (fresh.length === 0) return { deleted: g.deleted, since: g.since };
  fresh.sort((a, b) => a - b);
  const old = g.since?.offsets;
  const n = (old?.length ?? 0) + fresh.length;
  if (n > foldLimit(g.rowCount)) {
    const bitmap = new Uint8Array(Math.max(g.rowCount, g.deleted?.length ?? 0));
    if (g.deleted !== null) bitmap.set(g.deleted);
    if (old !== undefined) for (let k = 0; k < old.length; k++) bitmap[old[k]] = 1;
    for (const off of fresh) bitmap[off] = 1;
    return { deleted: bitmap, since: undefined };
  }
  // Merge of two ascending lists (duplicates within `fresh` dropped).
  const out: number[] = [];
  let i = 0;
  let j = 0;
  const m = old?.length ?? 0;
  while (i < m || j < fresh.length) {
    const v = j >= fresh.length || (i < m && old![i] < fresh[j]) ? old![i++] : fresh[j++];
    if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  }
  return { deleted: g.deleted, since: new DeletedSince(out) };
}

/**
 * The offsets deleted in `now` and not in `before` (its published version; undefined: none),
 * ascending and once each, found among `candidates` (offsets known to include every one: those the
 * commit's transactions deleted), so no bitmap is scanned or made.
 */
export function newlyDeletedIn(before: LayeredDeletions | undefined, now: LayeredDeletions, candidates: readonly (readonly number[])[]): number[] {
  const found: number[] = [];
  for (const list of candidates) for (const off of list) if (deletedAt(now, off) && (before === undefined || !deletedAt(before, off))) found.push(off);
  found.sort((a, b) => a - b);
  let n = 0;
  for (let k = 0; k < found.length; k++) if (n === 0 || found[k] !== found[n - 1]) found[n++] = found[k];
  found.length = n;
  return found;
}
