// ALTER TABLE (and ALTER TABLE … RENAME): each command is bound against the table as the previous
// command left it and applied in the session's write transaction. Commands that change the row
// shape (ADD/DROP COLUMN) rewrite the table; the others change only its definition, after
// validating the existing rows (SET NOT NULL, ADD CHECK, ADD UNIQUE).
import { ColumnDef, TableDef, WriteTxn, uniqueKeysOf } from '../storage/api';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { formatType } from '../types/data-type';
import { Vector } from '../types/vector';
import { liveRowGroups } from '../storage/live-rows';
import { BoundStatement } from '../sql/bound-statement';
import { QueryLevel, Scope } from '../sql/bind-context';
import { bindExpr } from '../sql/bind-expr';
import { assignTo, defaultExpr } from '../sql/bind-dml';
import { expressionText } from '../sql/bind-ddl';
import { bindCheck, checkText, chooseName, referencedColumns, usedNames } from '../sql/bind-constraints';
import { sequenceNameOption, sequenceOptions, serialType } from '../sql/bind-sequence';
import { resolveTypeName } from '../sql/type-names';
import { bindStatement } from '../sql/bind-statement';
import { parseSql } from '../sql/parse';
import type { EngineSession } from './session';
import { checkNotNull, evaluateDefaults } from './dml';
import { enforceChecks, evaluateOverRows, firstFalseRow } from './constraints';
import { createColumnSequences, relationKind } from './ddl';

type Alter = Extract<BoundStatement, { kind: 'alterTable' }>;

function current(session: EngineSession, id: number): TableDef {
  return session.catalog().tables().find((t) => t.id === id)!;
}

function columnIndex(table: TableDef, name: string): number {
  const idx = table.columns.findIndex((c) => c.name === name);
  if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${name}" of relation "${table.name}" does not exist`);
  return idx;
}

/** Live rows of the table as the transaction sees it, group by group (full rows). */
function liveRows(txn: WriteTxn, table: TableDef): Generator<{ columns: Vector[]; length: number }> {
  return liveRowGroups(txn.table(table.id), table.columns.length);
}

/** Renames an identifier in SQL text (unquoted: case-insensitively; quoted: exactly), leaving string literals alone. */
function renameIdentifier(sql: string, from: string, to: string): string {
  const quoted = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'") {
      const end = sql.indexOf("'", i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '"') {
      let j = i + 1;
      let name = '';
      while (j < sql.length) {
        if (sql[j] === '"' && sql[j + 1] === '"') {
          name += '"';
          j += 2;
        } else if (sql[j] === '"') break;
        else name += sql[j++];
      }
      out += name === from ? quoted(to) : sql.slice(i, j + 1);
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j])) j++;
      const word = sql.slice(i, j);
      out += word.toLowerCase() === from ? quoted(to) : word;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

export async function runAlterTable(session: EngineSession, txn: WriteTxn, bound: Alter): Promise<void> {
  for (const cmd of bound.cmds) {
    const table = current(session, bound.table.id);
    await applyCommand(session, txn, table, cmd, bound);
  }
}

async function applyCommand(session: EngineSession, txn: WriteTxn, table: TableDef, cmd: any, bound: Alter): Promise<void> {
  const ctx = session.bindContext([]);
  switch (cmd.subtype) {
    case 'AT_AddColumn':
      return addColumn(session, txn, table, cmd, bound);
    case 'AT_DropColumn': {
      const idx = table.columns.findIndex((c) => c.name === cmd.name);
      if (idx === -1) {
        if (cmd.missing_ok === true) {
          session.notice(`column "${cmd.name}" of relation "${table.name}" does not exist, skipping`);
          return;
        }
        columnIndex(table, cmd.name);
      }
      if (table.columns.length === 1) throw notSupported('dropping the last column of a table');
      const shift = (cols: number[]) => cols.map((c) => (c > idx ? c - 1 : c));
      const uses = (cols: number[]) => cols.includes(idx);
      const checks = (table.checks ?? []).filter((k) => !referencedColumns(bindCheck(k.sql, table.name, table.columns, ctx)).has(idx));
      const def: TableDef = {
        ...table,
        columns: table.columns.filter((_, i) => i !== idx),
        primaryKey: table.primaryKey === null || uses(table.primaryKey) ? null : shift(table.primaryKey),
        primaryKeyName: table.primaryKey === null || uses(table.primaryKey) ? null : table.primaryKeyName,
        primaryKeyOid: table.primaryKey === null || uses(table.primaryKey) ? undefined : table.primaryKeyOid,
        primaryKeyIndexOid: table.primaryKey === null || uses(table.primaryKey) ? undefined : table.primaryKeyIndexOid,
        uniques: (table.uniques ?? []).filter((u) => !uses(u.columns)).map((u) => ({ ...u, columns: shift(u.columns) })),
        indexes: (table.indexes ?? []).filter((u) => !uses(u.columns)).map((u) => ({ ...u, columns: shift(u.columns) })),
        checks,
      };
      for (const q of session.catalog().sequences()) {
        if (q.ownedBy?.tableId !== table.id) continue;
        if (q.ownedBy.column === idx) txn.dropSequence(q.id);
        else if (q.ownedBy.column > idx) txn.alterSequence({ ...q, ownedBy: { tableId: table.id, column: q.ownedBy.column - 1 } });
      }
      // Views that bind now must still bind without the column (PostgreSQL tracks the dependency; we re-check).
      const working = session.catalog().views().filter((v) => viewBinds(session, v.sql));
      txn.alterTable(table.id, def, (cols) => cols.filter((_, i) => i !== idx));
      for (const view of working) {
        if (!viewBinds(session, view.sql))
          throw new SqlError(SqlState.dependentObjectsStillExist, `cannot drop column ${cmd.name} of table ${table.name} because other objects depend on it`, {
            detail: `view ${view.name} depends on column ${cmd.name} of table ${table.name}`,
            hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
          });
      }
      return;
    }
    case 'X_RenameColumn': {
      await followRename(session, txn, async () => applyRenameColumn(txn, table, cmd), cmd.name, cmd.newname);
      return;
    }
    case 'X_RenameTable': {
      await followRename(session, txn, async () => applyRenameTable(session, txn, table, cmd), table.name, cmd.newname);
      return;
    }
    default:
      return applyOther(session, txn, table, cmd, bound, ctx);
  }
}

/**
 * Views keep working across a rename, as PostgreSQL's (which refer to columns by number): a view
 * that binds before the rename but not after gets the name replaced in its SQL text, if that binds.
 */
function viewBinds(session: EngineSession, sql: string): boolean {
  try {
    bindStatement(parseSql(sql)[0], session.bindContext([]));
    return true;
  } catch {
    return false;
  }
}

async function followRename(session: EngineSession, txn: WriteTxn, rename: () => Promise<void>, from: string, to: string): Promise<void> {
  const binds = (sql: string) => viewBinds(session, sql);
  const before = session.catalog().views().filter((v) => binds(v.sql));
  await rename();
  for (const v of before) {
    if (binds(v.sql)) continue;
    const sql = renameIdentifier(v.sql, from, to);
    if (binds(sql)) txn.alterView({ ...v, sql });
  }
}

function applyRenameColumn(txn: WriteTxn, table: TableDef, cmd: any): void {
  const idx = columnIndex(table, cmd.name);
  if (table.columns.some((c) => c.name === cmd.newname)) throw new SqlError(SqlState.duplicateColumn, `column "${cmd.newname}" of relation "${table.name}" already exists`);
  const def: TableDef = {
    ...table,
    columns: table.columns.map((c, i) => (i === idx ? { ...c, name: cmd.newname } : c)),
    checks: (table.checks ?? []).map((k) => ({ ...k, sql: renameIdentifier(k.sql, cmd.name, cmd.newname) })),
  };
  txn.alterTable(table.id, def, null);
}

function applyRenameTable(session: EngineSession, txn: WriteTxn, table: TableDef, cmd: any): void {
  if (relationKind(session.catalog(), table.schema, cmd.newname) !== null) throw new SqlError(SqlState.duplicateTable, `relation "${cmd.newname}" already exists`);
  txn.alterTable(table.id, { ...table, name: cmd.newname }, null);
}

async function applyOther(session: EngineSession, txn: WriteTxn, table: TableDef, cmd: any, bound: Alter, ctx: ReturnType<EngineSession['bindContext']>): Promise<void> {
  switch (cmd.subtype) {
    case 'X_RenameIndex': {
      if (relationKind(session.catalog(), table.schema, cmd.newname) !== null) throw new SqlError(SqlState.duplicateTable, `relation "${cmd.newname}" already exists`);
      txn.alterTable(table.id, { ...table, indexes: (table.indexes ?? []).map((i) => (i.name === cmd.name ? { ...i, name: cmd.newname } : i)) }, null);
      return;
    }
    case 'X_RenameConstraint': {
      const taken = usedNames(session.catalog(), table.schema);
      const rename = (n: string) => (n === cmd.name ? cmd.newname : n);
      const exists = uniqueKeysOf(table).some((k) => k.name === cmd.name && (table.indexes ?? []).every((i) => i.name !== cmd.name)) || (table.checks ?? []).some((k) => k.name === cmd.name);
      if (!exists) throw new SqlError(SqlState.undefinedObject, `constraint "${cmd.name}" for table "${table.name}" does not exist`);
      if (taken.has(cmd.newname)) throw new SqlError(SqlState.duplicateObject, `constraint "${cmd.newname}" for relation "${table.name}" already exists`);
      txn.alterTable(
        table.id,
        {
          ...table,
          primaryKeyName: table.primaryKeyName === null ? null : rename(table.primaryKeyName),
          uniques: (table.uniques ?? []).map((u) => ({ ...u, name: rename(u.name) })),
          checks: (table.checks ?? []).map((k) => ({ ...k, name: rename(k.name) })),
        },
        null,
      );
      return;
    }
    case 'AT_AddConstraint':
      return addConstraint(session, txn, table, cmd.def.Constraint, bound);
    case 'AT_DropConstraint': {
      const name: string = cmd.name;
      const inUniques = (table.uniques ?? []).some((u) => u.name === name);
      const inChecks = (table.checks ?? []).some((k) => k.name === name);
      const isPk = table.primaryKey !== null && table.primaryKeyName === name;
      if (!inUniques && !inChecks && !isPk) {
        if (cmd.missing_ok === true) {
          session.notice(`constraint "${name}" of relation "${table.name}" does not exist, skipping`);
          return;
        }
        throw new SqlError(SqlState.undefinedObject, `constraint "${name}" of relation "${table.name}" does not exist`);
      }
      txn.alterTable(
        table.id,
        {
          ...table,
          primaryKey: isPk ? null : table.primaryKey,
          primaryKeyName: isPk ? null : table.primaryKeyName,
          primaryKeyOid: isPk ? undefined : table.primaryKeyOid,
          primaryKeyIndexOid: isPk ? undefined : table.primaryKeyIndexOid,
          uniques: (table.uniques ?? []).filter((u) => u.name !== name),
          checks: (table.checks ?? []).filter((k) => k.name !== name),
        },
        null,
      );
      return;
    }
    case 'AT_ColumnDefault': {
      const idx = columnIndex(table, cmd.name);
      const col = table.columns[idx];
      if (col.identity !== undefined && cmd.def !== undefined)
        throw new SqlError(SqlState.syntaxError, `column "${col.name}" of relation "${table.name}" is an identity column`, { hint: 'Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead.' });
      let sql: string | null = null;
      if (cmd.def !== undefined) {
        sql = expressionText(' '.repeat(bound.offset) + bound.text, cmd.def);
        assignTo(bindExpr(cmd.def, { ctx, level: new QueryLevel(null), aggregates: null, clause: 'DEFAULT expressions' }), col, ctx);
      }
      txn.alterTable(table.id, { ...table, columns: table.columns.map((c, i) => (i === idx ? { ...c, defaultSql: sql } : c)) }, null);
      return;
    }
    case 'AT_SetNotNull': {
      const idx = columnIndex(table, cmd.name);
      for (const { columns } of liveRows(txn, table))
        if (columns[idx].nulls !== null && columns[idx].nulls!.includes(1))
          throw new SqlError(SqlState.notNullViolation, `column "${cmd.name}" of relation "${table.name}" contains null values`, { table: table.name, column: cmd.name, schema: table.schema });
      txn.alterTable(table.id, { ...table, columns: table.columns.map((c, i) => (i === idx ? { ...c, notNull: true } : c)) }, null);
      return;
    }
    case 'AT_DropNotNull': {
      const idx = columnIndex(table, cmd.name);
      if (table.primaryKey?.includes(idx)) throw new SqlError(SqlState.invalidTableDefinition, `column "${cmd.name}" is in a primary key`);
      if (table.columns[idx].identity !== undefined) throw new SqlError(SqlState.invalidTableDefinition, `column "${cmd.name}" of relation "${table.name}" is an identity column`);
      txn.alterTable(table.id, { ...table, columns: table.columns.map((c, i) => (i === idx ? { ...c, notNull: false } : c)) }, null);
      return;
    }
    case 'AT_AlterColumnType':
      return alterColumnType(session, txn, table, cmd);
    case 'AT_AddIdentity':
    case 'AT_DropIdentity':
    case 'AT_SetIdentity':
      return alterIdentity(session, txn, table, cmd);
    default:
      throw notSupported(`ALTER TABLE ${String(cmd.subtype).replace(/^(AT|X)_/, '')}`);
  }
}

async function addColumn(session: EngineSession, txn: WriteTxn, table: TableDef, cmd: any, bound: Alter): Promise<void> {
  const cd = cmd.def.ColumnDef;
  const ctx = session.bindContext([]);
  if (table.columns.some((c) => c.name === cd.colname)) {
    if (cmd.missing_ok === true) {
      session.notice(`column "${cd.colname}" of relation "${table.name}" already exists, skipping`, SqlState.duplicateColumn);
      return;
    }
    throw new SqlError(SqlState.duplicateColumn, `column "${cd.colname}" of relation "${table.name}" already exists`);
  }
  const serial = serialType(cd.typeName);
  const type = serial ?? resolveTypeName(cd.typeName).type;
  const col: ColumnDef = { name: cd.colname, type, notNull: serial !== null, defaultSql: null };
  const attr = table.columns.length;
  let identity: { when: 'always' | 'byDefault'; options: any[] } | null = null;
  const later: any[] = [];
  for (const c of cd.constraints ?? []) {
    const con = c.Constraint;
    switch (con.contype) {
      case 'CONSTR_NOTNULL':
        col.notNull = true;
        break;
      case 'CONSTR_NULL':
        break;
      case 'CONSTR_DEFAULT':
        col.defaultSql = expressionText(' '.repeat(bound.offset) + bound.text, con.raw_expr);
        assignTo(bindExpr(con.raw_expr, { ctx, level: new QueryLevel(null), aggregates: null, clause: 'DEFAULT expressions' }), col, ctx);
        break;
      case 'CONSTR_IDENTITY':
        identity = { when: con.generated_when === 'a' ? 'always' : 'byDefault', options: con.options ?? [] };
        col.identity = identity.when;
        col.notNull = true;
        break;
      case 'CONSTR_UNIQUE':
      case 'CONSTR_PRIMARY':
      case 'CONSTR_CHECK':
        later.push({ ...con, keys: con.keys ?? [{ String: { sval: cd.colname } }] });
        break;
      default:
        throw notSupported(`column constraint ${String(con.contype).replace('CONSTR_', '')}`);
    }
  }
  let def: TableDef = { ...table, columns: [...table.columns, col] };
  // The sequence of a serial/identity column exists before the rows are filled from it.
  const serials =
    serial !== null
      ? [{ column: attr, identity: null, options: sequenceOptions([], null, serial).options }]
      : identity !== null
        ? [{ column: attr, identity: identity.when, options: sequenceOptions(identity.options, null, type).options, sequenceName: sequenceNameOption(identity.options) }]
        : [];
  def = createColumnSequences(txn, session.catalog(), def, serials);
  const withDefault = defaultExpr(def.columns[attr], session.bindContext([]), def);
  txn.alterTable(
    table.id,
    def,
    (cols, n) => {
      const [v] = evaluateDefaults(session, def, [...def.columns.slice(0, attr).map(() => null), withDefault], n).slice(attr);
      if (col.notNull && v!.nulls !== null && v!.nulls.includes(1))
        throw new SqlError(SqlState.notNullViolation, `column "${col.name}" of relation "${table.name}" contains null values`, { table: table.name, column: col.name, schema: table.schema });
      return [...cols, v!];
    },
  );
  for (const con of later) await addConstraint(session, txn, current(session, table.id), con, bound);
}

async function addConstraint(session: EngineSession, txn: WriteTxn, table: TableDef, con: any, bound: Alter): Promise<void> {
  const taken = usedNames(session.catalog(), table.schema);
  const keyColumns = (): number[] => con.keys.map((k: any) => columnIndex(table, k.String.sval));
  switch (con.contype) {
    case 'CONSTR_PRIMARY': {
      if (table.primaryKey !== null) throw new SqlError(SqlState.invalidTableDefinition, `multiple primary keys for table "${table.name}" are not allowed`);
      const name = con.conname ?? chooseName(table.name, [], 'pkey', taken);
      await txn.setPrimaryKey(table.id, keyColumns(), name);
      return;
    }
    case 'CONSTR_UNIQUE': {
      if (con.nulls_not_distinct === true) throw notSupported('UNIQUE NULLS NOT DISTINCT');
      const columns = keyColumns();
      if (con.conname !== undefined && taken.has(con.conname)) throw new SqlError(SqlState.duplicateTable, `relation "${con.conname}" already exists`);
      const name = con.conname ?? chooseName(table.name, columns.map((c) => table.columns[c].name), 'key', taken);
      await txn.alterKeys(table.id, { ...table, uniques: [...(table.uniques ?? []), { name, columns, oid: txn.allocateOid(), indexOid: txn.allocateOid() }] });
      return;
    }
    case 'CONSTR_CHECK': {
      const sql = con.raw_expr !== undefined && bound.text !== '' ? checkText(bound.text, bound.offset, con.location) : null;
      if (sql === null) throw notSupported('this CHECK constraint');
      const ctx = session.bindContext([]);
      const expr = bindCheck(sql, table.name, table.columns, ctx);
      const cols = [...referencedColumns(expr)].map((c) => table.columns[c].name);
      if (con.conname !== undefined && (table.checks ?? []).some((k) => k.name === con.conname))
        throw new SqlError(SqlState.duplicateObject, `constraint "${con.conname}" for relation "${table.name}" already exists`);
      const name = con.conname ?? chooseName(table.name, cols.length === 1 ? cols : [], 'check', taken);
      for (const { columns, length } of liveRows(txn, table)) {
        const row = firstFalseRow(session, table, expr, columns, length);
        if (row !== -1)
          throw new SqlError(SqlState.checkViolation, `check constraint "${name}" of relation "${table.name}" is violated by some row`, {
            table: table.name,
            constraint: name,
            schema: table.schema,
          });
      }
      txn.alterTable(table.id, { ...table, checks: [...(table.checks ?? []), { name, sql, oid: txn.allocateOid() }] }, null);
      return;
    }
    default:
      throw notSupported(`ALTER TABLE ADD ${String(con.contype).replace('CONSTR_', '')} constraint`);
  }
}

/**
 * ALTER COLUMN … [SET DATA] TYPE t [USING expr]: every row's value goes through the USING
 * expression (default: the column itself) converted to the new type as an assignment, and the
 * table is rewritten; CHECK constraints are re-checked on the converted rows, keys re-validated.
 */
async function alterColumnType(session: EngineSession, txn: WriteTxn, table: TableDef, cmd: any): Promise<void> {
  const idx = columnIndex(table, cmd.name);
  const col = table.columns[idx];
  if (col.identity !== undefined) throw notSupported('changing the type of an identity column');
  const cd = cmd.def.ColumnDef;
  const type = resolveTypeName(cd.typeName).type;
  const ctx = session.bindContext([]);
  const level = new QueryLevel(null);
  level.scope = new Scope();
  level.scope.add(table.name, table.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: table.id, columnAttr: i + 1 })));
  const source = cd.raw_default !== undefined ? bindExpr(cd.raw_default, { ctx, level, aggregates: null, clause: 'transform expressions' }) : ({ kind: 'column', index: idx, type: col.type } as const);
  const target: ColumnDef = { ...col, type };
  let expr;
  try {
    expr = assignTo(source, target, ctx);
  } catch (err) {
    if (cd.raw_default !== undefined || !(err instanceof SqlError) || err.code !== SqlState.datatypeMismatch) throw err;
    throw new SqlError(SqlState.datatypeMismatch, `column "${col.name}" cannot be cast automatically to type ${formatType(type)}`, {
      hint: `You might need to specify "USING ${col.name}::${formatType(type)}".`,
    });
  }
  const def: TableDef = { ...table, columns: table.columns.map((c, i) => (i === idx ? target : c)) };
  if (col.defaultSql !== null) {
    try {
      defaultExpr(target, ctx, def);
    } catch {
      throw new SqlError(SqlState.datatypeMismatch, `default for column "${col.name}" cannot be cast automatically to type ${formatType(type)}`);
    }
  }
  txn.alterTable(table.id, def, (cols, n) => {
    const [v] = evaluateOverRows(session, table, [expr], cols, n);
    const out = cols.map((c, i) => (i === idx ? v : c));
    checkNotNull(session, def, out);
    enforceChecks(session, def, out, n);
    return out;
  });
}

/** The sequence owned by a column (serial or identity), if any. */
function ownedSequence(session: EngineSession, table: TableDef, column: number) {
  return session.catalog().sequences().find((q) => q.ownedBy?.tableId === table.id && q.ownedBy.column === column);
}

/** ALTER COLUMN … ADD GENERATED … AS IDENTITY / DROP IDENTITY [IF EXISTS] / SET GENERATED … / RESTART / SET <sequence option>. */
async function alterIdentity(session: EngineSession, txn: WriteTxn, table: TableDef, cmd: any): Promise<void> {
  const idx = columnIndex(table, cmd.name);
  const col = table.columns[idx];
  const where = `column "${col.name}" of relation "${table.name}"`;
  const setColumn = (c: ColumnDef) => txn.alterTable(table.id, { ...table, columns: table.columns.map((x, i) => (i === idx ? c : x)) }, null);
  if (cmd.subtype === 'AT_AddIdentity') {
    const con = cmd.def.Constraint;
    if (!col.notNull) throw new SqlError(SqlState.objectNotInPrerequisiteState, `${where} must be declared NOT NULL before identity can be added`);
    if (col.identity !== undefined) throw new SqlError(SqlState.objectNotInPrerequisiteState, `${where} is already an identity column`);
    if (col.defaultSql !== null) throw new SqlError(SqlState.objectNotInPrerequisiteState, `${where} already has a default value`);
    if (!['int2', 'int4', 'int8'].includes(col.type.name)) throw new SqlError(SqlState.invalidParameterValue, 'identity column type must be smallint, integer, or bigint');
    const identity = con.generated_when === 'a' ? 'always' : 'byDefault';
    const wired = createColumnSequences(txn, session.catalog(), table, [
      { column: idx, identity, options: sequenceOptions(con.options ?? [], null, col.type).options, sequenceName: sequenceNameOption(con.options ?? []) },
    ]);
    txn.alterTable(table.id, wired, null);
    return;
  }
  if (col.identity === undefined) {
    if (cmd.subtype === 'AT_DropIdentity' && cmd.missing_ok === true) {
      session.notice(`${where} is not an identity column, skipping`);
      return;
    }
    throw new SqlError(SqlState.objectNotInPrerequisiteState, `${where} is not an identity column`);
  }
  const seq = ownedSequence(session, table, idx);
  if (cmd.subtype === 'AT_DropIdentity') {
    const { identity: _dropped, ...rest } = col;
    void _dropped;
    setColumn(rest);
    if (seq !== undefined) txn.dropSequence(seq.id);
    return;
  }
  // SET GENERATED { ALWAYS | BY DEFAULT } and sequence options (RESTART [WITH n], INCREMENT BY …).
  const items: any[] = cmd.def?.List?.items ?? [];
  const generated = items.find((o) => o.DefElem.defname === 'generated');
  const seqItems = items.filter((o) => o.DefElem.defname !== 'generated');
  if (generated !== undefined) setColumn({ ...col, identity: generated.DefElem.arg.Integer.ival === 97 ? 'always' : 'byDefault' });
  if (seq !== undefined && seqItems.length > 0) {
    const { options, restart } = sequenceOptions(seqItems, seq);
    const def = { ...seq, ...options };
    txn.alterSequence(def);
    if (restart !== undefined) session.db.storage.sequences.set(def, restart, false);
  }
}
