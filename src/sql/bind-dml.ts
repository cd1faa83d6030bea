// INSERT, UPDATE and DELETE: the binder produces plans yielding whole new rows (coerced to the
// column types, defaults filled) and RowIds of old rows; the engine applies them to storage.
import { Expr } from '../plan/expr';
import { bindElementAssignment } from './bind-array';
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
import { BoundStatement, OnConflict, Returning } from './bound-statement';
import { uniqueKeysOf } from '../storage/api';

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

/** The column's DEFAULT as a bound expression (NULL when it has none; nextval of its sequence for an identity column). */
export function defaultExpr(column: ColumnDef, ctx: BindContext, table?: TableDef): Expr {
  if (column.identity !== undefined && table !== undefined) {
    const attr = table.columns.indexOf(column);
    const seq = ctx.catalog.sequences().find((q) => q.ownedBy?.tableId === table.id && q.ownedBy.column === attr);
    if (seq !== undefined) {
      const name = `"${seq.schema.replace(/"/g, '""')}"."${seq.name.replace(/"/g, '""')}"`;
      const call: Expr = { kind: 'call', fn: 'nextval', args: [{ kind: 'const', value: name, type: Types.text }], type: Types.int8 };
      return coerce(call, column.type, ctx);
    }
  }
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

/** RETURNING (or a locking SELECT's target list, `clause` naming it in errors): expressions over the table's row. */
export function bindReturning(list: any[] | undefined, table: TableDef, ctx: BindContext, alias: string, clause = 'RETURNING'): Returning | null {
  if (list === undefined || list.length === 0) return null;
  const level = new QueryLevel(null);
  level.scope = tableScope(table);
  if (alias !== table.name) level.scope.relations[0].alias = alias;
  const s: ExprScope = { ctx, level, aggregates: null, clause };
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
    if (hasSubquery(e)) throw notSupported(`subqueries in ${clause}`);
    exprs.push(e);
    const col = e.kind === 'column' ? e.index : -1;
    output.push({ name: rt.name ?? figureColumnName(rt.val), type: e.type, tableOid: col >= 0 ? table.id : 0, columnAttr: col >= 0 ? col + 1 : 0 });
  }
  return { exprs, output };
}

export function bindInsert(n: any, ctx: BindContext): BoundStatement {
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
  const defaults = table.columns.map((c) => defaultExpr(c, ctx, table));
  const override: string = n.override ?? 'OVERRIDING_NOT_SET';
  // GENERATED ALWAYS AS IDENTITY takes no explicit value unless OVERRIDING SYSTEM VALUE; OVERRIDING USER VALUE ignores given values.
  const explicitIdentity = (col: number) => {
    const c = table.columns[col];
    if (c.identity === 'always' && override === 'OVERRIDING_NOT_SET')
      throw new SqlError(SqlState.generatedAlways, `cannot insert a non-DEFAULT value into column "${c.name}"`, {
        detail: `Column "${c.name}" is an identity column defined as GENERATED ALWAYS.`,
        hint: 'Use OVERRIDING SYSTEM VALUE to override.',
      });
    return c.identity !== undefined && override === 'OVERRIDING_USER_VALUE';
  };
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
        if (explicitIdentity(col)) return;
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
      if (explicitIdentity(col)) return;
      exprs[col] = assignTo({ kind: 'column', index: k, type: query.output[k].type }, table.columns[col], ctx);
    });
    source = { kind: 'project', input: query, exprs, output };
  }
  const alias = n.relation.alias?.aliasname ?? table.name;
  const onConflict = n.onConflictClause === undefined ? null : bindOnConflict(n.onConflictClause, table, alias, ctx);
  return { kind: 'insert', table, source, returning: bindReturning(n.returningList, table, ctx, alias), onConflict };
}

/** Scan of all columns plus RowId, filtered by WHERE; the scope is the table's columns. */
export function scanForUpdate(n: any, table: TableDef, ctx: BindContext, level: QueryLevel): PlanNode {
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
    const idx = table.columns.findIndex((c) => c.name === rt.name);
    if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${rt.name}" of relation "${table.name}" does not exist`, { position: pos(rt) });
    if (seen.has(idx)) throw new SqlError(SqlState.syntaxError, `multiple assignments to same column "${rt.name}"`);
    seen.add(idx);
    if (table.columns[idx].identity === 'always' && rt.val.SetToDefault === undefined)
      throw new SqlError(SqlState.generatedAlways, `column "${rt.name}" can only be updated to DEFAULT`, {
        detail: `Column "${rt.name}" is an identity column defined as GENERATED ALWAYS.`,
      });
    if (rt.indirection !== undefined) {
      // SET col[i] = v
      const column: Expr = { kind: 'column', index: idx, type: table.columns[idx].type };
      exprs[idx] = bindElementAssignment(rt.indirection, column, bindExpr(rt.val, s), (x) => bindExpr(x, s), ctx, pos(rt));
      continue;
    }
    exprs[idx] = rt.val.SetToDefault !== undefined ? defaultExpr(table.columns[idx], ctx, table) : assignTo(bindExpr(rt.val, s), table.columns[idx], ctx, pos(rt));
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

/**
 * ON CONFLICT [(cols) | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET … [WHERE …]. The arbiters are
 * the unique keys whose columns are exactly the listed ones (all keys when none are listed, DO
 * NOTHING only). SET and WHERE see the existing row under the table's name (or alias) and the
 * proposed row as `excluded`: columns 0..n-1 and n..2n-1 of the row they are evaluated on.
 */
function bindOnConflict(c: any, table: TableDef, alias: string, ctx: BindContext): OnConflict {
  const keys = uniqueKeysOf(table);
  let arbiters: string[];
  const infer = c.infer;
  if (infer?.conname !== undefined) {
    const k = keys.find((x) => x.name === infer.conname);
    if (k === undefined) throw new SqlError(SqlState.undefinedObject, `constraint "${infer.conname}" for table "${table.name}" does not exist`);
    arbiters = [k.name];
  } else if (infer?.indexElems !== undefined) {
    if (infer.whereClause !== undefined) throw notSupported('ON CONFLICT with a partial index predicate');
    const cols = infer.indexElems.map((e: any) => {
      const name = e.IndexElem.name;
      if (name === undefined) throw notSupported('ON CONFLICT on expressions');
      const idx = table.columns.findIndex((col) => col.name === name);
      if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${name}" does not exist`);
      return idx;
    });
    const want = [...new Set<number>(cols)].sort((a, b) => a - b).join(',');
    arbiters = keys.filter((k) => [...k.columns].sort((a, b) => a - b).join(',') === want).map((k) => k.name);
    if (arbiters.length === 0)
      throw new SqlError(SqlState.invalidColumnReference, 'there is no unique or exclusion constraint matching the ON CONFLICT specification');
  } else {
    if (c.action === 'ONCONFLICT_UPDATE')
      throw new SqlError(SqlState.syntaxError, 'ON CONFLICT DO UPDATE requires inference specification or constraint name', {
        hint: 'For example, ON CONFLICT (column_name).',
      });
    arbiters = keys.map((k) => k.name);
  }
  if (c.action !== 'ONCONFLICT_UPDATE') return { keys: arbiters, action: 'nothing', set: null, where: null };
  const level = new QueryLevel(null);
  const scope = new Scope();
  const cols = table.columns.map((col, i) => ({ name: col.name, type: col.type, tableOid: table.id, columnAttr: i + 1 }));
  scope.add(alias, cols);
  scope.add('excluded', cols);
  level.scope = scope;
  const s: ExprScope = { ctx, level, aggregates: null, clause: 'UPDATE' };
  const set: Expr[] = table.columns.map((col, i) => ({ kind: 'column', index: i, type: col.type }));
  const seen = new Set<number>();
  for (const item of c.targetList ?? []) {
    const rt = item.ResTarget;
    if (rt.indirection !== undefined) throw notSupported('assignment to a field or array element');
    const idx = table.columns.findIndex((col) => col.name === rt.name);
    if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${rt.name}" of relation "${table.name}" does not exist`, { position: pos(rt) });
    if (seen.has(idx)) throw new SqlError(SqlState.syntaxError, `multiple assignments to same column "${rt.name}"`);
    seen.add(idx);
    if (table.columns[idx].identity === 'always' && rt.val.SetToDefault === undefined)
      throw new SqlError(SqlState.generatedAlways, `column "${rt.name}" can only be updated to DEFAULT`, { detail: `Column "${rt.name}" is an identity column defined as GENERATED ALWAYS.` });
    const e = rt.val.SetToDefault !== undefined ? defaultExpr(table.columns[idx], ctx, table) : assignTo(bindExpr(rt.val, s), table.columns[idx], ctx, pos(rt));
    if (hasSubquery(e)) throw notSupported('subqueries in ON CONFLICT DO UPDATE');
    set[idx] = e;
  }
  const where = c.whereClause === undefined ? null : requireType(bindExpr(c.whereClause, s), Types.bool, ctx, 'WHERE');
  if (where !== null && hasSubquery(where)) throw notSupported('subqueries in ON CONFLICT … WHERE');
  return { keys: arbiters, action: 'update', set, where };
}
