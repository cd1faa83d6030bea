// CREATE/DROP TABLE and VIEW, ALTER TABLE ADD PRIMARY KEY.
import { ColumnDef } from '../storage/api';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { BindContext, QueryLevel } from './bind-context';
import { bindExpr } from './bind-expr';
import { findTableOrThrow, assignTo } from './bind-dml';
import { bindQueryPlan } from './bind-query';
import { BoundStatement, SerialColumn, TableConstraint } from './bound-statement';
import { bindCheck, checkText, referencedColumns } from './bind-constraints';
import { sequenceNameOption, sequenceOptions, serialType } from './bind-sequence';
import { parseSql } from './parse';
import { topLevelEnd } from './statement-text';
import { resolveTypeName } from './type-names';

/** The smallest `location` anywhere in an AST subtree. */
function minLocation(node: unknown): number | undefined {
  let min: number | undefined;
  const visit = (n: unknown) => {
    if (n === null || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === 'location' && typeof v === 'number' && v >= 0) min = min === undefined ? v : Math.min(min, v);
      else visit(v);
    }
  };
  visit(node);
  return min;
}

/** Strips `location` fields so two ASTs of the same expression compare equal. */
function withoutLocations(node: unknown): string {
  return JSON.stringify(node, (k, v) => (k === 'location' ? undefined : v));
}

/**
 * The source text of a DEFAULT expression. libpg-query gives positions but no end, so take the
 * text from the expression's start to the next top-level ',' or ')' and trim trailing words
 * (NOT NULL, PRIMARY KEY…) until it parses to the same expression.
 */
export function expressionText(statementText: string, rawExpr: any): string {
  // The expression starts at its leftmost node (an operator node's own location is the operator's).
  let start = minLocation(rawExpr) ?? 0;
  // An expression in parentheses or with a leading sign starts before its node's location.
  while (start > 0 && /[\s(+-]/.test(statementText[start - 1]) && statementText.slice(0, start).trimEnd().toUpperCase().endsWith('DEFAULT') === false) start--;
  const end = topLevelEnd(statementText, start, true);
  const want = withoutLocations(rawExpr);
  const words = statementText.slice(start, end).trim().split(/(\s+)/);
  for (let n = words.length; n > 0; n--) {
    const candidate = words.slice(0, n).join('').trim();
    try {
      const [stmt] = parseSql(`SELECT ${candidate}`);
      const node = stmt.ast?.SelectStmt?.targetList?.[0]?.ResTarget?.val;
      if (node !== undefined && withoutLocations(node) === want) return candidate;
    } catch {
      // not a complete expression yet: drop another word
    }
  }
  throw new SqlError(SqlState.featureNotSupported, 'could not extract the DEFAULT expression text');
}

export function bindCreateTable(n: any, ctx: BindContext, statementText: string, statementOffset: number): BoundStatement {
  if (n.relation.relpersistence === 't') throw notSupported('temporary tables');
  if (n.inhRelations !== undefined) throw notSupported('table inheritance');
  if (n.partspec !== undefined) throw notSupported('partitioned tables');
  const name: string = n.relation.relname;
  const schema: string = n.relation.schemaname ?? 'public';
  const columns: ColumnDef[] = [];
  let primaryKey: number[] | null = null;
  const pkColumnsByName: string[][] = [];
  let primaryKeyName: string | null = null;
  const serials: SerialColumn[] = [];
  const uniqueByName: { name: string | null; columns: string[] }[] = [];
  const checkTexts: { name: string | null; sql: string }[] = [];
  for (const elt of n.tableElts ?? []) {
    if (elt.ColumnDef !== undefined) {
      const cd = elt.ColumnDef;
      if (columns.some((c) => c.name === cd.colname)) throw new SqlError(SqlState.duplicateColumn, `column "${cd.colname}" specified more than once`);
      const serial = serialType(cd.typeName);
      const { type } = serial !== null ? { type: serial } : resolveTypeName(cd.typeName);
      const col: ColumnDef = { name: cd.colname, type, notNull: false, defaultSql: null };
      if (serial !== null) {
        serials.push({ column: columns.length, identity: null, options: sequenceOptions([], null, serial).options });
        col.notNull = true;
      }
      for (const c of cd.constraints ?? []) {
        const con = c.Constraint;
        switch (con.contype) {
          case 'CONSTR_IDENTITY': {
            if (serials.some((x) => x.column === columns.length))
              throw new SqlError(SqlState.syntaxError, `multiple identity specifications for column "${cd.colname}" of table "${name}"`);
            if (!['int2', 'int4', 'int8'].includes(type.name))
              throw new SqlError(SqlState.invalidParameterValue, `identity column type must be smallint, integer, or bigint`);
            serials.push({
              column: columns.length,
              identity: con.generated_when === 'a' ? 'always' : 'byDefault',
              options: sequenceOptions(con.options ?? [], null, type).options,
              sequenceName: sequenceNameOption(con.options ?? []),
            });
            col.identity = con.generated_when === 'a' ? 'always' : 'byDefault';
            col.notNull = true;
            break;
          }
          case 'CONSTR_UNIQUE':
            if (con.nulls_not_distinct === true) throw notSupported('UNIQUE NULLS NOT DISTINCT');
            uniqueByName.push({ name: con.conname ?? null, columns: [cd.colname] });
            break;
          case 'CONSTR_CHECK':
            checkTexts.push({ name: con.conname ?? null, sql: checkText(statementText, statementOffset, con.location) });
            break;
          case 'CONSTR_NOTNULL':
            col.notNull = true;
            break;
          case 'CONSTR_NULL':
            break;
          case 'CONSTR_DEFAULT': {
            // Locations count from the start of the whole query string.
            const text = expressionText(' '.repeat(statementOffset) + statementText, con.raw_expr);
            // Check that the default binds and converts to the column type now, as PostgreSQL does.
            assignTo(bindExpr(con.raw_expr, { ctx, level: new QueryLevel(null), aggregates: null, clause: 'DEFAULT expressions' }), col, ctx);
            col.defaultSql = text;
            break;
          }
          case 'CONSTR_PRIMARY':
            pkColumnsByName.push([cd.colname]);
            primaryKeyName = con.conname ?? primaryKeyName;
            col.notNull = true;
            break;
          default:
            throw notSupported(`column constraint ${con.contype.replace('CONSTR_', '')}`);
        }
      }
      columns.push(col);
    } else if (elt.Constraint !== undefined) {
      const con = elt.Constraint;
      if (con.contype === 'CONSTR_PRIMARY') {
        pkColumnsByName.push(con.keys.map((k: any) => k.String.sval));
        primaryKeyName = con.conname ?? primaryKeyName;
      } else if (con.contype === 'CONSTR_UNIQUE' && con.nulls_not_distinct === true) throw notSupported('UNIQUE NULLS NOT DISTINCT');
      else if (con.contype === 'CONSTR_UNIQUE') uniqueByName.push({ name: con.conname ?? null, columns: con.keys.map((k: any) => k.String.sval) });
      else if (con.contype === 'CONSTR_CHECK') checkTexts.push({ name: con.conname ?? null, sql: checkText(statementText, statementOffset, con.location) });
      else throw notSupported(`table constraint ${con.contype.replace('CONSTR_', '')}`);
    } else throw notSupported('this table element');
  }
  if (pkColumnsByName.length > 1)
    throw new SqlError(SqlState.invalidTableDefinition, `multiple primary keys for table "${name}" are not allowed`);
  if (pkColumnsByName.length === 1) {
    primaryKey = pkColumnsByName[0].map((colName) => {
      const idx = columns.findIndex((c) => c.name === colName);
      if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${colName}" named in key does not exist`);
      columns[idx].notNull = true;
      return idx;
    });
  }
  const constraints: TableConstraint[] = [];
  for (const u of uniqueByName) {
    const idx = u.columns.map((colName) => {
      const i = columns.findIndex((c) => c.name === colName);
      if (i === -1) throw new SqlError(SqlState.undefinedColumn, `column "${colName}" named in key does not exist`);
      return i;
    });
    constraints.push({ type: 'unique', name: u.name, columns: idx });
  }
  for (const c of checkTexts) {
    const e = bindCheck(c.sql, name, columns, ctx);
    constraints.push({ type: 'check', name: c.name, sql: c.sql, columns: [...referencedColumns(e)] });
  }
  return { kind: 'createTable', schema, name, columns, primaryKey, ifNotExists: n.if_not_exists === true, primaryKeyName, constraints, serials };
}

export function bindDrop(n: any): BoundStatement {
  const types: Record<string, 'table' | 'view' | 'sequence' | 'index'> = { OBJECT_TABLE: 'table', OBJECT_VIEW: 'view', OBJECT_SEQUENCE: 'sequence', OBJECT_INDEX: 'index' };
  const objectType = types[n.removeType];
  if (objectType === undefined) throw notSupported(`DROP ${String(n.removeType).replace('OBJECT_', '')}`);
  const names = n.objects.map((o: any) => {
    const parts: string[] = o.List.items.map((i: any) => i.String.sval);
    return parts.length === 1 ? { schema: 'public', name: parts[0] } : { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
  });
  return { kind: 'drop', objectType, names, ifExists: n.missing_ok === true, cascade: n.behavior === 'DROP_CASCADE' };
}

export function bindCreateView(n: any, ctx: BindContext, statementText: string): BoundStatement {
  const name: string = n.view.relname;
  const schema: string = n.view.schemaname ?? 'public';
  // Validate now (unknown tables and columns fail at CREATE VIEW, as in PostgreSQL).
  const plan = bindQueryPlan(n.query, ctx, new QueryLevel(null));
  const aliases: string[] = (n.aliases ?? []).map((a: any) => a.String.sval);
  if (aliases.length > plan.output.length) throw new SqlError(SqlState.syntaxError, 'CREATE VIEW specifies more column names than columns');
  const columnNames = plan.output.map((c, i) => aliases[i] ?? c.name);
  const sql = viewQueryText(statementText);
  return { kind: 'createView', schema, name, sql, columnNames, orReplace: n.replace === true };
}

/** The SELECT part of CREATE VIEW … AS <query>: the text after the first top-level AS. */
function viewQueryText(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /\s/.test(ch) && /^\s+as\s/i.test(text.slice(i, i + 5))) return text.slice(i).replace(/^\s+as\s+/i, '').replace(/;\s*$/, '');
  }
  throw new SqlError(SqlState.syntaxError, 'could not find the query of CREATE VIEW');
}

export function bindAlterTable(n: any, ctx: BindContext, statementText = '', statementOffset = 0): BoundStatement {
  const owner = bindChangeOwner(n, ctx);
  if (owner !== null) return owner;
  if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') throw notSupported(`ALTER ${String(n.objtype).replace('OBJECT_', '')}`);
  const schema = n.relation.schemaname ?? 'public';
  if (n.missing_ok === true && ctx.catalog.findTable(schema, n.relation.relname) === undefined) return { kind: 'noop', command: 'ALTER TABLE' };
  const table = findTableOrThrow(ctx, n.relation);
  const cmds: any[] = n.cmds ?? [];
  const cmd = cmds[0].AlterTableCmd;
  if (cmds.length > 1 || cmd.subtype !== 'AT_AddConstraint' || cmd.def?.Constraint?.contype !== 'CONSTR_PRIMARY')
    return { kind: 'alterTable', table, cmds: cmds.map((c) => c.AlterTableCmd), text: statementText, offset: statementOffset };
  {
    const con = cmd.def.Constraint;
    if (table.primaryKey !== null)
      throw new SqlError(SqlState.invalidTableDefinition, `multiple primary keys for table "${table.name}" are not allowed`);
    const columns = con.keys.map((k: any) => {
      const name = k.String.sval;
      const idx = table.columns.findIndex((c) => c.name === name);
      if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${name}" of relation "${table.name}" does not exist`);
      return idx;
    });
    return { kind: 'addPrimaryKey', table, columns, constraintName: con.conname ?? `${table.name}_pkey` };
  }
}

/** ALTER TABLE … RENAME [COLUMN] / RENAME CONSTRAINT: handled with the ALTER TABLE commands. */
export function bindRename(n: any, ctx: BindContext): BoundStatement {
  const schema = n.relation?.schemaname ?? 'public';
  if (n.renameType === 'OBJECT_INDEX') {
    for (const t of ctx.catalog.tables())
      if (t.schema === schema && (t.indexes ?? []).some((i) => i.name === n.relation.relname))
        return { kind: 'alterTable', table: t, cmds: [{ subtype: 'X_RenameIndex', name: n.relation.relname, newname: n.newname }], text: '', offset: 0 };
    if (n.missing_ok === true) return { kind: 'noop', command: 'ALTER INDEX' };
    throw new SqlError(SqlState.undefinedTable, `relation "${n.relation.relname}" does not exist`);
  }
  if (n.renameType === 'OBJECT_SEQUENCE') {
    const seq = ctx.catalog.findSequence(schema, n.relation.relname);
    if (seq === undefined) throw new SqlError(SqlState.undefinedTable, `relation "${n.relation.relname}" does not exist`);
    return { kind: 'alterSequence', def: { ...seq, name: n.newname }, restart: null };
  }
  if (n.missing_ok === true && ctx.catalog.findTable(schema, n.relation.relname) === undefined) return { kind: 'noop', command: 'ALTER TABLE' };
  const table = findTableOrThrow(ctx, n.relation);
  switch (n.renameType) {
    case 'OBJECT_TABLE':
      return { kind: 'alterTable', table, cmds: [{ subtype: 'X_RenameTable', newname: n.newname }], text: '', offset: 0 };
    case 'OBJECT_COLUMN':
      return { kind: 'alterTable', table, cmds: [{ subtype: 'X_RenameColumn', name: n.subname, newname: n.newname }], text: '', offset: 0 };
    case 'OBJECT_TABCONSTRAINT':
      return { kind: 'alterTable', table, cmds: [{ subtype: 'X_RenameConstraint', name: n.subname, newname: n.newname }], text: '', offset: 0 };
    default:
      throw notSupported(`ALTER … RENAME of ${String(n.renameType).replace('OBJECT_', '').toLowerCase()}`);
  }
}

/** CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON table (col, …): plain columns only. */
export function bindCreateIndex(n: any, ctx: BindContext): BoundStatement {
  const table = findTableOrThrow(ctx, n.relation);
  if (n.accessMethod !== undefined && n.accessMethod !== 'btree' && n.accessMethod !== 'hash') throw notSupported(`index access method "${n.accessMethod}"`);
  if (n.whereClause !== undefined) throw notSupported('partial indexes');
  if (n.nulls_not_distinct === true) throw notSupported('UNIQUE NULLS NOT DISTINCT');
  if ((n.indexIncludingParams ?? []).length > 0) throw notSupported('INCLUDE columns in indexes');
  const columns = (n.indexParams ?? []).map((p: any) => {
    const e = p.IndexElem;
    if (e.name === undefined) throw notSupported('indexes on expressions');
    const idx = table.columns.findIndex((c) => c.name === e.name);
    if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${e.name}" does not exist`);
    return idx;
  });
  return { kind: 'createIndex', table, name: n.idxname ?? null, columns, unique: n.unique === true, ifNotExists: n.if_not_exists === true };
}


/**
 * ALTER TABLE/SEQUENCE/VIEW/INDEX … OWNER TO role (as pg_dump writes after every CREATE): every
 * object belongs to the one superuser here, so naming an existing role changes nothing; null when
 * the statement has other commands.
 */
function bindChangeOwner(n: any, ctx: BindContext): BoundStatement | null {
  const cmds: any[] = (n.cmds ?? []).map((c: any) => c.AlterTableCmd);
  if (cmds.length === 0 || cmds.some((c) => c.subtype !== 'AT_ChangeOwner')) return null;
  const word: Record<string, string> = { OBJECT_TABLE: 'TABLE', OBJECT_SEQUENCE: 'SEQUENCE', OBJECT_VIEW: 'VIEW', OBJECT_INDEX: 'INDEX' };
  const command = `ALTER ${word[n.objtype] ?? 'TABLE'}`;
  const schema = n.relation.schemaname ?? 'public';
  const name: string = n.relation.relname;
  const exists =
    ctx.catalog.findTable(schema, name) !== undefined ||
    ctx.catalog.findView(schema, name) !== undefined ||
    ctx.catalog.findSequence(schema, name) !== undefined ||
    ctx.catalog.tables().some((t) => t.schema === schema && (t.indexes ?? []).some((i) => i.name === name));
  if (!exists) {
    if (n.missing_ok === true) return { kind: 'noop', command };
    throw new SqlError(SqlState.undefinedTable, `relation "${name}" does not exist`);
  }
  for (const c of cmds) {
    const role = c.newowner;
    if (role?.roletype === 'ROLESPEC_CSTRING' && role.rolename !== 'postgres' && role.rolename !== ctx.sessionUser)
      throw new SqlError(SqlState.undefinedObject, `role "${role.rolename}" does not exist`);
  }
  return { kind: 'noop', command };
}
