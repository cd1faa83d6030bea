// Reading the committed state of a store that another node writes: a cluster follower's standby
// engine runs over the follower's copy of the leader's store, and after each replicated batch the
// follower applies, the state the standby's statements start from must include it. Reading the
// whole catalog again (every group's deletion bitmap and statistics) would cost per table size; the
// batch names the keys it wrote, so only the groups whose keys changed are read again and every
// other table and group state object is reused as it is (readers compare them by identity: merged
// statistics, sorted indexes' extendedTo).
//
// The catalog is one key per object (catalog-keys.ts), so a batch names the tables, views and
// sequences whose entries it wrote, and only those are parsed again: a refresh costs per object the
// batch changed, not per object in the database. A batch that only deleted rows writes no catalog
// entry at all (the row counts did not change): the groups whose keys it wrote are read again.
//
// The keys (table-store.ts): 'catalog/oid', 'catalog/t/<t>' definitions, 'catalog/r/<t>' row counts
// (with generations, spill refs), 'catalog/v/<view>', 'catalog/s/<seq>' (see catalog-keys.ts; the
// single 'catalog' key of stores written before is read as if split),
// 'c/<t>/<col>/<g>' chunks, 'a/<t>/<g>/<first>' delta rows, 'd/<t>/<g>' deletion bitmaps,
// 'dd/<t>/<g>/<n>' deletion entries, 'st/<t>/<g>' statistics, 'ix/<t>/<col>' sorted indexes,
// 's/<seq>' sequences, 'sp/<ref>/<col>' spilled chunks, 'x/…' auxiliary (the learned model).
import { SequenceDef, TableDef, ViewDef } from './api';
import { OID_KEY, OLD_CATALOG_KEY, SEQUENCE_DEF_PREFIX, TABLE_DEF_PREFIX, TABLE_ROWS_PREFIX, VIEW_PREFIX, objectIdOf, oldCatalogEntries, parseRows, parseSequenceDef, parseTableDef, sequenceDefKey, tableDefKey, tableRowsKey, viewKey } from './catalog-keys';
import { decodeGroupStats } from './column-stats';
import { storedDeletions } from './delta-rows';
import { KvReader } from './kv-store';

/** A group's committed state (table-store.ts's GroupState, repeated here to avoid an import cycle). */
export interface StoredGroup {
  rowCount: number;
  deleted: Uint8Array | null;
  deletedCount: number;
  stats: ReturnType<typeof decodeGroupStats> | null;
  chunkRows?: number;
  spill?: string;
}

export interface StoredTable {
  def: TableDef;
  groups: StoredGroup[];
  generation?: number;
}

export interface StoredCatalog {
  nextOid: number;
  version?: number;
  tables: Map<number, StoredTable>;
  views: Map<number, ViewDef>;
  sequences: Map<number, SequenceDef>;
}

/** The stored JSON each definition was made from: an unchanged one is reused (same object). */
const defSource = new WeakMap<TableDef, string>();

function tableDefOf(text: string, reuse: TableDef | undefined): TableDef {
  if (reuse !== undefined && defSource.get(reuse) === text) return reuse;
  const def = parseTableDef(text);
  defSource.set(def, text);
  return def;
}

/** One group's committed state as stored: its deletions (bitmap and entries) and statistics. */
export function loadGroup(kv: KvReader, tableId: number, g: number, rowCount: number, chunkRows: number | null | undefined, spill: string | null | undefined): StoredGroup {
  let deleted = storedDeletions(kv, tableId, g, rowCount, kv.get(`d/${tableId}/${g}`));
  // The stored bitmap may be shorter than the group: rows appended after its last write are live,
  // and readers take an offset past its end for a deleted one.
  if (deleted !== null && deleted.length < rowCount) {
    const whole = new Uint8Array(rowCount);
    whole.set(deleted);
    deleted = whole;
  }
  let deletedCount = 0;
  if (deleted !== null) for (let i = 0; i < rowCount; i++) deletedCount += deleted[i];
  const s = kv.get(`st/${tableId}/${g}`);
  return {
    rowCount,
    deleted,
    deletedCount,
    stats: s === undefined ? null : decodeGroupStats(s),
    chunkRows: chunkRows === null ? undefined : chunkRows,
    spill: spill === null ? undefined : spill,
  };
}

/**
 * One table as stored (undefined: it does not exist), reusing `before`'s definition unless `defWritten`
 * and its unchanged groups unless `dirty` names them (or they differ); `before` itself when nothing changed.
 */
function readTable(kv: KvReader, id: number, before: StoredTable | undefined, defWritten: boolean, dirty: ChangedKeys | null): StoredTable | undefined {
  let def: TableDef;
  if (before !== undefined && !defWritten) def = before.def;
  else {
    const raw = kv.get(tableDefKey(id));
    if (raw === undefined) return undefined;
    def = tableDefOf(raw.toString(), before?.def);
  }
  const t = parseRows(kv.get(tableRowsKey(id))?.toString());
  const sameGeneration = before !== undefined && (before.generation ?? 0) === (t.generation ?? 0);
  const groups = t.rowCounts.map((rowCount, g) => {
    const chunkRows = t.chunkRows?.[g] ?? undefined;
    const spill = t.spill?.[g] ?? undefined;
    const prev = sameGeneration ? before.groups[g] : undefined;
    if (prev !== undefined && prev.rowCount === rowCount && prev.chunkRows === (chunkRows ?? undefined) && prev.spill === (spill ?? undefined) && !(dirty?.groupChanged(id, g) ?? true)) return prev;
    return loadGroup(kv, id, g, rowCount, chunkRows, spill);
  });
  // Nothing of the table changed: the very same state object (readers compare by identity).
  const same = before !== undefined && def === before.def && sameGeneration && groups.length === before.groups.length && groups.every((g, i) => g === before.groups[i]);
  return same ? before : { def, groups, generation: t.generation };
}

/**
 * The committed state as stored (`old`: states whose unchanged parts are reused, with `dirty` groups
 * read again). A store still holding the old single catalog key is read as if it were split.
 */
export function readCatalog(store: KvReader, old: StoredCatalog | null = null, dirty: ChangedKeys | null = null): StoredCatalog {
  const whole = store.get(OLD_CATALOG_KEY);
  const kv = whole === undefined ? store : withEntries(store, oldCatalogEntries(whole.toString()));
  const state: StoredCatalog = { nextOid: 16384, tables: new Map(), views: new Map(), sequences: new Map() };
  const oid = kv.get(OID_KEY);
  if (oid !== undefined) state.nextOid = (JSON.parse(oid.toString()) as { nextOid: number }).nextOid;
  for (const key of kv.keysWithPrefix(TABLE_DEF_PREFIX)) {
    const id = objectIdOf(key);
    const t = readTable(kv, id, old?.tables.get(id), true, dirty);
    if (t !== undefined) state.tables.set(id, t);
  }
  for (const key of kv.keysWithPrefix(VIEW_PREFIX)) {
    const v = JSON.parse(kv.get(key)!.toString()) as ViewDef;
    state.views.set(v.id, v);
  }
  for (const key of kv.keysWithPrefix(SEQUENCE_DEF_PREFIX)) {
    const q = parseSequenceDef(kv.get(key)!.toString());
    state.sequences.set(q.id, q);
  }
  return state;
}

/** `kv` with `entries` put over it (the old catalog key read as its split entries). */
function withEntries(kv: KvReader, entries: [string, Buffer][]): KvReader {
  const over = new Map(entries);
  return {
    get: (k) => over.get(k) ?? kv.get(k),
    valueLength: (k) => over.get(k)?.length ?? kv.valueLength?.(k),
    keysWithPrefix: (p) => [...new Set([...kv.keysWithPrefix(p), ...[...over.keys()].filter((k) => k.startsWith(p))])].sort(),
    entries: () => kv.entries(),
  };
}

/** A batch's written keys, sorted by what they belong to. */
export class ChangedKeys {
  /** The old single catalog key (a store written before per-object keys, split by its writer's open): everything is read again. */
  wholeCatalog = false;
  /** 'catalog/oid' was written. */
  nextOid = false;
  /** Tables whose catalog entries ('catalog/t/', 'catalog/r/') were written or deleted. */
  readonly catalogTables = new Set<number>();
  /** Of those, the ones whose definition entry was. */
  readonly tableDefs = new Set<number>();
  readonly views: number[] = [];
  /** Sequences whose definition entry ('catalog/s/') was written or deleted. */
  readonly sequenceDefs: number[] = [];
  /** '<table>/<group>' of groups whose deletions, statistics, chunks or delta rows were written. */
  readonly groups = new Set<string>();
  /** Chunks written or deleted: [table, column, group]. */
  readonly chunks: [number, number, number][] = [];
  /** Sorted index entries written: [table, column]. */
  readonly sortedIndexes: [number, number][] = [];
  /** Sequences whose state ('s/') was written. */
  readonly sequences: number[] = [];
  /** Spill refs whose chunks were written or deleted. */
  readonly spills = new Set<string>();
  /** Tables with any group key written. */
  readonly tables = new Set<number>();

  constructor(keys: Iterable<string>) {
    for (const k of keys) this.add(k);
  }

  private add(k: string): void {
    if (k === OLD_CATALOG_KEY) {
      this.wholeCatalog = true;
      return;
    }
    const slash = k.indexOf('/');
    if (slash < 0) return;
    const kind = k.slice(0, slash);
    const parts = k.split('/');
    switch (kind) {
      case 'catalog':
        this.catalogKey(k);
        break;
      case 'c':
        this.chunks.push([Number(parts[1]), Number(parts[2]), Number(parts[3])]);
        this.group(Number(parts[1]), Number(parts[3]));
        break;
      case 'a':
      case 'd':
      case 'dd':
      case 'st':
        this.group(Number(parts[1]), Number(parts[2]));
        break;
      case 'ix':
        this.sortedIndexes.push([Number(parts[1]), Number(parts[2])]);
        break;
      case 's':
        this.sequences.push(Number(parts[1]));
        break;
      case 'sp':
        // 'sp/<tag>/<n>/<column>': the ref is everything before the column.
        this.spills.add(k.slice(3, k.lastIndexOf('/')));
        break;
    }
  }

  private catalogKey(k: string): void {
    if (k === OID_KEY) this.nextOid = true;
    else if (k.startsWith(TABLE_DEF_PREFIX)) {
      this.catalogTables.add(objectIdOf(k));
      this.tableDefs.add(objectIdOf(k));
    } else if (k.startsWith(TABLE_ROWS_PREFIX)) this.catalogTables.add(objectIdOf(k));
    else if (k.startsWith(VIEW_PREFIX)) this.views.push(objectIdOf(k));
    else if (k.startsWith(SEQUENCE_DEF_PREFIX)) this.sequenceDefs.push(objectIdOf(k));
  }

  private group(table: number, group: number): void {
    this.groups.add(`${table}/${group}`);
    this.tables.add(table);
  }

  groupChanged(table: number, group: number): boolean {
    return this.groups.has(`${table}/${group}`);
  }

  /** Whether the batch touched the committed state at all (the learned model's keys do not). */
  get touchesState(): boolean {
    return this.wholeCatalog || this.nextOid || this.catalogTables.size > 0 || this.views.length > 0 || this.sequenceDefs.length > 0 || this.groups.size > 0 || this.sortedIndexes.length > 0 || this.sequences.length > 0 || this.spills.size > 0;
  }

  /** The tables whose state may differ after the batch (all of them when the whole catalog was read again: null). */
  get touchedTables(): Set<number> | null {
    if (this.wholeCatalog) return null;
    if (this.tables.size === 0) return this.catalogTables;
    if (this.catalogTables.size === 0) return this.tables;
    return new Set([...this.catalogTables, ...this.tables]);
  }
}

/**
 * `old` with what `changed` names read again: the entries of the catalog objects the batch wrote or
 * deleted, and the groups whose keys it wrote; every other object is `old`'s (the same one).
 */
export function refreshedCatalog(kv: KvReader, old: StoredCatalog, changed: ChangedKeys): StoredCatalog {
  if (changed.wholeCatalog) return readCatalog(kv, old, changed);
  const next: StoredCatalog = { ...old };
  if (changed.nextOid) {
    const oid = kv.get(OID_KEY);
    if (oid !== undefined) next.nextOid = (JSON.parse(oid.toString()) as { nextOid: number }).nextOid;
  }
  const touched = changed.touchedTables!;
  if (touched.size > 0) {
    next.tables = new Map(old.tables);
    for (const id of touched) {
      const before = old.tables.get(id);
      if (changed.catalogTables.has(id)) {
        const t = readTable(kv, id, before, changed.tableDefs.has(id), changed);
        if (t === undefined) next.tables.delete(id);
        else next.tables.set(id, t);
        continue;
      }
      // Only group keys: the row counts are as they were, the changed groups are read again.
      if (before === undefined) continue;
      const groups = before.groups.map((g, gi) => (changed.groupChanged(id, gi) ? loadGroup(kv, id, gi, g.rowCount, g.chunkRows, g.spill) : g));
      next.tables.set(id, { ...before, groups });
    }
  }
  if (changed.views.length > 0) {
    next.views = new Map(old.views);
    for (const id of changed.views) {
      const raw = kv.get(viewKey(id));
      if (raw === undefined) next.views.delete(id);
      else next.views.set(id, JSON.parse(raw.toString()) as ViewDef);
    }
  }
  if (changed.sequenceDefs.length > 0) {
    next.sequences = new Map(old.sequences);
    for (const id of changed.sequenceDefs) {
      const raw = kv.get(sequenceDefKey(id));
      if (raw === undefined) next.sequences.delete(id);
      else next.sequences.set(id, parseSequenceDef(raw.toString()));
    }
  }
  return next;
}
