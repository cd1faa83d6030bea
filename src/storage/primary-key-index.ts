// Uniqueness of primary keys, UNIQUE constraints and unique indexes: per (table, key) a compact
// open-addressing hash index of RowIds (one typed array: RowId and key hash per slot), built from
// the committed rows on first use and extended on commit. It holds no key values: a probe that
// meets an equal hash compares the actual column values of that row, read from storage — rare,
// since only a real duplicate or a 32-bit hash collision gets that far.
//
// Deleted rows are not removed from the index: a candidate is used only when the transaction sees it
// live (deletion bitmaps), and an index with too many dead entries is dropped and rebuilt.
import { SqlError, SqlState } from '../types/sql-error';
import { Vector } from '../types/vector';
import { DEFAULT_FORMAT, formatCell } from '../types/text-format';
import { ROW_GROUP_ROWS, RowId, TableDef, TableSnapshot, UniqueKey } from './api';
import { cellsEqual, hashKeyRow, hashKeys } from './key-hash';
import { Steps, runSteps, runStepsYielding } from './event-loop-slices';

/**
 * Open-addressing multimap key hash → RowId (linear probing). Slot s is two Int32s side by side,
 * RowId + 1 (0 = empty, so a new array needs no filling) and hash, so a probe touches one cache
 * line: at millions of keys the build is bound by cache misses, not arithmetic.
 */
export class KeyHashIndex {
  private slots: Int32Array;
  private mask: number;
  /** log2 of the slot count; a hash's home slot is its top slotBits bits. */
  slotBits = 0;
  /** Entries, dead ones included. */
  size = 0;
  /** Entries whose rows were deleted since they were added (an estimate from above). */
  dead = 0;

  constructor(expected = 0) {
    // 8 slots (a 64-byte array) at least: V8 keeps typed arrays of up to 64 bytes on the heap, and a
    // transaction's own index (one row per UPDATE, made again at every rebase) is allocated many
    // times per transaction; a 128-byte array took ~1 µs to allocate, a 64-byte one ~0.1 µs.
    let cap = 8;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.slotBits = Math.log2(cap);
  }

  private home(hash: number): number {
    return hash >>> (32 - this.slotBits);
  }

  add(hash: number, rowId: RowId): void {
    if (rowId >= 0x7fffffff) throw new Error('table too large for the key index (RowId beyond 2^31)');
    if ((this.size + 1) * 4 > this.slots.length) this.grow();
    const slots = this.slots;
    const mask = this.mask;
    let s = this.home(hash);
    while (slots[s * 2] !== 0) s = (s + 1) & mask;
    slots[s * 2] = rowId + 1;
    slots[s * 2 + 1] = hash | 0;
    this.size++;
  }

  /** The next slot after `slot` (-1: from the start) in `hash`'s probe sequence holding that hash, or -1. */
  probe(hash: number, slot: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const h = hash | 0;
    let s = slot === -1 ? this.home(hash) : (slot + 1) & mask;
    while (slots[s * 2] !== 0) {
      if (slots[s * 2 + 1] === h) return s;
      s = (s + 1) & mask;
    }
    return -1;
  }

  rowAt(slot: number): RowId {
    return this.slots[slot * 2] - 1;
  }

  /**
   * Adds every entry of `other`. The slot array is grown to its final size first: `other`'s slots
   * come in the order of their hashes' top bits, so adding them to a smaller array that grows on the
   * way would pile every entry added so far onto its first slots (an INSERT of 400,000 rows into an
   * empty table with a key took seconds in those probes).
   */
  addAll(other: KeyHashIndex): void {
    while ((this.size + other.size) * 4 > this.slots.length) this.grow();
    const o = other.slots;
    for (let s = 0; s < o.length; s += 2) if (o[s] !== 0) this.add(o[s + 1] >>> 0, o[s] - 1);
  }

  /**
   * A copy without the entries whose rows `gone` says are deleted, sized for the rest (what a
   * rebuild from the committed rows would hold, without reading or hashing a row).
   */
  withoutDead(gone: (rowId: RowId) => boolean): KeyHashIndex {
    const o = this.slots;
    let live = 0;
    for (let s = 0; s < o.length; s += 2) if (o[s] !== 0 && !gone(o[s] - 1)) live++;
    const out = new KeyHashIndex(live);
    for (let s = 0; s < o.length; s += 2) if (o[s] !== 0 && !gone(o[s] - 1)) out.add(o[s + 1] >>> 0, o[s] - 1);
    return out;
  }

  /** Bytes of the slot array. */
  bytes(): number {
    return this.slots.byteLength;
  }

  private grow(): void {
    const old = this.slots;
    const cap = old.length; // twice the slot count
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.slotBits = Math.log2(cap);
    this.size = 0;
    for (let s = 0; s < old.length; s += 2) if (old[s] !== 0) this.add(old[s + 1] >>> 0, old[s] - 1);
  }
}

/** How a transaction sees the table's rows, for checking hash candidates. */
export interface KeyRows {
  /** Whether the row exists and is not deleted. */
  live(rowId: RowId): boolean;
  /** The vector holding `column` of the row, and the row's position in it. */
  cell(rowId: RowId, column: number): [Vector, number];
}

function keyValues(columns: Vector[], key: number[], row: number): string {
  return key.map((c) => formatCell(columns[c], row, DEFAULT_FORMAT)).join(', ');
}

function detailOf(def: TableDef, key: number[], values: string, verb: string): string {
  const names = key.map((c) => def.columns[c].name).join(', ');
  return `Key (${names})=(${values}) ${verb}.`;
}

/**
 * Builds the index of `key` over a snapshot's live rows. With `validating` (a key added to existing
 * rows) duplicates are errors, and so are NULLs when `notNull` (primary keys).
 *
 * Hashes of all rows are gathered first and ordered by their top bits (the bits that choose the
 * home slot), so the inserts sweep the slot array instead of missing the cache on every row.
 */
export function buildKeyIndex(snapshot: TableSnapshot, def: TableDef, key: UniqueKey, validating = false, notNull = false): KeyHashIndex {
  return runSteps(keyIndexSteps(snapshot, def, key, validating, notNull));
}

/** buildKeyIndex letting the event loop turn between row groups and every INSERT_SLICE entries (ADD PRIMARY KEY on a big table). */
export function buildKeyIndexYielding(snapshot: TableSnapshot, def: TableDef, key: UniqueKey, validating = false, notNull = false): Promise<KeyHashIndex> {
  return runStepsYielding(keyIndexSteps(snapshot, def, key, validating, notNull));
}

/** Index entries added between two slices of the insert phase (~25 ms: the inserts miss the cache at millions of keys). */
const INSERT_SLICE = 1 << 18;

/** buildKeyIndex's work, as steps: one per row group read and hashed, the index allocated, the sort's slices, one per INSERT_SLICE entries added. */
export function* keyIndexSteps(snapshot: TableSnapshot, def: TableDef, key: UniqueKey, validating = false, notNull = false): Steps<KeyHashIndex> {
  const pk = key.columns;
  let total = 0;
  for (let g = 0; g < snapshot.rowGroupCount; g++) total += snapshot.rowCount(g);
  let hashes: Uint32Array = new Uint32Array(total);
  let ids: Int32Array = new Int32Array(total);
  let n = 0;
  for (let g = 0; g < snapshot.rowGroupCount; g++) {
    const rows = snapshot.rowCount(g);
    const deleted = snapshot.deleted(g);
    const cols: Vector[] = [];
    for (const c of pk) cols[c] = snapshot.readColumn(g, c);
    const h = hashKeys(cols, pk, rows);
    const base = g * ROW_GROUP_ROWS;
    for (let i = 0; i < rows; i++) {
      if (deleted !== null && deleted[i] === 1) continue;
      if (h.nulls !== null && h.nulls[i] === 1) {
        if (!validating || !notNull) continue;
        const col = pk.find((c) => cols[c].nulls !== null && cols[c].nulls![i] === 1)!;
        throw new SqlError(SqlState.notNullViolation, `column "${def.columns[col].name}" of relation "${def.name}" contains null values`, { table: def.name, column: def.columns[col].name });
      }
      hashes[n] = h.hashes[i];
      ids[n++] = base + i;
    }
    yield;
  }
  const index = new KeyHashIndex(n);
  yield;
  [hashes, ids] = yield* sortByTopBits(hashes, ids, n, Math.min(12, index.slotBits));
  const cell = (rowId: RowId, c: number): [Vector, number] => {
    const g = Math.floor(rowId / ROW_GROUP_ROWS);
    return [snapshot.readColumn(g, c), rowId - g * ROW_GROUP_ROWS];
  };
  for (let k = 0; k < n; k++) {
    if (k > 0 && (k & (INSERT_SLICE - 1)) === 0) yield;
    const h = hashes[k];
    if (validating) {
      for (let s = index.probe(h, -1); s !== -1; s = index.probe(h, s)) {
        const other = index.rowAt(s);
        if (!pk.every((c) => cellsEqual(...cell(ids[k], c), ...cell(other, c)))) continue;
        const cols: Vector[] = [];
        for (const c of pk) cols[c] = cell(ids[k], c)[0];
        const at = cell(ids[k], pk[0])[1];
        throw new SqlError(SqlState.uniqueViolation, `could not create unique index "${key.name}"`, {
          detail: detailOf(def, pk, keyValues(cols, pk, at), 'is duplicated'),
          table: def.name,
          constraint: key.name,
          schema: def.schema,
        });
      }
    }
    index.add(h, ids[k]);
  }
  return index;
}

/** Pairs sorted between two slices of the sort (a pass over 6M pairs took ~100 ms in one stretch). */
const SORT_SLICE = 1 << 20;

/** Counting sort of (hash, id) pairs by the hash's top `bits` bits (stable), in slices of SORT_SLICE pairs per pass. */
function* sortByTopBits(hashes: Uint32Array, ids: Int32Array, n: number, bits: number): Steps<[Uint32Array, Int32Array]> {
  if (bits <= 0 || n < 2) return [hashes, ids];
  const shift = 32 - bits;
  const starts = new Int32Array((1 << bits) + 1);
  for (let from = 0; from < n; from += SORT_SLICE) {
    const to = Math.min(n, from + SORT_SLICE);
    for (let i = from; i < to; i++) starts[(hashes[i] >>> shift) + 1]++;
    yield;
  }
  for (let b = 1; b < starts.length; b++) starts[b] += starts[b - 1];
  const outHashes = new Uint32Array(n);
  const outIds = new Int32Array(n);
  for (let from = 0; from < n; from += SORT_SLICE) {
    const to = Math.min(n, from + SORT_SLICE);
    for (let i = from; i < to; i++) {
      const p = starts[hashes[i] >>> shift]++;
      outHashes[p] = hashes[i];
      outIds[p] = ids[i];
    }
    yield;
  }
  return [outHashes, outIds];
}

/**
 * Whether an index should be cleaned of its dead entries. A small table's dead entries share their
 * live key's hash (a hot row's versions): its probe chains grow by one per update, so it is cleaned
 * after a few dozen, a big table's at half.
 */
function tooManyDead(index: KeyHashIndex): boolean {
  return index.dead > Math.max(64, index.size / 2);
}

/** A transaction's key changes on one table, checked against the committed index. */
export class PendingKeys {
  /** Rows this transaction appended (made on its first append: a transaction replays its tables' keys at every rebase). */
  private added: KeyHashIndex | null = null;
  private removedCount = 0;
  /** Hashes of the batch check() accepted, for addChecked(). */
  private checked: { hashes: Uint32Array; nulls: Uint8Array | null; n: number } | null = null;
  /** The hash of the one-row batch check() accepted (-1: a NULL key), when `checked` is null. */
  private checkedOne = -1;

  /**
   * `owned`: `committed` is not the store's shared index but one built for this transaction over
   * the table as it saw it (a table it created, truncated, rewrote or re-keyed).
   */
  constructor(
    private readonly def: TableDef,
    readonly key: UniqueKey,
    private readonly committed: KeyHashIndex,
    private readonly rows: KeyRows,
    private readonly owned = false,
  ) {}

  /** An independent copy (a savepoint's image of the transaction). */
  clone(): PendingKeys {
    const c = new PendingKeys(this.def, this.key, this.committed, this.rows, this.owned);
    if (this.added !== null) (c.added = new KeyHashIndex()).addAll(this.added);
    c.removedCount = this.removedCount;
    return c;
  }

  /** The live row (as the transaction sees it) whose key equals row `row` of `columns`, or -1. */
  lookup(columns: Vector[], row: number): RowId {
    const h = hashKeyRow(columns, this.key.columns, row);
    return h === -1 ? -1 : this.find(columns, row, h);
  }

  private find(columns: Vector[], row: number, h: number): RowId {
    const own = this.added === null ? -1 : this.findIn(this.added, columns, row, h);
    return own !== -1 ? own : this.findIn(this.committed, columns, row, h);
  }

  private findIn(index: KeyHashIndex, columns: Vector[], row: number, h: number): RowId {
    for (let s = index.probe(h, -1); s !== -1; s = index.probe(h, s)) {
      const id = index.rowAt(s);
      if (this.rows.live(id) && this.sameKey(columns, row, id)) return id;
    }
    return -1;
  }

  private sameKey(columns: Vector[], row: number, rowId: RowId): boolean {
    for (const c of this.key.columns) {
      const [v, at] = this.rows.cell(rowId, c);
      if (!cellsEqual(columns[c], row, v, at)) return false;
    }
    return true;
  }

  /** Throws 23505 when a row of the batch would duplicate a live key (or another row of the batch); adds nothing. */
  check(columns: Vector[]): void {
    const pk = this.key.columns;
    const n = columns[0]?.length ?? 0;
    if (n === 1) {
      // An UPDATE's or INSERT's row: cannot duplicate itself, and needs no hash arrays.
      const h = hashKeyRow(columns, pk, 0);
      if (h !== -1 && this.find(columns, 0, h) !== -1) throw this.violation(columns, 0);
      this.checked = null;
      this.checkedOne = h;
      return;
    }
    const { hashes, nulls } = hashKeys(columns, pk, n);
    const batch = n > 1 ? new KeyHashIndex(n) : null;
    for (let i = 0; i < n; i++) {
      if (nulls !== null && nulls[i] === 1) continue;
      const h = hashes[i];
      if (batch !== null) {
        for (let s = batch.probe(h, -1); s !== -1; s = batch.probe(h, s)) {
          const j = batch.rowAt(s);
          if (pk.every((c) => cellsEqual(columns[c], i, columns[c], j))) throw this.violation(columns, i);
        }
      }
      if (this.find(columns, i, h) !== -1) throw this.violation(columns, i);
      batch?.add(h, i);
    }
    this.checked = { hashes, nulls, n };
  }

  /** Adds the batch check() just accepted, its rows numbered from `first`. */
  addChecked(first: RowId): void {
    const c = this.checked;
    if (c === null) {
      if (this.checkedOne !== -1) (this.added ??= new KeyHashIndex()).add(this.checkedOne, first);
      this.checkedOne = -1;
      return;
    }
    this.checked = null;
    const added = (this.added ??= new KeyHashIndex(c.n));
    for (let i = 0; i < c.n; i++) if (c.nulls === null || c.nulls[i] === 0) added.add(c.hashes[i], first + i);
  }

  private violation(columns: Vector[], row: number): SqlError {
    return new SqlError(SqlState.uniqueViolation, `duplicate key value violates unique constraint "${this.key.name}"`, {
      detail: detailOf(this.def, this.key.columns, keyValues(columns, this.key.columns, row), 'already exists'),
      table: this.def.name,
      constraint: this.key.name,
      schema: this.def.schema,
    });
  }

  /** Rows deleted by the transaction (they stay in the indexes; liveness filters them). */
  removeRows(rowIds: ArrayLike<RowId>): void {
    this.removedCount += rowIds.length;
  }

  /** Whether this tracks `key` in an index of its own (see ownIndex). */
  owns(key: UniqueKey): boolean {
    return this.owned && key.columns.join(',') === this.key.columns.join(',');
  }

  /**
   * After a commit of this transaction alone whose table is exactly as the transaction saw it: its
   * own index with its appended rows folded in is the table's index (what a build from the
   * committed rows would make, plus dead entries liveness filters). Null when the index is the
   * shared one or tracks another key. Uses up this object.
   */
  ownIndex(key: UniqueKey): KeyHashIndex | null {
    if (!this.owns(key)) return null;
    // A table created or truncated here: its index is the appended rows' (folding a million of
    // them into the empty one took ~0.3 s).
    const index = this.committed.size === 0 && this.added !== null ? this.added : this.committed;
    if (index !== this.added && this.added !== null) index.addAll(this.added);
    index.dead += this.removedCount;
    this.added = null;
    this.removedCount = 0;
    return index;
  }

  /** After commit: fold the appended rows into the committed index; false when it should be rebuilt instead. */
  applyTo(index: KeyHashIndex | undefined): boolean {
    if (index === undefined) return true;
    if (this.added !== null) index.addAll(this.added);
    index.dead += this.removedCount;
    return !tooManyDead(index);
  }
}

/**
 * The key indexes a solo commit of a table the transaction created, truncated, rewrote or re-keyed
 * leaves behind (instead of dropping them and reading and hashing every row again on next use: a
 * million-row table took ~140 ms), or null when any of the table's keys has no own index.
 * `gone` says whether a committed row is deleted (an index with too many dead entries is cleaned).
 */
export function ownKeyIndexes(keys: UniqueKey[], pending: Map<string, PendingKeys> | null, gone: (rowId: RowId) => boolean): Map<string, KeyHashIndex> | null {
  if (pending === null || keys.length === 0) return null;
  for (const k of keys) if (pending.get(k.name)?.owns(k) !== true) return null;
  const out = new Map<string, KeyHashIndex>();
  for (const k of keys) {
    const index = pending.get(k.name)!.ownIndex(k)!;
    out.set(k.name, tooManyDead(index) ? index.withoutDead(gone) : index);
  }
  return out;
}
