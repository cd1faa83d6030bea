// Tables as column chunks in a key-value store (LMDB or memory), read through the buffer pool.
// Committed state is immutable and replaced whole on commit (copy-on-write), so a snapshot taken
// by a reader never changes under it. Row groups only grow by appends; rows are deleted through
// per-group deletion bitmaps. An older snapshot that reads a chunk since rewritten with more rows
// uses only its first rowCount rows — the invariant that lets readers skip chunk versions.
//
// Keys: 'catalog' (JSON: tables with row counts per group, views, sequences, next OID),
//       'c/<table>/<column>/<group>' (encoded chunk), 'd/<table>/<group>' (deletion bitmap),
//       's/<sequence>' (sequence state, see sequence-store.ts),
//       'st/<table>/<group>' (the group's column statistics, see column-stats.ts).
import { TableStatistics } from '../plan/statistics';
import { DataType, dataType, TypeName } from '../types/data-type';
import { Vector } from '../types/vector';
import { concatVectors, gatherVector, sliceVector } from '../types/vector-ops';
import { BufferPoolStats, ChunkCache, CatalogView, ColumnStorageStats, IndexRange, ROW_GROUP_ROWS, RowId, SequenceDef, Storage, StorageOptions, TableDef, TableSnapshot, UniqueKey, ViewDef, WriteTxn, scannableIndexesOf, uniqueKeysOf } from './api';
import { decodeChunk, encodeChunk, vectorBytes } from './chunk-codec';
import { GroupStats, collectGroupStats, decodeGroupStats, encodeGroupStats, tableStatistics } from './column-stats';
import { KvStore, LmdbKv, MemoryKv } from './kv-store';
import { PrimaryKeyIndex, buildKeyIndex, PendingKeys, keyText } from './primary-key-index';
import { SequenceStore, sequenceKey } from './sequence-store';
import { columnStorageStats } from './storage-stats';
import { SortedIndex } from './sorted-index';

interface GroupState {
  rowCount: number;
  deleted: Uint8Array | null;
  deletedCount: number;
  /** Column statistics of the group's rows as last committed; null when never collected. */
  stats: GroupStats | null;
}
interface TableState {
  def: TableDef;
  groups: GroupState[];
  /** Bumped by TRUNCATE and table rewrites (RowIds then denote other rows); in memory only. */
  generation?: number;
}
interface CatalogState {
  nextOid: number;
  tables: Map<number, TableState>;
  views: Map<number, ViewDef>;
  sequences: Map<number, SequenceDef>;
}

const FIRST_OID = 16384;

function chunkKey(tableId: number, column: number, group: number): string {
  return `c/${tableId}/${column}/${group}`;
}
function deletedKey(tableId: number, group: number): string {
  return `d/${tableId}/${group}`;
}
function statsKey(tableId: number, group: number): string {
  return `st/${tableId}/${group}`;
}

/** Merged statistics per committed groups array (committed arrays are never mutated). */
const statsCache = new WeakMap<GroupState[], TableStatistics | null>();
/** The buffer pool's numeric key for a chunk. */
function poolKey(tableId: number, column: number, group: number): number {
  return (tableId * 4096 + column) * 65536 + group;
}

class CatalogViewImpl implements CatalogView {
  constructor(private readonly state: CatalogState) {}
  tables(): TableDef[] {
    return [...this.state.tables.values()].map((t) => t.def);
  }
  views(): ViewDef[] {
    return [...this.state.views.values()];
  }
  findTable(schema: string, name: string): TableDef | undefined {
    for (const t of this.state.tables.values()) if (t.def.name === name && t.def.schema === schema) return t.def;
    return undefined;
  }
  findView(schema: string, name: string): ViewDef | undefined {
    for (const v of this.state.views.values()) if (v.name === name && v.schema === schema) return v;
    return undefined;
  }
  sequences(): SequenceDef[] {
    return [...this.state.sequences.values()];
  }
  findSequence(schema: string, name: string): SequenceDef | undefined {
    for (const q of this.state.sequences.values()) if (q.name === name && q.schema === schema) return q;
    return undefined;
  }
}

class Snapshot implements TableSnapshot {
  readonly rowGroupCount: number;
  readonly liveRowCount: number;

  constructor(
    readonly def: TableDef,
    private readonly groups: GroupState[],
    private readonly store: TableStore,
    private readonly pending: ((group: number) => Vector[] | undefined) | null,
    readonly generation = 0,
  ) {
    this.rowGroupCount = groups.length;
    let live = 0;
    for (const g of groups) live += g.rowCount - g.deletedCount;
    this.liveRowCount = live;
  }
  rowCount(group: number): number {
    return this.groups[group].rowCount;
  }
  deleted(group: number): Uint8Array | null {
    return this.groups[group].deleted;
  }
  statistics(): TableStatistics | null {
    if (this.pending !== null) return tableStatistics(this.groups.map((g) => g.stats), this.def.columns.length);
    let s = statsCache.get(this.groups);
    if (s === undefined) {
      s = tableStatistics(this.groups.map((g) => g.stats), this.def.columns.length);
      statsCache.set(this.groups, s);
    }
    return s;
  }
  readColumn(group: number, column: number): Vector {
    const own = this.pending?.(group);
    if (own !== undefined) return own[column];
    return this.store.readChunk(this.def, column, group, this.groups[group].rowCount);
  }
  indexLookup(indexId: number, range: IndexRange): Float64Array | null {
    return this.store.indexLookup(this, indexId, range);
  }
}

export class TableStore implements Storage {
  private state: CatalogState;
  /** Committed unique-key indexes per table, by key name (built on first use). */
  private readonly pkIndexes = new Map<number, Map<string, PrimaryKeyIndex>>();
  readonly sequences: SequenceStore;

  private constructor(
    private readonly kv: KvStore,
    state: CatalogState,
    readonly pool: ChunkCache,
  ) {
    this.state = state;
    this.sequences = new SequenceStore(kv);
  }

  /** Auxiliary keys live under 'x/', apart from catalog, chunk and sequence keys. */
  readonly aux = {
    get: (key: string): Buffer | undefined => this.kv.get(`x/${key}`),
    write: (entries: [string, Buffer | null][]): Promise<void> => this.kv.write(entries.map(([k, v]) => [`x/${k}`, v])),
  };

  static async open(options: StorageOptions): Promise<TableStore> {
    const kv: KvStore = options.dir === null ? new MemoryKv() : new LmdbKv(options.dir, options.synchronousCommit);
    const state = loadCatalog(kv);
    return new TableStore(kv, state, options.cache);
  }

  catalog(): CatalogView {
    return new CatalogViewImpl(this.state);
  }

  snapshot(tableId: number): TableSnapshot {
    return this.snapshotIn(this.state, tableId);
  }

  private snapshotIn(state: CatalogState, tableId: number): Snapshot {
    const t = state.tables.get(tableId);
    if (t === undefined) throw new Error(`table ${tableId} does not exist`);
    return new Snapshot(t.def, t.groups, this, null, t.generation);
  }

  /** Sorted index entries by table and column (built on first use from the committed rows). */
  private readonly sortedIndexes = new Map<string, SortedIndex | null>();

  indexLookup(snapshot: Snapshot, indexId: number, range: IndexRange): Float64Array | null {
    const ix = scannableIndexesOf(snapshot.def).find((i) => i.id === indexId);
    const committed = this.state.tables.get(snapshot.def.id);
    if (ix === undefined || committed === undefined) return null;
    if ((snapshot.generation ?? 0) !== (committed.generation ?? 0)) return null;
    // The entries depend only on the table and the column (indexes on the same first column share them).
    const key = `${snapshot.def.id}:${ix.columns[0]}`;
    let idx = this.sortedIndexes.get(key);
    const current = () => this.snapshot(snapshot.def.id);
    if (idx === undefined || (idx !== null && (idx.generation !== (committed.generation ?? 0) || idx.staleness(current()) > 0.1))) {
      idx = SortedIndex.build(current(), ix.columns[0], committed.generation ?? 0);
      this.sortedIndexes.set(key, idx);
    }
    if (idx === null) return null;
    return idx.lookup(snapshot, range);
  }

  snapshotAll(): (tableId: number) => TableSnapshot {
    const state = this.state;
    return (tableId) => this.snapshotIn(state, tableId);
  }

  begin(): WriteTxn {
    return new Txn(this, this.state);
  }

  catalogIn(txn: WriteTxn): CatalogView {
    return new CatalogViewImpl((txn as Txn).catalog);
  }

  bufferStats(): BufferPoolStats {
    return this.pool.stats();
  }

  storageStats(): ColumnStorageStats[] {
    const tables = [...this.state.tables.values()].map((t) => ({ def: t.def, groups: t.groups.length }));
    return columnStorageStats(tables, (id, c, g) => this.kv.get(chunkKey(id, c, g)));
  }

  async close(): Promise<void> {
    const exact = this.sequences.exactEntries().filter(([k]) => [...this.state.sequences.keys()].some((id) => sequenceKey(id) === k));
    if (exact.length > 0) await this.kv.write(exact);
    await this.kv.close();
  }

  /** A committed chunk, decoded, through the buffer pool; only its first rowCount rows. */
  readChunk(def: TableDef, column: number, group: number, rowCount: number): Vector {
    const key = poolKey(def.id, column, group);
    let v = this.pool.get(key);
    if (v === undefined) {
      const bytes = this.kv.get(chunkKey(def.id, column, group));
      if (bytes === undefined) throw new Error(`missing chunk ${chunkKey(def.id, column, group)}`);
      v = decodeChunk(bytes, def.columns[column].type);
      this.pool.put(key, v, vectorBytes(v));
    }
    return v.length === rowCount ? v : sliceVector(v, 0, rowCount);
  }

  /** A unique-key index of a committed table, built on first use. */
  pkIndex(tableId: number, key: UniqueKey): PrimaryKeyIndex {
    let byName = this.pkIndexes.get(tableId);
    if (byName === undefined) this.pkIndexes.set(tableId, (byName = new Map()));
    let idx = byName.get(key.name);
    if (idx === undefined) {
      const snap = this.snapshot(tableId);
      idx = buildKeyIndex(snap, snap.def, key);
      byName.set(key.name, idx);
    }
    return idx;
  }

  /** Commit: one atomic KV write, then the new state becomes visible. */
  async commit(txn: Txn): Promise<void> {
    const entries: [string, Buffer | null][] = [];
    for (const id of [...txn.dropped, ...txn.truncated]) {
      for (const k of this.kv.keysWithPrefix(`c/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`d/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`st/${id}/`)) entries.push([k, null]);
    }
    const written: [number, Vector][] = [];
    for (const [id, tt] of txn.changed) {
      if (!txn.catalog.tables.has(id)) continue;
      for (const g of tt.dirtyGroups) {
        const cols = tt.materialize(g);
        cols.forEach((col, c) => {
          entries.push([chunkKey(id, c, g), encodeChunk(col)]);
          written.push([poolKey(id, c, g), col]);
        });
      }
      const groups = txn.catalog.tables.get(id)!.groups;
      for (const g of tt.analyzed ? groups.keys() : tt.dirtyGroups) {
        const stats = tt.groupStats(g);
        groups[g] = { ...groups[g], stats };
        entries.push([statsKey(id, g), encodeGroupStats(stats)]);
      }
      for (const g of tt.dirtyDeletes) {
        const d = groups[g].deleted;
        entries.push([deletedKey(id, g), d === null ? null : Buffer.from(d)]);
      }
    }
    for (const id of txn.droppedSequences) entries.push([sequenceKey(id), null]);
    // A new sequence's record is written with the catalog that names it (its OID may be one an
    // aborted transaction used, whose stale record must not be read after a restart).
    for (const id of txn.createdSequences) {
      const def = txn.catalog.sequences.get(id);
      if (def !== undefined) entries.push([sequenceKey(id), this.sequences.durableRecord(def)]);
    }
    entries.push(['catalog', Buffer.from(JSON.stringify(serializeCatalog(txn.catalog)))]);
    await this.kv.write(entries);
    // Durable: publish.
    this.state = txn.catalog;
    for (const [key, col] of written) {
      this.pool.invalidate(key);
      this.pool.put(key, col, vectorBytes(col));
    }
    for (const id of [...txn.dropped, ...txn.truncated]) this.pkIndexes.delete(id);
    // TRUNCATE reuses chunk keys: cached chunks of the old rows must go (rewritten ones were replaced above).
    for (const [id, groups] of txn.truncatedGroups) {
      const width = txn.catalog.tables.get(id)?.def.columns.length ?? 0;
      const rewritten = txn.changed.get(id)?.dirtyGroups;
      for (let c = 0; c < width; c++) for (let g = 0; g < groups; g++) if (!rewritten?.has(g)) this.pool.invalidate(poolKey(id, c, g));
    }
    for (const [id, tt] of txn.changed) {
      if (tt.pkChanged) this.pkIndexes.delete(id);
      else if (tt.keys !== null) for (const [name, keys] of tt.keys) keys.applyTo(this.pkIndexes.get(id)?.get(name));
    }
    for (const id of txn.droppedSequences) this.sequences.forget(id);
    for (const id of txn.dropped) for (const key of [...this.sortedIndexes.keys()]) if (key.startsWith(`${id}:`)) this.sortedIndexes.delete(key);
    // Stale chunks of dropped columns (ALTER TABLE rewrites) must not be found under reused indexes.
    for (const [id, [width, groups]] of txn.rewrittenShapes) for (let c = 0; c < width; c++) for (let g = 0; g < groups; g++) this.pool.invalidate(poolKey(id, c, g));
  }
}

/** One table's changes inside a write transaction. */
class TxnTable {
  /** Appended batches per group (new rows only). */
  readonly parts = new Map<number, Vector[][]>();
  /** Committed rows of a group when this transaction first appended to it. */
  readonly baseRows = new Map<number, number>();
  private readonly materialized = new Map<number, Vector[]>();
  readonly dirtyGroups = new Set<number>();
  readonly dirtyDeletes = new Set<number>();
  private readonly copiedBitmaps = new Set<number>();
  /** Pending unique-key changes by key name; null until the first write that needs them. */
  keys: Map<string, PendingKeys> | null = null;
  /** The table's keys changed (or it was truncated/rewritten): the committed indexes no longer apply. */
  pkChanged = false;
  /** ANALYZE ran in the transaction: every group's statistics are rebuilt at commit. */
  analyzed = false;

  constructor(
    readonly txn: Txn,
    readonly tableId: number,
    /** The table as committed when the transaction began; undefined when created in it. */
    readonly committed: TableState | undefined,
  ) {}

  state(): TableState {
    return this.txn.catalog.tables.get(this.tableId)!;
  }

  /** Full columns of a group this transaction appended to: committed prefix + new rows. */
  materialize(g: number): Vector[] {
    let cols = this.materialized.get(g);
    if (cols !== undefined) return cols;
    const def = this.state().def;
    const base = this.baseRows.get(g) ?? 0;
    const parts = this.parts.get(g) ?? [];
    cols = def.columns.map((c, ci) => {
      const pieces: Vector[] = [];
      if (base > 0) pieces.push(this.txn.store.readChunk(def, ci, g, base));
      for (const p of parts) pieces.push(p[ci]);
      return concatVectors(c.type, pieces);
    });
    this.materialized.set(g, cols);
    return cols;
  }

  /**
   * The group's statistics to commit: over the group's rows as written (the dictionaries of the
   * encoded group are merged, so text distinct counts are exact), or after ANALYZE over its live rows.
   */
  groupStats(g: number): GroupStats {
    if (!this.analyzed) return collectGroupStats(this.materialize(g));
    const snap = this.snapshot();
    const cols = this.dirtyGroups.has(g) ? this.materialize(g) : this.state().def.columns.map((_, c) => snap.readColumn(g, c));
    return collectGroupStats(cols, snap.deleted(g));
  }

  append(columns: Vector[]): RowId {
    const state = this.state();
    const groups = state.groups;
    const n = columns[0]?.length ?? 0;
    let firstRowId = -1;
    let offset = 0;
    while (offset < n) {
      let g = groups.length - 1;
      if (g < 0 || groups[g].rowCount >= ROW_GROUP_ROWS) {
        groups.push({ rowCount: 0, deleted: null, deletedCount: 0, stats: null });
        g = groups.length - 1;
      }
      const group = groups[g];
      if (!this.baseRows.has(g)) this.baseRows.set(g, group.rowCount);
      const take = Math.min(ROW_GROUP_ROWS - group.rowCount, n - offset);
      const slice = offset === 0 && take === n ? columns : columns.map((c) => sliceVector(c, offset, offset + take));
      if (firstRowId < 0) firstRowId = g * ROW_GROUP_ROWS + group.rowCount;
      let list = this.parts.get(g);
      if (list === undefined) this.parts.set(g, (list = []));
      list.push(slice);
      groups[g] = { ...group, rowCount: group.rowCount + take, deleted: group.deleted === null ? null : extend(group.deleted, group.rowCount + take) };
      this.dirtyGroups.add(g);
      this.materialized.delete(g);
      offset += take;
    }
    return firstRowId;
  }

  delete(rowIds: ArrayLike<RowId>): void {
    const groups = this.state().groups;
    for (let i = 0; i < rowIds.length; i++) {
      const id = rowIds[i];
      const g = Math.floor(id / ROW_GROUP_ROWS);
      const off = id - g * ROW_GROUP_ROWS;
      let group = groups[g];
      if (!this.copiedBitmaps.has(g)) {
        const bitmap = new Uint8Array(group.rowCount);
        if (group.deleted !== null) bitmap.set(group.deleted.subarray(0, group.rowCount));
        group = groups[g] = { ...group, deleted: bitmap };
        this.copiedBitmaps.add(g);
      }
      if (group.deleted![off] === 0) {
        group.deleted![off] = 1;
        group.deletedCount++;
      }
      this.dirtyDeletes.add(g);
    }
  }

  /** Own view: groups this transaction appended to are read from memory. */
  snapshot(): TableSnapshot {
    const state = this.state();
    return new Snapshot(state.def, state.groups, this.txn.store, (g) => (this.dirtyGroups.has(g) ? this.materialize(g) : undefined), state.generation);
  }
}

function extend(bitmap: Uint8Array, length: number): Uint8Array {
  if (bitmap.length >= length) return bitmap;
  const out = new Uint8Array(length);
  out.set(bitmap);
  return out;
}

class Txn implements WriteTxn {
  readonly catalog: CatalogState;
  readonly changed = new Map<number, TxnTable>();
  readonly dropped: number[] = [];
  readonly truncated: number[] = [];
  /** Row groups a truncated table had when it was truncated (their cached chunks are stale). */
  readonly truncatedGroups = new Map<number, number>();
  readonly droppedSequences: number[] = [];
  readonly createdSequences: number[] = [];
  /** Tables rewritten by ALTER TABLE: [column count, row groups] of their old shape (cached chunks to drop). */
  readonly rewrittenShapes = new Map<number, [number, number]>();

  get rewritesChunks(): boolean {
    return this.dropped.length > 0 || this.truncated.length > 0 || this.rewrittenShapes.size > 0;
  }
  private done = false;

  constructor(
    readonly store: TableStore,
    committed: CatalogState,
  ) {
    // Copy-on-write: the maps are copied now, table states when first written.
    this.catalog = { nextOid: committed.nextOid, tables: new Map(committed.tables), views: new Map(committed.views), sequences: new Map(committed.sequences) };
  }

  private writable(tableId: number): TxnTable {
    let tt = this.changed.get(tableId);
    if (tt !== undefined) return tt;
    const committed = this.catalog.tables.get(tableId);
    if (committed === undefined) throw new Error(`table ${tableId} does not exist`);
    this.catalog.tables.set(tableId, { def: committed.def, groups: committed.groups.slice(), generation: committed.generation });
    tt = new TxnTable(this, tableId, committed);
    this.changed.set(tableId, tt);
    return tt;
  }

  table(tableId: number): TableSnapshot {
    const tt = this.changed.get(tableId);
    if (tt !== undefined) return tt.snapshot();
    const t = this.catalog.tables.get(tableId);
    if (t === undefined) throw new Error(`table ${tableId} does not exist`);
    return new Snapshot(t.def, t.groups, this.store, null, t.generation);
  }

  append(tableId: number, columns: Vector[]): RowId {
    const tt = this.writable(tableId);
    const def = this.catalog.tables.get(tableId)!.def;
    const first = this.nextRowId(tt, columns[0]?.length ?? 0);
    const keys = this.keysFor(tt, def);
    if (keys !== null) {
      // Check every key before adding any, so a failed statement leaves no half-added keys.
      for (const k of keys.values()) k.check(columns);
      for (const k of keys.values()) k.checkAndAdd(columns, first);
    }
    return tt.append(columns);
  }

  /** RowIds the next append will assign (so keys can be checked before rows are placed). */
  private nextRowId(tt: TxnTable, n: number): (i: number) => RowId {
    const groups = tt.state().groups;
    let g = groups.length - 1;
    let used = g >= 0 ? groups[g].rowCount : ROW_GROUP_ROWS;
    if (used >= ROW_GROUP_ROWS) {
      g++;
      used = 0;
    }
    const start = g * ROW_GROUP_ROWS + used;
    void n;
    // Appends fill the tail group then continue in new groups, so ids are contiguous from start.
    return (i) => start + i;
  }

  /**
   * The pending key sets of a table (null when it has no unique keys), made on first use: against
   * the committed indexes, or — for a table created, truncated or re-keyed in this transaction —
   * against an index of the rows as the transaction sees them now.
   */
  private keysFor(tt: TxnTable, def: TableDef): Map<string, PendingKeys> | null {
    if (tt.keys !== null) return tt.keys;
    const keys = uniqueKeysOf(def);
    if (keys.length === 0) return null;
    const own = tt.committed === undefined || tt.pkChanged || !this.store.catalog().findTable(tt.committed.def.schema, tt.committed.def.name);
    const snap = own ? tt.snapshot() : null;
    tt.keys = new Map(keys.map((k) => [k.name, new PendingKeys(def, k, snap !== null ? buildKeyIndex(snap, def, k) : this.store.pkIndex(tt.tableId, k))]));
    return tt.keys;
  }

  delete(tableId: number, rowIds: ArrayLike<RowId>): void {
    const tt = this.writable(tableId);
    const keys = this.keysFor(tt, this.catalog.tables.get(tableId)!.def);
    tt.delete(rowIds);
    if (keys !== null) for (const k of keys.values()) k.removeRows(rowIds);
  }

  findKey(tableId: number, keyName: string, columns: Vector[], row: number): RowId {
    const tt = this.writable(tableId);
    const def = this.catalog.tables.get(tableId)!.def;
    const pending = this.keysFor(tt, def)?.get(keyName);
    if (pending === undefined) throw new Error(`no unique key ${keyName} on table ${def.name}`);
    const text = keyText(columns, pending.key.columns, row);
    return text === null ? -1 : pending.lookup(text);
  }

  readRow(tableId: number, rowId: RowId): Vector[] {
    const state = this.catalog.tables.get(tableId)!;
    const g = Math.floor(rowId / ROW_GROUP_ROWS);
    const off = rowId - g * ROW_GROUP_ROWS;
    const tt = this.changed.get(tableId);
    const base = tt === undefined ? state.groups[g].rowCount : tt.baseRows.get(g) ?? state.groups[g].rowCount;
    if (off < base) return state.def.columns.map((_, c) => sliceVector(this.store.readChunk(state.def, c, g, base), off, off + 1));
    let at = base;
    for (const part of tt!.parts.get(g) ?? []) {
      const n = part[0]?.length ?? 0;
      if (off < at + n) return part.map((v) => sliceVector(v, off - at, off - at + 1));
      at += n;
    }
    throw new Error(`row ${rowId} of table ${tableId} does not exist`);
  }

  alterTable(tableId: number, def: TableDef, rewrite: ((columns: Vector[], length: number) => Vector[]) | null): void {
    const tt = this.writable(tableId);
    const state = this.catalog.tables.get(tableId)!;
    const oldKeys = new Map(uniqueKeysOf(state.def).map((k) => [k.name, k.columns.join(',')]));
    if (rewrite !== null) {
      const snap = tt.snapshot();
      const batches: Vector[][] = [];
      for (let g = 0; g < snap.rowGroupCount; g++) {
        const n = snap.rowCount(g);
        const deleted = snap.deleted(g);
        let cols = state.def.columns.map((_, c) => snap.readColumn(g, c));
        let live = n;
        if (deleted !== null) {
          const idx: number[] = [];
          for (let i = 0; i < n; i++) if (deleted[i] === 0) idx.push(i);
          cols = cols.map((v) => gatherVector(v, idx));
          live = idx.length;
        }
        if (live > 0) batches.push(rewrite(cols, live));
      }
      const committedGroups = tt.committed?.groups.length ?? 0;
      const shape = this.rewrittenShapes.get(tableId);
      this.rewrittenShapes.set(tableId, [Math.max(shape?.[0] ?? 0, state.def.columns.length, def.columns.length), Math.max(shape?.[1] ?? 0, committedGroups, state.groups.length)]);
      this.truncate(tableId);
      this.catalog.tables.set(tableId, { def, groups: [], generation: this.catalog.tables.get(tableId)!.generation });
      // Re-appending validates every unique key over the rewritten rows.
      for (const b of batches) this.append(tableId, b);
      return;
    }
    this.catalog.tables.set(tableId, { def, groups: state.groups, generation: state.generation });
    const changed = uniqueKeysOf(def).some((k) => oldKeys.get(k.name) !== k.columns.join(','));
    const dropped = [...oldKeys.keys()].some((name) => !uniqueKeysOf(def).some((k) => k.name === name));
    // Same keys: the committed indexes and this transaction's pending key sets stay valid.
    if (!changed && !dropped) return;
    // Validate new keys over the rows as this transaction sees them, then track keys afresh.
    const snap = tt.snapshot();
    const notNull = new Set(def.primaryKey ?? []);
    tt.keys = new Map(
      uniqueKeysOf(def).map((k) => {
        const fresh = oldKeys.get(k.name) !== k.columns.join(',');
        return [k.name, new PendingKeys(def, k, buildKeyIndex(snap, def, k, fresh, k.columns.every((c) => notNull.has(c)) && k.name === def.primaryKeyName))];
      }),
    );
    tt.pkChanged = true;
  }

  allocateOid(): number {
    return this.catalog.nextOid++;
  }

  createSequence(def: Omit<SequenceDef, 'id'>): SequenceDef {
    const full: SequenceDef = { ...def, id: this.catalog.nextOid++ };
    this.catalog.sequences.set(full.id, full);
    this.store.sequences.reset(full);
    this.createdSequences.push(full.id);
    return full;
  }

  dropSequence(sequenceId: number): void {
    this.catalog.sequences.delete(sequenceId);
    this.droppedSequences.push(sequenceId);
  }

  alterSequence(def: SequenceDef): void {
    this.catalog.sequences.set(def.id, def);
  }

  analyze(tableId: number): void {
    this.writable(tableId).analyzed = true;
  }

  truncate(tableId: number): void {
    const state = this.catalog.tables.get(tableId);
    if (state === undefined) throw new Error(`table ${tableId} does not exist`);
    const committedGroups = this.store.snapshot(tableId).rowGroupCount;
    this.truncatedGroups.set(tableId, Math.max(this.truncatedGroups.get(tableId) ?? 0, committedGroups, state.groups.length));
    if (!this.truncated.includes(tableId)) this.truncated.push(tableId);
    // Row ids are reused from here on: indexes built on the old rows must not serve the new ones.
    this.catalog.tables.set(tableId, { def: state.def, groups: [], generation: (state.generation ?? 0) + 1 });
    // Later appends in this transaction start from an empty table with no committed rows or keys.
    const tt = new TxnTable(this, tableId, undefined);
    tt.pkChanged = true;
    this.changed.set(tableId, tt);
  }

  createTable(def: Omit<TableDef, 'id'>): TableDef {
    const full: TableDef = { ...def, id: this.catalog.nextOid++ };
    this.catalog.tables.set(full.id, { def: full, groups: [] });
    const tt = new TxnTable(this, full.id, undefined);
    this.changed.set(full.id, tt);
    return full;
  }

  dropTable(tableId: number): void {
    this.catalog.tables.delete(tableId);
    this.changed.delete(tableId);
    this.dropped.push(tableId);
  }

  createView(def: Omit<ViewDef, 'id'>): ViewDef {
    const full: ViewDef = { ...def, id: this.catalog.nextOid++ };
    this.catalog.views.set(full.id, full);
    return full;
  }

  dropView(viewId: number): void {
    this.catalog.views.delete(viewId);
  }

  alterView(def: ViewDef): void {
    this.catalog.views.set(def.id, def);
  }

  setPrimaryKey(tableId: number, columns: number[], constraintName: string): void {
    const tt = this.writable(tableId);
    const state = this.catalog.tables.get(tableId)!;
    const def: TableDef = {
      ...state.def,
      columns: state.def.columns.map((c, i) => (columns.includes(i) ? { ...c, notNull: true } : c)),
      primaryKey: columns,
      primaryKeyName: constraintName,
      primaryKeyOid: this.catalog.nextOid++,
      primaryKeyIndexOid: this.catalog.nextOid++,
    };
    // Validates uniqueness and NOT NULL over the rows as this transaction sees them.
    const snap = tt.snapshot();
    const keys = new Map(uniqueKeysOf(def).map((k) => [k.name, new PendingKeys(def, k, buildKeyIndex(snap, def, k, k.name === constraintName, k.name === constraintName))]));
    this.catalog.tables.set(tableId, { def, groups: state.groups, generation: state.generation });
    tt.pkChanged = true;
    tt.keys = keys;
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('transaction already finished');
    this.done = true;
    await this.store.commit(this);
  }

  abort(): void {
    this.done = true;
  }
}

// ---- catalog persistence ----

interface SerializedCatalog {
  nextOid: number;
  tables: { def: Omit<TableDef, 'columns'> & { columns: { name: string; type: [TypeName, number]; notNull: boolean; defaultSql: string | null }[] }; rowCounts: number[] }[];
  views: ViewDef[];
  sequences?: (Omit<SequenceDef, 'type'> & { type: [TypeName, number] })[];
}

function serializeCatalog(state: CatalogState): SerializedCatalog {
  return {
    nextOid: state.nextOid,
    tables: [...state.tables.values()].map((t) => ({
      def: { ...t.def, columns: t.def.columns.map((c) => ({ ...c, type: [c.type.name, c.type.typmod] as [TypeName, number] })) },
      rowCounts: t.groups.map((g) => g.rowCount),
    })),
    views: [...state.views.values()],
    sequences: [...state.sequences.values()].map((q) => ({ ...q, type: [q.type.name, q.type.typmod] as [TypeName, number] })),
  };
}

function loadCatalog(kv: KvStore): CatalogState {
  const raw = kv.get('catalog');
  const state: CatalogState = { nextOid: FIRST_OID, tables: new Map(), views: new Map(), sequences: new Map() };
  if (raw === undefined) return state;
  const s = JSON.parse(raw.toString()) as SerializedCatalog;
  state.nextOid = s.nextOid;
  for (const t of s.tables) {
    const def: TableDef = { ...t.def, columns: t.def.columns.map((c) => ({ ...c, type: dataType(c.type[0], c.type[1]) as DataType })) };
    const groups = t.rowCounts.map((rowCount, g) => {
      const d = kv.get(deletedKey(def.id, g));
      const deleted = d === undefined ? null : new Uint8Array(d);
      let deletedCount = 0;
      if (deleted !== null) for (let i = 0; i < rowCount; i++) deletedCount += deleted[i];
      const s = kv.get(statsKey(def.id, g));
      return { rowCount, deleted, deletedCount, stats: s === undefined ? null : decodeGroupStats(s) };
    });
    state.tables.set(def.id, { def, groups });
  }
  for (const v of s.views) state.views.set(v.id, v);
  for (const q of s.sequences ?? []) state.sequences.set(q.id, { ...q, type: dataType(q.type[0], q.type[1]) as DataType });
  return state;
}
