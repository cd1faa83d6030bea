// Tables as column chunks in a key-value store (LMDB or memory), read through the buffer pool.
// Committed state is immutable and replaced whole on commit (copy-on-write), so a snapshot taken
// by a reader never changes under it. Row groups only grow by appends; rows are deleted through
// per-group deletion bitmaps. An older snapshot that reads a chunk since rewritten with more rows
// uses only its first rowCount rows — the invariant that lets readers skip chunk versions.
//
// Keys: 'catalog/…' (one entry per object, see catalog-keys.ts: 'catalog/oid' the next OID,
//       'catalog/t/<table>' a definition, 'catalog/r/<table>' its row counts per group, generation
//       and spill refs, 'catalog/v/<view>', 'catalog/s/<sequence>'; a commit writes the entries of
//       the objects it changed only, see catalog-writer.ts),
//       'c/<table>/<column>/<group>' (encoded chunk), 'd/<table>/<group>' (deletion bitmap),
//       's/<sequence>' (sequence state, see sequence-store.ts),
//       'st/<table>/<group>' (the group's column statistics, see column-stats.ts),
//       'ix/<table>/<column>' (sorted index entries on the column, see sorted-index.ts),
//       'sp/<tag>/<n>/<column>' (chunks of a group a transaction spilled before commit; the group's
//       chunks once its commit names them, see spilled-groups.ts).
import { TableStatistics } from '../plan/statistics';
import { Vector } from '../types/vector';
import { concatVectors, gatherVector, sliceVector, vectorFromScalars } from '../types/vector-ops';
import { BufferPoolStats, ChunkCache, ChunkScan, CatalogView, ColumnStorageStats, CommitHooks, CommitQueueStats, IndexRange, StorageSnapshot, TxnImage, ROW_GROUP_ROWS, RowId, SequenceDef, Storage, StorageOptions, TableDef, TableSnapshot, UniqueKey, ViewDef, WriteTxn, scannableIndexesOf, uniqueKeysOf } from './api';
import { decodeChunk, encodeChunk, vectorBytes } from './chunk-codec';
import { encodeChunkOffThread, stealQueuedChunks } from './chunk-encoder';
import { GroupStats, collectGroupStats, decodeGroupStats, encodeGroupStats, tableStatistics } from './column-stats';
import { KvStore, LmdbKv, MemoryKv } from './kv-store';
import { WritePipeline, emptyCommitQueueStats } from './write-pipeline';
import { KeyHashIndex, KeyRows, buildKeyIndex, buildKeyIndexYielding, keyIndexSteps, ownKeyIndexes, PendingKeys } from './primary-key-index';
import { EventLoopSlices, Steps, runSteps, runStepsYielding } from './event-loop-slices';
import { SequenceStore, sequenceKey } from './sequence-store';
import { columnStorageStats } from './storage-stats';
import { SortedIndex } from './sorted-index';
import { liveRowGroups } from './live-rows';
import { AccessPattern } from './access-pattern';
import { ChunkSource, PoolChunkScan } from './chunk-scan';
import { SqlError, SqlState } from '../types/sql-error';
import { GrowableColumn } from './growable-column';
import { ensureStrings } from '../types/string-bytes';
import { MAX_SPILLS_IN_FLIGHT, newSpillTag, removeUnreferencedSpills, spillGroupPrefix, spillKey } from './spilled-groups';
import { OwnRowsScratch } from './own-rows-scratch';
import { OwnDeletedRows, OwnDeletions } from './own-deletions';
import { CompactionRecords, COMPACTION_SLACK_GROUPS, compactionStart, firstRowGroup, leftoverGroupKeys, retiredKeys } from './compaction';
import { DELTA_MAX_ROWS, DeletionEntries, deletionEntryBytes, storedDeletions, deltaKey, deltaPrefix, encodeDelta, withDeltas } from './delta-rows';
import { DeletedSince, deletedAt, denseDeleted, hasDeletions, newlyDeletedIn, withDeleted } from './layered-deletions';
import { ChangedKeys, readCatalog, refreshedCatalog } from './committed-refresh';
import { OLD_CATALOG_KEY, oldCatalogEntries } from './catalog-keys';
import { CatalogChanges, CatalogWriter } from './catalog-writer';

export interface GroupState {
  rowCount: number;
  /** The deletion bitmap; with `since`, only part of the deletions: read them through layered-deletions.ts. */
  deleted: Uint8Array | null;
  /** Offsets deleted since `deleted` was made (see layered-deletions.ts). */
  since?: DeletedSince;
  deletedCount: number;
  /** Column statistics of the group's rows as last committed; null when never collected. */
  stats: GroupStats | null;
  /** Rows in the group's stored chunks when fewer than rowCount (the rest are delta entries, see delta-rows.ts). */
  chunkRows?: number;
  /** The group's chunks are the spilled ones of the transaction that filled it (see spilled-groups.ts). */
  spill?: string;
  // (groupWith below copies every field: a new one must be added there.)
}
export interface TableState {
  def: TableDef;
  groups: GroupState[];
  /** Bumped by TRUNCATE and table rewrites (RowIds then denote other rows); persisted with the row counts. */
  generation?: number;
}
interface CatalogState {
  nextOid: number;
  /** Commits so far (0 when opened); set when the state is published. */
  version?: number;
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
function sortedIndexKey(tableId: number, column: number): string {
  return `ix/${tableId}/${column}`;
}
/** Columns that lead an index the planner may scan (their sorted entries are kept). */
function indexedColumns(def: TableDef | undefined): Set<number> {
  return new Set(def === undefined ? [] : scannableIndexesOf(def).map((i) => i.columns[0]));
}

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
    private readonly ownFrom: ((group: number) => number) | null = null,
    /** The version of the committed state the snapshot reads (its transaction's base); -1: unknown. */
    readonly version = -1,
    /** A transaction's rows of a group it appended to, gathered without assembling the group (null: it cannot). */
    private readonly pendingRows: ((group: number, column: number, offsets: Uint32Array) => Vector | null) | null = null,
    /** A transaction's own deletions, kept apart from the groups' committed bitmaps (see OwnDeletions). */
    private readonly own: OwnDeletedRows | null = null,
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
    return this.own?.dense(group) ?? denseDeleted(this.groups[group]);
  }
  rowDeleted(rowId: RowId): boolean {
    const g = Math.floor(rowId / ROW_GROUP_ROWS);
    const off = rowId - g * ROW_GROUP_ROWS;
    const group = this.groups[g];
    if (group === undefined || off >= group.rowCount) return true;
    if (deletedAt(group, off)) return true;
    return this.own !== null && this.own.has(g, off);
  }
  statistics(): TableStatistics | null {
    return this.store.mergedStatistics(this.def, this.groups);
  }
  ownRowsFrom(group: number): number {
    return this.ownFrom === null ? Infinity : this.ownFrom(group);
  }
  readColumn(group: number, column: number): Vector {
    const own = this.pending?.(group);
    if (own !== undefined) return own[column];
    this.store.checkReadable(this.def.id, this.generation);
    return this.store.readChunk(this.def, column, group, this.groups[group].rowCount);
  }
  indexLookup(indexId: number, range: IndexRange): Float64Array | null {
    return this.store.indexLookup(this, indexId, range);
  }
  storedChunkKey(group: number, column: number): string | null {
    if (this.ownFrom !== null && this.ownFrom(group) < this.groups[group].rowCount) return null;
    if (this.pending?.(group) !== undefined) return null;
    this.store.checkReadable(this.def.id, this.generation);
    return this.store.chunkKeyFor(this.def.id, column, group);
  }
  readRows(group: number, column: number, offsets: Uint32Array): Vector {
    return this.pendingRows?.(group, column, offsets) ?? gatherVector(this.readColumn(group, column), offsets);
  }
  openScan(columns: readonly number[], pattern: AccessPattern | null): ChunkScan {
    // Checked per group: a compaction's retired generation may stop being readable (see compaction.ts).
    const rows = (g: number) => {
      if (this.store.compactions.gone(this.def.id, this.generation, this.store.current.tables.get(this.def.id)?.generation ?? 0)) throw this.store.readConflict();
      return this.groups[g].rowCount;
    };
    return new PoolChunkScan(this.store, this.def, this.rowGroupCount, rows, this.pending, columns, pattern);
  }
}

class StoreSnapshot implements StorageSnapshot {
  readonly version: number;
  constructor(
    readonly state: CatalogState,
    private readonly store: TableStore,
  ) {
    this.version = state.version ?? 0;
  }
  table(tableId: number): TableSnapshot {
    const mine = this.state.tables.get(tableId);
    const now = this.store.current.tables.get(tableId);
    // TRUNCATE and table rewrites reuse chunk keys: a snapshot older than them cannot read the table
    // (the generation a compaction replaced stays readable while it is kept, see compaction.ts).
    if (mine !== undefined && now !== mine && (now === undefined || ((now.generation ?? 0) !== (mine.generation ?? 0) && !this.store.compactions.readable(tableId, mine.generation ?? 0, now.generation ?? 0)))) throw this.store.readConflict();
    return this.store.snapshotOf(this.state, tableId);
  }
}

/** The commit a transaction cannot apply on top of what was committed since its snapshot. */
export function concurrentUpdate(): SqlError {
  return new SqlError(SqlState.serializationFailure, 'could not serialize access due to concurrent update');
}

/** PostgreSQL hot standby's cancel of a query whose rows the replayed writes removed (a cluster follower's copy). */
export function recoveryConflict(): SqlError {
  return new SqlError(SqlState.serializationFailure, 'canceling statement due to conflict with recovery', { detail: 'User query might have needed to see row versions that must be removed.' });
}

/**
 * TESSERA_LATE_LOCK_RELEASE=1 (a measurement switch, for before/after numbers from one build): a
 * batch's row locks go only once it is durable, and the next batch is decided only then, as before
 * the write pipeline (its state is still published when decided).
 */
const LATE_LOCK_RELEASE = process.env.TESSERA_LATE_LOCK_RELEASE === '1';

/** Event-loop turns a queued commit waits before its batch is decided (see TableStore.commit). */
const DECIDE_AFTER_TURNS = 2;

function rowDeleted(t: TableState, id: RowId): boolean {
  const g = Math.floor(id / ROW_GROUP_ROWS);
  const off = id - g * ROW_GROUP_ROWS;
  const group = t.groups[g];
  return group === undefined || off >= group.rowCount || deletedAt(group, off);
}

export class TableStore implements Storage, ChunkSource {
  private state: CatalogState;
  /** Committed unique-key indexes per table, by key name (built on first use). */
  private readonly pkIndexes = new Map<number, Map<string, KeyHashIndex>>();
  readonly sequences: SequenceStore;
  private readonly deletionEntries: DeletionEntries;
  /** Rows recent group commits deleted, by group: what a rebase sets in a transaction's private bitmaps. */
  /** Memory for transactions' views of groups they appended to (see own-rows-scratch.ts). */
  readonly ownRowsScratch = new OwnRowsScratch();

  /** Every read and write of the store goes through the write pipeline (see write-pipeline.ts). */
  private readonly kv: WritePipeline;
  /** What of the catalog is stored: a commit writes the entries of the objects it changed (catalog-writer.ts). */
  private readonly catalogWriter: CatalogWriter;
  /** Objects decided group commits changed whose entries the next pipeline write makes (see commitBatch). */
  private readonly unwrittenCatalog = new CatalogChanges();

  private constructor(
    kv: KvStore,
    state: CatalogState,
    readonly pool: ChunkCache,
    /** synchronous_commit: when off, a commit is acknowledged once decided (its write follows). */
    private readonly synchronousCommit = true,
    /** A store another node writes (StorageOptions.readOnlyCopy): refreshCommitted publishes its changes. */
    readonly readOnlyCopy = false,
  ) {
    this.kv = new WritePipeline(kv, this.queueStats);
    this.state = state;
    this.catalogWriter = new CatalogWriter(state);
    this.kv.markDurable(state.version ?? 0);
    this.sequences = new SequenceStore(this.kv);
    this.deletionEntries = new DeletionEntries(this.kv);
  }

  /** Auxiliary keys live under 'x/', apart from catalog, chunk and sequence keys. */
  readonly aux = {
    get: (key: string): Buffer | undefined => this.kv.get(`x/${key}`),
    write: (entries: [string, Buffer | null][]): Promise<void> => this.kv.write(entries.map(([k, v]) => [`x/${k}`, v])),
  };

  static async open(options: StorageOptions): Promise<TableStore> {
    const kv: KvStore = options.kv ?? (options.dir === null ? new MemoryKv() : new LmdbKv(options.dir, options.synchronousCommit));
    // A store written before per-object catalog keys: split in one write (a copy reads it as if split until its writer does).
    const whole = options.readOnlyCopy === true ? undefined : kv.get(OLD_CATALOG_KEY);
    if (whole !== undefined) await kv.write([...oldCatalogEntries(whole.toString()), [OLD_CATALOG_KEY, null]]);
    const state: CatalogState = readCatalog(kv);
    // A copy is cleaned by the node that writes it (its leftovers may be a bulk load in progress there).
    if (options.readOnlyCopy === true) return new TableStore(kv, state, options.cache, options.synchronousCommit, true);
    const referenced = new Set<string>();
    for (const t of state.tables.values()) for (const g of t.groups) if (g.spill !== undefined) referenced.add(g.spill);
    await removeUnreferencedSpills(kv, referenced);
    const leftovers = leftoverGroupKeys(kv, [...state.tables.values()].map((t) => ({ id: t.def.id, rowCounts: t.groups.map((g) => g.rowCount) })));
    if (leftovers.length > 0) await kv.write(leftovers);
    return new TableStore(kv, state, options.cache, options.synchronousCommit);
  }

  catalog(): CatalogView {
    return new CatalogViewImpl(this.state);
  }

  snapshot(tableId: number): TableSnapshot {
    return this.snapshotIn(this.state, tableId);
  }

  tableGeneration(tableId: number): number | undefined {
    const t = this.state.tables.get(tableId);
    return t === undefined ? undefined : (t.generation ?? 0);
  }

  get version(): number {
    return this.state.version ?? 0;
  }

  /** The committed state now (transactions rebase onto it). */
  get current(): CatalogState {
    return this.state;
  }

  snapshotState(): StorageSnapshot {
    return new StoreSnapshot(this.state, this);
  }

  snapshotOf(state: CatalogState, tableId: number): TableSnapshot {
    return this.snapshotIn(state, tableId);
  }

  /**
   * The last merged statistics per table, with the group statistics they were merged from: every
   * commit makes a new groups array but replaces only the statistics of the groups it wrote, so
   * planning (which asks on every statement) merges again only when one of them changed.
   */
  private readonly mergedStats = new Map<number, { def: TableDef; parts: (GroupStats | null)[]; merged: TableStatistics | null }>();

  mergedStatistics(def: TableDef, groups: GroupState[]): TableStatistics | null {
    const hit = this.mergedStats.get(def.id);
    if (hit !== undefined && hit.def === def && hit.parts.length === groups.length && groups.every((g, i) => g.stats === hit.parts[i])) return hit.merged;
    const parts = groups.map((g) => g.stats);
    const merged = tableStatistics(parts, def.columns.length);
    this.mergedStats.set(def.id, { def, parts, merged });
    return merged;
  }

  /** Tables whose chunks a commit is rewriting under the same keys right now (TRUNCATE, rewrites). */
  private readonly rewriting = new Set<number>();

  /**
   * A snapshot may read a table's chunks only while they are the ones it knows: not while a rewrite
   * of the table is being written, nor after one (40001 then, never another generation's rows).
   */
  checkReadable(tableId: number, generation: number): void {
    if (this.rewriting.size > 0 && this.rewriting.has(tableId)) throw concurrentUpdate();
    const now = this.state.tables.get(tableId);
    if (now !== undefined && (now.generation ?? 0) !== generation && !this.compactions.readable(tableId, generation, now.generation ?? 0)) throw this.readConflict();
  }

  /**
   * A read whose snapshot's rows are gone: 40001 either way, but on a cluster follower's copy
   * (readOnlyCopy) what removed them is the leader's replicated write, which PostgreSQL's hot standby
   * reports as a conflict with recovery.
   */
  readConflict(): SqlError {
    return this.readOnlyCopy ? recoveryConflict() : concurrentUpdate();
  }

  /** OIDs come from one counter shared by concurrent transactions (an aborted one's are not reused). */
  private oidCounter = 0;
  takeOid(): number {
    const id = Math.max(this.oidCounter, this.state.nextOid);
    this.oidCounter = id + 1;
    return id;
  }

  private snapshotIn(state: CatalogState, tableId: number): Snapshot {
    const t = state.tables.get(tableId);
    if (t === undefined) throw new Error(`table ${tableId} does not exist`);
    return new Snapshot(t.def, t.groups, this, null, t.generation, null, state.version ?? 0);
  }

  /** Sorted index entries by table and column: loaded from LMDB or built from the committed rows on first use. */
  private readonly sortedIndexes = new Map<string, SortedIndex | null>();
  /** How index entries were obtained since open (tests tell a load from LMDB from a rebuild by scanning). */
  readonly sortedIndexStats = { built: 0, loaded: 0 };
  /** Index writes outside a commit (rebuilds on use), awaited by close(). */
  private readonly pendingIndexWrites = new Set<Promise<void>>();

  /** The first column of each scannable index by id, per table definition (DDL makes new definitions). */
  private readonly indexColumns = new WeakMap<TableDef, Map<number, number>>();

  indexLookup(snapshot: Snapshot, indexId: number, range: IndexRange): Float64Array | null {
    let columns = this.indexColumns.get(snapshot.def);
    if (columns === undefined) this.indexColumns.set(snapshot.def, (columns = new Map(scannableIndexesOf(snapshot.def).map((i) => [i.id, i.columns[0]]))));
    const column = columns.get(indexId);
    const committed = this.state.tables.get(snapshot.def.id);
    if (column === undefined || committed === undefined) return null;
    const generation = committed.generation ?? 0;
    if ((snapshot.generation ?? 0) !== generation) return null;
    // The entries depend only on the table and the column (indexes on the same first column share them).
    const key = `${snapshot.def.id}:${column}`;
    let idx = this.sortedIndexes.get(key);
    if (idx === undefined) {
      const stored = this.kv.get(sortedIndexKey(snapshot.def.id, column));
      const loaded = stored === undefined ? null : SortedIndex.decode(stored);
      if (loaded !== null && loaded.generation === generation && loaded.column === column) {
        idx = loaded;
        this.sortedIndexes.set(key, idx);
        this.sortedIndexStats.loaded++;
      }
    }
    const current = () => this.snapshot(snapshot.def.id);
    // Staleness and new rows change only with the committed table state (most lookups see the last one again).
    if (idx === undefined || (idx !== null && (idx.generation !== generation || (idx.extendedTo !== committed && idx.staleness(current()) > 0.1)))) {
      idx = this.buildSortedIndex(snapshot.def.id, column, false);
    }
    if (idx === null) return null;
    // Entries without the rows deleted by the build's time serve only snapshots that see those deletions.
    if (idx.liveOnlyFrom !== null && snapshot.version < idx.liveOnlyFrom) return null;
    if (idx.extendedTo !== committed) {
      idx.extend(current());
      idx.extendedTo = committed;
    }
    return idx.lookup(snapshot, range);
  }

  /**
   * Builds a column's sorted entries over the committed rows and stores them in LMDB (awaited by
   * `await`, otherwise written behind: they are derived data, checked by generation when loaded).
   */
  private buildSortedIndex(tableId: number, column: number, awaitWrite: true): Promise<void>;
  private buildSortedIndex(tableId: number, column: number, awaitWrite: false): SortedIndex | null;
  private buildSortedIndex(tableId: number, column: number, awaitWrite: boolean): SortedIndex | null | Promise<void> {
    const state = this.state.tables.get(tableId)!;
    // Mostly dead row versions (a small table updated over and over): entries of the live rows only,
    // for snapshots at least this recent (built on use only; CREATE INDEX's serve every snapshot).
    let dead = 0;
    let rows = 0;
    for (const g of state.groups) {
      dead += g.deletedCount;
      rows += g.rowCount;
    }
    const liveOnly = !awaitWrite && dead * 2 >= rows && rows > 0;
    const idx = SortedIndex.build(this.snapshot(tableId), column, state.generation ?? 0, liveOnly ? this.state.version ?? 0 : null);
    this.sortedIndexes.set(`${tableId}:${column}`, idx);
    this.sortedIndexStats.built++;
    // A small table's entries are rebuilt in a moment (and a hot one's often, as its updates make
    // them stale): written only at CREATE INDEX, not on every rebuild, which would add an LMDB
    // write and its fsync beside the commits.
    if (!awaitWrite && (idx === null || idx.liveOnlyFrom !== null || idx.coveredRows() < ROW_GROUP_ROWS)) return idx;
    const write = this.kv.write([[sortedIndexKey(tableId, column), idx === null ? null : idx.encode()]]);
    if (awaitWrite) return write;
    const pending = write.catch(() => undefined).finally(() => this.pendingIndexWrites.delete(pending));
    this.pendingIndexWrites.add(pending);
    return idx;
  }

  snapshotAll(): (tableId: number) => TableSnapshot {
    const state = this.state;
    return (tableId) => this.snapshotIn(state, tableId);
  }

  begin(base?: StorageSnapshot): WriteTxn {
    return new Txn(this, base instanceof StoreSnapshot ? base.state : this.state);
  }

  catalogIn(txn: WriteTxn): CatalogView {
    return new CatalogViewImpl((txn as Txn).catalog);
  }

  bufferStats(): BufferPoolStats {
    return this.pool.stats();
  }

  durableAt(version: number): Promise<void> | null {
    const wait = this.kv.durableAt(version);
    if (wait === null) return null;
    const stats = this.queueStats;
    const t0 = performance.now();
    stats.readWaits++;
    return wait.finally(() => (stats.readWaitMs += performance.now() - t0));
  }

  private readonly queueStats = emptyCommitQueueStats();

  commitQueueStats(): CommitQueueStats {
    return { ...this.queueStats };
  }

  storageStats(): ColumnStorageStats[] {
    const tables = [...this.state.tables.values()].map((t) => ({ def: t.def, groups: t.groups.length, deltaRows: t.groups.reduce((n, g) => n + (g.chunkRows === undefined ? 0 : g.rowCount - g.chunkRows), 0) }));
    // Groups with no rows (below a compaction's region) may still hold the retired generation's chunks: not the table's.
    return columnStorageStats(tables, (id, c, g) => ((this.state.tables.get(id)?.groups[g]?.rowCount ?? 0) > 0 ? this.storedBytes(this.storedChunkKey(id, c, g)) : undefined));
  }

  /** A chunk's bytes for the storage statistics; on a copy, one whose bytes are on other nodes only counts as not stored here. */
  private storedBytes(key: string): Buffer | undefined {
    if (!this.readOnlyCopy) return this.kv.get(key);
    try {
      return this.kv.get(key);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pendingIndexWrites]);
    const exact = this.sequences.exactEntries().filter(([k]) => [...this.state.sequences.keys()].some((id) => sequenceKey(id) === k));
    // A copy's sequences are the writing node's (it stores their exact state when it closes); a copy
    // refuses writes, and closing a standby that read a sequence must not fail.
    if (exact.length > 0 && !this.readOnlyCopy) await this.kv.write(exact);
    await this.kv.close();
  }

  /** A committed chunk, decoded, through the buffer pool; only its first rowCount rows. */
  poolKey(tableId: number, column: number, group: number): number {
    return poolKey(tableId, column, group);
  }

  /** The LMDB keys of a committed table's chunks, by column then row group (for benches that read chunks as stored). */
  storedChunkKeys(tableId: number): string[][] {
    const t = this.state.tables.get(tableId);
    if (t === undefined) return [];
    return t.def.columns.map((_, c) => t.groups.map((_g, g) => this.storedChunkKey(tableId, c, g)));
  }

  /** The key under which a committed group's chunk is stored (for nodes reading a replicated copy of the store). */
  chunkKeyFor(tableId: number, column: number, group: number): string {
    return this.storedChunkKey(tableId, column, group);
  }

  /** The key of a committed group's chunk: its own, or the spilled one its commit named. */
  private storedChunkKey(tableId: number, column: number, group: number): string {
    const now = (this.batchState ?? this.state).tables.get(tableId)?.groups[group] ?? this.state.tables.get(tableId)?.groups[group];
    const ref = this.compactions.groupFor(tableId, group, now)?.spill;
    return ref === undefined ? chunkKey(tableId, column, group) : spillKey(ref, column);
  }

  /** Whether the store is on disk (a ':memory:' database keeps a transaction's rows in memory: there is nowhere to move them). */
  get onDisk(): boolean {
    // Asked of the store, not of its class: a cluster leader's store (a replicated one over LMDB) is on
    // disk too. (Testing for LmdbKv kept a leader's COPY of a whole table in memory until its commit:
    // SF 10 lineitem ran it out of heap, bench/results/tpch-sf10-cluster.md.)
    return this.kv.kv.onDisk === true;
  }

  /** Writes chunks a transaction spilled (durable before the commit that names them is written). */
  writeSpill(entries: [string, Buffer | null][]): Promise<void> {
    return this.kv.write(entries);
  }

  readSpill(key: string): Buffer {
    const bytes = this.kv.get(key);
    if (bytes === undefined) throw new Error(`missing spilled chunk ${key}`);
    return bytes;
  }

  /** Deletes the spilled chunks of a transaction that did not commit them (after its writes of them settled). */
  discardSpills(refs: string[], settled: Promise<void>): void {
    if (refs.length === 0) return;
    void settled
      .then(() => {
        const keys: [string, null][] = [];
        for (const ref of refs) for (const k of this.kv.keysWithPrefix(spillGroupPrefix(ref))) keys.push([k, null]);
        return keys.length > 0 ? this.kv.write(keys) : undefined;
      })
      .catch(() => undefined); // left for the next open to delete
  }

  spillKeysOf(ref: string): string[] {
    return this.kv.keysWithPrefix(spillGroupPrefix(ref));
  }

  /** Delete entries for the spilled chunks of `groups` (a dropped, truncated or rewritten table's). */
  private spillDeletes(groups: GroupState[] | undefined, entries: [string, Buffer | null][]): void {
    for (const g of groups ?? []) if (g.spill !== undefined) for (const k of this.kv.keysWithPrefix(spillGroupPrefix(g.spill))) entries.push([k, null]);
  }

  fetchChunk(def: TableDef, column: number, group: number): Vector | undefined {
    const bytes = this.kv.get(this.storedChunkKey(def.id, column, group));
    if (bytes !== undefined) return this.storedColumn(def, column, group, bytes);
    const empty = this.emptyGroupColumn(def, column, group);
    // On a copy, the leader's replicated write removed it under the reader (see refreshCommitted).
    if (empty === undefined && this.readOnlyCopy) throw recoveryConflict();
    return empty;
  }

  /** A group below a compaction's region holds no rows and has no chunks: read as empty. */
  private emptyGroupColumn(def: TableDef, column: number, group: number): Vector | undefined {
    const g = this.compactions.groupFor(def.id, group, this.state.tables.get(def.id)?.groups[group]);
    return g !== undefined && g.rowCount === 0 ? vectorFromScalars(def.columns[column].type, []) : undefined;
  }

  /** A column of a group as stored: its chunk, continued by the group's delta entries when it has some. */
  private storedColumn(def: TableDef, column: number, group: number, chunkBytes: Buffer): Vector {
    const type = def.columns[column].type;
    const v = decodeChunk(chunkBytes, type);
    const g = this.compactions.groupFor(def.id, group, this.state.tables.get(def.id)?.groups[group]);
    if (g === undefined || g.chunkRows === undefined || v.length >= g.rowCount) return v;
    return withDeltas(this.kv, def.id, group, column, type, v);
  }

  pageIn(def: TableDef, columns: readonly number[], group: number): Promise<void> | null {
    return this.kv.prefetch?.(columns.map((c) => this.storedChunkKey(def.id, c, group))) ?? null;
  }

  readChunk(def: TableDef, column: number, group: number, rowCount: number): Vector {
    const pending = this.pendingGroups.size > 0 ? this.pendingColumns(def, group) : null;
    if (pending !== null) {
      const p = pending[column];
      return p.length === rowCount ? p : sliceVector(p, 0, rowCount);
    }
    return this.readCommittedChunk(def, column, group, rowCount);
  }

  /** A chunk as last written to the store, through the buffer pool; only its first rowCount rows. */
  private readCommittedChunk(def: TableDef, column: number, group: number, rowCount: number): Vector {
    const key = poolKey(def.id, column, group);
    let v = this.pool.get(key);
    if (v === undefined) {
      const bytes = this.kv.get(this.storedChunkKey(def.id, column, group));
      if (bytes === undefined) {
        const empty = rowCount === 0 ? vectorFromScalars(def.columns[column].type, []) : this.emptyGroupColumn(def, column, group);
        if (empty === undefined) throw this.readOnlyCopy ? recoveryConflict() : new Error(`missing chunk ${this.storedChunkKey(def.id, column, group)}`);
        return empty;
      }
      v = this.storedColumn(def, column, group, bytes);
      // A copy's delta rows removed under the reader (with their chunk): never a short column.
      if (v.length < rowCount && this.readOnlyCopy) throw recoveryConflict();
      this.pool.put(key, v, vectorBytes(v));
    }
    return v.length === rowCount ? v : sliceVector(v, 0, rowCount);
  }

  /** A unique-key index of a committed table, built on first use. */
  pkIndex(tableId: number, key: UniqueKey): KeyHashIndex {
    let byName = this.pkIndexes.get(tableId);
    if (byName === undefined) this.pkIndexes.set(tableId, (byName = new Map()));
    let idx = byName.get(key.name);
    if (idx === undefined) {
      const snap = this.snapshotIn(this.batchState ?? this.state, tableId);
      idx = buildKeyIndex(snap, snap.def, key);
      byName.set(key.name, idx);
    }
    return idx;
  }

  /** Remaps and retired generations of compacted tables (see compaction.ts). */
  readonly compactions = new CompactionRecords();

  /**
   * A copy's store (readOnlyCopy) was written by the node that writes it (a cluster leader's batch,
   * applied by this follower): publishes the committed state as now stored, as a new state object
   * (statements running keep the one they started with). Only the groups whose keys `keys` names
   * are read again (committed-refresh.ts); cached chunks, key and sorted indexes they change go.
   */
  refreshCommitted(keys: Iterable<string>): void {
    const changed = new ChangedKeys(keys);
    if (!changed.touchesState) return;
    const old = this.state;
    const next = refreshedCatalog(this.kv, old, changed) as CatalogState;
    next.version = (old.version ?? 0) + 1;
    for (const [t, c, g] of changed.chunks) this.pool.invalidate(poolKey(t, c, g));
    // Only the tables the batch wrote keys of can differ (every one after a whole re-read).
    const touched = changed.touchedTables ?? new Set([...old.tables.keys(), ...next.tables.keys()]);
    for (const id of touched) {
      const before = old.tables.get(id);
      const t = next.tables.get(id);
      if (t === undefined) {
        if (before !== undefined) this.pkIndexes.delete(id);
        continue;
      }
      if (before === t) continue;
      this.pkIndexes.delete(id);
      // Decoded chunks hold the group's delta rows as of their read: read again once rows were added.
      const width = Math.max(t.def.columns.length, before?.def.columns.length ?? 0);
      t.groups.forEach((g, gi) => {
        const b = before?.groups[gi];
        if (b !== undefined && b.rowCount === g.rowCount && b.chunkRows === g.chunkRows && b.spill === g.spill) return;
        for (let c = 0; c < width; c++) this.pool.invalidate(poolKey(id, c, gi));
      });
    }
    for (const [t, c] of changed.sortedIndexes) this.sortedIndexes.delete(`${t}:${c}`);
    for (const id of changed.sequences) this.sequences.forget(id);
    this.retireOnCopy(old, next, changed, touched);
    this.state = next;
    this.kv.markDurable(next.version);
  }

  /**
   * On a copy: a table whose generation moved on (a compaction's switch, or TRUNCATE and rewrites)
   * stays readable at its previous generation for statements and snapshots that started before,
   * until a batch writes or deletes any key of that generation's groups (the leader dropping it once
   * its own readers ended, or appends reaching its group numbers, or a rewrite reusing its keys):
   * from then on they fail with a conflict with recovery instead of reading what replaced them.
   */
  private retireOnCopy(old: CatalogState, next: CatalogState, changed: ChangedKeys, tables: Set<number>): void {
    const touched = (id: number, r: { groups: readonly { rowCount: number; spill?: string }[] }) => r.groups.some((g, gi) => g.rowCount > 0 && (changed.groupChanged(id, gi) || (g.spill !== undefined && changed.spills.has(g.spill))));
    for (const [id, r] of this.compactions.retired) if (touched(id, r)) this.compactions.retired.delete(id);
    for (const id of tables) {
      const before = old.tables.get(id);
      const t = next.tables.get(id);
      if (before === undefined || t === undefined || (before.generation ?? 0) === (t.generation ?? 0)) continue;
      // No RowIds to remap (a copy has no writers); the entry makes readers of the old generation see it gone once it is no longer retired.
      this.compactions.remaps.set(id, { from: before.generation ?? 0, ids: new Float64Array(0) });
      this.compactions.retired.delete(id);
      const r = { generation: before.generation ?? 0, groups: before.groups, version: next.version!, firstGroup: firstRowGroup(before.groups) };
      if (!touched(id, r)) this.compactions.retired.set(id, r);
    }
    for (const id of [...this.compactions.remaps.keys()]) if (!next.tables.has(id)) this.compactions.forget(id);
  }

  /**
   * On a copy, before a statement reads `columns` (per table id): lets the store bring in their
   * chunks it keeps only as markers (KvStore.prefetch of a cluster standby's store fetches them
   * from a node that holds them; with `fetchLimit` it refuses when they weigh more). Null when there is
   * nothing to wait for.
   */
  prepareRead(columns: ReadonlyMap<number, readonly number[]>, snapshot: StorageSnapshot | null, fetchLimit?: number): Promise<void> | null {
    if (!this.readOnlyCopy || this.kv.kv.prefetch === undefined) return null;
    const keys = new Set<string>();
    const states = [this.state, snapshot instanceof StoreSnapshot ? snapshot.state : this.state];
    for (const state of states) {
      for (const [id, read] of columns) {
        const t = state.tables.get(id);
        if (t === undefined || read.length === 0) continue;
        t.groups.forEach((g, gi) => {
          const stored = this.compactions.groupFor(id, gi, g);
          if (stored === undefined || stored.rowCount === 0) return;
          for (const c of read) keys.add(stored.spill === undefined ? chunkKey(id, c, gi) : spillKey(stored.spill, c));
        });
      }
      if (states[1] === states[0]) break;
    }
    return keys.size === 0 ? null : this.kv.kv.prefetch([...keys], fetchLimit);
  }

  /**
   * Garbage collection of dead row versions (see compaction.ts): when at least half of a table's
   * rows (and at least `minDead`) are deleted, its live rows are copied into a new region of row
   * groups beside the running transactions, then switched to in one exclusive turn of the commit
   * queue (if `ready()` still agrees). Returns where each old RowId went and the commit version of
   * the switch, or null when the table did not need it or could not be compacted now. The caller
   * drops the retired generation (dropRetired) once no statement or snapshot older than the
   * switch remains.
   */
  async compact(tableId: number, minDead: number, hooks: { ready(): boolean; moved(ids: Float64Array): void }): Promise<{ ids: Float64Array; version: number } | null> {
    const t0 = this.state.tables.get(tableId);
    if (t0 === undefined || this.compactions.retired.has(tableId)) return null;
    let dead = 0;
    let total = 0;
    for (const g of t0.groups) {
      dead += g.deletedCount;
      total += g.rowCount;
    }
    if (dead < minDead || dead * 2 < total || !hooks.ready()) return null;
    const def = t0.def;
    const width = def.columns.length;
    const generation = t0.generation ?? 0;
    const start = compactionStart(t0.groups, Math.ceil((total - dead) / ROW_GROUP_ROWS));
    const ids = new Float64Array(t0.groups.length * ROW_GROUP_ROWS).fill(-1);
    const tag = newSpillTag();
    const written: [string, null][] = [];
    const prepared: GroupState[] = [];
    let next = start * ROW_GROUP_ROWS;
    let pending: Vector[][] = [];
    let pendingRows = 0;
    const unchanged = () => {
      const now = this.state.tables.get(tableId);
      return now !== undefined && now.def === def && (now.generation ?? 0) === generation;
    };
    try {
      // The copy of T0's live rows, full groups written as they fill (nobody reads these keys yet).
      const snap = this.snapshotIn(this.state, tableId);
      for (let gi = 0; gi < t0.groups.length; gi++) {
        if (!unchanged()) throw concurrentUpdate();
        const g = t0.groups[gi];
        const live: number[] = [];
        const d = denseDeleted(g);
        for (let i = 0; i < g.rowCount; i++) if (d === null || d[i] !== 1) live.push(i);
        if (live.length === 0) continue;
        for (const off of live) ids[gi * ROW_GROUP_ROWS + off] = next++;
        const cols: Vector[] = [];
        for (let c = 0; c < width; c++) {
          const v = snap.readColumn(gi, c);
          cols.push(live.length === v.length ? v : gatherVector(v, live));
        }
        pending.push(cols);
        pendingRows += live.length;
        while (pendingRows >= ROW_GROUP_ROWS) {
          const full = def.columns.map((col, c) => concatVectors(col.type, pending.map((p) => p[c])));
          const group = full.map((v) => sliceVector(v, 0, ROW_GROUP_ROWS));
          pending = pendingRows > ROW_GROUP_ROWS ? [full.map((v) => sliceVector(v, ROW_GROUP_ROWS, v.length))] : [];
          pendingRows -= ROW_GROUP_ROWS;
          // A full group: under keys of its own, as a spilled group (never appended to, so never
          // rewritten under its group number), which no commit of the table meanwhile can touch.
          const ref = `${tag}/${prepared.length}`;
          for (const v of group) ensureStrings(v);
          const encoded = await Promise.all(group.map((v) => encodeChunkOffThread(v)));
          const stats = collectGroupStats(group);
          const entries: [string, Buffer | null][] = encoded.map((bytes, c) => [spillKey(ref, c), bytes]);
          for (const [k] of entries) written.push([k, null]);
          await this.kv.write(entries);
          prepared.push({ rowCount: ROW_GROUP_ROWS, deleted: null, deletedCount: 0, stats, spill: ref });
        }
      }
      const rest = pendingRows === 0 ? null : def.columns.map((col, c) => concatVectors(col.type, pending.map((p) => p[c])));
      let version = -1;
      await new Promise<void>((resolve, reject) => {
        const exclusive = async () => {
          if (!unchanged() || !hooks.ready()) throw concurrentUpdate();
          version = await this.switchCompaction(tableId, t0, start, ids, prepared, rest, hooks.moved);
        };
        this.queue.push({ txn: null as unknown as Txn, hooks: undefined, resolve, reject, exclusive, queued: performance.now() });
        if (!this.draining) void this.drain();
      });
      return { ids, version };
    } catch (err) {
      // Not switched: the copy's keys go (the catalog never named them; a crash leaves them to removeUnreferencedSpills).
      if (written.length > 0) await this.kv.write(written).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The switch of a compaction (alone in the commit queue): the copy of T0 (`prepared` full groups
   * and the `rest` of its rows) catches up with the table as committed now, and is published.
   */
  private async switchCompaction(tableId: number, t0: TableState, start: number, t0Ids: Float64Array, prepared: GroupState[], rest: Vector[] | null, moved: (ids: Float64Array) => void): Promise<number> {
    const tn = this.state.tables.get(tableId)!;
    const def = tn.def;
    const width = def.columns.length;
    // Rows appended since T0 went into groups below the new region (it starts after COMPACTION_SLACK_GROUPS free ones).
    if (start >= t0.groups.length && tn.groups.length > start) throw concurrentUpdate();
    const ids = new Float64Array(tn.groups.length * ROW_GROUP_ROWS).fill(-1);
    ids.set(t0Ids.subarray(0, Math.min(t0Ids.length, ids.length)));
    let next = start * ROW_GROUP_ROWS + prepared.length * ROW_GROUP_ROWS + (rest?.[0].length ?? 0);
    // Rows appended since T0 and still live: copied after T0's.
    const snap = this.snapshotIn(this.state, tableId);
    const tail: Vector[][] = rest === null ? [] : [rest];
    for (let gi = 0; gi < tn.groups.length; gi++) {
      const g = tn.groups[gi];
      const from = t0.groups[gi]?.rowCount ?? 0;
      const live: number[] = [];
      const d = denseDeleted(g);
      for (let i = from; i < g.rowCount; i++) if (d === null || d[i] !== 1) live.push(i);
      if (live.length === 0) continue;
      for (const off of live) ids[gi * ROW_GROUP_ROWS + off] = next++;
      tail.push(def.columns.map((_, c) => gatherVector(snap.readColumn(gi, c), live)));
    }
    const groups: GroupState[] = [];
    for (let i = 0; i < start; i++) groups.push({ rowCount: 0, deleted: null, deletedCount: 0, stats: null });
    groups.push(...prepared.map((g) => ({ ...g })));
    const entries: [string, Buffer | null][] = [];
    const put: [number, Vector][] = [];
    if (tail.length > 0) {
      const all = def.columns.map((col, c) => concatVectors(col.type, tail.map((p) => p[c])));
      for (let at = 0; at < all[0].length; at += ROW_GROUP_ROWS) {
        const index = groups.length;
        const cols = all.map((v) => sliceVector(v, at, Math.min(v.length, at + ROW_GROUP_ROWS)));
        for (const v of cols) ensureStrings(v);
        const stats = collectGroupStats(cols);
        cols.forEach((v, c) => {
          entries.push([chunkKey(tableId, c, index), encodeChunk(v)]);
          put.push([poolKey(tableId, c, index), v]);
        });
        entries.push([statsKey(tableId, index), encodeGroupStats(stats)]);
        groups.push({ rowCount: cols[0].length, deleted: null, deletedCount: 0, stats });
      }
    }
    // Rows of T0 deleted since: deleted in the copy too.
    for (let gi = 0; gi < tn.groups.length; gi++) {
      const d = denseDeleted(tn.groups[gi]);
      if (d === null) continue;
      const n = t0.groups[gi]?.rowCount ?? 0;
      for (let i = 0; i < n; i++) {
        const to = ids[gi * ROW_GROUP_ROWS + i];
        if (to < 0 || d[i] !== 1) continue;
        const target = groups[Math.floor(to / ROW_GROUP_ROWS)];
        if (target.deleted === null) target.deleted = new Uint8Array(ROW_GROUP_ROWS);
        target.deleted[to % ROW_GROUP_ROWS] = 1;
        target.deletedCount++;
      }
    }
    // A region below the table's rows must leave COMPACTION_SLACK_GROUPS free groups below them.
    if (start < t0.groups.length && groups.length + COMPACTION_SLACK_GROUPS > firstRowGroup(tn.groups)) throw concurrentUpdate();
    groups.forEach((g, gi) => {
      if (gi < start) return;
      // Nothing of an earlier use of the group number may be read as this group's (dropped generations' keys are gone; this makes sure).
      for (const k of this.kv.keysWithPrefix(deltaPrefix(tableId, gi))) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`dd/${tableId}/${gi}/`)) entries.push([k, null]);
      if (g.spill !== undefined && g.stats !== null) entries.push([statsKey(tableId, gi), encodeGroupStats(g.stats)]);
      if (g.deleted !== null) entries.push([deletedKey(tableId, gi), Buffer.from(g.deleted.subarray(0, g.rowCount))]);
    });
    // The old groups' deletions and statistics are kept in memory for their readers; their chunks and delta entries stay until dropRetired.
    tn.groups.forEach((g, gi) => {
      if (g.rowCount === 0) return;
      entries.push([deletedKey(tableId, gi), null], [statsKey(tableId, gi), null]);
      for (const k of this.kv.keysWithPrefix(`dd/${tableId}/${gi}/`)) entries.push([k, null]);
    });
    const generation = tn.generation ?? 0;
    const next1: TableState = { def, groups, generation: generation + 1 };
    const cat: CatalogState = { ...this.state, tables: new Map(this.state.tables), version: (this.state.version ?? 0) + 1 };
    cat.tables.set(tableId, next1);
    const changes = new CatalogChanges();
    changes.tables.add(tableId);
    const catalog = this.catalogWriter.diff(cat, changes);
    entries.push(...catalog.entries);
    await this.kv.write(entries);
    catalog.written();
    // Published at once, with the row locks moved, so no transaction sees the new RowIds without the map.
    this.state = cat;
    this.kv.markDurable(cat.version!);
    this.compactions.remaps.set(tableId, { from: generation, ids });
    // Appends to a region above the old groups never reach them; to one below, they may.
    const firstGroup = start >= t0.groups.length ? Infinity : firstRowGroup(tn.groups);
    this.compactions.retired.set(tableId, { generation, groups: tn.groups, version: cat.version!, firstGroup });
    moved(ids);
    // The copied groups are read from the store on first use (the pool may hold an empty group's empty column under their numbers).
    prepared.forEach((_, i) => {
      for (let c = 0; c < width; c++) this.pool.invalidate(poolKey(tableId, c, start + i));
    });
    for (const [key, v] of put) {
      this.pool.invalidate(key);
      this.pool.put(key, v, vectorBytes(v));
    }
    for (const key of [...this.tails.keys()]) if (Math.floor(key / (4096 * 65536)) === tableId) this.tails.delete(key);
    this.pkIndexes.delete(tableId);
    for (const key of [...this.sortedIndexes.keys()]) if (key.startsWith(`${tableId}:`)) this.sortedIndexes.delete(key);
    this.deletionEntries.forget(tableId);
    return cat.version!;
  }

  /** Whether an open transaction's writes to the table keep a compaction from switching now (it could not be moved). */
  writerBlocksCompaction(txn: WriteTxn, tableId: number): boolean {
    const tt = (txn as Txn).changed.get(tableId);
    if (tt === undefined) return false;
    const now = this.state.tables.get(tableId);
    if (tt.structural || tt.pkChanged || tt.origin === undefined || now === undefined) return true;
    // Still on an older generation (idle since a previous compaction): only one generation back can be remapped.
    return (tt.origin.generation ?? 0) !== (now.generation ?? 0);
  }

  /** A compaction's previous generation has no reader left: its chunks and delta entries go. */
  async dropRetired(tableId: number, version: number): Promise<void> {
    const retired = this.compactions.retired.get(tableId);
    if (retired === undefined || retired.version !== version) return;
    this.compactions.retired.delete(tableId);
    const now = this.state.tables.get(tableId);
    // Truncated, rewritten or dropped since: those commits removed the old chunk keys, not the
    // retired groups' spilled ones (no group names them any more).
    if (now === undefined || (now.generation ?? 0) !== retired.generation + 1) {
      const spilled: [string, null][] = [];
      for (const g of retired.groups) if (g.spill !== undefined) for (const k of this.kv.keysWithPrefix(spillGroupPrefix(g.spill))) spilled.push([k, null]);
      if (spilled.length > 0) await this.kv.write(spilled);
      return;
    }
    const width = now.def.columns.length;
    const entries = retiredKeys(this.kv, tableId, width, retired, spillGroupPrefix);
    await this.kv.write(entries);
    retired.groups.forEach((g, gi) => {
      if (g.rowCount > 0) for (let c = 0; c < width; c++) this.pool.invalidate(poolKey(tableId, c, gi));
    });
  }

  /**
   * Before a commit's write: a compacted table whose rows reach the groups of its retired
   * generation (appends filled the free groups between the two) takes them over. The retired
   * generation stops being readable at once (its readers fail with 40001, never read the new rows)
   * and its keys are deleted by the commit's own write, ahead of the commit's puts.
   */
  private revokeReachedRetired(state: CatalogState, entries: [string, Buffer | null][]): void {
    for (const [id, r] of this.compactions.retired) {
      const t = state.tables.get(id);
      if (t === undefined || (t.generation ?? 0) !== r.generation + 1 || t.groups.length <= r.firstGroup) continue;
      this.compactions.retired.delete(id);
      entries.unshift(...retiredKeys(this.kv, id, t.def.columns.length, r, spillGroupPrefix));
      r.groups.forEach((g, gi) => {
        if (g.rowCount > 0) for (let c = 0; c < t.def.columns.length; c++) this.pool.invalidate(poolKey(id, c, gi));
      });
    }
  }

  /**
   * Commits queue and are decided one batch at a time in order (rebase, validate, prepare: the
   * short critical section), then published at once and their entries handed to the write pipeline
   * (write-pipeline.ts), which writes every batch decided while its previous write was flushing in
   * one LMDB transaction (group commit: one fsync). A commit is acknowledged once its write is
   * durable; its row locks go when it is decided (CommitHooks.decided). Commits that rewrite,
   * truncate, drop, re-key or ANALYZE go alone, once the pipeline is empty.
   */
  private readonly queue: { txn: Txn; hooks: CommitHooks | undefined; resolve: () => void; reject: (err: unknown) => void; exclusive?: () => Promise<void>; queued: number }[] = [];
  private draining = false;
  /**
   * Row groups written by the commits of the batch being prepared: the rows committed before the
   * batch, then each commit's new rows in order (concatenated once, at the write or when a later
   * commit of the batch reads the group as committed).
   */
  private readonly pendingGroups = new Map<string, { def: TableDef; baseRows: number; parts: Vector[][]; columns: Vector[] | null; only: TxnTable | null }>();

  private pendingColumns(def: TableDef, group: number): Vector[] | null {
    const p = this.pendingGroups.get(`${def.id}/${group}`);
    if (p === undefined) return null;
    if (p.columns === null) {
      const base = p.baseRows;
      p.columns = p.def.columns.map((c, ci) => {
        const pieces: Vector[] = [];
        if (base > 0) pieces.push(this.readCommittedChunk(p.def, ci, group, base));
        for (const part of p.parts) pieces.push(part[ci]);
        return concatVectors(c.type, pieces);
      });
    }
    return p.columns;
  }
  /**
   * Committed columns of the groups group commits append to, with room to grow (see
   * growable-column.ts), by pool key; dropped whenever the group is written another way.
   */
  private readonly tails = new Map<number, GrowableColumn>();

  /** A group's columns after a group commit added `added` to its committed rows: grown in place where possible. */
  private grownColumns(def: TableDef, group: number, p: { baseRows: number; columns: Vector[] | null }, added: Vector[]): Vector[] {
    const cols = def.columns.map((_, c) => {
      const key = poolKey(def.id, c, group);
      const tail = this.tails.get(key);
      const grown = tail !== undefined && tail.length === p.baseRows ? tail.append(added[c]) : null;
      if (grown !== null) return grown;
      // New, or full: the group concatenated once more, with room for as many rows again (so a
      // small table's group does not hold memory for 65,536 rows).
      const full = this.pendingColumns(def, group)![c];
      const fresh = GrowableColumn.from(full, Math.min(ROW_GROUP_ROWS, Math.max(1024, full.length * 2)));
      if (fresh === null) {
        this.tails.delete(key);
        return full;
      }
      this.tails.set(key, fresh);
      return fresh.view(full.length);
    });
    p.columns = cols;
    return cols;
  }

  /** The state the batch being prepared has reached (unique-key indexes are built from it). */
  private batchState: CatalogState | null = null;

  commit(txn: Txn, hooks: CommitHooks | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ txn, hooks, resolve, reject, queued: performance.now() });
      if (this.draining) return;
      // Decided two event-loop turns later, with the commits the other sessions queue meanwhile:
      // each decision publishes a state, and every open READ COMMITTED transaction's next statement
      // rebases onto it, and a batch costs per group it writes (a delta entry, a deletion entry, a
      // bitmap record). Deciding each commit at once released row locks ~0.5 ms sooner under
      // pgbench but cost ~0.25 ms more server CPU per transaction and a fifth of the TPS; two turns
      // made ~12% more TPS than one, four no more than two (bench/results/early-lock-release.md).
      // But with no write in flight a second turn only delays the write (commit-overlap.md).
      this.draining = true;
      let turns = DECIDE_AFTER_TURNS;
      const next = (): void => {
        if (--turns > 0 && this.kv.busy) setImmediate(next);
        else void this.drain();
      };
      setImmediate(next);
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const failed = this.kv.failed;
        if (failed !== null) {
          // A decided commit's write failed (see write-pipeline.ts): nothing more is committed.
          for (const item of this.queue.splice(0)) item.reject(failed);
          break;
        }
        const first = this.queue[0];
        if (first.exclusive !== undefined) {
          // A compaction's switch: alone, between two commits (see compaction.ts), once every
          // decided commit is durable (it writes and publishes as a solo commit does).
          this.queue.shift();
          await this.kv.idle();
          this.queueStats.soloCommits++;
          if (this.kv.failed !== null) first.reject(this.kv.failed);
          else await first.exclusive().then(first.resolve, first.reject);
          continue;
        }
        const batch: typeof this.queue = [];
        while (this.queue.length > 0) {
          if (this.queue[0].exclusive !== undefined) break;
          const solo = this.queue[0].txn.needsSoloCommit;
          if (solo && batch.length > 0) break;
          batch.push(this.queue.shift()!);
          if (solo) break;
        }
        if (batch.length === 1 && batch[0].txn.needsSoloCommit) {
          // Solo commits publish after their own durable write, once the pipeline is empty (they
          // list and delete keys of the store as written, and no decided state is left to write).
          const { txn, hooks, resolve, reject } = batch[0];
          await this.kv.idle();
          this.queueStats.soloCommits++;
          if (this.kv.failed !== null) reject(this.kv.failed);
          else await this.commitNow(txn, hooks).then(resolve, reject);
        } else
          await this.commitBatch(batch).catch((err: unknown) => {
            // Failed before it was decided (an encoding failed): nothing was published, but the
            // key indexes may hold the batch's keys, so they are rebuilt on next use.
            this.pendingGroups.clear();
            this.deletionEntries.reset();
            this.tails.clear();
            this.pkIndexes.clear();
            for (const item of batch) item.reject(err);
          });
      }
    } finally {
      this.draining = false;
    }
  }

  /** Group commit of transactions that only inserted and deleted rows (and made sequences or views). */
  private async commitBatch(batch: typeof this.queue): Promise<void> {
    let state = this.state;
    const chunks = new Map<number, { id: number; c: number; g: number; col: Vector }>();
    const groupsWritten = new Map<string, { id: number; g: number }>();
    /** Groups the batch deleted rows of, with the offsets its transactions named (see deletionEntry). */
    const deletes = new Map<string, { id: number; g: number; offsets: number[][] }>();
    const other: [string, Buffer | null][] = [];
    const spilledWritten: { id: number; g: number; stats: GroupStats; width: number }[] = [];
    /**
     * Unique-key indexes whose dead entries passed the limit (see PendingKeys.applyTo): replaced,
     * once the batch is published, by a copy without the entries of rows deleted in it. Every
     * updated row leaves a dead entry under its key's hash, and a hot small table's (pgbench's
     * branches) adds and probes would otherwise walk all the versions of their key ever committed.
     */
    const staleKeys: [number, string][] = [];
    const done: typeof this.queue = [];
    // Commits refused here (40001, 23505) are told once the batch is published: the refusal may come
    // from an earlier commit of this batch, and the session then waits until what is decided is
    // durable (its error must not reach the client before the commit that caused it is durable).
    const refused: (() => void)[] = [];
    const refuse = (): void => {
      for (const r of refused.splice(0)) r();
    };
    for (const item of batch) {
      const { txn, hooks } = item;
      try {
        this.batchState = state;
        txn.rebase(state);
        const spilledHere: typeof spilledWritten = [];
        hooks?.validate?.(state.version ?? 0);
        for (const [id, tt] of txn.changed) {
          if (!txn.catalog.tables.has(id)) continue;
          const groups = txn.catalog.tables.get(id)!.groups;
          for (const g of tt.dirtyGroups) {
            const key = `${id}/${g}`;
            const sp = tt.spilled.get(g);
            if (sp !== undefined) {
              // A full group of this transaction's own rows, already in the store: named, not written.
              groups[g] = { ...groups[g], spill: sp.ref, stats: sp.stats, chunkRows: undefined };
              spilledHere.push({ id, g, stats: sp.stats, width: txn.catalog.tables.get(id)!.def.columns.length });
              continue;
            }
            let p = this.pendingGroups.get(key);
            if (p === undefined) this.pendingGroups.set(key, (p = { def: txn.catalog.tables.get(id)!.def, baseRows: tt.baseRows.get(g) ?? 0, parts: [], columns: null, only: tt }));
            else p.only = null;
            for (const part of tt.parts.get(g) ?? []) {
              for (const v of part) ensureStrings(v);
              p.parts.push(part);
            }
            p.columns = null;
            groupsWritten.set(key, { id, g });
          }
          for (const g of tt.dirtyDeletes) {
            const key = `${id}/${g}`;
            let d = deletes.get(key);
            if (d === undefined) deletes.set(key, (d = { id, g, offsets: [] }));
            const offs = tt.deletedOffsets.get(g);
            if (offs !== undefined) d.offsets.push(offs);
          }
        }
        txn.unusedSpillDeletes(other);
        for (const id of txn.droppedSequences) other.push([sequenceKey(id), null]);
        for (const id of txn.createdSequences) {
          const def = txn.catalog.sequences.get(id);
          if (def !== undefined) other.push([sequenceKey(id), this.sequences.durableRecord(def)]);
        }
        txn.catalog.version = (state.version ?? 0) + 1;
        state = txn.catalog;
        txn.catalogChanges(this.unwrittenCatalog);
        spilledWritten.push(...spilledHere);
        // Later commits of the batch check their keys against these.
        for (const [id, tt] of txn.changed) if (tt.keys !== null) for (const [name, keys] of tt.keys) if (!keys.applyTo(this.pkIndexes.get(id)?.get(name))) staleKeys.push([id, name]);
        hooks?.committed?.(txn.catalog.version);
        done.push(item);
      } catch (err) {
        refused.push(() => item.reject(err));
      }
    }
    this.batchState = null;
    if (done.length === 0) {
      refuse();
      this.pendingGroups.clear();
      return;
    }
    const entries: [string, Buffer | null][] = [];
    for (const { id, g } of groupsWritten.values()) {
      const t = state.tables.get(id);
      if (t === undefined) continue;
      const p = this.pendingGroups.get(`${id}/${g}`)!;
      const group = t.groups[g];
      const stored = group.chunkRows ?? p.baseRows;
      if (p.baseRows > 0 && group.stats !== null && group.rowCount < ROW_GROUP_ROWS && group.rowCount - stored <= DELTA_MAX_ROWS) {
        // A few rows added to a big group: only they are written (a delta entry), the chunks stay.
        const added = t.def.columns.map((col, ci) => concatVectors(col.type, p.parts.map((part) => part[ci])));
        entries.push([deltaKey(id, g, p.baseRows), encodeDelta(added)]);
        const cols = this.grownColumns(t.def, g, p, added);
        cols.forEach((col, c) => chunks.set(poolKey(id, c, g), { id, c, g, col }));
        // Statistics follow once the rows not in them pass a tenth of the group (each change makes
        // planning merge the table's statistics again; a few rows more do not change a plan).
        if ((group.rowCount - group.stats.rows) * 10 <= group.stats.rows) {
          t.groups[g] = { ...group, chunkRows: stored };
          continue;
        }
        const stats = collectGroupStats(cols);
        t.groups[g] = { ...group, stats, chunkRows: stored };
        entries.push([statsKey(id, g), encodeGroupStats(stats)]);
        continue;
      }
      // A group only one commit of the batch wrote is that transaction's group: its chunks were
      // encoded as it filled up (a bulk load's), or are encoded now on the chunk encoder's thread.
      const only = p.only;
      const cols = only !== null ? only.materialize(g) : this.pendingColumns(t.def, g)!;
      const encoded = only !== null ? await only.encodedGroup(g) : cols.map((col) => encodeChunk(col));
      cols.forEach((col, c) => {
        chunks.set(poolKey(id, c, g), { id, c, g, col });
        entries.push([chunkKey(id, c, g), encoded[c]]);
        this.tails.delete(poolKey(id, c, g));
      });
      if (group.chunkRows !== undefined) for (const k of this.kv.keysWithPrefix(deltaPrefix(id, g))) entries.push([k, null]);
      // The group's statistics over its rows as finally written (as one commit of them all would collect).
      const stats = collectGroupStats(cols);
      t.groups[g] = { ...group, stats, chunkRows: undefined };
      entries.push([statsKey(id, g), encodeGroupStats(stats)]);
    }
    for (const { id, g, stats } of spilledWritten) if (state.tables.has(id)) entries.push([statsKey(id, g), encodeGroupStats(stats)]);
    for (const { id, g, offsets } of deletes.values()) {
      const now = state.tables.get(id)?.groups[g];
      if (now === undefined) continue;
      if (hasDeletions(now)) {
        // A few more deleted rows: their offsets, not the group's whole bitmap (see delta-rows.ts),
        // taken from the offsets the transactions deleted (no bitmap is made, see layered-deletions.ts).
        const found = newlyDeletedIn(this.state.tables.get(id)?.groups[g], now, offsets);
        const added = deletionEntryBytes(found);
        if (added === null) continue;
        const key = this.deletionEntries.claim(id, g);
        if (key !== null) {
          entries.push([key, added]);
          continue;
        }
      }
      for (const k of this.deletionEntries.superseded(id, g)) entries.push([k, null]);
      const d = denseDeleted(now);
      entries.push([deletedKey(id, g), d === null ? null : Buffer.from(d.subarray(0, now.rowCount))]);
      // The bitmap made for the write is the group's from now on (its layer folded into it).
      if (now.since !== undefined) state.tables.get(id)!.groups[g] = groupWith(now, now.rowCount, d, now.deletedCount, null);
    }
    entries.push(...other);
    if (this.compactions.retired.size > 0) this.revokeReachedRetired(state, entries);
    // Decided: published now, and queued for the write that makes it durable (see write-pipeline.ts).
    // The batches decided while a write is in flight go together in the next one; only the last
    // one's catalog entries are made, for the objects any of them changed (unwrittenCatalog: the
    // pipeline takes every queued batch and calls the last one's function at once, so the set then
    // holds exactly their changes). A failed write fails the store, so they are written at once.
    // The next batch is prepared on this state at once.
    const decided = state;
    const durable = this.kv.enqueue(entries, decided.version ?? 0, () => {
      const catalog = this.catalogWriter.diff(decided, this.unwrittenCatalog);
      this.unwrittenCatalog.clear();
      catalog.written();
      return catalog.entries;
    });
    this.state = state;
    refuse();
    for (const [id, name] of staleKeys) {
      const byName = this.pkIndexes.get(id);
      const idx = byName?.get(name);
      const t = state.tables.get(id);
      if (idx === undefined || t === undefined) continue;
      // Transactions holding the old index move to the new one at their next rebase (the table changed).
      byName!.set(name, idx.withoutDead((rowId) => rowDeleted(t, rowId)));
    }
    for (const item of done) item.txn.published = true;
    for (const [key, { col }] of chunks) {
      this.pool.invalidate(key);
      this.pool.put(key, col, vectorBytes(col));
    }
    for (const { id, g, width } of spilledWritten) for (let c = 0; c < width; c++) this.pool.invalidate(poolKey(id, c, g));
    this.pendingGroups.clear();
    for (const item of done) for (const id of item.txn.droppedSequences) this.sequences.forget(id);
    const stats = this.queueStats;
    stats.batches++;
    stats.commits += done.length;
    const release = (): void => {
      const at = performance.now();
      for (const item of done) {
        stats.decideMs += at - item.queued;
        item.hooks?.decided?.();
      }
    };
    if (!LATE_LOCK_RELEASE) release();
    const acknowledge = (): void => {
      if (LATE_LOCK_RELEASE) release();
      const at = performance.now();
      for (const item of done) {
        stats.acknowledged++;
        stats.waitMs += at - item.queued;
        item.resolve();
      }
    };
    if (!this.synchronousCommit) {
      // synchronous_commit = off: acknowledged once decided (a failed write still fails the store).
      acknowledge();
      durable.catch(() => undefined);
      return;
    }
    const settled = durable.then(acknowledge, (err: unknown) => {
      for (const item of done) item.reject(err);
    });
    if (LATE_LOCK_RELEASE) await settled;
  }

  /** Commit: rebase onto the latest state, validate, one atomic KV write, then the new state becomes visible. */
  private async commitNow(txn: Txn, hooks: CommitHooks | undefined): Promise<void> {
    // Tables written here get their chunks another way: their growable columns are dropped.
    const touched = new Set([...txn.changed.keys(), ...txn.dropped, ...txn.truncated]);
    for (const key of [...this.tails.keys()]) if (touched.has(Math.floor(key / (4096 * 65536)))) this.tails.delete(key);
    this.batchState = this.state;
    try {
      txn.rebase(this.state);
    } finally {
      this.batchState = null;
    }
    hooks?.validate?.(this.state.version ?? 0);
    const entries: [string, Buffer | null][] = [];
    for (const id of [...txn.dropped, ...txn.truncated]) {
      this.spillDeletes(this.state.tables.get(id)?.groups, entries);
      for (const k of this.kv.keysWithPrefix(`c/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`d/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`st/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`ix/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`a/${id}/`)) entries.push([k, null]);
      for (const k of this.kv.keysWithPrefix(`dd/${id}/`)) entries.push([k, null]);
      this.deletionEntries.forget(id);
    }
    // Sorted index entries: dropped with the last index on their column; CREATE INDEX builds them below.
    const newIndexColumns: [number, number][] = [];
    for (const id of txn.changed.keys()) {
      const before = indexedColumns(this.state.tables.get(id)?.def);
      const after = indexedColumns(txn.catalog.tables.get(id)?.def);
      for (const c of before) if (!after.has(c)) entries.push([sortedIndexKey(id, c), null]);
      // Only CREATE INDEX builds eagerly (as PostgreSQL's does); a key's entries wait for a lookup.
      for (const ix of txn.catalog.tables.get(id)?.def.indexes ?? []) if (!before.has(ix.columns[0]) && !newIndexColumns.some(([t, c]) => t === id && c === ix.columns[0])) newIndexColumns.push([id, ix.columns[0]]);
    }
    const written: [number, Vector][] = [];
    const spilledGroups: [number, number, number][] = [];
    const slices = new EventLoopSlices();
    for (const [id, tt] of txn.changed) {
      if (!txn.catalog.tables.has(id)) continue;
      for (const g of tt.dirtyGroups) {
        const sp = tt.spilled.get(g);
        if (sp !== undefined) {
          // Already in the store under the transaction's private keys: the catalog names them.
          const groups = txn.catalog.tables.get(id)!.groups;
          groups[g] = { ...groups[g], spill: sp.ref };
          spilledGroups.push([id, g, txn.catalog.tables.get(id)!.def.columns.length]);
          continue;
        }
        const cols = tt.materialize(g);
        const chunks = await tt.encodedGroup(g);
        cols.forEach((col, c) => {
          entries.push([chunkKey(id, c, g), chunks[c]]);
          written.push([poolKey(id, c, g), col]);
        });
      }
      const groups = txn.catalog.tables.get(id)!.groups;
      // Groups written whole here: their delta entries are merged into the chunks (truncated tables lost theirs above).
      for (const g of tt.dirtyGroups) {
        if (groups[g].chunkRows === undefined) continue;
        if (!txn.truncated.includes(id)) for (const k of this.kv.keysWithPrefix(deltaPrefix(id, g))) entries.push([k, null]);
        groups[g] = { ...groups[g], chunkRows: undefined };
      }
      // ANALYZE reads and decodes every chunk of a group it recollects (~35 ms a group of lineitem):
      // groups whose statistics already describe exactly their rows are kept, and between the
      // others the event loop turns. Safe here: this commit runs alone in the commit queue (drain
      // awaits it before the next), the write pipeline is idle (awaited before), and state is
      // published only below, so neither this.state nor the rows read change meanwhile; other
      // sessions' reads go on against the state as it is, their commits wait in the queue.
      for (const g of tt.analyzed ? groups.keys() : tt.dirtyGroups) {
        if (tt.analyzed && tt.exactStats(g) !== null) continue;
        const stats = tt.groupStats(g);
        groups[g] = { ...groups[g], stats };
        entries.push([statsKey(id, g), encodeGroupStats(stats)]);
        if (tt.analyzed) await slices.pause();
      }
      for (const g of tt.dirtyDeletes) {
        const d = denseDeleted(groups[g]);
        if (!txn.truncated.includes(id)) for (const k of this.deletionEntries.superseded(id, g)) entries.push([k, null]);
        entries.push([deletedKey(id, g), d === null ? null : Buffer.from(d.subarray(0, groups[g].rowCount))]);
      }
    }
    txn.unusedSpillDeletes(entries);
    for (const id of txn.droppedSequences) entries.push([sequenceKey(id), null]);
    // A new sequence's record is written with the catalog that names it (its OID may be one an
    // aborted transaction used, whose stale record must not be read after a restart).
    for (const id of txn.createdSequences) {
      const def = txn.catalog.sequences.get(id);
      if (def !== undefined) entries.push([sequenceKey(id), this.sequences.durableRecord(def)]);
    }
    const catalog = this.catalogWriter.diff(txn.catalog, txn.catalogChanges(new CatalogChanges()));
    entries.push(...catalog.entries);
    if (this.compactions.retired.size > 0) this.revokeReachedRetired(txn.catalog, entries);
    const rewritten = [...txn.truncated, ...txn.rewrittenShapes.keys()];
    for (const id of rewritten) this.rewriting.add(id);
    try {
      await this.kv.write(entries);
    } finally {
      for (const id of rewritten) this.rewriting.delete(id);
    }
    catalog.written();
    // Durable: publish.
    txn.published = true;
    txn.catalog.version = (this.state.version ?? 0) + 1;
    this.state = txn.catalog;
    this.kv.markDurable(txn.catalog.version);
    hooks?.committed?.(txn.catalog.version);
    hooks?.decided?.();
    for (const [key, col] of written) {
      this.pool.invalidate(key);
      this.pool.put(key, col, vectorBytes(col));
    }
    for (const [id, g, width] of spilledGroups) for (let c = 0; c < width; c++) this.pool.invalidate(poolKey(id, c, g));
    for (const id of [...txn.dropped, ...txn.truncated]) this.pkIndexes.delete(id);
    // A compaction's remap serves writers of the generation it replaced: none is left once the table is
    // dropped, truncated or rewritten (those commits held its exclusive lock), and the map is 8 bytes per RowId.
    for (const id of [...txn.dropped, ...txn.truncated]) this.compactions.remaps.delete(id);
    // TRUNCATE reuses chunk keys: cached chunks of the old rows must go (rewritten ones were replaced above).
    for (const [id, groups] of txn.truncatedGroups) {
      const width = txn.catalog.tables.get(id)?.def.columns.length ?? 0;
      const rewritten = txn.changed.get(id)?.dirtyGroups;
      for (let c = 0; c < width; c++) for (let g = 0; g < groups; g++) if (!rewritten?.has(g)) this.pool.invalidate(poolKey(id, c, g));
    }
    for (const [id, tt] of txn.changed) {
      const t = this.state.tables.get(id);
      // A table this commit created, truncated, rewrote or re-keyed keeps the indexes its checks built.
      const own = t === undefined ? null : ownKeyIndexes(uniqueKeysOf(t.def), tt.keys, (rowId) => rowDeleted(t, rowId));
      if (own !== null) this.pkIndexes.set(id, own);
      else if (tt.pkChanged) this.pkIndexes.delete(id);
      else if (tt.keys !== null) {
        for (const [name, keys] of tt.keys) {
          const idx = this.pkIndexes.get(id)?.get(name);
          if (!keys.applyTo(idx) && t !== undefined) this.pkIndexes.get(id)!.set(name, idx!.withoutDead((rowId) => rowDeleted(t, rowId)));
        }
      }
    }
    for (const id of txn.droppedSequences) this.sequences.forget(id);
    for (const id of [...txn.dropped, ...txn.truncated]) for (const key of [...this.sortedIndexes.keys()]) if (key.startsWith(`${id}:`)) this.sortedIndexes.delete(key);
    for (const id of txn.changed.keys()) {
      const after = indexedColumns(txn.catalog.tables.get(id)?.def);
      for (const key of [...this.sortedIndexes.keys()]) if (key.startsWith(`${id}:`) && !after.has(Number(key.slice(key.indexOf(':') + 1)))) this.sortedIndexes.delete(key);
    }
    // CREATE INDEX: the entries are built now, over the committed rows, and stored before it returns.
    for (const [id, column] of newIndexColumns) if (this.state.tables.has(id)) await this.buildSortedIndex(id, column, true);
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
  // Maps most transactions never fill are made on first use (null until then): a READ COMMITTED
  // transaction makes a TxnTable for each table at every statement that replays it, and their
  // empty maps were a tenth of what a pgbench transaction allocated.
  private materialized: Map<number, Vector[]> | null = null;
  readonly dirtyGroups = new Set<number>();
  readonly dirtyDeletes = new Set<number>();
  /**
   * Rows deleted here, as offsets per group beside the groups' committed bitmaps (see
   * own-deletions.ts): the bitmap in this transaction's state is the committed one until commit.
   */
  ownDeleted = new OwnDeletions(ROW_GROUP_ROWS);
  /** Groups whose bitmap in this transaction's state is its own copy, written in place (it deleted many rows there). */
  private privateBitmaps: Set<number> | null = null;
  /** Offsets each delete() call named, by group (duplicates possible): what a group commit writes as deletion entries. */
  readonly deletedOffsets = new Map<number, number[]>();
  /** Pending unique-key changes by key name; null until the first write that needs them. */
  keys: Map<string, PendingKeys> | null = null;
  /** The table's keys changed (or it was truncated/rewritten): the committed indexes no longer apply. */
  pkChanged = false;
  /** ANALYZE ran in the transaction: every group's statistics are rebuilt at commit. */
  analyzed = false;
  /** The table as committed in the transaction's base when first written (undefined: created here). */
  origin: TableState | undefined;
  /** Committed rows (of `origin`) this transaction deleted: what a rebase re-applies and checks. */
  readonly deletedBase = new Set<RowId>();
  /** Created, truncated, re-keyed or altered here: cannot be rebased, only applied on an unchanged table. */
  structural = false;
  /** Full groups of own rows moved to the store before commit (see spilled-groups.ts): no longer in `parts`. */
  get spilled(): ReadonlyMap<number, SpilledGroup> {
    return this.spilledGroups ?? NO_SPILLED_GROUPS;
  }
  private spilledGroups: Map<number, SpilledGroup> | null = null;
  /** The last spilled group read back (a scan reads one group's columns in a row). */
  private spillRead: { g: number; cols: (Vector | undefined)[] } | null = null;
  /**
   * Unique-key columns of spilled groups once read back, kept: key checks compare candidates of
   * equal hash in any group (about n²/2³³ of n rows), which must not decode a chunk each time.
   */
  private spilledKeyColumns: Map<string, Vector> | null = null;

  constructor(
    readonly txn: Txn,
    readonly tableId: number,
    /** The table as committed when the transaction began; undefined when created in it. */
    readonly committed: TableState | undefined,
  ) {
    this.origin = committed;
  }

  /** A copy bound to `txn`, whose catalog holds `state` (this table's state copied alongside). */
  clone(txn: Txn): TxnTable {
    const c = new TxnTable(txn, this.tableId, this.committed);
    for (const [g, list] of this.parts) c.parts.set(g, list.slice());
    for (const [g, n] of this.baseRows) c.baseRows.set(g, n);
    for (const g of this.dirtyGroups) c.dirtyGroups.add(g);
    for (const g of this.dirtyDeletes) c.dirtyDeletes.add(g);
    if (this.privateBitmaps !== null) c.privateBitmaps = new Set(this.privateBitmaps);
    c.ownDeleted = this.ownDeleted.clone();
    for (const [g, offs] of this.deletedOffsets) c.deletedOffsets.set(g, offs.slice());
    for (const id of this.deletedBase) c.deletedBase.add(id);
    if (this.spilledGroups !== null) c.spilledGroups = new Map(this.spilledGroups);
    c.keys = this.keys === null ? null : new Map([...this.keys].map(([k, v]) => [k, v.clone()]));
    c.pkChanged = this.pkChanged;
    c.analyzed = this.analyzed;
    c.origin = this.origin;
    c.structural = this.structural;
    return c;
  }

  /** Copies a table state this transaction may mutate: the group objects and its private bitmaps. */
  cloneState(state: TableState): TableState {
    const groups = state.groups.map((g, i) => (this.privateBitmaps?.has(i) && g.deleted !== null ? { ...g, deleted: g.deleted.slice() } : { ...g }));
    return { def: state.def, groups, generation: state.generation };
  }

  /** Whether the row is deleted as this transaction sees it (false past the group's rows). */
  isDeleted(g: number, off: number): boolean {
    const group = this.state().groups[g];
    return (group !== undefined && deletedAt(group, off)) || this.ownDeleted.has(g, off);
  }

  /** This transaction's deletions for its own view's readers (see own-deletions.ts); made with the first snapshot. */
  private ownDeletedRows: OwnDeletedRows | null = null;
  private ownDeletedView(): OwnDeletedRows {
    return (this.ownDeletedRows ??= {
      has: (g, off) => this.ownDeleted.has(g, off),
      dense: (g) => {
        if (this.ownDeleted.empty) return undefined;
        const group = this.state().groups[g];
        return this.ownDeleted.dense(g, denseDeleted(group), group.rowCount);
      },
    });
  }

  /**
   * At commit (after the last rebase): the groups this transaction deleted rows of get their new
   * deletions (the committed ones with its offsets layered on, see layered-deletions.ts), which the
   * commit writes and publishes.
   */
  settleDeletions(): void {
    if (this.ownDeleted.empty) return;
    const groups = this.state().groups;
    for (const g of [...this.ownDeleted.groups()]) {
      const group = groups[g];
      // A layer over the committed bitmap (shared, not copied), folded now and then (see foldLimit).
      const { deleted, since } = withDeleted(group, this.ownDeleted.take(g));
      groups[g] = groupWith(group, group.rowCount, deleted, group.deletedCount, since ?? null);
    }
  }

  /** Whether the row was inserted by this transaction (not a row of the committed base). */
  isOwnRow(id: RowId): boolean {
    if (this.structural || this.origin === undefined) return true;
    const g = Math.floor(id / ROW_GROUP_ROWS);
    const group = this.origin.groups[g];
    return group === undefined || id - g * ROW_GROUP_ROWS >= group.rowCount;
  }

  /** This transaction's inserted rows still live, in insertion order (batches laid out as the table). */
  ownLiveRows(): Vector[][] {
    const out: Vector[][] = [];
    const groups = this.state().groups;
    for (const g of [...this.parts.keys(), ...this.spilled.keys()].sort((a, b) => a - b)) {
      let at = this.baseRows.get(g) ?? 0;
      // Point checks (own rows are few): no whole bitmap is made of a layered group (see layered-deletions.ts).
      const group = groups[g];
      const own = this.ownDeleted;
      // A spilled group is read back whole (a rebase of a transaction that spilled: rare, and not bounded in memory).
      const spilled = this.spilled.has(g) ? [this.state().def.columns.map((_, c) => this.spilledColumn(g, c))] : null;
      for (const p of spilled ?? this.parts.get(g)!) {
        for (const v of p) ensureStrings(v);
        const n = p[0]?.length ?? 0;
        if (!hasDeletions(group) && own.empty) out.push(p);
        else {
          const idx: number[] = [];
          for (let i = 0; i < n; i++) if (!deletedAt(group, at + i) && !own.has(g, at + i)) idx.push(i);
          if (idx.length === n) out.push(p);
          else if (idx.length > 0) out.push(p.map((v) => gatherVector(v, idx)));
        }
        at += n;
      }
    }
    return out;
  }

  state(): TableState {
    return this.txn.catalog.tables.get(this.tableId)!;
  }

  /**
   * Full columns of a group this transaction appended to: committed prefix + new rows. Each
   * column is concatenated when first read (a lookup of one column does not copy the others).
   */
  materialize(g: number): Vector[] {
    let cols = this.materialized?.get(g);
    if (cols !== undefined) return cols;
    const def = this.state().def;
    if (this.spilled.has(g)) {
      // Read back from the store column by column, never kept (they left memory on purpose).
      const lazy = new Array<Vector>(def.columns.length);
      def.columns.forEach((_, ci) => Object.defineProperty(lazy, ci, { enumerable: true, get: () => this.spilledColumn(g, ci) }));
      return lazy;
    }
    const base = this.baseRows.get(g) ?? 0;
    const parts = this.parts.get(g) ?? [];
    const done: (Vector | undefined)[] = new Array(def.columns.length);
    cols = new Array<Vector>(def.columns.length);
    def.columns.forEach((c, ci) =>
      Object.defineProperty(cols, ci, {
        enumerable: true,
        get: () => {
          let v = done[ci];
          if (v === undefined) {
            const pieces: Vector[] = [];
            if (base > 0) pieces.push(this.txn.store.readChunk(def, ci, g, base));
            for (const p of parts) {
              ensureStrings(p[ci]);
              pieces.push(p[ci]);
            }
            // Committed rows then own ones, in a scratch the store lends until the transaction ends
            // (not while it commits: what a commit materializes may be kept as the committed chunk).
            const leased = base > 0 && !this.txn.finished ? this.txn.store.ownRowsScratch.view(poolKey(def.id, ci, g), this.state().generation ?? 0, pieces[0], pieces.slice(1), this.txn) : null;
            v = done[ci] = leased ?? concatVectors(c.type, pieces);
          }
          return v;
        },
      }),
    );
    (this.materialized ??= new Map()).set(g, cols);
    return cols;
  }

  /**
   * Rows `offsets` (ascending) of a column of a group this transaction appended to, without
   * materializing the group: all committed ones are gathered from the committed chunk, all own ones
   * from the one batch appended (a point lookup after an UPDATE in the same transaction); null otherwise.
   */
  gatherRows(g: number, column: number, offsets: Uint32Array): Vector | null {
    const n = offsets.length;
    if (n === 0 || this.spilled.has(g)) return null;
    const base = this.baseRows.get(g) ?? 0;
    const parts = this.parts.get(g);
    if (offsets[n - 1] < base) return gatherVector(this.txn.store.readChunk(this.state().def, column, g, base), offsets);
    if (offsets[0] < base || parts === undefined || parts.length !== 1) return null;
    const v = parts[0][column];
    ensureStrings(v);
    const at = new Uint32Array(n);
    for (let i = 0; i < n; i++) at[i] = offsets[i] - base;
    return gatherVector(v, at);
  }

  /**
   * The statistics group g has when ANALYZE would collect the same ones, else null. Statistics are
   * collected over all of a group's rows when it is written (and again once delta rows pass a tenth
   * of it, see commitBatch): with no row deleted and none added since (rows = rowCount), ANALYZE's
   * recollection over the live rows reads the same values (test/unit/storage/analyze-skip.test.ts).
   * Groups this transaction wrote or deleted from are recollected, and so are groups of fewer columns
   * than the table now has.
   */
  exactStats(g: number): GroupStats | null {
    if (this.dirtyGroups.has(g) || this.dirtyDeletes.has(g) || !this.ownDeleted.empty) return null;
    const group = this.state().groups[g];
    const stats = group.stats;
    // A column added since without a rewrite: ANALYZE describes it too (and tableStatistics leaves out groups of another width).
    if (stats === null || stats.rows !== group.rowCount || group.deletedCount !== 0 || hasDeletions(group) || stats.columns.length !== this.state().def.columns.length) return null;
    return stats;
  }

  /**
   * The group's statistics to commit: over the group's rows as written (the dictionaries of the
   * encoded group are merged, so text distinct counts are exact), or after ANALYZE over its live rows.
   */
  groupStats(g: number): GroupStats {
    const sp = this.spilled.get(g);
    if (!this.analyzed && sp !== undefined) return sp.stats;
    if (!this.analyzed) return collectGroupStats(this.materialize(g));
    const snap = this.snapshot();
    const cols = this.dirtyGroups.has(g) ? this.materialize(g) : this.state().def.columns.map((_, c) => snap.readColumn(g, c));
    return collectGroupStats(cols, snap.deleted(g));
  }

  append(columns: Vector[]): RowId {
    // Rows read from this transaction's own view of a group (INSERT … SELECT from the table) may be
    // views of a scratch lent until the transaction ends; the rows kept must own their memory.
    const scratch = this.txn.store.ownRowsScratch;
    if (columns.some((c) => scratch.aliases(c))) columns = columns.map((c) => (scratch.aliases(c) ? { ...c, values: (c as { values: Uint8Array }).values.slice(0, c.length), nulls: c.nulls?.slice(0, c.length) ?? null } as Vector : c));
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
      // Text kept as bytes only (a bulk load's) stays so only in a batch that fills a group alone and will be spilled.
      if (take !== ROW_GROUP_ROWS || !this.txn.spillAllowed) for (const c of columns) ensureStrings(c);
      const slice = offset === 0 && take === n ? columns : columns.map((c) => sliceVector(c, offset, offset + take));
      if (firstRowId < 0) firstRowId = g * ROW_GROUP_ROWS + group.rowCount;
      let list = this.parts.get(g);
      if (list === undefined) this.parts.set(g, (list = []));
      list.push(slice);
      groups[g] = groupWith(group, group.rowCount + take, group.deleted === null ? null : extend(group.deleted, group.rowCount + take), group.deletedCount);
      this.dirtyGroups.add(g);
      this.materialized?.delete(g);
      this.encoded?.delete(g);
      // A full group gets no more rows: encode it now, on the chunk encoder's worker thread while
      // the next rows are parsed (a bulk load's encoding and compression overlap its parsing).
      if (groups[g].rowCount === ROW_GROUP_ROWS) {
        this.encodeEarly(g);
        if (this.baseRows.get(g) === 0 && this.txn.spillAllowed) this.spill(g);
      }
      offset += take;
    }
    return firstRowId;
  }

  /** Encoded chunks of full groups, made as they filled up (see append). */
  private encoded: Map<number, Promise<Buffer[]>> | null = null;

  /** A group's columns for encoding: the one batch that filled it as it is (text maybe still bytes only), else materialized. */
  private columnsToEncode(g: number): Vector[] {
    const parts = this.parts.get(g);
    if (parts !== undefined && parts.length === 1 && (this.baseRows.get(g) ?? 0) === 0) return parts[0];
    return this.materialize(g);
  }

  private encodeEarly(g: number): void {
    const chunks = Promise.all(this.columnsToEncode(g).map((col) => encodeChunkOffThread(col)));
    chunks.catch(() => undefined); // an aborted transaction never awaits it
    (this.encoded ??= new Map()).set(g, chunks);
  }

  /**
   * Moves a full group of own rows out of memory: once its chunks are encoded (on the encoder's
   * thread), they are written under the transaction's private keys and the rows dropped. Until the
   * write is done the group stays in memory as before; if it fails, it stays there for good.
   */
  private spill(g: number): void {
    const list = this.parts.get(g);
    const chunks = this.encoded?.get(g);
    if (list === undefined || chunks === undefined) return;
    const cols = this.columnsToEncode(g);
    const txn = this.txn;
    const ref = txn.newSpillRef();
    txn.trackSpill(
      chunks.then(async (encoded) => {
        if (txn.finished) return;
        // Collected here once: the commit takes them as they are (the group cannot change any more).
        const stats = collectGroupStats(cols);
        await txn.store.writeSpill(encoded.map((bytes, c) => [spillKey(ref, c), bytes]));
        if (this.parts.get(g) !== list) return; // rolled back or rebased meanwhile: the keys go unused
        (this.spilledGroups ??= new Map()).set(g, { ref, stats });
        this.parts.delete(g);
        this.encoded?.delete(g);
        this.materialized?.delete(g);
      }),
    );
  }

  /** A column of a spilled group, decoded from the store (the last group read is kept). */
  spilledColumn(g: number, column: number): Vector {
    const sp = this.spilled.get(g)!;
    if (this.keys !== null && [...this.keys.values()].some((k) => k.key.columns.includes(column))) {
      const key = `${g}/${column}`;
      let kept = this.spilledKeyColumns?.get(key);
      if (kept === undefined) (this.spilledKeyColumns ??= new Map()).set(key, (kept = decodeChunk(this.txn.store.readSpill(spillKey(sp.ref, column)), this.state().def.columns[column].type)));
      return kept;
    }
    if (this.spillRead === null || this.spillRead.g !== g) this.spillRead = { g, cols: [] };
    let v = this.spillRead.cols[column];
    if (v === undefined) v = this.spillRead.cols[column] = decodeChunk(this.txn.store.readSpill(spillKey(sp.ref, column)), this.state().def.columns[column].type);
    return v;
  }

  /** The group's chunks as committed: encoded early, or now (compressing on the thread pool in parallel). */
  encodedGroup(g: number): Promise<Buffer[]> {
    return this.encoded?.get(g) ?? Promise.all(this.materialize(g).map((col) => encodeChunkOffThread(col, true)));
  }

  /**
   * A bulk load ends: its groups still in memory (the partial last one) are encoded now, while the
   * commit waits for the spilled groups still being written, not after.
   */
  encodeRest(): void {
    for (const g of this.dirtyGroups) {
      if (this.spilled.has(g) || this.encoded?.has(g) || (this.baseRows.get(g) ?? 0) > 0) continue;
      const chunks = this.encodedGroup(g);
      chunks.catch(() => undefined);
      (this.encoded ??= new Map()).set(g, chunks);
    }
  }

  delete(rowIds: ArrayLike<RowId>): void {
    const groups = this.state().groups;
    // Rows newly deleted in group `counting`, added to its count when the group changes.
    let counting = -1;
    let counted = 0;
    for (let i = 0; i < rowIds.length; i++) {
      const id = rowIds[i];
      if (!this.isOwnRow(id)) this.deletedBase.add(id);
      const g = Math.floor(id / ROW_GROUP_ROWS);
      const off = id - g * ROW_GROUP_ROWS;
      if (g !== counting) {
        addDeletedCount(groups, counting, counted);
        counting = g;
        counted = 0;
      }
      const group = groups[g];
      const d = group.deleted;
      if (this.privateBitmaps?.has(g)) {
        if (d![off] === 0) {
          d![off] = 1;
          counted++;
        }
      } else if (!deletedAt(group, off) && !this.ownDeleted.has(g, off)) {
        counted++;
        // Past SPARSE_MAX rows in a group (a bulk DELETE), a bitmap of its own is cheaper than the set.
        if (this.ownDeleted.add(g, off) > SPARSE_MAX) {
          addDeletedCount(groups, g, counted);
          counted = 0;
          groups[g] = groupWith(groups[g], group.rowCount, this.ownDeleted.detach(g, denseDeleted(group), group.rowCount, true)!, groups[g].deletedCount, null);
          (this.privateBitmaps ??= new Set()).add(g);
        }
      }
      let offs = this.deletedOffsets.get(g);
      if (offs === undefined) this.deletedOffsets.set(g, (offs = []));
      offs.push(off);
      this.dirtyDeletes.add(g);
    }
    addDeletedCount(groups, counting, counted);
  }

  /** Drops the columns materialize() made (their memory may be a scratch lent until the transaction ended). */
  forgetMaterialized(): void {
    this.materialized = null;
  }

  /** Own view: groups this transaction appended to are read from memory. */
  snapshot(): TableSnapshot {
    const state = this.state();
    const ownFrom = this.structural || this.origin === undefined ? () => 0 : (g: number) => this.baseRows.get(g) ?? Infinity;
    return new Snapshot(
      state.def,
      state.groups,
      this.txn.store,
      (g) => (this.dirtyGroups.has(g) ? this.materialize(g) : undefined),
      state.generation,
      ownFrom,
      this.txn.base.version ?? 0,
      (g, c, offsets) => (this.dirtyGroups.has(g) ? this.gatherRows(g, c, offsets) : null),
      this.ownDeletedView(),
    );
  }
}

/** A transaction's spilled group: its chunks' keys and its statistics. */
interface SpilledGroup {
  ref: string;
  stats: GroupStats;
}
const NO_SPILLED_GROUPS: ReadonlyMap<number, SpilledGroup> = new Map();

/** Adds `n` rows to a group's deleted count, in a new group state (the old one may be shared with snapshots). */
function addDeletedCount(groups: GroupState[], g: number, n: number): void {
  if (n > 0) groups[g] = groupWith(groups[g], groups[g].rowCount, groups[g].deleted, groups[g].deletedCount + n);
}

/**
 * A copy of a group state with these row count and deletions: every field written out (one object
 * shape), where a spread of the variously shaped group states was a slow generic copy on the
 * transaction's path (a new field of GroupState must be copied here too).
 */
function groupWith(g: GroupState, rowCount: number, deleted: Uint8Array | null, deletedCount: number, since?: DeletedSince | null): GroupState {
  // `since` absent: g's layer stays; null: no layer (the bitmap holds every deletion).
  return { rowCount, deleted, since: since === undefined ? g.since : (since ?? undefined), deletedCount, stats: g.stats, chunkRows: g.chunkRows, spill: g.spill };
}

/** Rows a transaction deletes in one group before it keeps a bitmap of its own for the group (see own-deletions.ts). */
const SPARSE_MAX = 1024;

/**
 * The bitmap, long enough for `length` rows. A new one gets room to spare (up to a full group), so
 * a group that keeps getting a few rows appended is not copied on every append. Readers only look
 * at offsets below the group's row count, and the bytes past it stay 0: a bitmap is written only by
 * the transaction that copied it (TxnTable.delete) and never after it was committed.
 */
function extend(bitmap: Uint8Array, length: number): Uint8Array {
  if (bitmap.length >= length) return bitmap;
  const out = new Uint8Array(Math.min(ROW_GROUP_ROWS, Math.max(length, bitmap.length * 2)));
  out.set(bitmap);
  return out;
}

/** Everything a transaction has changed; a savepoint keeps a deep copy. */
interface TxnState {
  base: CatalogState;
  catalog: CatalogState;
  changed: Map<number, TxnTable>;
  dropped: number[];
  truncated: number[];
  truncatedGroups: Map<number, number>;
  droppedSequences: number[];
  createdSequences: number[];
  rewrittenShapes: Map<number, [number, number]>;
  viewChanges: Map<number, ViewDef | null>;
  sequenceChanges: Map<number, SequenceDef | null>;
  stale: Set<number>;
}

class Txn implements WriteTxn {
  /** The committed state the writes are based on (moved forward by rebase). */
  base: CatalogState;
  /** The catalog as this transaction sees it: base plus its own changes. */
  catalog: CatalogState;
  changed = new Map<number, TxnTable>();
  dropped: number[] = [];
  truncated: number[] = [];
  /** Row groups a truncated table had when it was truncated (their cached chunks are stale). */
  truncatedGroups = new Map<number, number>();
  droppedSequences: number[] = [];
  createdSequences: number[] = [];
  /** Tables rewritten by ALTER TABLE: [column count, row groups] of their old shape (cached chunks to drop). */
  rewrittenShapes = new Map<number, [number, number]>();
  /** Views and sequences created, altered (the new definition) or dropped (null): re-applied by a rebase. */
  viewChanges = new Map<number, ViewDef | null>();
  sequenceChanges = new Map<number, SequenceDef | null>();
  /**
   * Written tables whose move onto `base` a statement's rebase left for their first use (see
   * rebase): until then their state in `catalog` is the one of an older base, and every method that
   * reads or writes a table brings it up to date first (fresh).
   */
  stale = new Set<number>();

  get baseVersion(): number {
    return this.base.version ?? 0;
  }

  private takeOid(): number {
    const id = this.store.takeOid();
    this.catalog.nextOid = Math.max(this.catalog.nextOid, id + 1);
    return id;
  }

  /** A deep copy of the transaction's state, bound to this transaction. */
  private copyState(from: TxnState): TxnState {
    const catalog: CatalogState = { nextOid: from.catalog.nextOid, version: from.catalog.version, tables: new Map(from.catalog.tables), views: new Map(from.catalog.views), sequences: new Map(from.catalog.sequences) };
    const changed = new Map<number, TxnTable>();
    for (const [id, tt] of from.changed) {
      const st = from.catalog.tables.get(id);
      if (st !== undefined) catalog.tables.set(id, tt.cloneState(st));
      changed.set(id, tt.clone(this));
    }
    return {
      base: from.base,
      catalog,
      changed,
      dropped: from.dropped.slice(),
      truncated: from.truncated.slice(),
      truncatedGroups: new Map(from.truncatedGroups),
      droppedSequences: from.droppedSequences.slice(),
      createdSequences: from.createdSequences.slice(),
      rewrittenShapes: new Map(from.rewrittenShapes),
      viewChanges: new Map(from.viewChanges),
      sequenceChanges: new Map(from.sequenceChanges),
      stale: new Set(from.stale),
    };
  }

  savepoint(): TxnImage {
    return this.copyState(this) as unknown as TxnImage;
  }

  rollbackTo(image: TxnImage): void {
    // Copied again, so the savepoint can be rolled back to more than once.
    Object.assign(this, this.copyState(image as unknown as TxnState));
  }

  refresh(): void {
    this.rebase(this.store.current, true);
  }

  /** Moves a table a lazy rebase left behind onto `base` (throws 40001 when that is not possible). */
  private fresh(tableId: number): void {
    if (this.stale.size === 0 || !this.stale.has(tableId)) return;
    const plan = this.replayPlan(this.changed.get(tableId)!, this.base.tables.get(tableId), this.catalog.tables.get(tableId)!);
    this.stale.delete(tableId);
    this.replay(plan, this.base.tables.get(tableId)!);
  }

  isOwnRow(tableId: number, rowId: RowId): boolean {
    this.fresh(tableId);
    const tt = this.changed.get(tableId);
    if (tt !== undefined) return tt.isOwnRow(rowId);
    return false;
  }

  rowsNow(tableId: number, rowIds: ArrayLike<RowId>): Float64Array | null {
    this.fresh(tableId);
    const now = this.store.current.tables.get(tableId);
    const was = this.changed.get(tableId)?.origin ?? this.base.tables.get(tableId);
    if (now === undefined || was === undefined || now.def !== was.def) return null;
    const out = Float64Array.from(rowIds);
    if ((now.generation ?? 0) !== (was.generation ?? 0)) {
      // Compacted since: the rows moved (one generation back at most; a row gone was deleted by a commit).
      const ids = this.store.compactions.remapFrom(tableId, was.generation ?? 0);
      if (ids === null) return null;
      for (let i = 0; i < out.length; i++) out[i] = out[i] < ids.length ? ids[out[i]] : -1;
    }
    if (now !== was) for (let i = 0; i < out.length; i++) if (out[i] >= 0 && rowDeleted(now, out[i])) out[i] = -1;
    return out;
  }

  writtenTables(): number[] {
    return [...this.changed.keys(), ...this.dropped];
  }

  /** Adds the catalog objects the transaction may have changed (its commit compares their entries, see catalog-writer.ts). */
  catalogChanges(into: CatalogChanges): CatalogChanges {
    for (const id of this.changed.keys()) into.tables.add(id);
    for (const id of this.dropped) into.tables.add(id);
    for (const id of this.viewChanges.keys()) into.views.add(id);
    for (const id of this.sequenceChanges.keys()) into.sequences.add(id);
    return into;
  }

  /**
   * Moves the transaction's writes onto `next` (a later committed state): tables it only inserted
   * into or deleted from are replayed there (its deletions must still find their rows live, its
   * inserted keys must still be free); tables it created, truncated or altered must be unchanged.
   * With `lazy` (a READ COMMITTED statement's refresh) the replay of a table waits for the table's
   * first use (fresh): a statement that does not touch a table the transaction wrote earlier does
   * not replay it (pgbench's later statements each replayed every table written before them).
   * Every use of a table goes through a method of this class that calls fresh first, and a commit
   * rebases eagerly, so what is read, checked and committed is the same as with an eager replay.
   */
  rebase(next: CatalogState, lazy = false): void {
    if (next !== this.base) {
      // Views and sequences are shared with the committed state until this transaction changes one (see names()).
      const views = this.viewChanges.size === 0 ? next.views : new Map(next.views);
      const sequences = this.sequenceChanges.size === 0 ? next.sequences : new Map(next.sequences);
      const cat: CatalogState = { nextOid: Math.max(next.nextOid, this.catalog.nextOid), version: next.version, tables: new Map(next.tables), views, sequences };
      for (const [id, v] of this.viewChanges) if (v === null) cat.views.delete(id); else cat.views.set(id, v);
      for (const [id, q] of this.sequenceChanges) if (q === null) cat.sequences.delete(id); else cat.sequences.set(id, q);
      for (const id of this.dropped) {
        if (this.base.tables.has(id) && next.tables.get(id) !== this.base.tables.get(id)) throw concurrentUpdate();
        cat.tables.delete(id);
      }
      const replay: ReturnType<Txn['replayPlan']>[] = [];
      for (const [id, tt] of this.changed) {
        const now = next.tables.get(id);
        const mine = this.catalog.tables.get(id)!;
        if (tt.structural || tt.origin === undefined) {
          if (now !== tt.origin) throw concurrentUpdate();
          cat.tables.set(id, mine);
          continue;
        }
        if (now === tt.origin || lazy) {
          cat.tables.set(id, mine);
          if (now !== tt.origin) this.stale.add(id);
          continue;
        }
        replay.push(this.replayPlan(tt, now, mine));
      }
      this.base = next;
      this.catalog = cat;
      for (const plan of replay) {
        this.stale.delete(plan.old.tableId);
        this.replay(plan, next.tables.get(plan.old.tableId)!);
      }
    }
    if (!lazy) for (const id of [...this.stale]) this.fresh(id);
    // Only a commit rebases eagerly (its deletions are then final): its groups' new deletion bitmaps are made now, once.
    if (!lazy) for (const tt of this.changed.values()) tt.settleDeletions();
  }

  /** Checks that a written table can move onto `now` (its state in a later base) and gathers what its replay needs. */
  private replayPlan(tt: TxnTable, now: TableState | undefined, mine: TableState): { old: TxnTable; mine: TableState; rows: Vector[][]; deleted: RowId[] } {
    const origin = tt.origin!;
    if (now === undefined || now.def !== origin.def) throw concurrentUpdate();
    let deleted = [...tt.deletedBase];
    if ((now.generation ?? 0) !== (origin.generation ?? 0)) {
      // Compacted since: the rows this transaction deleted moved (a row gone was deleted by another commit).
      const ids = this.store.compactions.remapFrom(tt.tableId, origin.generation ?? 0);
      if (ids === null) throw concurrentUpdate();
      deleted = deleted.map((id) => (id < ids.length ? ids[id] : -1));
      if (deleted.some((id) => id < 0)) throw concurrentUpdate();
    }
    for (const rid of deleted) if (rowDeleted(now, rid)) throw concurrentUpdate();
    return { old: tt, mine, rows: tt.ownLiveRows(), deleted };
  }

  /** Replays a written table's rows and deletions onto `now` (its state in `base`), in `catalog`. */
  private replay({ old, mine, rows, deleted }: { old: TxnTable; mine: TableState; rows: Vector[][]; deleted: RowId[] }, now: TableState): void {
    const id = old.tableId;
    this.catalog.tables.set(id, { def: now.def, groups: now.groups.slice(), generation: now.generation });
    const tt = new TxnTable(this, id, now);
    tt.analyzed = old.analyzed;
    this.changed.set(id, tt);
    if (deleted.length > 0) this.delete(id, deleted);
    for (const b of rows) this.append(id, b);
  }

  /** Commits that cannot share a group commit: chunk rewrites, new or re-keyed tables, ANALYZE. */
  get needsSoloCommit(): boolean {
    if (this.rewritesChunks) return true;
    for (const tt of this.changed.values()) if (tt.structural || tt.analyzed || tt.pkChanged || tt.origin === undefined) return true;
    return false;
  }

  get rewritesChunks(): boolean {
    return this.dropped.length > 0 || this.truncated.length > 0 || this.rewrittenShapes.size > 0;
  }
  private done = false;

  // ---- spilled groups (see spilled-groups.ts) ----
  private spillTag: string | null = null;
  /** References of every group this transaction spilled or is spilling. */
  private readonly spillRefs: string[] = [];
  private readonly spillWrites = new Set<Promise<void>>();
  /** Off while the commit replays rows (its writes must not race the commit's own). */
  private committing = false;
  /** The commit was written: its spilled groups belong to the table now. */
  published = false;

  get finished(): boolean {
    return this.done;
  }

  /** Off for transactions the store commits itself (compaction), which never go through commit()'s settling. */
  spillable = true;

  get spillAllowed(): boolean {
    return this.spillable && !this.done && !this.committing && this.store.onDisk;
  }

  newSpillRef(): string {
    if (this.spillTag === null) this.spillTag = newSpillTag();
    const ref = `${this.spillTag}/${this.spillRefs.length}`;
    this.spillRefs.push(ref);
    return ref;
  }

  trackSpill(work: Promise<void>): void {
    const p: Promise<void> = work.catch(() => undefined).finally(() => this.spillWrites.delete(p));
    this.spillWrites.add(p);
  }

  private async settleSpills(): Promise<void> {
    while (this.spillWrites.size > 0) await Promise.all([...this.spillWrites]);
  }

  backlog(): Promise<void> | null {
    if (this.spillWrites.size < MAX_SPILLS_IN_FLIGHT) return null;
    // Instead of waiting idle, this thread encodes what the worker has not started yet.
    stealQueuedChunks();
    return Promise.race([...this.spillWrites]);
  }

  /** Deletes of the spilled groups the commit does not name (rolled back to a savepoint, rebased, dropped). */
  unusedSpillDeletes(entries: [string, Buffer | null][]): void {
    if (this.spillRefs.length === 0) return;
    const named = new Set<string>();
    for (const [id, tt] of this.changed) if (this.catalog.tables.has(id)) for (const sp of tt.spilled.values()) named.add(sp.ref);
    for (const ref of this.spillRefs) if (!named.has(ref)) for (const k of this.store.spillKeysOf(ref)) entries.push([k, null]);
  }

  constructor(
    readonly store: TableStore,
    committed: CatalogState,
  ) {
    this.base = committed;
    // Copy-on-write: the maps are copied now, table states when first written.
    this.catalog = { nextOid: committed.nextOid, version: committed.version, tables: new Map(committed.tables), views: committed.views, sequences: committed.sequences };
  }

  /**
   * The catalog's views and sequences, to change: copied first while they are still the committed
   * state's (a transaction shares them until it changes one; most never do, and each statement's
   * rebase copied both maps).
   */
  private names(): { views: Map<number, ViewDef>; sequences: Map<number, SequenceDef> } {
    if (this.catalog.views === this.base.views) this.catalog.views = new Map(this.catalog.views);
    if (this.catalog.sequences === this.base.sequences) this.catalog.sequences = new Map(this.catalog.sequences);
    return this.catalog;
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
    this.fresh(tableId);
    const tt = this.changed.get(tableId);
    if (tt !== undefined) return tt.snapshot();
    const t = this.catalog.tables.get(tableId);
    if (t === undefined) throw new Error(`table ${tableId} does not exist`);
    return new Snapshot(t.def, t.groups, this.store, null, t.generation, null, this.base.version ?? 0);
  }

  append(tableId: number, columns: Vector[]): RowId {
    this.fresh(tableId);
    const tt = this.writable(tableId);
    const def = this.catalog.tables.get(tableId)!.def;
    const keys = this.keysFor(tt, def);
    if (keys !== null) {
      for (const k of keys.values()) for (const c of k.key.columns) ensureStrings(columns[c]);
      // Check every key before adding any, so a failed statement leaves no half-added keys.
      for (const k of keys.values()) k.check(columns);
      const first = this.nextRowId(tt);
      for (const k of keys.values()) k.addChecked(first);
    }
    return tt.append(columns);
  }

  /** RowIds the next append will assign (so keys can be checked before rows are placed). */
  private nextRowId(tt: TxnTable): RowId {
    const groups = tt.state().groups;
    let g = groups.length - 1;
    let used = g >= 0 ? groups[g].rowCount : ROW_GROUP_ROWS;
    if (used >= ROW_GROUP_ROWS) {
      g++;
      used = 0;
    }
    // Appends fill the tail group then continue in new groups, so ids are contiguous from here.
    return g * ROW_GROUP_ROWS + used;
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
    tt.keys = new Map(keys.map((k) => [k.name, new PendingKeys(def, k, snap !== null ? buildKeyIndex(snap, def, k) : this.store.pkIndex(tt.tableId, k), this.keyRows(tt), snap !== null)]));
    return tt.keys;
  }

  delete(tableId: number, rowIds: ArrayLike<RowId>): void {
    this.fresh(tableId);
    const tt = this.writable(tableId);
    const keys = this.keysFor(tt, this.catalog.tables.get(tableId)!.def);
    tt.delete(rowIds);
    if (keys !== null) for (const k of keys.values()) k.removeRows(rowIds);
  }

  findKey(tableId: number, keyName: string, columns: Vector[], row: number): RowId {
    this.fresh(tableId);
    const tt = this.writable(tableId);
    const def = this.catalog.tables.get(tableId)!.def;
    const pending = this.keysFor(tt, def)?.get(keyName);
    if (pending === undefined) throw new Error(`no unique key ${keyName} on table ${def.name}`);
    return pending.lookup(columns, row);
  }

  readRow(tableId: number, rowId: RowId): Vector[] {
    this.fresh(tableId);
    const width = this.catalog.tables.get(tableId)!.def.columns.length;
    const row: Vector[] = [];
    for (let c = 0; c < width; c++) {
      const [v, at] = this.cellOf(tableId, rowId, c);
      row.push(sliceVector(v, at, at + 1));
    }
    return row;
  }

  /** The vector holding `column` of a row as this transaction sees it, and the row's position in it. */
  private cellOf(tableId: number, rowId: RowId, column: number): [Vector, number] {
    const state = this.catalog.tables.get(tableId)!;
    const g = Math.floor(rowId / ROW_GROUP_ROWS);
    const off = rowId - g * ROW_GROUP_ROWS;
    const tt = this.changed.get(tableId);
    const base = tt === undefined ? state.groups[g].rowCount : tt.baseRows.get(g) ?? state.groups[g].rowCount;
    if (off < base) return [this.store.readChunk(state.def, column, g, base), off];
    if (tt!.spilled.has(g)) return [tt!.spilledColumn(g, column), off - base];
    let at = base;
    for (const part of tt!.parts.get(g) ?? []) {
      const n = part[0]?.length ?? 0;
      if (off < at + n) {
        ensureStrings(part[column]);
        return [part[column], off - at];
      }
      at += n;
    }
    throw new Error(`row ${rowId} of table ${tableId} does not exist`);
  }

  /** Liveness and values of the table's rows as this transaction sees them (for key checks). */
  private keyRows(tt: TxnTable): KeyRows {
    return {
      live: (rowId) => {
        const groups = tt.state().groups;
        const g = Math.floor(rowId / ROW_GROUP_ROWS);
        const off = rowId - g * ROW_GROUP_ROWS;
        if (g >= groups.length || off >= groups[g].rowCount) return false;
        // The table's changes as they are now (a savepoint's rollback replaces them; these key sets are kept).
        return !(this.changed.get(tt.tableId) ?? tt).isDeleted(g, off);
      },
      cell: (rowId, column) => this.cellOf(tt.tableId, rowId, column),
    };
  }

  alterTable(tableId: number, def: TableDef, rewrite: ((columns: Vector[], length: number) => Vector[]) | null): void {
    runSteps(this.alterTableSteps(tableId, def, rewrite));
  }

  alterKeys(tableId: number, def: TableDef): Promise<void> {
    return runStepsYielding(this.alterTableSteps(tableId, def, null));
  }

  /** alterTable's work; the validation of new unique keys yields between slices (see event-loop-slices.ts). */
  private *alterTableSteps(tableId: number, def: TableDef, rewrite: ((columns: Vector[], length: number) => Vector[]) | null): Steps<void> {
    this.fresh(tableId);
    const tt = this.writable(tableId);
    tt.structural = true;
    const state = this.catalog.tables.get(tableId)!;
    const oldKeys = new Map(uniqueKeysOf(state.def).map((k) => [k.name, k.columns.join(',')]));
    if (rewrite !== null) {
      const snap = tt.snapshot();
      const batches: Vector[][] = [];
      for (const b of liveRowGroups(snap, state.def.columns.length)) batches.push(rewrite(b.columns, b.length));
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
    const keys = new Map<string, PendingKeys>();
    for (const k of uniqueKeysOf(def)) {
      const fresh = oldKeys.get(k.name) !== k.columns.join(',');
      const index = yield* keyIndexSteps(snap, def, k, fresh, k.columns.every((c) => notNull.has(c)) && k.name === def.primaryKeyName);
      keys.set(k.name, new PendingKeys(def, k, index, this.keyRows(tt), true));
    }
    tt.keys = keys;
    tt.pkChanged = true;
  }

  allocateOid(): number {
    return this.takeOid();
  }

  createSequence(def: Omit<SequenceDef, 'id'>): SequenceDef {
    const full: SequenceDef = { ...def, id: this.takeOid() };
    this.names().sequences.set(full.id, full);
    this.sequenceChanges.set(full.id, full);
    this.store.sequences.reset(full);
    this.createdSequences.push(full.id);
    return full;
  }

  dropSequence(sequenceId: number): void {
    this.names().sequences.delete(sequenceId);
    this.sequenceChanges.set(sequenceId, null);
    this.droppedSequences.push(sequenceId);
  }

  alterSequence(def: SequenceDef): void {
    this.names().sequences.set(def.id, def);
    this.sequenceChanges.set(def.id, def);
  }

  analyze(tableId: number): void {
    this.fresh(tableId);
    this.writable(tableId).analyzed = true;
  }

  truncate(tableId: number): void {
    this.fresh(tableId);
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
    tt.structural = true;
    tt.origin = this.changed.get(tableId)?.origin ?? this.base.tables.get(tableId);
    this.changed.set(tableId, tt);
  }

  createTable(def: Omit<TableDef, 'id'>): TableDef {
    const full: TableDef = { ...def, id: this.takeOid() };
    this.catalog.tables.set(full.id, { def: full, groups: [] });
    const tt = new TxnTable(this, full.id, undefined);
    tt.structural = true;
    this.changed.set(full.id, tt);
    return full;
  }

  dropTable(tableId: number): void {
    this.fresh(tableId);
    this.catalog.tables.delete(tableId);
    this.changed.delete(tableId);
    this.dropped.push(tableId);
  }

  createView(def: Omit<ViewDef, 'id'>): ViewDef {
    const full: ViewDef = { ...def, id: this.takeOid() };
    this.names().views.set(full.id, full);
    this.viewChanges.set(full.id, full);
    return full;
  }

  dropView(viewId: number): void {
    this.names().views.delete(viewId);
    this.viewChanges.set(viewId, null);
  }

  alterView(def: ViewDef): void {
    this.names().views.set(def.id, def);
    this.viewChanges.set(def.id, def);
  }

  async setPrimaryKey(tableId: number, columns: number[], constraintName: string): Promise<void> {
    this.fresh(tableId);
    const tt = this.writable(tableId);
    tt.structural = true;
    const state = this.catalog.tables.get(tableId)!;
    const def: TableDef = {
      ...state.def,
      columns: state.def.columns.map((c, i) => (columns.includes(i) ? { ...c, notNull: true } : c)),
      primaryKey: columns,
      primaryKeyName: constraintName,
      primaryKeyOid: this.takeOid(),
      primaryKeyIndexOid: this.takeOid(),
    };
    // Validates uniqueness and NOT NULL over the rows as this transaction sees them. On a big table
    // that reads and hashes every key (~1.5 s for 6M rows): the event loop turns between slices.
    // Nothing changes the transaction meanwhile (its session waits for this statement), nor the
    // rows of its snapshot.
    const snap = tt.snapshot();
    const keys = new Map<string, PendingKeys>();
    for (const k of uniqueKeysOf(def)) keys.set(k.name, new PendingKeys(def, k, await buildKeyIndexYielding(snap, def, k, k.name === constraintName, k.name === constraintName), this.keyRows(tt), true));
    this.catalog.tables.set(tableId, { def, groups: state.groups, generation: state.generation });
    tt.pkChanged = true;
    tt.keys = keys;
  }

  async commit(hooks?: CommitHooks): Promise<void> {
    if (this.done) throw new Error('transaction already finished');
    // Spilled groups are durable before the commit that names them is written.
    if (this.spillRefs.length > 0) {
      for (const tt of this.changed.values()) tt.encodeRest();
      stealQueuedChunks();
    }
    await this.settleSpills();
    this.done = true;
    this.committing = true;
    // Its views of own groups are not read any more: the scratches behind them go back to the store,
    // and the commit materializes what it needs afresh.
    this.store.ownRowsScratch.release(this);
    for (const tt of this.changed.values()) tt.forgetMaterialized();
    try {
      await this.store.commit(this, hooks);
    } catch (err) {
      if (!this.published) this.store.discardSpills(this.spillRefs, Promise.resolve());
      throw err;
    }
  }

  abort(): void {
    this.done = true;
    this.store.ownRowsScratch.release(this);
    if (!this.published) this.store.discardSpills(this.spillRefs, this.settleSpills());
  }
}
