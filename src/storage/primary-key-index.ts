// Uniqueness of primary keys, UNIQUE constraints and unique indexes: an in-memory hash index per
// (table, key) (key text → RowId), built from the committed rows on first use and maintained on
// commit; a transaction checks its new keys against it plus its own pending keys.
import { SqlError, SqlState } from '../types/sql-error';
import { Vector } from '../types/vector';
import { DEFAULT_FORMAT, formatCell } from '../types/text-format';
import { RowId, TableDef, TableSnapshot, UniqueKey } from './api';

export interface PrimaryKeyIndex {
  byKey: Map<string, RowId>;
  keyOfRow: Map<RowId, string>;
}

/** Key text of row i; null when a key column is NULL (a NOT NULL error is raised above storage). */
export function keyText(columns: Vector[], pk: number[], i: number): string | null {
  let key = '';
  for (let k = 0; k < pk.length; k++) {
    const cell = formatCell(columns[pk[k]], i, DEFAULT_FORMAT);
    if (cell === null) return null;
    key += (k > 0 ? '\u0000' : '') + cell;
  }
  return key;
}

function detailOf(def: TableDef, columns: number[], key: string, verb: string): string {
  const names = columns.map((c) => def.columns[c].name).join(', ');
  return `Key (${names})=(${key.split('\u0000').join(', ')}) ${verb}.`;
}

/**
 * Builds the index of `key` over a snapshot. With `validating` (a key added to existing rows)
 * duplicates are errors, and so are NULLs when `notNull` (primary keys).
 */
export function buildKeyIndex(snapshot: TableSnapshot, def: TableDef, key: UniqueKey, validating = false, notNull = false): PrimaryKeyIndex {
  const index: PrimaryKeyIndex = { byKey: new Map(), keyOfRow: new Map() };
  const pk = key.columns;
  for (let g = 0; g < snapshot.rowGroupCount; g++) {
    const n = snapshot.rowCount(g);
    const deleted = snapshot.deleted(g);
    const cols: Vector[] = [];
    for (const c of pk) cols[c] = snapshot.readColumn(g, c);
    for (let i = 0; i < n; i++) {
      if (deleted !== null && deleted[i] === 1) continue;
      const text = keyText(cols, pk, i);
      if (text === null) {
        if (!validating || !notNull) continue;
        const col = pk.find((c) => cols[c].nulls !== null && cols[c].nulls![i] === 1)!;
        throw new SqlError(SqlState.notNullViolation, `column "${def.columns[col].name}" of relation "${def.name}" contains null values`, { table: def.name, column: def.columns[col].name });
      }
      if (validating && index.byKey.has(text))
        throw new SqlError(SqlState.uniqueViolation, `could not create unique index "${key.name}"`, { detail: detailOf(def, pk, text, 'is duplicated'), table: def.name, constraint: key.name, schema: def.schema });
      const rowId = g * 65536 + i;
      index.byKey.set(text, rowId);
      index.keyOfRow.set(rowId, text);
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
    readonly key: UniqueKey,
    private readonly committed: PrimaryKeyIndex,
  ) {}

  /** An independent copy (a savepoint's image of the transaction). */
  clone(): PendingKeys {
    const c = new PendingKeys(this.def, this.key, this.committed);
    for (const [k, v] of this.added) c.added.set(k, v);
    for (const [k, v] of this.addedByRow) c.addedByRow.set(k, v);
    for (const r of this.removed) c.removed.add(r);
    return c;
  }

  /** The live row with this key text as the transaction sees it, or -1. */
  lookup(text: string): RowId {
    const own = this.added.get(text);
    if (own !== undefined) return own;
    const c = this.committed.byKey.get(text);
    return c !== undefined && !this.removed.has(c) ? c : -1;
  }

  /** Throws 23505 when a row of the batch would duplicate a live key; adds nothing then. */
  check(columns: Vector[]): void {
    const pk = this.key.columns;
    const n = columns[0]?.length ?? 0;
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const text = keyText(columns, pk, i);
      if (text === null) continue;
      if (seen.has(text) || this.lookup(text) !== -1) throw this.violation(text);
      seen.add(text);
    }
  }

  private violation(text: string): SqlError {
    return new SqlError(SqlState.uniqueViolation, `duplicate key value violates unique constraint "${this.key.name}"`, {
      detail: detailOf(this.def, this.key.columns, text, 'already exists'),
      table: this.def.name,
      constraint: this.key.name,
      schema: this.def.schema,
    });
  }

  checkAndAdd(columns: Vector[], rowIdOf: (i: number) => RowId): void {
    const pk = this.key.columns;
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
        throw this.violation(key);
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
