// The storage layer's contract with the layers above (engine, exec). Implementations live beside
// this file; upper layers name stored data only through TableSnapshot / ChunkId.
import { AccessPattern } from './access-pattern';
import type { KvStore } from './kv-store';

export type { KvStore };
import { TableStatistics } from '../plan/statistics';
import { DataType } from '../types/data-type';
import { Vector } from '../types/vector';

/** Rows per row group; a chunk is one column of one row group. */
export const ROW_GROUP_ROWS = 65536;

/** The unit of storage, buffering, compression, zone maps and (later) cluster mastership. */
export interface ChunkId {
  tableId: number;
  column: number;
  rowGroup: number;
}

/** A row's identity within its table: rowGroup * ROW_GROUP_ROWS + offset. Stable until deleted. */
export type RowId = number;

export interface ColumnDef {
  name: string;
  type: DataType;
  notNull: boolean;
  /** DEFAULT expression as SQL text (re-parsed by the binder), or null. */
  defaultSql: string | null;
  /**
   * GENERATED ALWAYS / BY DEFAULT AS IDENTITY (pg_attribute.attidentity 'a' / 'd'); absent = not an
   * identity column. Its values come from the sequence whose ownedBy names this column.
   */
  identity?: 'always' | 'byDefault';
}

/**
 * A UNIQUE constraint (pg_constraint contype 'u', backed by a unique index of the same name).
 * Rows whose key has a NULL never conflict, as in PostgreSQL.
 */
export interface UniqueConstraintDef {
  name: string;
  /** Attribute indexes (0-based) of the key, in key order. */
  columns: number[];
  /** pg_constraint OID and the OID of the index behind it (absent in catalogs written before they were kept). */
  oid?: number;
  indexOid?: number;
}

/** A CHECK constraint (contype 'c'): rows where the expression is false are rejected (NULL passes). */
export interface CheckConstraintDef {
  name: string;
  /** pg_constraint OID (absent in catalogs written before it was kept). */
  oid?: number;
  /** The expression as SQL text over the table's column names (re-parsed and bound when enforced). */
  sql: string;
}

/**
 * An index made by CREATE [UNIQUE] INDEX (not one backing a constraint). Its entries are derived
 * from the table's rows (sorted entries built at CREATE INDEX and stored in LMDB, see sorted-index.ts); the definition
 * is persisted with the table.
 */
export interface IndexDef {
  /** The index's pg_class OID. */
  id: number;
  name: string;
  /** Attribute indexes (0-based) of the key columns. */
  columns: number[];
  unique: boolean;
}

/** A key that must be unique: the primary key, a UNIQUE constraint or a unique index. */
export interface UniqueKey {
  name: string;
  columns: number[];
}

/** Every key of the table that is enforced unique, primary key first. */
export function uniqueKeysOf(def: TableDef): UniqueKey[] {
  const keys: UniqueKey[] = [];
  if (def.primaryKey !== null) keys.push({ name: def.primaryKeyName ?? `${def.name}_pkey`, columns: def.primaryKey });
  for (const u of def.uniques ?? []) keys.push(u);
  for (const ix of def.indexes ?? []) if (ix.unique) keys.push({ name: ix.name, columns: ix.columns });
  return keys;
}

/**
 * Every index of the table the planner may scan: CREATE INDEX indexes (their OIDs) and the
 * indexes behind the primary key and UNIQUE constraints (ids -1, -2, … in that order; they have
 * no OID of their own in this catalog). TableSnapshot.indexLookup takes these ids.
 */
export function scannableIndexesOf(def: TableDef): { id: number; name: string; columns: number[] }[] {
  const out = (def.indexes ?? []).map((i) => ({ id: i.id, name: i.name, columns: i.columns }));
  const constraints: UniqueKey[] = [];
  if (def.primaryKey !== null) constraints.push({ name: def.primaryKeyName ?? `${def.name}_pkey`, columns: def.primaryKey });
  for (const u of def.uniques ?? []) constraints.push(u);
  constraints.forEach((k, i) => out.push({ id: -(i + 1), name: k.name, columns: k.columns }));
  return out;
}

/**
 * CREATE SEQUENCE (and the sequences behind serial and identity columns). Bounds and steps are
 * decimal strings because int8 sequences reach 2^63-1, beyond a JS number's exact range.
 * The current value is not part of the catalog (it is not transactional): see Storage.sequences.
 */
export interface SequenceDef {
  /** Also the sequence's pg_class OID. */
  id: number;
  schema: string;
  name: string;
  /** int2, int4 or int8 (pg_sequence.seqtypid). */
  type: DataType;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: number;
  cycle: boolean;
  /** OWNED BY table.column (serial and identity columns): dropped with the table or the column. */
  ownedBy: { tableId: number; column: number } | null;
}

/** Non-transactional sequence state (nextval/setval are never rolled back, as in PostgreSQL). */
export interface SequenceAccess {
  /** Advances and returns the next value (2200H past the bounds without CYCLE). */
  next(def: SequenceDef): bigint;
  /** setval: the last value and whether nextval returns the one after it (isCalled) or it itself. */
  set(def: SequenceDef, value: bigint, isCalled: boolean): void;
  /** The current state (last_value, is_called), as SELECT * FROM seq shows. */
  state(def: SequenceDef): { lastValue: bigint; logCount: number; isCalled: boolean };
}

export interface TableDef {
  /** Also the table's pg_class OID. */
  id: number;
  schema: string;
  name: string;
  columns: ColumnDef[];
  /** Attribute indexes of the primary key, or null. */
  primaryKey: number[] | null;
  /** Name of the primary key constraint, e.g. "orders_pkey". */
  primaryKeyName: string | null;
  /** OIDs of the primary key's pg_constraint row and of its index (absent: none, or an older catalog). */
  primaryKeyOid?: number;
  primaryKeyIndexOid?: number;
  /** UNIQUE constraints (absent = none). */
  uniques?: UniqueConstraintDef[];
  /** CHECK constraints (absent = none). */
  checks?: CheckConstraintDef[];
  /** Indexes made by CREATE INDEX (absent = none). */
  indexes?: IndexDef[];
}

export interface ViewDef {
  id: number;
  schema: string;
  name: string;
  /** The view's SELECT as SQL text, re-bound on use. */
  sql: string;
  columnNames: string[];
}

/** An immutable view of one table's rows as of a moment; readers never block writers. */
export interface TableSnapshot {
  readonly def: TableDef;
  /**
   * Which use of the table's chunk keys the snapshot reads: TRUNCATE, rewrites and compactions
   * start another (keys may then be reused or removed). Absent: 0.
   */
  readonly generation?: number;
  readonly rowGroupCount: number;
  /** Rows in the group, deleted ones included. */
  rowCount(rowGroup: number): number;
  /** 1 for rows deleted as of this snapshot; null when none are. */
  deleted(rowGroup: number): Uint8Array | null;
  /**
   * Whether one row is deleted (or past its group's rows) as of this snapshot, without a whole
   * group's bitmap: a transaction's own view may have to make that bitmap (see own-deletions.ts),
   * so point readers ask this instead. Absent: read deleted().
   */
  rowDeleted?(rowId: RowId): boolean;
  /** The column's values for the whole group (length = rowCount), decoded, through the buffer pool. */
  readColumn(rowGroup: number, column: number): Vector;
  /** Live rows (not deleted). */
  readonly liveRowCount: number;
  /** Column statistics as of the last commit that wrote the table (or ANALYZE); null when none were collected. */
  statistics(): TableStatistics | null;
  /**
   * Candidate RowIds (live, ascending) for a range on the first column of a CREATE INDEX index:
   * a superset of the matching rows (the caller still applies its predicate), or null when the
   * index cannot serve this snapshot (then scan the table).
   */
  indexLookup?(indexId: number, range: IndexRange): Float64Array | null;
  /**
   * Where the group's rows stop being committed ones and become this transaction's own inserted
   * rows (whose RowIds other commits may have used meanwhile); absent or Infinity: all committed.
   */
  ownRowsFrom?(rowGroup: number): number;
  /**
   * The column's rows at `offsets` (ascending) of the group, as gatherVector(readColumn(…)) gives
   * them, without assembling the whole column where the snapshot would have to (a transaction's
   * own rows: point lookups read them this way). Absent: gather from readColumn.
   */
  readRows?(rowGroup: number, column: number, offsets: Uint32Array): Vector;
  /**
   * A pinned, counted, prefetching reader of `columns` for one run of a scan; `pattern` is the scan
   * node's access-pattern detector (kept across runs). Absent: read with readColumn.
   */
  openScan?(columns: readonly number[], pattern: AccessPattern | null): ChunkScan;
  /**
   * The key-value store key of the group's stored chunk of `column` (its first rows; delta entries
   * continue it: delta-rows.ts), for a node reading a copy of this store (cluster fragments,
   * kv-chunk-source.ts); null when the snapshot's rows of the group are not all in the store (a
   * transaction's own rows). Absent: no such key (an in-memory or a worker's snapshot).
   */
  storedChunkKey?(rowGroup: number, column: number): string | null;
}

/** Bounds on an index's first column (null = unbounded); numbers for numeric/date/time keys, strings for text. */
export interface IndexRange {
  low: number | string | null;
  lowInclusive: boolean;
  high: number | string | null;
  highInclusive: boolean;
}

/** Every table as committed at one moment (a transaction's snapshot); `version` counts commits. */
export interface StorageSnapshot {
  readonly version: number;
  table(tableId: number): TableSnapshot;
}

/** Run inside commit's short serialized section, after the rebase and before the write. */
export interface CommitHooks {
  /** Throws (e.g. 40001) to refuse the commit; `version` is the last committed version. */
  validate?(version: number): void;
  /** The commit is applied as `version` (called in commit order, as it joins the write that makes it durable). */
  committed?(version: number): void;
  /**
   * The commit is decided: published to new snapshots and queued for its durable write, which
   * commit()'s promise still waits for (see write-pipeline.ts). The engine releases the
   * transaction's row locks here, so a waiter goes on while the write is in flight.
   */
  decided?(): void;
}

/** Counters of the commit queue and its writes (tessera_commit_stats()). */
export interface CommitQueueStats {
  /** Group-commit batches decided, and the commits in them. */
  batches: number;
  commits: number;
  /** Commits that went alone (DDL, TRUNCATE, rewrites, ANALYZE, compaction switches). */
  soloCommits: number;
  /** LMDB writes of the pipeline, the batches they carried, and their total and longest duration. */
  writes: number;
  writtenBatches: number;
  writeMs: number;
  maxWriteMs: number;
  /** Commits acknowledged, and their total time from queueing to acknowledgement. */
  acknowledged: number;
  waitMs: number;
  /** Total time from queueing to decision (the row locks' release) of those commits. */
  decideMs: number;
  /** Reads (statements outside writing transactions) that waited for decided commits to become durable. */
  readWaits: number;
  readWaitMs: number;
}

/** A savepoint's image of a write transaction (opaque). */
export type TxnImage = { readonly __txnImage: true };

/**
 * The writes of one transaction, buffered privately and applied to LMDB atomically and durably by
 * commit(). Transactions run concurrently (optimistic): commit rebases the writes onto the state
 * committed meanwhile, failing with 40001 when another commit deleted or updated the same rows or
 * changed the table's definition, and 23505 when another commit took the same unique key.
 */
export interface WriteTxn {
  /** Commit version of the state the transaction's writes are based on. */
  readonly baseVersion: number;
  /** READ COMMITTED: moves the transaction's own writes onto the latest committed state (40001 on a conflict). */
  refresh(): void;
  /** Whether the row is one this transaction inserted (not a committed row, so never locked). */
  isOwnRow(tableId: number, rowId: RowId): boolean;
  /**
   * Committed rows as this transaction read them, in the table's committed state now: their RowIds
   * there (a compaction since moved them), -1 for a row a commit deleted or updated since; null
   * when the table was dropped, rewritten or compacted twice since.
   */
  rowsNow(tableId: number, rowIds: ArrayLike<RowId>): Float64Array | null;
  /** Tables this transaction wrote or dropped (its write set, at table granularity). */
  writtenTables(): number[];
  savepoint(): TxnImage;
  rollbackTo(image: TxnImage): void;
  /** The table as this transaction sees it: committed rows plus its own changes. */
  table(tableId: number): TableSnapshot;
  /** Appends rows (one vector per table column, equal lengths); checks primary-key uniqueness (23505). Returns the first new RowId. */
  append(tableId: number, columns: Vector[]): RowId;
  /** Marks rows deleted. */
  delete(tableId: number, rowIds: ArrayLike<RowId>): void;
  /** ANALYZE: the table's statistics are rebuilt from its live rows when the transaction commits. */
  analyze(tableId: number): void;
  /** Removes every row (TRUNCATE); the table and its definition stay. */
  truncate(tableId: number): void;
  createTable(def: Omit<TableDef, 'id'>): TableDef;
  dropTable(tableId: number): void;
  createView(def: Omit<ViewDef, 'id'>): ViewDef;
  dropView(viewId: number): void;
  /** Replaces a view's definition in place (same OID), e.g. its SQL after a table or column rename. */
  alterView(def: ViewDef): void;
  /**
   * ALTER TABLE … ADD PRIMARY KEY: validates that the existing rows are unique (23505 otherwise,
   * worded as PostgreSQL: 'could not create unique index "t_pkey"' with detail 'Key (a)=(1) is duplicated.')
   * and not NULL, then records the key in the table's definition. The event loop turns while the
   * key index of a big table is built (see event-loop-slices.ts).
   */
  setPrimaryKey(tableId: number, columns: number[], constraintName: string): Promise<void>;
  /**
   * ALTER TABLE / CREATE INDEX: replaces the table's definition. With `rewrite`, every live row is
   * passed through it (one call per row group, the group's live rows as one vector per old column;
   * it returns one vector per new column) and the table is rewritten (RowIds change). Unique keys
   * that are new or changed are validated over the rows ('could not create unique index', 23505).
   */
  alterTable(tableId: number, def: TableDef, rewrite: ((columns: Vector[], length: number) => Vector[]) | null): void;
  /**
   * alterTable(tableId, def, null) for a definition that may add unique keys (ADD UNIQUE, CREATE
   * UNIQUE INDEX): the event loop turns while their indexes are built and validated over a big table.
   */
  alterKeys(tableId: number, def: TableDef): Promise<void>;
  /**
   * The live row holding `key` (values of the unique key's columns at row `row` of `columns`, a
   * batch laid out as the table) as this transaction sees it, or -1; for INSERT … ON CONFLICT.
   */
  findKey(tableId: number, keyName: string, columns: Vector[], row: number): RowId;
  /** One row as this transaction sees it (one single-row vector per column), without materializing its group. */
  readRow(tableId: number, rowId: RowId): Vector[];
  /** A fresh OID (for an index's pg_class row). */
  allocateOid(): number;
  createSequence(def: Omit<SequenceDef, 'id'>): SequenceDef;
  dropSequence(sequenceId: number): void;
  /** Replaces a sequence's definition (ALTER SEQUENCE, or OWNED BY fixed up by ALTER TABLE). */
  alterSequence(def: SequenceDef): void;
  /** True when commit removes or rewrites stored chunks (TRUNCATE, DROP TABLE, ALTER TABLE rewrites). */
  readonly rewritesChunks: boolean;
  /** Makes everything durable (fsync'd unless synchronous_commit is off) and visible to new snapshots. */
  commit(hooks?: CommitHooks): Promise<void>;
  abort(): void;
  /**
   * While too many of the transaction's full row groups are still being encoded and written out
   * of memory (spilled before commit), a promise that settles when one is done; otherwise null.
   * A bulk load waits on it, so its memory stays bounded when parsing outpaces encoding.
   */
  backlog?(): Promise<void> | null;
}

export interface CatalogView {
  tables(): TableDef[];
  views(): ViewDef[];
  findTable(schema: string, name: string): TableDef | undefined;
  findView(schema: string, name: string): ViewDef | undefined;
  sequences(): SequenceDef[];
  findSequence(schema: string, name: string): SequenceDef | undefined;
}

export interface BufferPoolStats {
  /** The replacement policy: lirs, arc or lru. */
  policy: string;
  hits: number;
  misses: number;
  evictions: number;
  residentBytes: number;
  residentChunks: number;
  capacityBytes: number;
  /** Chunks pinned now by running scans. */
  pinnedChunks: number;
  /** Chunks read ahead by the prefetcher, those a scan then used, and those evicted or left unused. */
  prefetched: number;
  prefetchHits: number;
  prefetchWasted: number;
}

/**
 * Where decoded chunks are cached (the buffer pool, which sits above storage and is handed in).
 * Keys are ChunkIds packed into numbers by storage.
 */
export interface ChunkCache {
  get(key: number): Vector | undefined;
  /** Resident now? (no counting, no recency change) */
  has(key: number): boolean;
  put(key: number, value: Vector, bytes: number): void;
  /** A chunk read ahead of its scan. */
  putPrefetched(key: number, value: Vector, bytes: number): void;
  /** A read-ahead chunk its scan ended without using. */
  abandonPrefetched(key: number): void;
  invalidate(key: number): void;
  /** A pinned chunk is never evicted; pins nest. */
  pin(key: number): void;
  unpin(key: number): void;
  stats(): BufferPoolStats;
}

/** Buffer traffic of one scan (EXPLAIN ANALYZE's "Buffers: shared hit=… read=…"). */
export interface ScanBufferCounts {
  hits: number;
  /** Chunks read from LMDB and decoded by the scan itself (misses). */
  reads: number;
  /** Hits on chunks the prefetcher had read ahead for this scan. */
  prefetchHits: number;
}

/**
 * A scan's reader of whole row groups: pins the chunks of the group being read until the next
 * group (or close), counts hits and reads, and reads ahead the groups its access pattern predicts.
 */
export interface ChunkScan {
  /** The group's chunks of the scan's columns (in the order given to openScan). */
  load(group: number): Vector[];
  /** Unpins, and gives up read-ahead chunks not used. Idempotent. */
  close(): void;
  readonly counts: ScanBufferCounts;
}

export interface StorageOptions {
  /** Data directory, or null for a purely in-memory database (no files). */
  dir: string | null;
  cache: ChunkCache;
  /** When false, commit returns before the data is flushed (synchronous_commit = off). */
  synchronousCommit: boolean;
  /** A key-value store to use instead of one on `dir` (tests: writes that can be held back or failed). */
  kv?: KvStore;
  /**
   * `kv` is a copy another node writes (a cluster follower's standby): nothing is written at open,
   * TableStore.refreshCommitted publishes the copy's changes, and rows removed under a reader fail
   * it with a conflict with recovery (40001).
   */
  readOnlyCopy?: boolean;
}

/** Bytes on disk of one table column (all its committed chunks), for tessera_storage_stats(). */
export interface ColumnStorageStats {
  schema: string;
  table: string;
  column: string;
  /** Encodings of the column's chunks, most used first, with chunk counts when they differ. */
  encodings: string;
  chunks: number;
  /** Rows stored (deleted ones included, as they still take space). */
  rows: number;
  /** Plain size of the values: rows × value width, or the strings' UTF-8 bytes (NULLs excluded). */
  uncompressedBytes: number;
  /** Bytes of the encoded chunks (headers and checksums included). */
  storedBytes: number;
}

/** A small key-value space beside the tables (the learned optimizer keeps its model and samples there). */
export interface AuxStore {
  get(key: string): Buffer | undefined;
  /** Atomically applies puts (Buffer) and deletes (null). */
  write(entries: [string, Buffer | null][]): Promise<void>;
}

export interface Storage {
  /** The committed catalog as of now. */
  catalog(): CatalogView;
  /**
   * A copy's store (StorageOptions.readOnlyCopy): brings in what a statement reading `columns` (per
   * table id) needs first; null: nothing to wait for. With `fetchLimit`, refuses (53T01) when that
   * means fetching more bytes from other nodes (KvStore.prefetch).
   */
  prepareRead?(columns: ReadonlyMap<number, readonly number[]>, snapshot: StorageSnapshot | null, fetchLimit?: number): Promise<void> | null;
  /** A copy's store: publishes what the node that writes it wrote under `keys` (see TableStore). */
  refreshCommitted?(keys: Iterable<string>): void;
  /** Snapshot of the committed table now. */
  snapshot(tableId: number): TableSnapshot;
  /** The generation of the table's chunk keys as committed now (TableSnapshot.generation); undefined: no such table. */
  tableGeneration?(tableId: number): number | undefined;
  /**
   * Every table as committed now: one consistent moment for a statement that may pause (tables are
   * looked up when first read, but always as of this call).
   */
  snapshotAll(): (tableId: number) => TableSnapshot;
  /** Every table as committed now, with its commit version (a REPEATABLE READ transaction's snapshot). */
  snapshotState(): StorageSnapshot;
  /** The last committed version. */
  readonly version: number;
  /** A write transaction based on `base` (default: the latest committed state). */
  begin(base?: StorageSnapshot): WriteTxn;
  /**
   * Garbage-collects the table's dead row versions when at least half its rows (and `minDead`)
   * are dead, by copying its live rows into new row groups while writers go on (see
   * storage/compaction.ts): returns old RowId → new RowId (-1: gone) and the commit version of the
   * switch, or null. `ready` is asked before the copy and again at the switch (the open
   * transactions' writes to the table can be moved); `moved` is called as the new state is
   * published (row locks must follow their rows at once). The previous generation stays readable
   * by older snapshots until dropRetired.
   */
  compact(tableId: number, minDead: number, hooks: { ready(): boolean; moved(ids: Float64Array): void }): Promise<{ ids: Float64Array; version: number } | null>;
  /** Whether `txn`'s writes to the table keep a compaction of it from switching now. */
  writerBlocksCompaction(txn: WriteTxn, tableId: number): boolean;
  /** Removes the chunks of the generation a compaction replaced (no statement or snapshot older than it is left). */
  dropRetired(tableId: number, version: number): Promise<void>;
  /** The catalog as a write transaction sees it (its own DDL included). */
  catalogIn(txn: WriteTxn): CatalogView;
  bufferStats(): BufferPoolStats;
  /** Committed bytes per table column, read from the chunks' headers (no decoding). */
  storageStats(): ColumnStorageStats[];
  /**
   * Null when commit `version` is durable; else a promise that settles once it is (rejecting if the
   * store failed). Commits are visible once decided, before they are durable: a statement that is
   * not part of a transaction that has written waits on this before its result is returned.
   */
  durableAt(version: number): Promise<void> | null;
  /** The commit queue's counters (tessera_commit_stats()). */
  commitQueueStats(): CommitQueueStats;
  /** Sequence values: shared by all sessions, persisted, never rolled back. */
  readonly sequences: SequenceAccess;
  readonly aux: AuxStore;
  close(): Promise<void>;
}
