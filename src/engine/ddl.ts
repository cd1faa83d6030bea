// CREATE/DROP TABLE, VIEW, SEQUENCE and INDEX, ALTER TABLE / SEQUENCE, ANALYZE, applied in the session's
// write transaction (so DDL commits or rolls back with it, as in PostgreSQL).
import { CatalogView, CheckConstraintDef, ColumnDef, IndexDef, SequenceDef, TableDef, UniqueConstraintDef, WriteTxn, uniqueKeysOf } from '../storage/api';
import { SqlError, SqlState } from '../types/sql-error';
import { BoundStatement, SerialColumn } from '../sql/bound-statement';
import { chooseName, usedNames } from '../sql/bind-constraints';
import { ExecuteResult } from './session-api';
import type { EngineSession } from './session';
import { runAlterTable } from './alter-table';

/** Kinds of relation a name can denote (tables, views, sequences and indexes share one namespace). */
export function relationKind(catalog: CatalogView, schema: string, name: string): 'table' | 'view' | 'sequence' | 'index' | null {
  if (catalog.findTable(schema, name) !== undefined) return 'table';
  if (catalog.findView(schema, name) !== undefined) return 'view';
  if (catalog.findSequence(schema, name) !== undefined) return 'sequence';
  if (findIndexOwner(catalog, schema, name) !== undefined) return 'index';
  return null;
}

/** The table owning the index `name` (a CREATE INDEX index, or one backing a primary key / UNIQUE constraint). */
export function findIndexOwner(catalog: CatalogView, schema: string, name: string): { table: TableDef; index: IndexDef | null } | undefined {
  for (const t of catalog.tables()) {
    if (t.schema !== schema) continue;
    const ix = (t.indexes ?? []).find((i) => i.name === name);
    if (ix !== undefined) return { table: t, index: ix };
    if (uniqueKeysOf(t).some((k) => k.name === name)) return { table: t, index: null };
  }
  return undefined;
}

function relationExists(catalog: CatalogView, schema: string, name: string): boolean {
  return relationKind(catalog, schema, name) !== null;
}

/** Creates the sequences of serial / identity columns (owned by their column) and wires the columns to them. */
export function createColumnSequences(txn: WriteTxn, catalog: CatalogView, table: TableDef, serials: SerialColumn[]): TableDef {
  if (serials.length === 0) return table;
  const taken = usedNames(catalog, table.schema);
  const columns: ColumnDef[] = table.columns.slice();
  for (const s of serials) {
    const col = columns[s.column];
    if (s.sequenceName !== undefined && taken.has(s.sequenceName)) throw new SqlError(SqlState.duplicateTable, `relation "${s.sequenceName}" already exists`);
    const name = s.sequenceName ?? chooseName(table.name, [col.name], 'seq', taken);
    taken.add(name);
    txn.createSequence({ schema: table.schema, name, ...s.options, ownedBy: { tableId: table.id, column: s.column } });
    // regclass text as PostgreSQL writes it: quoted when not a plain lower-case name, schema-qualified outside public.
    const ident = (x: string) => (/^[a-z_][a-z0-9_$]*$/.test(x) ? x : `"${x.replace(/"/g, '""')}"`);
    const regclass = (table.schema === 'public' ? ident(name) : `${ident(table.schema)}.${ident(name)}`).replace(/'/g, "''");
    columns[s.column] = s.identity === null ? { ...col, defaultSql: `nextval('${regclass}'::regclass)` } : { ...col, identity: s.identity };
  }
  return { ...table, columns };
}

const WRONG_TYPE_HINT: Record<string, string> = { table: 'TABLE', view: 'VIEW', sequence: 'SEQUENCE', index: 'INDEX' };

export async function runDdl(session: EngineSession, bound: BoundStatement): Promise<ExecuteResult> {
  const txn = await session.writeTxn();
  const catalog = session.catalog();
  switch (bound.kind) {
    case 'createTable': {
      if (relationExists(catalog, bound.schema, bound.name)) {
        if (bound.ifNotExists) {
          session.notice(`relation "${bound.name}" already exists, skipping`, SqlState.duplicateTable);
          return { kind: 'command', command: 'CREATE TABLE' };
        }
        throw new SqlError(SqlState.duplicateTable, `relation "${bound.name}" already exists`);
      }
      const taken = usedNames(catalog, bound.schema);
      taken.add(bound.name);
      const primaryKeyName = bound.primaryKey === null ? null : bound.primaryKeyName ?? chooseName(bound.name, [], 'pkey', taken);
      const uniques: UniqueConstraintDef[] = [];
      const checks: CheckConstraintDef[] = [];
      for (const c of bound.constraints ?? []) {
        if (c.name !== null && taken.has(c.name) && (c.type === 'unique' || uniques.some((u) => u.name === c.name) || checks.some((k) => k.name === c.name)))
          throw new SqlError(c.type === 'unique' ? SqlState.duplicateTable : SqlState.duplicateObject, c.type === 'unique' ? `relation "${c.name}" already exists` : `constraint "${c.name}" for relation "${bound.name}" already exists`);
        const colNames = c.columns.map((i) => bound.columns[i].name);
        if (c.type === 'unique') {
          // A UNIQUE on the primary key's columns (or repeated) is folded away, as PostgreSQL does.
          const key = c.columns.join(',');
          if (bound.primaryKey !== null && bound.primaryKey.join(',') === key) continue;
          if (uniques.some((u) => u.columns.join(',') === key)) continue;
          uniques.push({ name: c.name ?? chooseName(bound.name, colNames, 'key', taken), columns: c.columns, oid: txn.allocateOid(), indexOid: txn.allocateOid() });
        } else checks.push({ name: c.name ?? chooseName(bound.name, colNames.length === 1 ? colNames : [], 'check', taken), sql: c.sql, oid: txn.allocateOid() });
      }
      const def = txn.createTable({
        schema: bound.schema,
        name: bound.name,
        columns: bound.columns,
        primaryKey: bound.primaryKey,
        primaryKeyName,
        ...(bound.primaryKey !== null ? { primaryKeyOid: txn.allocateOid(), primaryKeyIndexOid: txn.allocateOid() } : {}),
        uniques,
        checks,
      });
      const wired = createColumnSequences(txn, session.catalog(), def, bound.serials ?? []);
      if (wired !== def) txn.alterTable(def.id, wired, null);
      return { kind: 'command', command: 'CREATE TABLE' };
    }
    case 'drop':
      return runDrop(session, txn, catalog, bound);
    case 'createView': {
      const existing = catalog.findView(bound.schema, bound.name);
      if (existing !== undefined && bound.orReplace) txn.dropView(existing.id);
      else if (relationExists(catalog, bound.schema, bound.name)) throw new SqlError(SqlState.duplicateTable, `relation "${bound.name}" already exists`);
      txn.createView({ schema: bound.schema, name: bound.name, sql: bound.sql, columnNames: bound.columnNames });
      return { kind: 'command', command: 'CREATE VIEW' };
    }
    case 'truncate':
      for (const t of bound.tables) txn.truncate(t.id);
      // RESTART IDENTITY: the tables' owned sequences start over (serial and identity columns).
      if (bound.restartIdentity === true)
        for (const q of catalog.sequences()) if (bound.tables.some((t) => t.id === q.ownedBy?.tableId)) session.db.storage.sequences.set(q, BigInt(q.start), false);
      return { kind: 'command', command: 'TRUNCATE TABLE' };
    case 'analyze':
      for (const t of bound.tables.length > 0 ? bound.tables : catalog.tables()) txn.analyze(t.id);
      return { kind: 'command', command: 'ANALYZE' };
    case 'addPrimaryKey':
      await txn.setPrimaryKey(bound.table.id, bound.columns, bound.constraintName);
      return { kind: 'command', command: 'ALTER TABLE' };
    case 'createSequence': {
      if (relationExists(catalog, bound.schema, bound.name)) {
        if (bound.ifNotExists) {
          session.notice(`relation "${bound.name}" already exists, skipping`, SqlState.duplicateTable);
          return { kind: 'command', command: 'CREATE SEQUENCE' };
        }
        throw new SqlError(SqlState.duplicateTable, `relation "${bound.name}" already exists`);
      }
      txn.createSequence({
        schema: bound.schema,
        name: bound.name,
        ...bound.options,
        ownedBy: bound.ownedBy === null ? null : { tableId: bound.ownedBy.table.id, column: bound.ownedBy.column },
      });
      return { kind: 'command', command: 'CREATE SEQUENCE' };
    }
    case 'alterSequence': {
      const current = catalog.sequences().find((q) => q.id === bound.def.id)!;
      if (current.name !== bound.def.name) {
        if (relationExists(catalog, bound.def.schema, bound.def.name)) throw new SqlError(SqlState.duplicateTable, `relation "${bound.def.name}" already exists`);
        txn.alterSequence(bound.def);
        return { kind: 'command', command: 'ALTER SEQUENCE' };
      }
      txn.alterSequence(bound.def);
      if (bound.restart !== null) session.db.storage.sequences.set(bound.def, BigInt(bound.restart), false);
      return { kind: 'command', command: 'ALTER SEQUENCE' };
    }
    case 'createIndex': {
      const table = catalog.tables().find((t) => t.id === bound.table.id)!;
      const taken = usedNames(catalog, table.schema);
      if (bound.name !== null && taken.has(bound.name)) {
        if (bound.ifNotExists) {
          session.notice(`relation "${bound.name}" already exists, skipping`, SqlState.duplicateTable);
          return { kind: 'command', command: 'CREATE INDEX' };
        }
        throw new SqlError(SqlState.duplicateTable, `relation "${bound.name}" already exists`);
      }
      const name = bound.name ?? chooseName(table.name, bound.columns.map((c) => table.columns[c].name), 'idx', taken);
      const index: IndexDef = { id: txn.allocateOid(), name, columns: bound.columns, unique: bound.unique };
      // A unique index validates the rows: the event loop turns while a big table's are checked.
      if (bound.unique) await txn.alterKeys(table.id, { ...table, indexes: [...(table.indexes ?? []), index] });
      else txn.alterTable(table.id, { ...table, indexes: [...(table.indexes ?? []), index] }, null);
      return { kind: 'command', command: 'CREATE INDEX' };
    }
    case 'alterTable':
      await runAlterTable(session, txn, bound);
      return { kind: 'command', command: 'ALTER TABLE' };
    default:
      throw new Error(`runDdl: unexpected ${bound.kind}`);
  }
}

/** Columns whose DEFAULT calls nextval on the sequence (PostgreSQL records these as dependencies). */
function sequenceUsers(catalog: CatalogView, seq: SequenceDef): { table: TableDef; column: number }[] {
  const out: { table: TableDef; column: number }[] = [];
  const pattern = new RegExp(`nextval\\('(${seq.schema}\\.)?"?${seq.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?'`);
  for (const t of catalog.tables())
    t.columns.forEach((c, i) => {
      if (c.defaultSql !== null && pattern.test(c.defaultSql)) out.push({ table: t, column: i });
    });
  return out;
}

function runDrop(session: EngineSession, txn: WriteTxn, catalog: CatalogView, bound: Extract<BoundStatement, { kind: 'drop' }>): ExecuteResult {
  const word = bound.objectType;
  const tag = `DROP ${WRONG_TYPE_HINT[word]}`;
  for (const { schema, name } of bound.names) {
    const kind = relationKind(session.catalog(), schema, name);
    if (kind === null) {
      if (bound.ifExists) {
        session.notice(`${word} "${name}" does not exist, skipping`);
        continue;
      }
      throw new SqlError(word === 'index' ? SqlState.undefinedObject : SqlState.undefinedTable, `${word} "${name}" does not exist`);
    }
    if (kind !== word)
      throw new SqlError(SqlState.wrongObjectType, `"${name}" is not ${word === 'index' ? 'an' : 'a'} ${word}`, { hint: `Use DROP ${WRONG_TYPE_HINT[kind]} to remove ${kind === 'index' ? 'an' : 'a'} ${kind}.` });
    const now = session.catalog();
    switch (kind) {
      case 'table': {
        const table = now.findTable(schema, name)!;
        txn.dropTable(table.id);
        for (const q of now.sequences()) if (q.ownedBy?.tableId === table.id) txn.dropSequence(q.id);
        break;
      }
      case 'view':
        txn.dropView(now.findView(schema, name)!.id);
        break;
      case 'sequence': {
        const seq = now.findSequence(schema, name)!;
        if (seq.ownedBy !== null) {
          const owner = now.tables().find((t) => t.id === seq.ownedBy!.tableId);
          const col = owner?.columns[seq.ownedBy.column];
          if (owner !== undefined && col?.identity !== undefined)
            throw new SqlError(SqlState.dependentObjectsStillExist, `cannot drop sequence ${name} because column ${col.name} of table ${owner.name} requires it`, {
              hint: `You can drop column ${col.name} of table ${owner.name} instead.`,
            });
        }
        const users = sequenceUsers(now, seq);
        if (users.length > 0 && !bound.cascade) {
          throw new SqlError(SqlState.dependentObjectsStillExist, `cannot drop sequence ${name} because other objects depend on it`, {
            detail: users.map((x) => `default value for column ${x.table.columns[x.column].name} of table ${x.table.name} depends on sequence ${name}`).join('\n'),
            hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
          });
        }
        for (const u of users) {
          const t = session.catalog().tables().find((x) => x.id === u.table.id)!;
          txn.alterTable(t.id, { ...t, columns: t.columns.map((c, i) => (i === u.column ? { ...c, defaultSql: null } : c)) }, null);
          session.notice(`drop cascades to default value for column ${t.columns[u.column].name} of table ${t.name}`);
        }
        txn.dropSequence(seq.id);
        break;
      }
      case 'index': {
        const { table, index } = findIndexOwner(now, schema, name)!;
        if (index === null)
          throw new SqlError(SqlState.dependentObjectsStillExist, `cannot drop index ${name} because constraint ${name} on table ${table.name} requires it`, {
            hint: `You can drop constraint ${name} on table ${table.name} instead.`,
          });
        txn.alterTable(table.id, { ...table, indexes: (table.indexes ?? []).filter((i) => i.name !== name) }, null);
        break;
      }
    }
  }
  return { kind: 'command', command: tag };
}
