// CREATE INDEX indexes: a sorted (key, RowId) array over the index's first column, built from the
// committed rows (at CREATE INDEX, or on first use) and persisted in LMDB by the table store (see
// encode/decode), so a restart loads the entries instead of scanning the table; they are tagged
// with the table generation they were built on and ignored when it no longer matches.
//
// Serving any snapshot of the same table generation (no TRUNCATE or rewrite in between):
//  - deleted rows stay in the index and are dropped at lookup through the snapshot's bitmaps;
//  - rows appended after the build (`covered` per group) are tested against the range directly
//    (their column is read from the snapshot), and rows beyond an older snapshot's row count are skipped;
// so a lookup returns a superset of the matching rows, and the scan applies the full predicate.
import { IndexRange, ROW_GROUP_ROWS, RowId, TableSnapshot } from './api';
import { Vector } from '../types/vector';

/** RowIds below this (2^27: tables of up to 2048 row groups) pack with a small integer key into one float64. */
const ID_SPACE = 2 ** 27;
/** Keys of magnitude below this pack exactly: |key| * ID_SPACE + id stays under 2^53. */
const KEY_LIMIT = 2 ** 25;

/**
 * (key, RowId) pairs sorted by key, then RowId, when every key is an integer small enough to pack
 * with its RowId into one float64 (key * 2^27 + id): a native sort of one Float64Array instead of a
 * comparator sort of an index array, several times faster (a 1M-row table's first index lookup
 * builds this); null when a key does not fit (then the caller sorts with a comparator).
 */
export function sortedPacked(nums: readonly number[], ids: readonly number[]): { keys: Float64Array; rowIds: Float64Array } | null {
  const n = nums.length;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const key = nums[i];
    const id = ids[i];
    if (!Number.isInteger(key) || key >= KEY_LIMIT || key <= -KEY_LIMIT || id >= ID_SPACE) return null;
    packed[i] = key * ID_SPACE + id;
  }
  packed.sort();
  const keys = new Float64Array(n);
  const rowIds = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const key = Math.floor(packed[k] / ID_SPACE);
    keys[k] = key;
    rowIds[k] = packed[k] - key * ID_SPACE;
  }
  return { keys, rowIds };
}

export class SortedIndex {
  private constructor(
    /** Rows of each group the index covers (its row count at build time). */
    readonly covered: number[],
    /** Keys in ascending order (numbers for fixed-width types, strings for text). */
    readonly keys: Float64Array | string[],
    /** RowIds in key order. */
    readonly rowIds: Float64Array,
    readonly generation: number,
    /** The indexed column (attribute index). */
    readonly column: number,
  ) {
    this.extended = covered.slice();
  }

  /**
   * Committed rows appended after the build, by key: kept up to date by `extend` as commits add
   * rows, so a point lookup finds a recent row version by hashing instead of scanning every row
   * appended since the build (an UPDATE-heavy table appends a row version per updated row).
   */
  private readonly recent = new Map<number | string, number[]>();
  /** Rows of each group in the sorted entries or in `recent`. */
  private readonly extended: number[];
  /**
   * Set when the entries leave out the rows already deleted in the committed state of this version
   * (a small hot table, mostly dead row versions: pgbench's branches and tellers, whose every
   * point lookup otherwise walked all the versions of its key): only snapshots of this version or
   * later may use them (TableStore.indexLookup; older ones scan). Never written to LMDB (versions
   * count from the store's open).
   */
  liveOnlyFrom: number | null = null;
  /** The committed table state (an opaque object) `extend` last saw: the same one again adds nothing. */
  extendedTo: object | null = null;

  /** Adds the committed rows appended since the last call to `recent` (`committed`: the table as committed now). */
  extend(committed: TableSnapshot): void {
    for (let g = 0; g < committed.rowGroupCount; g++) {
      const from = this.extended[g] ?? 0;
      const n = committed.rowCount(g);
      if (from >= n) continue;
      const v = committed.readColumn(g, this.column);
      const nulls = v.nulls;
      for (let i = from; i < n; i++) {
        if (nulls !== null && nulls[i] === 1) continue;
        const key = v.kind === 'string' ? v.dict[v.codes[i]] : v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp' ? v.values[i] : null;
        if (key === null) return; // not a kind build() indexes: lookups scan these rows instead
        const ids = this.recent.get(key);
        if (ids === undefined) this.recent.set(key, [g * ROW_GROUP_ROWS + i]);
        else ids.push(g * ROW_GROUP_ROWS + i);
      }
      this.extended[g] = n;
    }
  }

  /**
   * Builds over every row of the snapshot (deleted ones included) from column `column`; with
   * `liveOnlyFrom` (the version of the committed state `snapshot` is) over its live rows only.
   */
  static build(snapshot: TableSnapshot, column: number, generation: number, liveOnlyFrom: number | null = null): SortedIndex | null {
    const built = SortedIndex.buildEntries(snapshot, column, generation, liveOnlyFrom !== null);
    if (built !== null) built.liveOnlyFrom = liveOnlyFrom;
    return built;
  }

  private static buildEntries(snapshot: TableSnapshot, column: number, generation: number, liveOnly: boolean): SortedIndex | null {
    const covered: number[] = [];
    const ids: number[] = [];
    const nums: number[] = [];
    const strs: string[] = [];
    let kind: 'num' | 'str' | null = null;
    for (let g = 0; g < snapshot.rowGroupCount; g++) {
      const n = snapshot.rowCount(g);
      covered.push(n);
      if (n === 0) continue;
      const v = snapshot.readColumn(g, column);
      const nulls = v.nulls;
      const del = liveOnly ? snapshot.deleted(g) : null;
      if (v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp') {
        kind = 'num';
        for (let i = 0; i < n; i++) {
          if ((nulls !== null && nulls[i] === 1) || (del !== null && del[i] === 1)) continue;
          nums.push(v.values[i]);
          ids.push(g * ROW_GROUP_ROWS + i);
        }
      } else if (v.kind === 'string') {
        kind = 'str';
        for (let i = 0; i < n; i++) {
          if ((nulls !== null && nulls[i] === 1) || (del !== null && del[i] === 1)) continue;
          strs.push(v.dict[v.codes[i]]);
          ids.push(g * ROW_GROUP_ROWS + i);
        }
      } else return null;
    }
    if (kind !== 'str') {
      const packed = sortedPacked(nums, ids);
      if (packed !== null) return new SortedIndex(covered, packed.keys, packed.rowIds, generation, column);
    }
    const order = ids.map((_, i) => i);
    if (kind === 'str') order.sort((a, b) => (strs[a] < strs[b] ? -1 : strs[a] > strs[b] ? 1 : ids[a] - ids[b]));
    else order.sort((a, b) => nums[a] - nums[b] || ids[a] - ids[b]);
    const rowIds = new Float64Array(order.length);
    let keys: Float64Array | string[];
    if (kind === 'str') {
      keys = order.map((i) => strs[i]);
    } else {
      keys = new Float64Array(order.length);
      for (let k = 0; k < order.length; k++) keys[k] = nums[order[k]];
    }
    for (let k = 0; k < order.length; k++) rowIds[k] = ids[order[k]];
    return new SortedIndex(covered, keys, rowIds, generation, column);
  }

  /**
   * Bytes for LMDB: header length (u32), JSON header {generation, column, covered, kind, count},
   * RowIds (f64), then keys (f64, or a JSON array of strings).
   */
  encode(): Buffer {
    const kind = this.keys instanceof Float64Array ? 'num' : 'str';
    const header = Buffer.from(JSON.stringify({ generation: this.generation, column: this.column, covered: this.covered, kind, count: this.rowIds.length }));
    const keys = this.keys instanceof Float64Array ? Buffer.from(this.keys.buffer, this.keys.byteOffset, this.keys.byteLength) : Buffer.from(JSON.stringify(this.keys));
    const out = Buffer.allocUnsafe(4 + header.length + this.rowIds.byteLength + keys.length);
    out.writeUInt32LE(header.length, 0);
    header.copy(out, 4);
    Buffer.from(this.rowIds.buffer, this.rowIds.byteOffset, this.rowIds.byteLength).copy(out, 4 + header.length);
    keys.copy(out, 4 + header.length + this.rowIds.byteLength);
    return out;
  }

  /** The index `encode` wrote (copied out of the LMDB buffer). */
  static decode(bytes: Uint8Array): SortedIndex {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = buf.readUInt32LE(0);
    const h = JSON.parse(buf.toString('utf8', 4, 4 + headerLength)) as { generation: number; column: number; covered: number[]; kind: 'num' | 'str'; count: number };
    let at = 4 + headerLength;
    const rowIds = new Float64Array(h.count);
    new Uint8Array(rowIds.buffer).set(buf.subarray(at, at + h.count * 8));
    at += h.count * 8;
    let keys: Float64Array | string[];
    if (h.kind === 'num') {
      keys = new Float64Array(h.count);
      new Uint8Array(keys.buffer).set(buf.subarray(at, at + h.count * 8));
    } else keys = JSON.parse(buf.toString('utf8', at)) as string[];
    return new SortedIndex(h.covered, keys, rowIds, h.generation, h.column);
  }

  /** Rows (deleted ones included) the sorted entries were built over. */
  coveredRows(): number {
    let n = 0;
    for (const c of this.covered) n += c;
    return n;
  }

  /** Rows appended since the build, as a share of the covered ones (for deciding to rebuild). */
  staleness(snapshot: TableSnapshot): number {
    let extra = 0;
    let total = 0;
    for (let g = 0; g < snapshot.rowGroupCount; g++) {
      const c = this.covered[g] ?? 0;
      total += c;
      extra += Math.max(0, snapshot.rowCount(g) - c);
    }
    // Live-only entries go stale against the live rows they hold (a hot table's appended versions
    // pile up in `recent`, which point lookups walk), full ones against all rows.
    return extra / Math.max(1024, this.liveOnlyFrom !== null ? this.rowIds.length : total);
  }

  /** First position whose key is >= (or > when `after`) the value. */
  private bound(value: number | string, after: boolean): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid];
      if (k < value || (after && k === value)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Live RowIds of the snapshot that may satisfy the range, ascending. */
  lookup(snapshot: TableSnapshot, range: IndexRange): Float64Array {
    const from = range.low === null ? 0 : this.bound(range.low, !range.lowInclusive);
    const to = range.high === null ? this.keys.length : this.bound(range.high, range.highInclusive);
    const out: RowId[] = [];
    for (let k = from; k < to; k++) {
      const id = this.rowIds[k];
      if (visibleIn(snapshot, id)) out.push(id);
    }
    // Committed rows appended since the build: by key.
    if (this.recent.size > 0) {
      if (range.low !== null && range.low === range.high && range.lowInclusive && range.highInclusive) {
        const ids = this.recent.get(range.low);
        if (ids !== undefined) for (const id of ids) if (visibleIn(snapshot, id)) out.push(id);
      } else for (const [key, ids] of this.recent) if (inRange(key, range)) for (const id of ids) if (visibleIn(snapshot, id)) out.push(id);
    }
    // Rows the index does not know yet (newer commits, the snapshot's own rows): test their keys directly.
    for (let g = 0; g < snapshot.rowGroupCount; g++) {
      const n = snapshot.rowCount(g);
      const own = snapshot.ownRowsFrom?.(g) ?? Infinity;
      const from = Math.min(this.extended[g] ?? 0, own);
      if (from >= n) continue;
      // One row at a time where the snapshot can tell (a transaction's own view would make the group's whole bitmap).
      const del = snapshot.rowDeleted === undefined ? snapshot.deleted(g) : null;
      // A transaction's own rows are read alone (reading the column would assemble the whole group).
      let v: Vector;
      let at = 0;
      if (from >= own && snapshot.readRows !== undefined) {
        const offsets = new Uint32Array(n - from);
        for (let i = 0; i < offsets.length; i++) offsets[i] = from + i;
        v = snapshot.readRows(g, this.column, offsets);
        at = from;
      } else v = snapshot.readColumn(g, this.column);
      for (let i = from; i < n; i++) {
        if ((del !== null ? del[i] === 1 : snapshot.rowDeleted !== undefined && snapshot.rowDeleted(g * ROW_GROUP_ROWS + i)) || (v.nulls !== null && v.nulls[i - at] === 1)) continue;
        let key: number | string;
        if (v.kind === 'string') key = v.dict[v.codes[i - at]];
        else if (v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp') key = v.values[i - at];
        else {
          out.push(g * ROW_GROUP_ROWS + i);
          continue;
        }
        if (inRange(key, range)) out.push(g * ROW_GROUP_ROWS + i);
      }
    }
    // A loop, not Float64Array.from (the iterator protocol cost more than the rest of a point lookup).
    const ids = new Float64Array(out.length);
    for (let k = 0; k < out.length; k++) ids[k] = out[k];
    if (ids.length < 2) return ids;
    ids.sort();
    // A row can be both indexed and scanned (a transaction's own rows start below the indexed ones).
    let n = 0;
    for (let k = 0; k < ids.length; k++) if (n === 0 || ids[k] !== ids[n - 1]) ids[n++] = ids[k];
    return n === ids.length ? ids : ids.slice(0, n);
  }
}

/** Whether the row is live in the snapshot (within its row counts, not deleted). */
function visibleIn(snapshot: TableSnapshot, id: number): boolean {
  const g = Math.floor(id / ROW_GROUP_ROWS);
  const off = id - g * ROW_GROUP_ROWS;
  if (g >= snapshot.rowGroupCount || off >= snapshot.rowCount(g)) return false;
  if (snapshot.rowDeleted !== undefined) return !snapshot.rowDeleted(id);
  const del = snapshot.deleted(g);
  return del === null || del[off] !== 1;
}

function inRange(k: number | string, range: IndexRange): boolean {
  return (range.low === null || (range.lowInclusive ? k >= range.low : k > range.low)) && (range.high === null || (range.highInclusive ? k <= range.high : k < range.high));
}
