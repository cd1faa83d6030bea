// Binds SELECT (and VALUES, set operations, WITH) into a plan:
// FROM/WHERE → aggregate → HAVING → project (+ hidden sort columns) → DISTINCT → sort → limit.
import { Expr } from '../plan/expr';
import { AggregateNode, OutputColumn, PlanNode, SortKey } from '../plan/plan';
import { DataType, Types, formatType } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { columnsUsed, exprKey, mapChildren } from '../planner/expr-utils';
import { BindContext, QueryLevel } from './bind-context';
import { AGG_BASE, AggregateCollector, ExprScope, bindExpr, bindTypedExpr } from './bind-expr';
import { bindFromWhere } from './bind-from';
import { annotateAggregate } from '../planner/learned-aggregate';
import { coerce, commonTypeOf, requireType } from './coerce';
import { expandSelectListSeries } from './bind-srf';
import { WIN_BASE, WindowCollector, mapWindowCall, resolveWindowRefs } from './bind-window';

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

/** Binds a subquery used in an expression; its captures are the outer values it reads. */
export function bindSubquery(node: any, ctx: BindContext, parent: QueryLevel): { plan: PlanNode; captures: Expr[] } {
  const level = new QueryLevel(parent);
  const plan = bindQueryPlan(node, ctx, level);
  return { plan, captures: level.captures };
}

/** Binds a top-level query; CTE plans are attached as a WithNode around it. */
export function bindTopQuery(node: any, ctx: BindContext): PlanNode {
  const level = new QueryLevel(null);
  const plan = bindQueryPlan(node, ctx, level);
  if (ctx.ctePlans.length === 0) return plan;
  return { kind: 'with', ctes: ctx.ctePlans.splice(0), input: plan, output: plan.output };
}

/** Any SelectStmt node (wrapped `{SelectStmt: …}` or bare) at a given level. */
export function bindQueryPlan(node: any, ctx: BindContext, level: QueryLevel): PlanNode {
  const stmt = node.SelectStmt ?? node;
  if (stmt.withClause !== undefined) bindWith(stmt.withClause, ctx, level);
  if (stmt.op !== undefined && stmt.op !== 'SETOP_NONE') return bindSetOperation(stmt, ctx, level);
  if (stmt.valuesLists !== undefined) return finishQuery(bindValues(stmt.valuesLists, ctx, level), stmt, ctx, level);
  return bindSelectCore(stmt, ctx, level);
}

function bindWith(withClause: any, ctx: BindContext, level: QueryLevel): void {
  for (const c of withClause.ctes) {
    const cte = c.CommonTableExpr;
    if (withClause.recursive && refersTo(cte.ctequery, cte.ctename)) {
      bindRecursiveCte(cte, ctx, level);
      continue;
    }
    const sub = new QueryLevel(level);
    const plan = bindQueryPlan(cte.ctequery, ctx, sub);
    if (sub.captures.length > 0) throw notSupported('correlated WITH queries');
    const names: string[] = (cte.aliascolnames ?? []).map((a: any) => a.String.sval);
    const id = ctx.nextCteId++;
    ctx.ctePlans.push({ id, plan });
    level.ctes.set(cte.ctename, { id, name: cte.ctename, columns: plan.output.map((o, i) => ({ name: names[i] ?? o.name, type: o.type })) });
  }
}

/** Whether a query's AST names relation `name` (unqualified) anywhere. */
function refersTo(node: any, name: string): boolean {
  if (Array.isArray(node)) return node.some((x) => refersTo(x, name));
  if (node === null || typeof node !== 'object') return false;
  if (node.RangeVar !== undefined && node.RangeVar.schemaname === undefined && node.RangeVar.relname === name) return true;
  return Object.values(node).some((v) => refersTo(v, name));
}

/**
 * WITH RECURSIVE name AS (initial UNION [ALL] recursive): the initial term fixes the column types;
 * the recursive term reads the working table through a CTE scan of the same id.
 */
function bindRecursiveCte(cte: any, ctx: BindContext, level: QueryLevel): void {
  const name: string = cte.ctename;
  const q = cte.ctequery.SelectStmt;
  if (q === undefined || q.op !== 'SETOP_UNION')
    throw new SqlError(SqlState.invalidRecursion, `recursive query "${name}" does not have the form non-recursive-term UNION [ALL] recursive-term`);
  if (q.sortClause !== undefined) throw notSupported('ORDER BY in a recursive query');
  if (q.limitCount !== undefined || q.limitOffset !== undefined) throw notSupported('LIMIT/OFFSET in a recursive query');
  if (refersTo(q.larg, name)) throw new SqlError(SqlState.invalidRecursion, `recursive reference to query "${name}" must not appear within its non-recursive term`);
  const first = new QueryLevel(level);
  const initial = bindQueryPlan(q.larg, ctx, first);
  if (first.captures.length > 0) throw notSupported('correlated WITH queries');
  const names: string[] = (cte.aliascolnames ?? []).map((a: any) => a.String.sval);
  if (names.length > initial.output.length)
    throw new SqlError(SqlState.invalidColumnReference, `WITH query "${name}" has ${initial.output.length} columns available but ${names.length} columns specified`);
  const types = initial.output.map((o) => (o.type.name === 'unknown' ? Types.text : o.type));
  const id = ctx.nextCteId++;
  level.ctes.set(name, { id, name, columns: initial.output.map((o, i) => ({ name: names[i] ?? o.name, type: types[i] })) });
  const second = new QueryLevel(level);
  const recursive = bindQueryPlan(q.rarg, ctx, second);
  if (second.captures.length > 0) throw notSupported('correlated WITH queries');
  if (recursive.output.length !== initial.output.length) throw new SqlError(SqlState.syntaxError, 'each UNION query must have the same number of columns');
  recursive.output.forEach((o, i) => {
    if (o.type.name !== types[i].name && o.type.name !== 'unknown')
      throw new SqlError(
        SqlState.datatypeMismatch,
        `recursive query "${name}" column ${i + 1} has type ${formatType(types[i])} in non-recursive term but type ${formatType(o.type)} overall`,
        { hint: 'Cast the output of the non-recursive term to the correct type.' },
      );
  });
  const fit = (p: PlanNode): PlanNode =>
    p.output.every((o, i) => o.type === types[i])
      ? p
      : { kind: 'project', input: p, exprs: p.output.map((o, i) => coerce({ kind: 'column', index: i, type: o.type }, types[i], ctx)), output: p.output.map((o, i) => ({ name: o.name, type: types[i] })) };
  const output = initial.output.map((o, i) => ({ name: names[i] ?? o.name, type: types[i] }));
  ctx.ctePlans.push({ id, plan: { kind: 'recursiveunion', cteId: id, all: q.all === true, initial: fit(initial), recursive: fit(recursive), output } });
}

function bindValues(lists: any[], ctx: BindContext, level: QueryLevel): PlanNode {
  const s: ExprScope = { ctx, level, aggregates: null, clause: 'VALUES' };
  const rows: Expr[][] = lists.map((l) => l.List.items.map((i: any) => bindExpr(i, s)));
  const width = rows[0].length;
  for (const r of rows) if (r.length !== width) throw new SqlError(SqlState.syntaxError, 'VALUES lists must all be the same length');
  const types = [...Array(width).keys()].map((c) => commonTypeOf(rows.map((r) => r[c].type), 'VALUES'));
  const coerced = rows.map((r) => r.map((e, c) => coerce(e, types[c], ctx)));
  return { kind: 'values', rows: coerced, output: types.map((type, c) => ({ name: `column${c + 1}`, type })) };
}

function bindSetOperation(stmt: any, ctx: BindContext, level: QueryLevel): PlanNode {
  const left = bindBranch(stmt.larg, ctx, level);
  const right = bindBranch(stmt.rarg, ctx, level);
  const opName = stmt.op === 'SETOP_UNION' ? 'UNION' : stmt.op === 'SETOP_INTERSECT' ? 'INTERSECT' : 'EXCEPT';
  if (left.output.length !== right.output.length)
    throw new SqlError(SqlState.syntaxError, `each ${opName} query must have the same number of columns`);
  const types = left.output.map((c, i) => commonTypeOf([c.type, right.output[i].type], opName));
  const cast = (p: PlanNode): PlanNode =>
    p.output.every((c, i) => c.type === types[i])
      ? p
      : {
          kind: 'project',
          input: p,
          exprs: p.output.map((c, i) => coerce({ kind: 'column', index: i, type: c.type }, types[i], ctx)),
          output: p.output.map((c, i) => ({ name: c.name, type: types[i] })),
        };
  const op = stmt.op === 'SETOP_UNION' ? 'union' : stmt.op === 'SETOP_INTERSECT' ? 'intersect' : 'except';
  if (stmt.all !== true) for (const t of types) requireJsonOperator(t, 'equality');
  const plan: PlanNode = {
    kind: 'setop',
    op,
    all: stmt.all === true,
    left: cast(left),
    right: cast(right),
    output: left.output.map((c, i) => ({ name: c.name, type: types[i] })),
  };
  return finishQuery(plan, stmt, ctx, level);
}

function bindBranch(node: any, ctx: BindContext, level: QueryLevel): PlanNode {
  // Branches see the same outer query and CTEs; a fresh level keeps their FROM scopes apart.
  const branch = new QueryLevel(level.parent);
  for (const [k, v] of level.ctes) branch.ctes.set(k, v);
  const plan = bindQueryPlan(node, ctx, branch);
  if (branch.captures.length > 0) {
    // Re-capture the branch's outer values at this level so they reach the same outer row.
    const slots = branch.captures.map((e) => level.capture(e).slot);
    return remapOuterSlots(plan, slots);
  }
  return plan;
}

/** Rewrites OuterRef slots inside a plan (set-operation branches share their level's captures). */
function remapOuterSlots(plan: PlanNode, slots: number[]): PlanNode {
  // Only this level's OuterRefs: nested subqueries have their own slots, reached through their args.
  const visit = (x: any): any => {
    if (Array.isArray(x)) return x.map(visit);
    if (x === null || typeof x !== 'object') return x;
    if (x.kind === 'outer') return { ...x, slot: slots[x.slot] };
    if (x.kind === 'subquery') return { ...x, args: x.args.map(visit), test: visit(x.test) };
    const out: any = {};
    for (const k of Object.keys(x)) out[k] = visit(x[k]);
    return out;
  };
  return visit(plan);
}

/** ORDER BY / LIMIT / OFFSET over a finished set operation or VALUES (names are output names). */
function finishQuery(plan: PlanNode, stmt: any, ctx: BindContext, level: QueryLevel): PlanNode {
  if (stmt.sortClause !== undefined) {
    const keys: SortKey[] = stmt.sortClause.map((sb: any) => {
      const s = sb.SortBy;
      const idx = outputIndex(s.node, plan.output);
      if (idx === -1) throw notSupported('ORDER BY expressions on UNION/INTERSECT/EXCEPT results other than output columns');
      return sortKey(s, { kind: 'column', index: idx, type: plan.output[idx].type });
    });
    plan = { kind: 'sort', input: plan, keys, limit: null, output: plan.output };
  }
  return bindLimit(plan, stmt, ctx, level);
}

/** Index of an ORDER BY item naming an output column (by name or ordinal), or -1. */
export function outputIndex(node: any, output: OutputColumn[]): number {
  const c = node.A_Const;
  if (c !== undefined && c.ival !== undefined) {
    const n = c.ival.ival ?? 0;
    if (n < 1 || n > output.length) throw new SqlError(SqlState.invalidColumnReference, `ORDER BY position ${n} is not in select list`, { position: pos(c) });
    return n - 1;
  }
  const ref = node.ColumnRef;
  if (ref !== undefined && ref.fields.length === 1 && ref.fields[0].String !== undefined) {
    const name = ref.fields[0].String.sval;
    const matches = output.map((o, i) => (o.name === name ? i : -1)).filter((i) => i >= 0);
    if (matches.length > 1) throw new SqlError(SqlState.ambiguousColumn, `ORDER BY "${name}" is ambiguous`, { position: pos(ref) });
    if (matches.length === 1) return matches[0];
  }
  return -1;
}

/** json has neither ordering nor equality operators in PostgreSQL (jsonb has both). */
function requireJsonOperator(type: DataType, what: 'ordering' | 'equality', position?: number): void {
  if (type.name === 'json')
    throw new SqlError(SqlState.undefinedFunction, `could not identify an ${what} operator for type json`, {
      position,
      hint: what === 'ordering' ? 'Use an explicit ordering operator or modify the query.' : undefined,
    });
}

export function sortKey(s: any, expr: Expr): SortKey {
  requireJsonOperator(expr.type, 'ordering', pos(s.node));
  const descending = s.sortby_dir === 'SORTBY_DESC';
  if (s.sortby_dir === 'SORTBY_USING') throw notSupported('ORDER BY USING');
  const nullsFirst = s.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : s.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : descending;
  return { expr, descending, nullsFirst };
}

function bindLimit(plan: PlanNode, stmt: any, ctx: BindContext, level: QueryLevel): PlanNode {
  if (stmt.limitCount === undefined && stmt.limitOffset === undefined) return plan;
  if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') throw notSupported('FETCH … WITH TIES');
  const s: ExprScope = { ctx, level, aggregates: null, clause: 'LIMIT' };
  const bindCount = (node: any, what: string): Expr | null => {
    if (node === undefined) return null;
    const e = bindExpr(node, { ...s, clause: what });
    if (columnsUsed(e).size > 0) throw new SqlError(SqlState.invalidColumnReference, `argument of ${what} must not contain variables`);
    return coerce(e, Types.int8, ctx);
  };
  const limit = bindCount(stmt.limitCount, 'LIMIT');
  const offset = bindCount(stmt.limitOffset, 'OFFSET');
  // Top-N: a sort directly below a constant limit only needs limit+offset rows.
  if (plan.kind === 'sort' && limit?.kind === 'const' && typeof limit.value === 'number' && (offset === null || (offset.kind === 'const' && typeof offset.value === 'number')))
    plan = { ...plan, limit: limit.value + (offset === null ? 0 : (offset.value as number)) };
  return { kind: 'limit', input: plan, limit, offset, output: plan.output };
}

interface Target {
  expr: Expr;
  name: string;
  tableOid: number;
  columnAttr: number;
}

function bindSelectCore(stmt: any, ctx: BindContext, level: QueryLevel): PlanNode {
  if (stmt.intoClause !== undefined) throw notSupported('SELECT INTO');
  if (stmt.lockingClause !== undefined) throw notSupported('SELECT … FOR UPDATE/SHARE');
  let plan = bindFromWhere(stmt.fromClause, stmt.whereClause, ctx, level);
  const series = expandSelectListSeries(stmt.targetList ?? [], plan, ctx, level);
  plan = series.plan;
  const aggregates = new AggregateCollector();
  const windows = new WindowCollector(stmt.windowClause);
  const scope: ExprScope = { ctx, level, aggregates, clause: 'SELECT', windows };

  const targets = bindTargets(series.targetList, scope);
  const groupExprs: Expr[] = (stmt.groupClause ?? []).map((g: any) => bindGroupItem(g, targets, { ...scope, aggregates: null, windows: null, clause: 'GROUP BY' }));
  for (const g of groupExprs) requireJsonOperator(g.type, 'equality');
  const having = stmt.havingClause !== undefined ? requireType(bindExpr(stmt.havingClause, { ...scope, windows: null, clause: 'HAVING' }), Types.bool, ctx, 'HAVING') : null;

  // ORDER BY: output names/ordinals first, then expressions over the FROM scope.
  const distinct = stmt.distinctClause !== undefined;
  const distinctOn = distinct && stmt.distinctClause.length > 0 && Object.keys(stmt.distinctClause[0]).length > 0;
  const hidden: Expr[] = [];
  const orderKeys: { target: number; s: any }[] = [];
  for (const sb of stmt.sortClause ?? []) {
    const s = sb.SortBy;
    const idx = outputIndex(s.node, targets.map((t) => ({ name: t.name, type: t.expr.type })));
    if (idx !== -1) {
      orderKeys.push({ target: idx, s });
      continue;
    }
    const e = bindTypedExpr(s.node, { ...scope, clause: 'ORDER BY' });
    const same = targets.findIndex((t) => exprKey(t.expr) === exprKey(e));
    if (same !== -1) {
      orderKeys.push({ target: same, s });
      continue;
    }
    if (distinct && !distinctOn)
      throw new SqlError(SqlState.invalidColumnReference, 'for SELECT DISTINCT, ORDER BY expressions must appear in select list', { position: pos(s.node) });
    hidden.push(e);
    orderKeys.push({ target: targets.length + hidden.length - 1, s });
  }
  const distinctOnExprs: Expr[] = distinctOn
    ? stmt.distinctClause.map((d: any) => {
        const idx = outputIndex(d, targets.map((t) => ({ name: t.name, type: t.expr.type })));
        return idx !== -1 ? targets[idx].expr : bindTypedExpr(d, { ...scope, clause: 'DISTINCT ON' });
      })
    : [];

  let projected: Expr[] = [...targets.map((t) => t.expr), ...hidden];
  let havingExpr = having;
  let onExprs = distinctOnExprs;
  let windowCalls = windows.calls;
  const aggregating = groupExprs.length > 0 || aggregates.calls.length > 0;
  if (series.expanded && (aggregating || having !== null || windows.calls.length > 0))
    throw notSupported('set-returning functions in the select list together with aggregates or window functions');
  if (aggregating) {
    const agg: AggregateNode = {
      kind: 'aggregate',
      input: plan,
      groupBy: groupExprs,
      aggregates: aggregates.calls,
      output: [
        ...groupExprs.map((g, i) => ({ name: `group${i}`, type: g.type })),
        ...aggregates.calls.map((a, i) => ({ name: `agg${i}`, type: a.type })),
      ],
    };
    annotateAggregate(agg, (id) => ctx.tableStatistics(id), ctx.cardinalityModel);
    const rewrite = (e: Expr) => rewriteAfterAggregate(e, groupExprs, level);
    projected = projected.map(rewrite);
    havingExpr = having === null ? null : rewrite(having);
    onExprs = onExprs.map(rewrite);
    windowCalls = windowCalls.map((c) => mapWindowCall(c, rewrite));
    plan = agg;
  } else if (having !== null) {
    // HAVING without GROUP BY or aggregates still makes the query a one-group aggregate.
    plan = { kind: 'aggregate', input: plan, groupBy: [], aggregates: [], output: [] };
    projected = projected.map((e) => rewriteAfterAggregate(e, [], level));
    havingExpr = rewriteAfterAggregate(having, [], level);
    windowCalls = windowCalls.map((c) => mapWindowCall(c, (e) => rewriteAfterAggregate(e, [], level)));
  }
  if (havingExpr !== null) plan = { kind: 'filter', input: plan, predicate: havingExpr, output: plan.output };
  if (windowCalls.length > 0) {
    // Window functions run after grouping and HAVING, before the projection, DISTINCT and ORDER BY.
    const width = plan.output.length;
    plan = { kind: 'window', input: plan, calls: windowCalls, output: [...plan.output, ...windowCalls.map((c, i) => ({ name: `window${i}`, type: c.type }))] };
    projected = projected.map((e) => resolveWindowRefs(e, width));
    onExprs = onExprs.map((e) => resolveWindowRefs(e, width));
  }

  const output: OutputColumn[] = projected.map((e, i) =>
    i < targets.length
      ? { name: targets[i].name, type: e.type, tableOid: targets[i].tableOid, columnAttr: targets[i].columnAttr }
      : { name: `?sort${i}`, type: e.type },
  );
  plan = { kind: 'project', input: plan, exprs: projected, output };
  const sortKeys = orderKeys.map((k) => sortKey(k.s, { kind: 'column', index: k.target, type: output[k.target].type }));
  if (distinct) for (const e of distinctOn ? onExprs : projected) requireJsonOperator(e.type, 'equality');
  if (distinct && distinctOn) {
    // DISTINCT ON keeps the first row of each key in ORDER BY order: sort first (the distinct streams in order).
    const on = onExprs.map((e) => projectedIndex(e, projected));
    if (sortKeys.length > 0) plan = { kind: 'sort', input: plan, keys: sortKeys, limit: null, output };
    plan = { kind: 'distinct', input: plan, on, output };
  } else {
    if (distinct) plan = { kind: 'distinct', input: plan, on: null, output };
    if (sortKeys.length > 0) plan = { kind: 'sort', input: plan, keys: sortKeys, limit: null, output };
  }
  plan = bindLimit(plan, stmt, ctx, level);
  if (hidden.length > 0) {
    const visible = output.slice(0, targets.length);
    plan = { kind: 'project', input: plan, exprs: visible.map((o, i) => ({ kind: 'column', index: i, type: o.type })), output: visible };
  }
  return plan;
}

/** DISTINCT ON keys become references to projected columns (adding none: they must be projected). */
function projectedIndex(e: Expr, projected: Expr[]): Expr {
  const idx = projected.findIndex((p) => exprKey(p) === exprKey(e));
  if (idx === -1) throw new SqlError(SqlState.invalidColumnReference, 'SELECT DISTINCT ON expressions must match initial ORDER BY expressions');
  return { kind: 'column', index: idx, type: e.type };
}

function bindTargets(list: any[], s: ExprScope): Target[] {
  const out: Target[] = [];
  for (const item of list) {
    const rt = item.ResTarget;
    const val = rt.val;
    const ref = val.ColumnRef;
    if (ref !== undefined && ref.fields[ref.fields.length - 1].A_Star !== undefined) {
      const qualifier = ref.fields.length > 1 ? ref.fields[ref.fields.length - 2].String.sval : null;
      const rels = qualifier === null ? s.level.scope.relations : s.level.scope.relations.filter((r) => r.alias === qualifier);
      if (qualifier !== null && rels.length === 0)
        throw new SqlError(SqlState.undefinedTable, `missing FROM-clause entry for table "${qualifier}"`, { position: pos(ref) });
      if (qualifier === null && rels.length === 0) throw new SqlError(SqlState.syntaxError, 'SELECT * with no tables specified is not valid', { position: pos(ref) });
      for (const rel of rels)
        for (const c of rel.columns) {
          if (c.hidden || (qualifier === null && rel.hiddenUnqualified?.has(c.name))) continue;
          out.push({ expr: { kind: 'column', index: c.index, type: c.type }, name: c.name, tableOid: c.tableOid, columnAttr: c.columnAttr });
        }
      continue;
    }
    // A reg* value in the select list is shown as the object's name (Tessera keeps reg* values as OIDs).
    const expr = bindTypedExpr(isRegCast(val) ? { TypeCast: { arg: val, typeName: { names: [{ String: { sval: 'text' } }] } } } : val, s);
    let tableOid = 0;
    let columnAttr = 0;
    if (expr.kind === 'column' && expr.index < AGG_BASE) {
      const col = s.level.scope.allColumns().find((c) => c.index === expr.index);
      if (col !== undefined) {
        tableOid = col.tableOid;
        columnAttr = col.columnAttr;
      }
    }
    out.push({ expr, name: rt.name ?? figureColumnName(val), tableOid, columnAttr });
  }
  return out;
}

/**
 * A cast's column name as PostgreSQL's FigureColname picks it: the name of what is cast when that is
 * strong (a column, a function), else the type name, which is weak: an outer cast replaces it.
 */
function castColumnName(n: any): { name: string; strong: boolean } {
  const names = n.typeName.names;
  const own = names[names.length - 1].String.sval;
  if (n.arg.TypeCast !== undefined) {
    const inner = castColumnName(n.arg.TypeCast);
    return inner.strong ? inner : { name: own, strong: false };
  }
  const inner = figureColumnName(n.arg);
  return inner !== '?column?' ? { name: inner, strong: true } : { name: own, strong: false };
}

function isRegCast(node: any): boolean {
  const names: any[] | undefined = node.TypeCast?.typeName?.names;
  const last: string | undefined = names?.[names.length - 1]?.String?.sval;
  return last !== undefined && /^reg(class|type|namespace|role)$/.test(last) && (node.TypeCast.typeName.arrayBounds ?? []).length === 0;
}

/** PostgreSQL's FigureColname: the name a result column gets without an alias. */
export function figureColumnName(node: any): string {
  const [tag] = Object.keys(node);
  const n = node[tag];
  switch (tag) {
    case 'ColumnRef': {
      const last = n.fields[n.fields.length - 1];
      return last.String !== undefined ? last.String.sval : '?column?';
    }
    case 'FuncCall':
      return n.funcname[n.funcname.length - 1].String.sval;
    case 'TypeCast': {
      return castColumnName(n).name;
    }
    case 'CaseExpr':
      return 'case';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return n.op === 'IS_GREATEST' ? 'greatest' : 'least';
    case 'A_Expr':
      return n.kind === 'AEXPR_NULLIF' ? 'nullif' : '?column?';
    case 'A_ArrayExpr':
      return 'array';
    case 'SubLink':
      if (n.subLinkType === 'EXISTS_SUBLINK') return 'exists';
      if (n.subLinkType === 'ARRAY_SUBLINK') return 'array';
      if (n.subLinkType === 'EXPR_SUBLINK') {
        const first = n.subselect.SelectStmt?.targetList?.[0]?.ResTarget;
        if (first !== undefined) return first.name ?? figureColumnName(first.val);
      }
      return '?column?';
    case 'SQLValueFunction': {
      const map: Record<string, string> = {
        SVFOP_CURRENT_DATE: 'current_date',
        SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
        SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
        SVFOP_LOCALTIMESTAMP: 'localtimestamp',
        SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
        SVFOP_CURRENT_USER: 'current_user',
        SVFOP_SESSION_USER: 'session_user',
        SVFOP_USER: 'current_user',
      };
      return map[n.op] ?? '?column?';
    }
    case 'BoolExpr':
    case 'NullTest':
    case 'BooleanTest':
    case 'A_Const':
    default:
      return '?column?';
  }
}

/** GROUP BY item: an output ordinal, an input column or expression, or an output alias. */
function bindGroupItem(node: any, targets: Target[], s: ExprScope): Expr {
  const c = node.A_Const;
  if (c !== undefined && c.ival !== undefined) {
    const n = c.ival.ival ?? 0;
    if (n < 1 || n > targets.length) throw new SqlError(SqlState.invalidColumnReference, `GROUP BY position ${n} is not in select list`, { position: pos(c) });
    return targets[n - 1].expr;
  }
  const ref = node.ColumnRef;
  if (ref !== undefined && ref.fields.length === 1 && ref.fields[0].String !== undefined) {
    const name = ref.fields[0].String.sval;
    if (s.level.scope.lookup(name, null) === undefined) {
      const t = targets.find((t) => t.name === name);
      if (t !== undefined) return t.expr;
    }
  }
  if (node.GroupingSet !== undefined) throw notSupported('GROUPING SETS, ROLLUP and CUBE');
  return bindTypedExpr(node, s);
}

/**
 * Rewrites an expression bound over the FROM row into one over the aggregate's output row:
 * group-key subtrees → group columns, aggregate placeholders → aggregate columns; any other
 * column reference is the 42803 grouping error.
 */
function rewriteAfterAggregate(e: Expr, groupExprs: Expr[], level: QueryLevel): Expr {
  const keys = groupExprs.map(exprKey);
  const g = groupExprs.length;
  const visit = (x: Expr): Expr => {
    const k = keys.indexOf(exprKey(x));
    if (k !== -1) return { kind: 'column', index: k, type: x.type };
    if (x.kind === 'column') {
      if (x.index >= WIN_BASE) return x;
      if (x.index >= AGG_BASE) return { kind: 'column', index: g + (x.index - AGG_BASE), type: x.type };
      const rel = level.scope.relations.find((r) => r.columns.some((c) => c.index === x.index));
      const col = rel?.columns.find((c) => c.index === x.index);
      const name = rel === undefined || col === undefined ? '?' : `${rel.alias}.${col.name}`;
      throw new SqlError(SqlState.groupingError, `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`);
    }
    if (x.kind === 'subquery') return { ...x, args: x.args.map(visit), test: x.test === null ? null : visit(x.test) };
    return mapChildren(x, visit);
  };
  return visit(e);
}

