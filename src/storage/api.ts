// The storage layer's contract with the layers above (engine, exec). Implementations live beside
// this file; upper layers name stored data only through TableSnapshot / ChunkId.
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
  readonly rowGroupCount: number;
  /** Rows in the group, deleted ones included. */
  rowCount(rowGroup: number): number;
  /** 1 for rows deleted as of this snapshot; null when none are. */
  deleted(rowGroup: number): Uint8Array | null;
  /** The column's values for the whole group (length = rowCount), decoded, through the buffer pool. */
  readColumn(rowGroup: number, column: number): Vector;
  /** Live rows (not deleted). */
  readonly liveRowCount: number;
  /** Column statistics as of the last commit that wrote the table (or ANALYZE); null when none were collected. */
  statistics(): TableStatistics | null;
}

/**
 * The writes of one transaction, applied to LMDB atomically and durably by commit().
 * The caller holds the database's write lock from the first write until commit/abort.
 */
export interface WriteTxn {
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
  /**
   * ALTER TABLE … ADD PRIMARY KEY: validates that the existing rows are unique (23505 otherwise,
   * worded as PostgreSQL: 'could not create unique index "t_pkey"' with detail 'Key (a)=(1) is duplicated.')
   * and not NULL, then records the key in the table's definition.
   */
  setPrimaryKey(tableId: number, columns: number[], constraintName: string): void;
  /** Makes everything durable (fsync'd unless synchronous_commit is off) and visible to new snapshots. */
  commit(): Promise<void>;
  abort(): void;
}

export interface CatalogView {
  tables(): TableDef[];
  views(): ViewDef[];
  findTable(schema: string, name: string): TableDef | undefined;
  findView(schema: string, name: string): ViewDef | undefined;
}

export interface BufferPoolStats {
  hits: number;
  misses: number;
  evictions: number;
  residentBytes: number;
  capacityBytes: number;
}

/**
 * Where decoded chunks are cached (the buffer pool, which sits above storage and is handed in).
 * Keys are ChunkIds packed into numbers by storage.
 */
export interface ChunkCache {
  get(key: number): Vector | undefined;
  put(key: number, value: Vector, bytes: number): void;
  invalidate(key: number): void;
  stats(): BufferPoolStats;
}

export interface StorageOptions {
  /** Data directory, or null for a purely in-memory database (no files). */
  dir: string | null;
  cache: ChunkCache;
  /** When false, commit returns before the data is flushed (synchronous_commit = off). */
  synchronousCommit: boolean;
}

export interface Storage {
  /** The committed catalog as of now. */
  catalog(): CatalogView;
  /** Snapshot of the committed table now. */
  snapshot(tableId: number): TableSnapshot;
  begin(): WriteTxn;
  /** The catalog as a write transaction sees it (its own DDL included). */
  catalogIn(txn: WriteTxn): CatalogView;
  bufferStats(): BufferPoolStats;
  close(): Promise<void>;
}
