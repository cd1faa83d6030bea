// The engine's catalog seen as PostgreSQL's: namespaces, relations (tables, views, primary-key
// indexes, and the system relations themselves), their columns, defaults and constraints, with
// stable OIDs. Built once per statement, when a statement first touches a system relation or a
// catalog function, and shared by every virtual relation and function of that statement.
import { TableDef, ViewDef } from '../../storage/api';
import { DataType, Types } from '../../types/data-type';
import type { BindContext } from '../bind-context';
import { Oids, FIRST_EXTRA_NAMESPACE, primaryKeyConstraintOid, primaryKeyIndexOid } from './oids';
import { deparseDefault, primaryKeyConstraintDef, primaryKeyIndexDef, quoteIdent } from './deparse';

export interface ModelColumn {
  name: string;
  type: DataType;
  notNull: boolean;
  /** pg_get_expr() text of the default, or null. */
  defaultText: string | null;
  /** pg_attribute.attidentity: 'a' (ALWAYS), 'd' (BY DEFAULT) or '' (absent = ''). */
  identity?: string;
}

export interface ModelRelation {
  oid: number;
  name: string;
  schema: string;
  namespaceOid: number;
  /** pg_class.relkind: r table, v view, i index. */
  kind: 'r' | 'v' | 'i' | 'S';
  columns: ModelColumn[];
  hasIndex: boolean;
  /** The user table, for tables Tessera stores. */
  table?: TableDef;
  view?: ViewDef;
}

export interface ModelIndex {
  oid: number;
  name: string;
  table: ModelRelation;
  /** 1-based attribute numbers. */
  keys: number[];
  primary: boolean;
  /** indisunique (absent = true: primary keys). */
  unique?: boolean;
  definition: string;
  /** pg_get_indexdef(oid, 0, true): the table unqualified when visible. */
  prettyDefinition: string;
}

export interface ModelConstraint {
  oid: number;
  name: string;
  /** p primary key, u unique, c check. */
  type: 'p' | 'u' | 'c';
  table: ModelRelation;
  indexOid: number;
  keys: number[];
  definition: string;
}

export interface ModelNamespace {
  oid: number;
  name: string;
  owner: number;
}

/** A system relation as the model needs it (defined in relations.ts). */
export interface SystemRelationInfo {
  oid: number;
  schema: 'pg_catalog' | 'information_schema';
  name: string;
  kind: 'r' | 'v';
  columns: { name: string; type: DataType }[];
}

export class CatalogModel {
  readonly namespaces: ModelNamespace[] = [
    { oid: Oids.pgCatalog, name: 'pg_catalog', owner: Oids.postgres },
    { oid: Oids.pgToast, name: 'pg_toast', owner: Oids.postgres },
    { oid: Oids.public, name: 'public', owner: Oids.pgDatabaseOwner },
    { oid: Oids.informationSchema, name: 'information_schema', owner: Oids.postgres },
  ];
  readonly relations: ModelRelation[] = [];
  readonly indexes: ModelIndex[] = [];
  readonly constraints: ModelConstraint[] = [];
  readonly roles = [
    { oid: Oids.postgres, name: 'postgres', superuser: true, login: true },
    { oid: Oids.pgDatabaseOwner, name: 'pg_database_owner', superuser: false, login: false },
  ];
  private readonly byOid = new Map<number, ModelRelation>();

  /** The statement's context (each statement sees the shared model through its own; see bind-system.ts). */
  ctx: BindContext;
  private readonly byName = new Map<string, ModelRelation>();

  constructor(
    ctx: BindContext,
    system: SystemRelationInfo[],
    viewColumns: (view: ViewDef) => { name: string; type: DataType }[],
  ) {
    this.ctx = ctx;
    for (const s of system)
      this.addRelation({
        oid: s.oid,
        name: s.name,
        schema: s.schema,
        namespaceOid: this.namespaceOid(s.schema),
        kind: s.kind,
        columns: systemColumns(s),
        hasIndex: false,
      });
    const tables = [...ctx.catalog.tables()].sort((a, b) => a.id - b.id);
    for (const t of tables) {
      const rel = this.addRelation({
        oid: t.id,
        name: t.name,
        schema: t.schema,
        namespaceOid: this.namespaceOid(t.schema),
        kind: 'r',
        columns: t.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull, defaultText: deparseDefault(c), identity: c.identity === 'always' ? 'a' : c.identity === 'byDefault' ? 'd' : '' })),
        hasIndex: t.primaryKey !== null || (t.uniques ?? []).length > 0 || (t.indexes ?? []).length > 0,
        table: t,
      });
      if (t.primaryKey !== null && t.primaryKeyName !== null) {
        const keys = t.primaryKey.map((i) => i + 1);
        const indexOid = primaryKeyIndexOid(t.id);
        const keyColumns = t.primaryKey.map((i) => ({ ...rel.columns[i], notNull: false, defaultText: null }));
        this.addRelation({ oid: indexOid, name: t.primaryKeyName, schema: t.schema, namespaceOid: rel.namespaceOid, kind: 'i', columns: keyColumns, hasIndex: false });
        this.indexes.push({ oid: indexOid, name: t.primaryKeyName, table: rel, keys, primary: true, definition: primaryKeyIndexDef(t, true), prettyDefinition: primaryKeyIndexDef(t, t.schema !== 'public') });
        this.constraints.push({ oid: primaryKeyConstraintOid(t.id), name: t.primaryKeyName, type: 'p', table: rel, indexOid, keys, definition: primaryKeyConstraintDef(t) });
      }
      this.addDdlObjects(t, rel);
    }
    for (const q of [...ctx.catalog.sequences()].sort((a, b) => a.id - b.id))
      this.addRelation({
        oid: q.id,
        name: q.name,
        schema: q.schema,
        namespaceOid: this.namespaceOid(q.schema),
        kind: 'S',
        columns: [
          { name: 'last_value', type: Types.int8, notNull: true, defaultText: null },
          { name: 'log_cnt', type: Types.int8, notNull: true, defaultText: null },
          { name: 'is_called', type: Types.bool, notNull: true, defaultText: null },
        ],
        hasIndex: false,
      });
    for (const v of [...ctx.catalog.views()].sort((a, b) => a.id - b.id))
      this.addRelation({
        oid: v.id,
        name: v.name,
        schema: v.schema,
        namespaceOid: this.namespaceOid(v.schema),
        kind: 'v',
        columns: viewColumns(v).map((c) => ({ name: c.name, type: c.type, notNull: false, defaultText: null })),
        hasIndex: false,
        view: v,
      });
  }

  /**
   * UNIQUE constraints (with their indexes), CREATE INDEX indexes and CHECK constraints of a table
   * (src/storage/api.ts). OIDs come from the catalog; constraints made before it kept them get
   * OIDs derived from the table's.
   */
  private addDdlObjects(t: TableDef, rel: ModelRelation): void {
    const cols = (keys: number[]) => keys.map((i) => quoteIdent(t.columns[i].name)).join(', ');
    const on = (qualified: boolean) => `${qualified ? quoteIdent(t.schema) + '.' : ''}${quoteIdent(t.name)}`;
    const derived = (k: number) => 0x70000000 + ((t.id * 97 + k) % 0x0fffffff);
    const keyColumns = (keys: number[]) => keys.map((i) => ({ ...rel.columns[i], notNull: false, defaultText: null, identity: '' }));
    (t.uniques ?? []).forEach((u, k) => {
      const indexOid = u.indexOid ?? derived(2 * k);
      const keys = u.columns.map((i) => i + 1);
      const def = (q: boolean) => `CREATE UNIQUE INDEX ${quoteIdent(u.name)} ON ${on(q)} USING btree (${cols(u.columns)})`;
      this.addRelation({ oid: indexOid, name: u.name, schema: t.schema, namespaceOid: rel.namespaceOid, kind: 'i', columns: keyColumns(u.columns), hasIndex: false });
      this.indexes.push({ oid: indexOid, name: u.name, table: rel, keys, primary: false, unique: true, definition: def(true), prettyDefinition: def(t.schema !== 'public') });
      this.constraints.push({ oid: u.oid ?? derived(2 * k + 1), name: u.name, type: 'u', table: rel, indexOid, keys, definition: `UNIQUE (${cols(u.columns)})` });
    });
    for (const ix of t.indexes ?? []) {
      const def = (q: boolean) => `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(ix.name)} ON ${on(q)} USING btree (${cols(ix.columns)})`;
      this.addRelation({ oid: ix.id, name: ix.name, schema: t.schema, namespaceOid: rel.namespaceOid, kind: 'i', columns: keyColumns(ix.columns), hasIndex: false });
      this.indexes.push({ oid: ix.id, name: ix.name, table: rel, keys: ix.columns.map((i) => i + 1), primary: false, unique: ix.unique, definition: def(true), prettyDefinition: def(t.schema !== 'public') });
    }
    (t.checks ?? []).forEach((c, k) => {
      // The expression as written (PostgreSQL would print its own deparse of it).
      this.constraints.push({ oid: c.oid ?? derived(1000 + k), name: c.name, type: 'c', table: rel, indexOid: 0, keys: [], definition: `CHECK (${c.sql})` });
    });
  }

  private addRelation(r: ModelRelation): ModelRelation {
    this.relations.push(r);
    this.byOid.set(r.oid, r);
    const key = r.schema + '.' + r.name;
    if (!this.byName.has(key)) this.byName.set(key, r);
    return r;
  }

  relation(oid: number): ModelRelation | undefined {
    return this.byOid.get(oid);
  }

  namespaceOid(schema: string): number {
    let ns = this.namespaces.find((n) => n.name === schema);
    if (ns === undefined) {
      ns = { oid: FIRST_EXTRA_NAMESPACE + this.namespaces.length, name: schema, owner: Oids.postgres };
      this.namespaces.push(ns);
    }
    return ns.oid;
  }

  /** The search path: pg_catalog implicitly first, then public (PostgreSQL's default "$user", public). */
  readonly searchPath = ['pg_catalog', 'public'];

  /** pg_table_is_visible(): the first relation of its name along the search path. */
  isVisible(rel: ModelRelation): boolean {
    if (!this.searchPath.includes(rel.schema)) return false;
    return this.resolveUnqualified(rel.name) === rel;
  }

  resolveUnqualified(name: string): ModelRelation | undefined {
    for (const schema of this.searchPath) {
      const r = this.byName.get(schema + '.' + name);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** 'name' or 'schema.name' (possibly quoted) → relation, for regclass input and to_regclass. */
  lookupRelationName(text: string): ModelRelation | undefined {
    const parts = splitQualified(text);
    if (parts === null) return undefined;
    if (parts.length === 1) return this.resolveUnqualified(parts[0]);
    return this.byName.get(parts[0] + '.' + parts[1]);
  }

  /** regclass output: the name, schema-qualified when not visible. */
  regclassName(rel: ModelRelation): string {
    return this.isVisible(rel) ? quoteIdent(rel.name) : `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`;
  }

  roleName(oid: number): string | undefined {
    return this.roles.find((r) => r.oid === oid)?.name;
  }

  get databaseName(): string {
    return this.ctx.database;
  }
}

/** Splits `a.b` / `"A"."b"` into lower-cased (unless quoted) parts; null when malformed. */
export function splitQualified(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let part = '';
      for (;;) {
        if (j >= s.length) return null;
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            part += '"';
            j += 2;
            continue;
          }
          break;
        }
        part += s[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      parts.push(s.slice(i, j).trim().toLowerCase());
      i = j;
    }
    if (i < s.length) {
      if (s[i] !== '.') return null;
      i++;
    }
  }
  return parts.length >= 1 && parts.length <= 3 ? parts.slice(-2) : null;
}


/** A system relation's columns; as in PostgreSQL's catalogs, fixed-width columns before the first variable-width one are NOT NULL. */
function systemColumns(s: SystemRelationInfo): ModelColumn[] {
  let fixed = s.kind === 'r';
  return s.columns.map((c) => {
    fixed &&= c.type.typlen > 0;
    return { name: c.name, type: c.type, notNull: fixed, defaultText: null };
  });
}
