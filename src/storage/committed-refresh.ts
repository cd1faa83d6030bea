// Reading the committed state of a store that another node writes: a cluster follower's standby
// engine runs over the follower's copy of the leader's store, and after each replicated batch the
// follower applies, the state the standby's statements start from must include it. Reading the
// whole catalog again (every group's deletion bitmap and statistics) would cost per table size; the
// batch names the keys it wrote, so only the groups whose keys changed are read again and every
// other table and group state object is reused as it is (readers compare them by identity: merged
// statistics, sorted indexes' extendedTo).
//
// The keys (table-store.ts): 'catalog' (row counts, definitions, generations, spill refs),
// 'c/<t>/<col>/<g>' chunks, 'a/<t>/<g>/<first>' delta rows, 'd/<t>/<g>' deletion bitmaps,
// 'dd/<t>/<g>/<n>' deletion entries, 'st/<t>/<g>' statistics, 'ix/<t>/<col>' sorted indexes,
// 's/<seq>' sequences, 'sp/<ref>/<col>' spilled chunks, 'x/…' auxiliary (the learned model).
import { DataType, TypeName, SerializedType, dataType, deserializeType } from '../types/data-type';
import { SequenceDef, TableDef, ViewDef } from './api';
import { decodeGroupStats } from './column-stats';
import { storedDeletions } from './delta-rows';
import { KvStore } from './kv-store';

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

export interface SerializedCatalog {
  nextOid: number;
  tables: { def: Omit<TableDef, 'columns'> & { columns: { name: string; type: SerializedType; notNull: boolean; defaultSql: string | null }[] }; rowCounts: number[]; chunkRows?: (number | null)[]; spill?: (string | null)[]; generation?: number }[];
  views: ViewDef[];
  sequences?: (Omit<SequenceDef, 'type'> & { type: [TypeName, number] })[];
}

/** The stored JSON each definition was made from: an unchanged one is reused (same object). */
const defSource = new WeakMap<TableDef, string>();

function tableDefOf(raw: SerializedCatalog['tables'][number]['def'], reuse: TableDef | undefined): TableDef {
  const text = JSON.stringify(raw);
  if (reuse !== undefined && defSource.get(reuse) === text) return reuse;
  const def: TableDef = { ...raw, columns: raw.columns.map((c) => ({ ...c, type: deserializeType(c.type) })) };
  defSource.set(def, text);
  return def;
}

/** One group's committed state as stored: its deletions (bitmap and entries) and statistics. */
export function loadGroup(kv: KvStore, tableId: number, g: number, rowCount: number, chunkRows: number | null | undefined, spill: string | null | undefined): StoredGroup {
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

/** The committed state as stored (`old`: states whose unchanged parts are reused, with `dirty` groups read again). */
export function readCatalog(kv: KvStore, old: StoredCatalog | null = null, dirty: ChangedKeys | null = null): StoredCatalog {
  const raw = kv.get('catalog');
  const state: StoredCatalog = { nextOid: 16384, tables: new Map(), views: new Map(), sequences: new Map() };
  if (raw === undefined) return state;
  const s = JSON.parse(raw.toString()) as SerializedCatalog;
  state.nextOid = s.nextOid;
  for (const t of s.tables) {
    const before = old?.tables.get(t.def.id);
    const def = tableDefOf(t.def, before?.def);
    const sameGeneration = before !== undefined && (before.generation ?? 0) === (t.generation ?? 0);
    const groups = t.rowCounts.map((rowCount, g) => {
      const chunkRows = t.chunkRows?.[g] ?? undefined;
      const spill = t.spill?.[g] ?? undefined;
      const prev = sameGeneration ? before.groups[g] : undefined;
      if (prev !== undefined && prev.rowCount === rowCount && prev.chunkRows === (chunkRows ?? undefined) && prev.spill === (spill ?? undefined) && !(dirty?.groupChanged(def.id, g) ?? true)) return prev;
      return loadGroup(kv, def.id, g, rowCount, chunkRows, spill);
    });
    // Nothing of the table changed: the very same state object (readers compare by identity).
    const same = before !== undefined && def === before.def && sameGeneration && groups.length === before.groups.length && groups.every((g, i) => g === before.groups[i]);
    state.tables.set(def.id, same ? before : { def, groups, generation: t.generation });
  }
  for (const v of s.views) state.views.set(v.id, v);
  for (const q of s.sequences ?? []) state.sequences.set(q.id, { ...q, type: dataType(q.type[0], q.type[1]) as DataType });
  return state;
}

/** A batch's written keys, sorted by what they belong to. */
export class ChangedKeys {
  catalog = false;
  /** '<table>/<group>' of groups whose deletions, statistics, chunks or delta rows were written. */
  readonly groups = new Set<string>();
  /** Chunks written or deleted: [table, column, group]. */
  readonly chunks: [number, number, number][] = [];
  /** Sorted index entries written: [table, column]. */
  readonly sortedIndexes: [number, number][] = [];
  readonly sequences: number[] = [];
  /** Spill refs whose chunks were written or deleted. */
  readonly spills = new Set<string>();
  /** Tables with any group key written. */
  readonly tables = new Set<number>();

  constructor(keys: Iterable<string>) {
    for (const k of keys) this.add(k);
  }

  private add(k: string): void {
    if (k === 'catalog') {
      this.catalog = true;
      return;
    }
    const slash = k.indexOf('/');
    if (slash < 0) return;
    const kind = k.slice(0, slash);
    const parts = k.split('/');
    switch (kind) {
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

  private group(table: number, group: number): void {
    this.groups.add(`${table}/${group}`);
    this.tables.add(table);
  }

  groupChanged(table: number, group: number): boolean {
    return this.groups.has(`${table}/${group}`);
  }

  /** Whether the batch touched the committed state at all (the learned model's keys do not). */
  get touchesState(): boolean {
    return this.catalog || this.groups.size > 0 || this.sortedIndexes.length > 0 || this.sequences.length > 0 || this.spills.size > 0;
  }
}

/** `old` with what `changed` names read again: the stored catalog when it was written, else the dirty groups only. */
export function refreshedCatalog(kv: KvStore, old: StoredCatalog, changed: ChangedKeys): StoredCatalog {
  if (changed.catalog) return readCatalog(kv, old, changed);
  const tables = new Map(old.tables);
  for (const id of changed.tables) {
    const t = old.tables.get(id);
    if (t === undefined) continue;
    const groups = t.groups.map((g, gi) => (changed.groupChanged(id, gi) ? loadGroup(kv, id, gi, g.rowCount, g.chunkRows, g.spill) : g));
    tables.set(id, { ...t, groups });
  }
  return { ...old, tables };
}
