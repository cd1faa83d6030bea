// Primary-key uniqueness: an in-memory hash index per table (key text → RowId), built from the
// committed rows on first use and maintained on commit; a transaction checks its new keys against
// it plus its own pending keys. (Persisted indexes arrive with CREATE INDEX.)
import { SqlError, SqlState } from '../types/sql-error';
import { Vector } from '../types/vector';
import { DEFAULT_FORMAT, formatCell } from '../types/text-format';
import { RowId, TableDef, TableSnapshot } from './api';

export interface PrimaryKeyIndex {
  byKey: Map<string, RowId>;
  keyOfRow: Map<RowId, string>;
}

/** Key text of row i; null when a key column is NULL (a NOT NULL error is raised above storage). */
function keyText(columns: Vector[], pk: number[], i: number): string | null {
  let key = '';
  for (let k = 0; k < pk.length; k++) {
    const cell = formatCell(columns[pk[k]], i, DEFAULT_FORMAT);
    if (cell === null) return null;
    key += (k > 0 ? '\u0000' : '') + cell;
  }
  return key;
}

function detailOf(def: TableDef, key: string, verb: string): string {
  const names = def.primaryKey!.map((c) => def.columns[c].name).join(', ');
  return `Key (${names})=(${key.split('\u0000').join(', ')}) ${verb}.`;
}

/** Builds the index over a snapshot; with `validating` (ADD PRIMARY KEY) duplicates and NULLs are errors. */
export function buildPrimaryKeyIndex(snapshot: TableSnapshot, def: TableDef = snapshot.def, validating = false): PrimaryKeyIndex {
  const index: PrimaryKeyIndex = { byKey: new Map(), keyOfRow: new Map() };
  const pk = def.primaryKey;
  if (pk === null) return index;
  for (let g = 0; g < snapshot.rowGroupCount; g++) {
    const n = snapshot.rowCount(g);
    const deleted = snapshot.deleted(g);
    const cols: Vector[] = [];
    for (const c of pk) cols[c] = snapshot.readColumn(g, c);
    for (let i = 0; i < n; i++) {
      if (deleted !== null && deleted[i] === 1) continue;
      const key = keyText(cols, pk, i);
      if (key === null) {
        if (!validating) continue;
        const col = pk.find((c) => cols[c].nulls !== null && cols[c].nulls![i] === 1)!;
        throw new SqlError(SqlState.notNullViolation, `column "${def.columns[col].name}" of relation "${def.name}" contains null values`, { table: def.name, column: def.columns[col].name });
      }
      if (validating && index.byKey.has(key))
        throw new SqlError(SqlState.uniqueViolation, `could not create unique index "${def.primaryKeyName}"`, { detail: detailOf(def, key, 'is duplicated'), table: def.name, constraint: def.primaryKeyName ?? undefined });
      const rowId = g * 65536 + i;
      index.byKey.set(key, rowId);
      index.keyOfRow.set(rowId, key);
    }
  }
  return index;
}

/** A transaction's key changes on one table, checked against the committed index. */
export class PendingKeys {
  private readonly added = new Map<string, RowId>();
  private readonly addedByRow = new Map<RowId, string>();
  private readonly removed = new Set<RowId>();

  constructor(
    private readonly def: TableDef,
    private readonly committed: PrimaryKeyIndex,
  ) {}

  checkAndAdd(columns: Vector[], rowIdOf: (i: number) => RowId): void {
    const pk = this.def.primaryKey!;
    const n = columns[0]?.length ?? 0;
    const fresh: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = keyText(columns, pk, i);
      if (key === null) continue;
      const existing = this.added.get(key) ?? this.committed.byKey.get(key);
      if (existing !== undefined && !this.removed.has(existing)) {
        // Undo this batch's keys: the statement fails as a whole.
        for (const k of fresh) {
          this.addedByRow.delete(this.added.get(k)!);
          this.added.delete(k);
        }
        throw new SqlError(SqlState.uniqueViolation, `duplicate key value violates unique constraint "${this.def.primaryKeyName}"`, {
          detail: detailOf(this.def, key, 'already exists'),
          table: this.def.name,
          constraint: this.def.primaryKeyName ?? undefined,
          schema: this.def.schema,
        });
      }
      const rowId = rowIdOf(i);
      this.added.set(key, rowId);
      this.addedByRow.set(rowId, key);
      fresh.push(key);
    }
  }

  removeRows(rowIds: ArrayLike<RowId>): void {
    for (let i = 0; i < rowIds.length; i++) {
      const id = rowIds[i];
      const key = this.addedByRow.get(id);
      if (key !== undefined) {
        this.addedByRow.delete(id);
        this.added.delete(key);
      } else this.removed.add(id);
    }
  }

  /** After commit: fold the changes into the committed index. */
  applyTo(index: PrimaryKeyIndex | undefined): void {
    if (index === undefined) return;
    for (const id of this.removed) {
      const key = index.keyOfRow.get(id);
      if (key !== undefined) {
        index.keyOfRow.delete(id);
        if (index.byKey.get(key) === id) index.byKey.delete(key);
      }
    }
    for (const [key, id] of this.added) {
      index.byKey.set(key, id);
      index.keyOfRow.set(id, key);
    }
  }
}
