// Storage-level test helpers: a table store on a directory (or in memory) with a small buffer
// pool, and the live rows of a table as its latest committed snapshot holds them.
import { openStorage, Storage, TableDef, TableSnapshot, WriteTxn, ROW_GROUP_ROWS } from '../../src/storage';
import { BufferPool, makePolicy } from '../../src/buffer/buffer-pool';
import { Types } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../src/types/vector-ops';

export function openStore(dir: string | null): Promise<Storage> {
  return openStorage({ dir, synchronousCommit: true, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 24)) });
}

/** Live rows in storage order (a deletion bitmap shorter than its group leaves the rows past it live). */
export function liveRows(storage: Storage, def: TableDef): unknown[][] {
  const snap = storage.snapshot(def.id);
  const out: unknown[][] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const cols = def.columns.map((_, c) => snap.readColumn(g, c));
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if (del === null || del[i] !== 1) out.push(cols.map((c) => getScalar(c, i)));
  }
  return out;
}

/** (id int4 not null, name text). */
export const idNameColumns = [
  { name: 'id', type: Types.int4, notNull: true, defaultSql: null },
  { name: 'name', type: Types.text, notNull: false, defaultSql: null },
];

/** Rows of idNameColumns: the ids, named `v<id>`. */
export function idRows(...keys: number[]): Vector[] {
  return [vectorFromScalars(Types.int4, keys), vectorFromScalars(Types.text, keys.map((k) => `v${k}`))];
}

/** The first column's values of the snapshot's live rows, ascending. */
export function liveIds(snap: TableSnapshot): number[] {
  const ids: number[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const col = snap.readColumn(g, 0);
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if (del === null || del[i] === 0) ids.push(getScalar(col, i) as number);
  }
  return ids.sort((a, b) => a - b);
}

/** The RowId of the live row whose first column is `key`, as the transaction sees it. */
export function rowIdOf(txn: WriteTxn, def: TableDef, key: number): number {
  const snap = txn.table(def.id);
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const col = snap.readColumn(g, 0);
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if ((del === null || del[i] === 0) && getScalar(col, i) === key) return g * ROW_GROUP_ROWS + i;
  }
  throw new Error(`no row ${key}`);
}

/** (id int4 not null, v int8). */
export const idValueColumns = [
  { name: 'id', type: Types.int4, notNull: true, defaultSql: null },
  { name: 'v', type: Types.int8, notNull: false, defaultSql: null },
];

/** Rows of idValueColumns: the ids, and v computed from each. */
export function idValueRows(ids: number[], v: (id: number) => number): Vector[] {
  return [vectorFromScalars(Types.int4, ids), vectorFromScalars(Types.int8, ids.map(v))];
}

/** from, from + 1, …, n numbers. */
export function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** Deletes, in one committed transaction, the live rows whose first column (an int id) passes `test`. */
export async function deleteWhere(s: Storage, def: TableDef, test: (id: number) => boolean): Promise<void> {
  const t = s.begin();
  const snap = t.table(def.id);
  const doomed: number[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const ids = snap.readColumn(g, 0);
    const del = snap.deleted(g);
    for (let i = 0; i < snap.rowCount(g); i++) if ((del === null || del[i] === 0) && test(getScalar(ids, i) as number)) doomed.push(g * ROW_GROUP_ROWS + i);
  }
  t.delete(def.id, doomed);
  await t.commit();
}
