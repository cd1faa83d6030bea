// Storage-level test helpers: a table store on a directory (or in memory) with a small buffer
// pool, and the live rows of a table as its latest committed snapshot holds them.
import { openStorage, Storage, TableDef } from '../../src/storage';
import { BufferPool, makePolicy } from '../../src/buffer/buffer-pool';
import { Types } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';
import { getScalar } from '../../src/types/vector-ops';

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
