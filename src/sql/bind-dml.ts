// INSERT, UPDATE and DELETE: the binder produces plans yielding whole new rows (coerced to the
// column types, defaults filled) and RowIds of old rows; the engine applies them to storage.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { ColumnDef, TableDef } from '../storage/api';
import { DataType, Types, formatType } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { hasSubquery } from '../planner/expr-utils';
import { BindContext, QueryLevel, Scope } from './bind-context';
import { ExprScope, bindExpr } from './bind-expr';
import { assignmentCastable, coerce, isUnknown, requireType } from './coerce';
import { bindQueryPlan, figureColumnName } from './bind-query';
import { parseSql } from './parse';
import { BoundStatement, Returning } from './bound-statement';

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

export function findTableOrThrow(ctx: BindContext, rangeVar: any): TableDef {
  const schema = rangeVar.schemaname ?? 'public';
  const table = ctx.catalog.findTable(schema, rangeVar.relname);
  if (table !== undefined) return table;
  if (ctx.catalog.findView(schema, rangeVar.relname) !== undefined)
    throw new SqlError(SqlState.featureNotSupported, `cannot change view "${rangeVar.relname}"`, { detail: 'Views that are not updatable are not supported.' });
  throw new SqlError(SqlState.undefinedTable, `relation "${rangeVar.relname}" does not exist`, { position: pos(rangeVar) });
}

/** Converts a value to a column's type as an assignment (INSERT/UPDATE), with PostgreSQL's error. */
export function assignTo(expr: Expr, column: ColumnDef, ctx: BindContext, position?: number): Expr {
  const to = column.type;
  if (!isUnknown(expr.type) && !assignmentCastable(expr.type, to))
    throw new SqlError(SqlState.datatypeMismatch, `column "${column.name}" is of type ${formatType(to)} but expression is of type ${formatType(expr.type)}`, {
      position,
      hint: 'You will need to rewrite or cast the expression.',
    });
  return coerce(expr, to, ctx);
}

/** The column's DEFAULT as a bound expression (NULL when it has none). */
export function defaultExpr(column: ColumnDef, ctx: BindContext): Expr {
  if (column.defaultSql === null) return { kind: 'const', value: null, type: column.type };
  const [stmt] = parseSql(`SELECT ${column.defaultSql}`);
  const node = stmt.ast!.SelectStmt.targetList[0].ResTarget.val;
  const level = new QueryLevel(null);
  const e = bindExpr(node, { ctx, level, aggregates: null, clause: 'DEFAULT expressions' });
  return assignTo(e, column, ctx);
}

function tableScope(table: TableDef): Scope {
  const scope = new Scope();
  scope.add(
    table.name,
    table.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: table.id, columnAttr: i + 1 })),
  );
  return scope;
}

function bindReturning(list: any[] | undefined, table: TableDef, ctx: BindContext, alias: string): Returning | null {
  if (list === undefined || list.length === 0) return null;
  const level = new QueryLevel(null);
  level.scope = tableScope(table);
  if (alias !== table.name) level.scope.relations[0].alias = alias;
  const s: ExprScope = { ctx, level, aggregates: null, clause: 'RETURNING' };
  const exprs: Expr[] = [];
  const output = [];
  for (const item of list) {
    const rt = item.ResTarget;
    const ref = rt.val.ColumnRef;
    if (ref !== undefined && ref.fields[ref.fields.length - 1].A_Star !== undefined) {
      table.columns.forEach((c, i) => {
        exprs.push({ kind: 'column', index: i, type: c.type });
        output.push({ name: c.name, type: c.type, tableOid: table.id, columnAttr: i + 1 });
      });
      continue;
    }
    let e = bindExpr(rt.val, s);
    if (isUnknown(e.type)) e = coerce(e, Types.text, ctx);
    if (hasSubquery(e)) throw notSupported('subqueries in RETURNING');
    exprs.push(e);
    const col = e.kind === 'column' ? e.index : -1;
    output.push({ name: rt.name ?? figureColumnName(rt.val), type: e.type, tableOid: col >= 0 ? table.id : 0, columnAttr: col >= 0 ? col + 1 : 0 });
  }
  return { exprs, output };
}

export function bindInsert(n: any, ctx: BindContext): BoundStatement {
  if (n.onConflictClause !== undefined) throw notSupported('INSERT … ON CONFLICT');
  if (n.withClause !== undefined) throw notSupported('WITH on INSERT');
  const table = findTableOrThrow(ctx, n.relation);
  const targetNames: string[] = (n.cols ?? []).map((c: any) => c.ResTarget.name);
  const targets: number[] = targetNames.length === 0 ? table.columns.map((_, i) => i) : targetNames.map((name, i) => {
    const idx = table.columns.findIndex((c) => c.name === name);
    if (idx === -1)
      throw new SqlError(SqlState.undefinedColumn, `column "${name}" of relation "${table.name}" does not exist`, { position: pos(n.cols[i].ResTarget) });
    if (targetNames.indexOf(name) !== i) throw new SqlError(SqlState.duplicateColumn, `column "${name}" specified more than once`);
    return idx;
  });
  const defaults = table.columns.map((c) => defaultExpr(c, ctx));
  const select = n.selectStmt?.SelectStmt;
  // Without a column list, values fill the leading columns and the rest take their defaults.
  if (targetNames.length === 0 && select !== undefined) {
    const width = select.valuesLists !== undefined ? select.valuesLists[0].List.items.length : null;
    if (width !== null && width < targets.length) targets.length = width;
  }
  let source: PlanNode;
  const output = table.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: table.id, columnAttr: i + 1 }));
  if (select === undefined) {
    // DEFAULT VALUES
    source = { kind: 'values', rows: [defaults], output };
  } else if (select.valuesLists !== undefined && select.sortClause === undefined && select.limitCount === undefined) {
    const level = new QueryLevel(null);
    const s: ExprScope = { ctx, level, aggregates: null, clause: 'VALUES' };
    const rows: Expr[][] = select.valuesLists.map((l: any) => {
      const items: any[] = l.List.items;
      if (items.length > targets.length) throw new SqlError(SqlState.syntaxError, 'INSERT has more expressions than target columns', { position: pos(items[targets.length]) });
      if (items.length < targets.length) throw new SqlError(SqlState.syntaxError, 'INSERT has more target columns than expressions');
      const row = defaults.slice();
      items.forEach((item, k) => {
        const col = targets[k];
        if (item.SetToDefault !== undefined) return;
        row[col] = assignTo(bindExpr(item, s), table.columns[col], ctx, pos(Object.values(item)[0]));
      });
      return row;
    });
    source = { kind: 'values', rows, output };
  } else {
    const level = new QueryLevel(null);
    const query = bindQueryPlan(n.selectStmt, ctx, level);
    if (targetNames.length === 0 && query.output.length < targets.length) targets.length = query.output.length;
    if (query.output.length > targets.length) throw new SqlError(SqlState.syntaxError, 'INSERT has more expressions than target columns');
    if (query.output.length < targets.length) throw new SqlError(SqlState.syntaxError, 'INSERT has more target columns than expressions');
    const exprs = defaults.slice();
    targets.forEach((col, k) => {
      exprs[col] = assignTo({ kind: 'column', index: k, type: query.output[k].type }, table.columns[col], ctx);
    });
    source = { kind: 'project', input: query, exprs, output };
  }
  return { kind: 'insert', table, source, returning: bindReturning(n.returningList, table, ctx, n.relation.alias?.aliasname ?? table.name) };
}

/** Scan of all columns plus RowId, filtered by WHERE; the scope is the table's columns. */
function scanForUpdate(n: any, table: TableDef, ctx: BindContext, level: QueryLevel): PlanNode {
  const alias = n.relation.alias?.aliasname ?? table.name;
  level.scope = tableScope(table);
  level.scope.relations[0].alias = alias;
  if (n.fromClause !== undefined && n.fromClause.length > 0) throw notSupported('UPDATE … FROM / DELETE … USING');
  const output = [
    ...table.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: table.id, columnAttr: i + 1 })),
    { name: 'ctid', type: Types.int8 },
  ];
  const scan: PlanNode = { kind: 'scan', tableId: table.id, tableName: table.name, columns: table.columns.map((_, i) => i), withRowId: true, filter: null, output };
  if (n.whereClause === undefined) return scan;
  const pred = requireType(bindExpr(n.whereClause, { ctx, level, aggregates: null, clause: 'WHERE' }), Types.bool, ctx, 'WHERE');
  if (hasSubquery(pred)) return { kind: 'filter', input: scan, predicate: pred, output };
  return { ...scan, filter: pred };
}

export function bindUpdate(n: any, ctx: BindContext): BoundStatement {
  const table = findTableOrThrow(ctx, n.relation);
  const level = new QueryLevel(null);
  const input = scanForUpdate(n, table, ctx, level);
  const exprs: Expr[] = table.columns.map((c, i) => ({ kind: 'column', index: i, type: c.type }));
  const seen = new Set<number>();
  const s: ExprScope = { ctx, level, aggregates: null, clause: 'UPDATE' };
  for (const item of n.targetList) {
    const rt = item.ResTarget;
    if (rt.indirection !== undefined) throw notSupported('assignment to a field or array element');
    const idx = table.columns.findIndex((c) => c.name === rt.name);
    if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${rt.name}" of relation "${table.name}" does not exist`, { position: pos(rt) });
    if (seen.has(idx)) throw new SqlError(SqlState.syntaxError, `multiple assignments to same column "${rt.name}"`);
    seen.add(idx);
    exprs[idx] = rt.val.SetToDefault !== undefined ? defaultExpr(table.columns[idx], ctx) : assignTo(bindExpr(rt.val, s), table.columns[idx], ctx, pos(rt));
  }
  exprs.push({ kind: 'column', index: table.columns.length, type: Types.int8 });
  const plan: PlanNode = { kind: 'project', input, exprs, output: input.output };
  return { kind: 'update', table, plan, returning: bindReturning(n.returningList, table, ctx, n.relation.alias?.aliasname ?? table.name) };
}

export function bindDelete(n: any, ctx: BindContext): BoundStatement {
  const table = findTableOrThrow(ctx, n.relation);
  const level = new QueryLevel(null);
  const plan = scanForUpdate({ ...n, fromClause: n.usingClause }, table, ctx, level);
  return { kind: 'delete', table, plan, returning: bindReturning(n.returningList, table, ctx, n.relation.alias?.aliasname ?? table.name) };
}

export type { DataType };
