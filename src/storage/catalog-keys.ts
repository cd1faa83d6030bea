// The catalog as stored: one key per object, so that a commit writes only the entries of what it
// changed and a follower's refresh reads only those (a single 'catalog' key holding every table
// was rewritten by every commit and parsed again after every replicated batch: cost per table of
// the database, not per change).
//
// Keys (all under 'catalog/': no other key prefix starts so; chunk keys are 'c/…'):
//   'catalog/oid'        {"nextOid":n}
//   'catalog/t/<table>'  the table's definition (SerializedTableDef): written by DDL only
//   'catalog/r/<table>'  its rows: {"rowCounts":[…], "chunkRows"?, "spill"?, "generation"?}:
//                        written by the commits that change its row groups (small, changes often)
//   'catalog/v/<view>'   a view's definition
//   'catalog/s/<seq>'    a sequence's definition (its values are 's/<seq>', sequence-store.ts)
// A table exists when its 't' key does; its 'r' key is absent while it has no groups.
//
// Stores written before kept everything in one key, 'catalog' (the same objects in one JSON,
// SerializedCatalog): opening such a store splits it into these keys in one write, and a read-only
// copy reads it as if split (oldCatalogEntries).
import { DataType, TypeName, SerializedType, dataType, deserializeType, serializeType } from '../types/data-type';
import { SequenceDef, TableDef, ViewDef } from './api';

export const CATALOG_PREFIX = 'catalog/';
/** The key every store written before per-object keys kept its whole catalog in. */
export const OLD_CATALOG_KEY = 'catalog';
export const OID_KEY = 'catalog/oid';
export const TABLE_DEF_PREFIX = 'catalog/t/';
export const TABLE_ROWS_PREFIX = 'catalog/r/';
export const VIEW_PREFIX = 'catalog/v/';
export const SEQUENCE_DEF_PREFIX = 'catalog/s/';

export function tableDefKey(id: number): string {
  return `${TABLE_DEF_PREFIX}${id}`;
}
export function tableRowsKey(id: number): string {
  return `${TABLE_ROWS_PREFIX}${id}`;
}
export function viewKey(id: number): string {
  return `${VIEW_PREFIX}${id}`;
}
export function sequenceDefKey(id: number): string {
  return `${SEQUENCE_DEF_PREFIX}${id}`;
}

export type SerializedTableDef = Omit<TableDef, 'columns'> & { columns: { name: string; type: SerializedType; notNull: boolean; defaultSql: string | null }[] };
export type SerializedSequenceDef = Omit<SequenceDef, 'type'> & { type: [TypeName, number] };
export interface SerializedRows {
  rowCounts: number[];
  chunkRows?: (number | null)[];
  spill?: (string | null)[];
  generation?: number;
}
/** The old single key's JSON. */
export interface SerializedCatalog {
  nextOid: number;
  tables: ({ def: SerializedTableDef } & SerializedRows)[];
  views: ViewDef[];
  sequences?: SerializedSequenceDef[];
}

/**
 * Definitions turned into JSON once per object (they are replaced, never changed, when altered):
 * stringifying every column's definition again at each commit was most of a commit's own work
 * under pgbench when the catalog was one key.
 */
const jsonOf = new WeakMap<object, string>();
function jsonOnce<T extends object>(o: T, make: (o: T) => unknown): string {
  let s = jsonOf.get(o);
  if (s === undefined) jsonOf.set(o, (s = JSON.stringify(make(o))));
  return s;
}

export function tableDefJson(def: TableDef): string {
  return jsonOnce(def, (d) => ({ ...d, columns: d.columns.map((c) => ({ ...c, type: serializeType(c.type) })) }));
}
export function viewJson(v: ViewDef): string {
  return jsonOnce(v, (x) => x);
}
export function sequenceDefJson(q: SequenceDef): string {
  return jsonOnce(q, (x) => ({ ...x, type: [x.type.name, x.type.typmod] }));
}
export function oidJson(nextOid: number): string {
  return `{"nextOid":${JSON.stringify(nextOid)}}`;
}

/** A table's 'r' entry (SerializedRows) for its groups, without an object per group. */
export function tableRowsJson(groups: readonly { rowCount: number; chunkRows?: number; spill?: string }[], generation: number | undefined): string {
  let s = '{"rowCounts":[';
  let chunkRows = false;
  let spill = false;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    s += g === 0 ? `${group.rowCount}` : `,${group.rowCount}`;
    chunkRows ||= group.chunkRows !== undefined;
    spill ||= group.spill !== undefined;
  }
  s += ']';
  if (chunkRows) s += `,"chunkRows":${JSON.stringify(groups.map((g) => g.chunkRows ?? null))}`;
  if (spill) s += `,"spill":${JSON.stringify(groups.map((g) => g.spill ?? null))}`;
  if (generation !== undefined) s += `,"generation":${JSON.stringify(generation)}`;
  return `${s}}`;
}

export function parseTableDef(text: string): TableDef {
  const raw = JSON.parse(text) as SerializedTableDef;
  return { ...raw, columns: raw.columns.map((c) => ({ ...c, type: deserializeType(c.type) })) };
}
export function parseSequenceDef(text: string): SequenceDef {
  const q = JSON.parse(text) as SerializedSequenceDef;
  return { ...q, type: dataType(q.type[0], q.type[1]) as DataType };
}
export function parseRows(text: string | undefined): SerializedRows {
  return text === undefined ? { rowCounts: [] } : (JSON.parse(text) as SerializedRows);
}

/** The old single key's catalog as the per-object entries that replace it. */
export function oldCatalogEntries(text: string): [string, Buffer][] {
  const s = JSON.parse(text) as SerializedCatalog;
  const out: [string, Buffer][] = [[OID_KEY, Buffer.from(oidJson(s.nextOid))]];
  for (const t of s.tables) {
    out.push([tableDefKey(t.def.id), Buffer.from(JSON.stringify(t.def))]);
    const rows: SerializedRows = { rowCounts: t.rowCounts };
    if (t.chunkRows !== undefined) rows.chunkRows = t.chunkRows;
    if (t.spill !== undefined) rows.spill = t.spill;
    if (t.generation !== undefined) rows.generation = t.generation;
    out.push([tableRowsKey(t.def.id), Buffer.from(JSON.stringify(rows))]);
  }
  for (const v of s.views) out.push([viewKey(v.id), Buffer.from(JSON.stringify(v))]);
  for (const q of s.sequences ?? []) out.push([sequenceDefKey(q.id), Buffer.from(JSON.stringify(q))]);
  return out;
}

/** The id at the end of a catalog object's key ('catalog/t/16384' → 16384). */
export function objectIdOf(key: string): number {
  return Number(key.slice(key.lastIndexOf('/') + 1));
}
