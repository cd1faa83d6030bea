// UNIQUE and CHECK constraints in the binder: the CHECK expression's text and its binding over a
// table's columns, and PostgreSQL's automatic constraint names (t_a_key, t_a_check, t_check…).
import { Expr } from '../plan/expr';
import { CatalogView, ColumnDef, uniqueKeysOf } from '../storage/api';
import { Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { BindContext, QueryLevel, Scope } from './bind-context';
import { bindExpr } from './bind-expr';
import { requireType } from './coerce';
import { hasSubquery } from '../planner/expr-utils';
import { parseSql } from './parse';
import { topLevelEnd } from './statement-text';

/**
 * The text between the parentheses of `CHECK ( … )`, for a Constraint node at `location` of the
 * whole query string (`offset` is where this statement starts in it).
 */
export function checkText(statementText: string, offset: number, location: number): string {
  let i = Math.max(0, location - offset);
  while (i < statementText.length && statementText[i] !== '(') i++;
  const start = i + 1;
  const end = topLevelEnd(statementText, start, false);
  if (end < statementText.length) return statementText.slice(start, end).trim();
  throw new SqlError(SqlState.syntaxError, 'could not find the CHECK expression');
}

/** Binds a CHECK expression over a table's columns (column i of the row = attribute i). */
export function bindCheck(sql: string, tableName: string, columns: ColumnDef[], ctx: BindContext): Expr {
  const [stmt] = parseSql(`SELECT ${sql}`);
  const node = stmt.ast!.SelectStmt.targetList[0].ResTarget.val;
  const level = new QueryLevel(null);
  level.scope = new Scope();
  level.scope.add(tableName, columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: 0, columnAttr: i + 1 })));
  const e = requireType(bindExpr(node, { ctx, level, aggregates: null, clause: 'check constraints' }), Types.bool, ctx, 'CHECK');
  if (hasSubquery(e)) throw new SqlError(SqlState.featureNotSupported, 'cannot use subquery in check constraint');
  return e;
}

/** Attribute indexes an expression reads. */
export function referencedColumns(e: Expr, out = new Set<number>()): Set<number> {
  switch (e.kind) {
    case 'column':
      out.add(e.index);
      break;
    case 'call':
    case 'and':
    case 'or':
    case 'coalesce':
      for (const a of e.args) referencedColumns(a, out);
      break;
    case 'cast':
    case 'not':
    case 'isnull':
    case 'booltest':
      referencedColumns(e.arg, out);
      break;
    case 'case':
      for (const w of e.whens) {
        referencedColumns(w.when, out);
        referencedColumns(w.then, out);
      }
      if (e.else !== null) referencedColumns(e.else, out);
      break;
    case 'inlist':
      referencedColumns(e.arg, out);
      for (const a of e.list) referencedColumns(a, out);
      break;
    default:
      break;
  }
  return out;
}

/** Every constraint and index name in the schema (constraint names must not collide, as PostgreSQL's ChooseConstraintName ensures). */
export function usedNames(catalog: CatalogView, schema: string): Set<string> {
  const names = new Set<string>();
  for (const t of catalog.tables()) {
    if (t.schema !== schema) continue;
    names.add(t.name);
    for (const k of uniqueKeysOf(t)) names.add(k.name);
    for (const c of t.checks ?? []) names.add(c.name);
    for (const i of t.indexes ?? []) names.add(i.name);
  }
  for (const v of catalog.views()) if (v.schema === schema) names.add(v.name);
  for (const q of catalog.sequences()) if (q.schema === schema) names.add(q.name);
  return names;
}

/** PostgreSQL's ChooseConstraintName / ChooseRelationName: table_col[_col…]_suffix, then a number if taken. */
export function chooseName(table: string, columns: string[], suffix: string, taken: Set<string>): string {
  const base = [table, ...columns, suffix].join('_');
  let name = base;
  for (let n = 1; taken.has(name); n++) name = `${base}${n}`;
  taken.add(name);
  return name;
}
