// What a commit writes of the catalog (keys: catalog-keys.ts): the entries of the objects it
// changed, found by comparing them with what was last written — a table's definition by identity
// (definitions are replaced when altered, never changed), its rows entry by text (a commit that only
// deleted rows leaves it as it was and writes none), views and sequences by identity. Only the
// objects a transaction names as changed are compared, so a commit costs per object it touched,
// not per object in the database.
import { SequenceDef, TableDef, ViewDef } from './api';
import { OID_KEY, oidJson, sequenceDefJson, sequenceDefKey, tableDefJson, tableDefKey, tableRowsJson, tableRowsKey, viewJson, viewKey } from './catalog-keys';

type Entries = [string, Buffer | null][];

/** The catalog state as far as it is stored (table-store.ts's CatalogState). */
export interface CatalogObjects {
  nextOid: number;
  tables: ReadonlyMap<number, { def: TableDef; groups: readonly { rowCount: number; chunkRows?: number; spill?: string }[]; generation?: number }>;
  views: ReadonlyMap<number, ViewDef>;
  sequences: ReadonlyMap<number, SequenceDef>;
}

/** The objects commits changed (candidates: an object named here may turn out unchanged). */
export class CatalogChanges {
  readonly tables = new Set<number>();
  readonly views = new Set<number>();
  readonly sequences = new Set<number>();

  clear(): void {
    this.tables.clear();
    this.views.clear();
    this.sequences.clear();
  }
}

/** The entries of a catalog change, and what marks them written once they are. */
export interface CatalogDiff {
  entries: Entries;
  written(): void;
}

export class CatalogWriter {
  private nextOid: number;
  private readonly defs = new Map<number, TableDef>();
  private readonly rows = new Map<number, string>();
  private readonly views = new Map<number, ViewDef>();
  private readonly sequences = new Map<number, SequenceDef>();

  /** `stored`: the catalog as the store holds it (as opened). */
  constructor(stored: CatalogObjects) {
    this.nextOid = stored.nextOid;
    for (const [id, t] of stored.tables) {
      this.defs.set(id, t.def);
      this.rows.set(id, tableRowsJson(t.groups, t.generation));
    }
    for (const [id, v] of stored.views) this.views.set(id, v);
    for (const [id, q] of stored.sequences) this.sequences.set(id, q);
  }

  /** The entries that bring the stored catalog to `state` for the objects `changed` names; `written()` once they are durable. */
  diff(state: CatalogObjects, changed: CatalogChanges): CatalogDiff {
    const entries: Entries = [];
    const done: (() => void)[] = [];
    if (state.nextOid !== this.nextOid) {
      const n = state.nextOid;
      entries.push([OID_KEY, Buffer.from(oidJson(n))]);
      done.push(() => (this.nextOid = n));
    }
    for (const id of changed.tables) {
      const t = state.tables.get(id);
      if (t === undefined) {
        if (!this.defs.has(id)) continue;
        entries.push([tableDefKey(id), null], [tableRowsKey(id), null]);
        done.push(() => {
          this.defs.delete(id);
          this.rows.delete(id);
        });
        continue;
      }
      if (this.defs.get(id) !== t.def) {
        const def = t.def;
        entries.push([tableDefKey(id), Buffer.from(tableDefJson(def))]);
        done.push(() => this.defs.set(id, def));
      }
      const rows = tableRowsJson(t.groups, t.generation);
      if (this.rows.get(id) !== rows) {
        entries.push([tableRowsKey(id), Buffer.from(rows)]);
        done.push(() => this.rows.set(id, rows));
      }
    }
    this.objects(state.views, this.views, changed.views, viewKey, viewJson, entries, done);
    this.objects(state.sequences, this.sequences, changed.sequences, sequenceDefKey, sequenceDefJson, entries, done);
    return {
      entries,
      written: () => {
        for (const f of done) f();
      },
    };
  }

  private objects<T extends object>(now: ReadonlyMap<number, T>, stored: Map<number, T>, ids: Set<number>, key: (id: number) => string, json: (o: T) => string, entries: Entries, done: (() => void)[]): void {
    for (const id of ids) {
      const o = now.get(id);
      if (o === stored.get(id)) continue;
      entries.push([key(id), o === undefined ? null : Buffer.from(json(o))]);
      done.push(() => (o === undefined ? stored.delete(id) : stored.set(id, o)));
    }
  }
}
