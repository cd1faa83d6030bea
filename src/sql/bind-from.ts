// Binds a FROM clause: tables, views, CTE references, subqueries in FROM, and joins. Inner joins and
// comma lists are handed to the planner's join ordering together with the WHERE conjuncts.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { planExplicitJoin, planInnerJoins, planSemiJoin, JoinRelation } from '../planner/join-planner';
import { DistributionMode, SHUFFLE_MIN_BUILD_ROWS, markJoinDistribution } from '../planner/join-distribution';
import { factorOrConjuncts } from '../planner/factor-or';
import { BindContext, QueryLevel, ROW_ID_COLUMN, Scope } from './bind-context';
import { ExprScope, bindExpr } from './bind-expr';
import { requireType, coerce, commonType } from './coerce';
import { bindQueryPlan } from './bind-query';
import { parseSql } from './parse';
import { SequenceDef } from '../storage/api';
import { bindSystemRelation, lookupSystemRelation } from './system-catalog/bind-system';
import { bindSeriesArgs, bindSeriesScan, bindUnnestArgs, setCallType } from './bind-srf';
import { bindRangeFunction } from './bind-unnest';
import { STORAGE_STATS_FUNCTION, bindStorageStats, isStorageStatsRelation } from './bind-storage-stats';
import { BUFFER_STATS_FUNCTION, bindBufferStats, isBufferStatsRelation } from './bind-buffer-stats';
import { COMMIT_STATS_FUNCTION, bindCommitStats } from './bind-commit-stats';
import { INTERCONNECT_STATS_FUNCTION, bindInterconnectStats } from './bind-interconnect-stats';
import { CLUSTER_NODES_FUNCTION, bindClusterNodes } from './bind-cluster-nodes';
import { ROUTE_STATS_FUNCTION, bindRouteStats } from './bind-route-stats';
import { FRAGMENT_STATS_FUNCTION, bindFragmentStats } from './bind-fragment-stats';
import { ML_MODEL_FUNCTION, bindMlModel, isMlModelRelation } from './bind-ml-model';
import { WORKER_MEMORY_FUNCTION, bindWorkerMemory } from './bind-worker-memory';
import { columnsUsed, mapChildren } from '../planner/expr-utils';
import { SemiJoin, tryDecorrelate, tryDecorrelateScalarAggregate } from './decorrelate';

/** Statistics the planner needs from the binder's environment. */
export interface FromItem {
  plan: PlanNode;
  scope: Scope;
  estimatedRows: number;
}

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

/**
 * Binds the FROM list and WHERE clause into one plan; level.scope becomes the combined scope.
 * WHERE conjuncts are bound over the combined scope and planned with the joins.
 */
export function bindFromWhere(fromClause: any[] | undefined, whereClause: any, ctx: BindContext, level: QueryLevel): PlanNode {
  if (fromClause === undefined || fromClause.length === 0) {
    level.scope = new Scope();
    const one: PlanNode = { kind: 'values', rows: [[]], output: [] };
    if (whereClause === undefined) return one;
    const pred = requireType(bindExpr(whereClause, { ctx, level, aggregates: null, clause: 'WHERE' }), Types.bool, ctx, 'WHERE');
    return { kind: 'filter', input: one, predicate: pred, output: [] };
  }
  // Trailing function calls whose arguments read earlier FROM items (implicitly LATERAL, as
  // PostgreSQL treats functions in FROM) run as ProjectSets over the joined rows.
  let split = fromClause.length;
  while (split > 1 && isLateralFunction(fromClause[split - 1])) split--;
  if (split < fromClause.length) return bindLateralFunctions(fromClause.slice(0, split), fromClause.slice(split), whereClause, ctx, level);
  // Flatten comma lists and inner joins into relations + conjuncts; outer joins stay whole.
  const relations: FromItem[] = [];
  const onConditions: any[] = [];
  const scope = new Scope();
  for (const item of fromClause) collectInner(item, ctx, level, relations, onConditions, scope);
  level.scope = scope;
  const exprScope: ExprScope = { ctx, level, aggregates: null, clause: 'WHERE' };
  const conjuncts: Expr[] = [];
  for (const on of onConditions) {
    const cond = requireType(bindExpr(on.node, { ...exprScope, clause: 'JOIN conditions' }), Types.bool, ctx, 'JOIN/ON');
    conjuncts.push(...splitAnd(cond));
  }
  const semiJoins: SemiJoin[] = [];
  const rels: JoinRelation[] = relations.map((r) => ({ plan: r.plan, estimatedRows: r.estimatedRows }));
  let width = scope.width;
  for (const node of whereClause === undefined ? [] : splitAndAst(whereClause)) {
    const semi = tryDecorrelate(node, ctx, level);
    if (semi !== null) {
      semiJoins.push(semi);
      continue;
    }
    // Grouped subqueries join as extra relations after the FROM items (columns past the scope).
    const grouped = tryDecorrelateScalarAggregate(node, ctx, level, width);
    if (grouped !== null) {
      rels.push({ plan: grouped.relation, estimatedRows: grouped.relation.estimatedRows ?? 1000 });
      width += grouped.relation.output.length;
      conjuncts.push(...grouped.conjuncts);
      continue;
    }
    conjuncts.push(...splitAnd(requireType(bindExpr(node, exprScope), Types.bool, ctx, 'WHERE')));
  }
  const lookup = (id: number) => ctx.tableStatistics(id);
  let plan = planInnerJoins(rels, factorOrConjuncts(conjuncts), lookup, ctx.cardinalityModel);
  for (const sj of semiJoins) plan = planSemiJoin(sj.joinType, plan, sj.right, sj.leftKeys, sj.rightKeys, sj.residual, lookup);
  // In a cluster only (cluster_nodes, set by the cluster layer): every statement's plan passes here.
  const nodes = Number(settingOr(ctx, 'cluster_nodes', '1')) || 1;
  if (nodes > 1) {
    const minBuildRows = Number(settingOr(ctx, 'cluster_shuffle_min_build_rows', String(SHUFFLE_MIN_BUILD_ROWS)));
    markJoinDistribution(plan, nodes, settingOr(ctx, 'cluster_join_distribution', 'auto') as DistributionMode, Number.isFinite(minBuildRows) ? minBuildRows : SHUFFLE_MIN_BUILD_ROWS);
  }
  return plan;
}

/** A setting's value, or `fallback` where the context has no such setting. */
function settingOr(ctx: BindContext, name: string, fallback: string): string {
  try {
    return ctx.setting(name);
  } catch {
    return fallback;
  }
}

/** A FROM item `f(args)` whose arguments name columns (so it may read earlier FROM items). */
function isLateralFunction(node: any): boolean {
  const f = node.RangeFunction;
  if (f === undefined || f.functions?.length !== 1) return false;
  return JSON.stringify(f.functions).includes('"ColumnRef"');
}

/** Placeholder indexes for lateral function columns while WHERE is bound (their position is known after join planning). */
const LATERAL_BASE = 1 << 22;

/**
 * FROM a, b, f(a.x) g: the other items are joined as usual (with the WHERE conjuncts that do not
 * read g), then each function runs per joined row as a ProjectSet (rows with an empty series
 * drop out, as in PostgreSQL's lateral join), then the remaining conjuncts filter. Subqueries in
 * WHERE stay correlated here (no decorrelation into joins).
 */
function bindLateralFunctions(items: any[], fns: any[], whereClause: any, ctx: BindContext, level: QueryLevel): PlanNode {
  const relations: FromItem[] = [];
  const onConditions: any[] = [];
  const scope = new Scope();
  for (const item of items) collectInner(item, ctx, level, relations, onConditions, scope);
  level.scope = scope;
  const exprScope: ExprScope = { ctx, level, aggregates: null, clause: 'WHERE' };
  const fnColumns: { type: DataType; index: number }[] = [];
  const calls: Expr[][] = [];
  for (const node of fns) {
    const n = node.RangeFunction;
    if (n.ordinality) throw notSupported('WITH ORDINALITY on a function reading other FROM items');
    const call = n.functions[0].List.items[0]?.FuncCall;
    const fname: string | undefined = call?.funcname[call.funcname.length - 1].String.sval;
    if (fname !== 'generate_series' && fname !== 'unnest') throw notSupported('this function in FROM');
    const args = (fname === 'unnest' ? bindUnnestArgs : bindSeriesArgs)(call, { ...exprScope, clause: 'functions in FROM' });
    const type = setCallType(args);
    const k = calls.length;
    calls.push(args);
    const colName: string = n.alias?.colnames?.[0]?.String.sval ?? n.alias?.aliasname ?? fname;
    const rel = scope.add(n.alias?.aliasname ?? fname, [{ name: colName, type, tableOid: 0, columnAttr: 0 }]);
    rel.columns[0].index = LATERAL_BASE + k;
    fnColumns.push({ type, index: LATERAL_BASE + k });
  }
  const conjuncts: Expr[] = [];
  for (const on of onConditions) conjuncts.push(...splitAnd(requireType(bindExpr(on.node, { ...exprScope, clause: 'JOIN conditions' }), Types.bool, ctx, 'JOIN/ON')));
  if (whereClause !== undefined) conjuncts.push(...splitAnd(requireType(bindExpr(whereClause, exprScope), Types.bool, ctx, 'WHERE')));
  const readsLateral = (e: Expr) => [...columnsUsed(e)].some((c) => c >= LATERAL_BASE);
  let plan = planInnerJoins(
    relations.map((r) => ({ plan: r.plan, estimatedRows: r.estimatedRows })),
    factorOrConjuncts(conjuncts.filter((e) => !readsLateral(e))),
  );
  // Placeholders → positions after the joined row.
  const base = plan.output.length;
  const remap = (e: Expr): Expr => remapColumns(e, (i) => (i >= LATERAL_BASE ? base + (i - LATERAL_BASE) : i));
  calls.forEach((args, k) => {
    plan = { kind: 'projectset', input: plan, calls: [args.map(remap)], output: [...plan.output, { name: `lateral${k}`, type: fnColumns[k].type }], estimatedRows: (plan.estimatedRows ?? 1) * 1000 };
  });
  for (const rel of scope.relations) for (const c of rel.columns) if (c.index >= LATERAL_BASE) c.index = base + (c.index - LATERAL_BASE);
  scope.width = plan.output.length;
  const post = conjuncts.filter(readsLateral).map(remap);
  if (post.length > 0) plan = { kind: 'filter', input: plan, predicate: post.length === 1 ? post[0] : { kind: 'and', args: post, type: Types.bool }, output: plan.output };
  return plan;
}

/** Rewrites column indexes (subquery args and tests included; their plans have their own rows). */
function remapColumns(e: Expr, f: (i: number) => number): Expr {
  if (e.kind === 'column') return { ...e, index: f(e.index) };
  if (e.kind === 'subquery') return { ...e, args: e.args.map((a) => remapColumns(a, f)), test: e.test === null ? null : remapColumns(e.test, f) };
  return mapChildren(e, (c) => remapColumns(c, f));
}

/** Top-level AND operands of a WHERE clause, as AST nodes. */
function splitAndAst(node: any): any[] {
  if (node.BoolExpr?.boolop === 'AND_EXPR') return node.BoolExpr.args.flatMap(splitAndAst);
  return [node];
}

function splitAnd(e: Expr): Expr[] {
  return e.kind === 'and' ? e.args.flatMap(splitAnd) : [e];
}

/** Walks inner joins and comma items; everything else becomes one relation. */
function collectInner(node: any, ctx: BindContext, level: QueryLevel, out: FromItem[], ons: any[], scope: Scope): void {
  const join = node.JoinExpr;
  if (join !== undefined && (join.jointype === 'JOIN_INNER' || join.jointype === undefined) && !join.usingClause && !join.isNatural) {
    collectInner(join.larg, ctx, level, out, ons, scope);
    collectInner(join.rarg, ctx, level, out, ons, scope);
    if (join.quals !== undefined) ons.push({ node: join.quals });
    if (join.alias !== undefined) throw notSupported('aliases on joins');
    return;
  }
  const item = bindFromItem(node, ctx, level);
  scope.append(item.scope);
  out.push(item);
}

/** One FROM item as a relation with its own scope (column indexes local to it). */
export function bindFromItem(node: any, ctx: BindContext, level: QueryLevel): FromItem {
  const [tag] = Object.keys(node);
  const n = node[tag];
  switch (tag) {
    case 'RangeVar':
      return bindRangeVar(n, ctx, level);
    case 'RangeSubselect': {
      if (n.lateral) throw notSupported('LATERAL');
      const sub = new QueryLevel(level);
      const plan = bindQueryPlan(n.subquery, ctx, sub);
      if (sub.captures.length > 0) throw notSupported('correlated subqueries in FROM');
      const alias = n.alias?.aliasname;
      if (alias === undefined) throw new SqlError(SqlState.syntaxError, 'subquery in FROM must have an alias', { position: pos(n) });
      return relationFromPlan(plan, alias, n.alias.colnames);
    }
    case 'JoinExpr':
      return bindExplicitJoin(n, ctx, level);
    case 'RangeFunction': {
      // unnest(array) is the catalog's (arrays are kept as text); the rest are set-returning functions.
      const first = n.functions?.[0]?.List?.items?.[0]?.FuncCall;
      if (first?.funcname?.[first.funcname.length - 1]?.String?.sval === 'unnest') return bindRangeFunction(n, ctx, level);
      if (n.lateral) throw notSupported('LATERAL');
      if (n.is_rowsfrom || n.functions.length !== 1) throw notSupported('ROWS FROM');
      const call = n.functions[0].List.items[0];
      if (call.FuncCall === undefined) throw notSupported('this function in FROM');
      const fname: string = call.FuncCall.funcname[call.FuncCall.funcname.length - 1].String.sval;
      const alias: string = n.alias?.aliasname ?? fname;
      if (fname === STORAGE_STATS_FUNCTION) return relationFromPlan(bindStorageStats(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === BUFFER_STATS_FUNCTION) return relationFromPlan(bindBufferStats(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === COMMIT_STATS_FUNCTION) return relationFromPlan(bindCommitStats(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === INTERCONNECT_STATS_FUNCTION) return relationFromPlan(bindInterconnectStats(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === CLUSTER_NODES_FUNCTION) return relationFromPlan(bindClusterNodes(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === ROUTE_STATS_FUNCTION) return relationFromPlan(bindRouteStats(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === FRAGMENT_STATS_FUNCTION) return relationFromPlan(bindFragmentStats(call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === ML_MODEL_FUNCTION) return relationFromPlan(bindMlModel(ctx, call.FuncCall.args?.length ?? 0), alias, n.alias?.colnames);
      if (fname === WORKER_MEMORY_FUNCTION) return relationFromPlan(bindWorkerMemory(call.FuncCall.args), alias, n.alias?.colnames);
      // A single-column function's column is named after the alias when no column names are given.
      const plan = bindSeriesScan(call.FuncCall, ctx, level, n.alias?.aliasname ?? fname, n.ordinality === true);
      return relationFromPlan(plan, alias, n.alias?.colnames);
    }
    default:
      throw notSupported(`FROM item ${tag}`);
  }
}

function relationFromPlan(plan: PlanNode, alias: string, colnames: any[] | undefined): FromItem {
  const names = plan.output.map((c, i) => (colnames?.[i] !== undefined ? colnames[i].String.sval : c.name));
  const scope = new Scope();
  scope.add(
    alias,
    plan.output.map((c, i) => ({ name: names[i], type: c.type, tableOid: 0, columnAttr: 0 })),
  );
  const output = plan.output.map((c, i) => ({ ...c, name: names[i] }));
  return { plan: { ...plan, output }, scope, estimatedRows: plan.estimatedRows ?? 1000 };
}

/** SELECT … FROM a sequence: its one row (last_value, log_cnt, is_called) as of binding. */
function sequenceRow(seq: SequenceDef, st: { lastValue: bigint; logCount: number; isCalled: boolean }): PlanNode {
  return {
    kind: 'values',
    rows: [[
      { kind: 'const', value: Number(st.lastValue), type: Types.int8 },
      { kind: 'const', value: st.logCount, type: Types.int8 },
      { kind: 'const', value: st.isCalled, type: Types.bool },
    ]],
    output: [
      { name: 'last_value', type: Types.int8, tableOid: seq.id, columnAttr: 1 },
      { name: 'log_cnt', type: Types.int8, tableOid: seq.id, columnAttr: 2 },
      { name: 'is_called', type: Types.bool, tableOid: seq.id, columnAttr: 3 },
    ],
  };
}

function bindRangeVar(n: any, ctx: BindContext, level: QueryLevel): FromItem {
  const name: string = n.relname;
  const schema: string | undefined = n.schemaname;
  const alias: string = n.alias?.aliasname ?? name;
  const colnames: any[] | undefined = n.alias?.colnames;
  if (schema === undefined) {
    const cte = level.findCte(name);
    if (cte !== undefined) {
      const plan: PlanNode = { kind: 'ctescan', cteId: cte.id, output: cte.columns.map((c) => ({ name: c.name, type: c.type })) };
      return relationFromPlan(plan, alias, colnames);
    }
  }
  const system = lookupSystemRelation(schema, name);
  if (system !== undefined) {
    const plan = bindSystemRelation(system, ctx);
    const scope = new Scope();
    const names = plan.output.map((c, i) => (colnames?.[i] !== undefined ? colnames[i].String.sval : c.name));
    const last = plan.output.length - 1; // the hidden system column tableoid
    scope.add(alias, plan.output.map((c, i) => ({ name: names[i], type: c.type, tableOid: system.oid, columnAttr: i + 1, hidden: i === last })));
    return { plan, scope, estimatedRows: plan.estimatedRows ?? 100 };
  }
  const sch = schema ?? 'public';
  const table = ctx.catalog.findTable(sch, name);
  if (table !== undefined) {
    const scope = new Scope();
    const names = table.columns.map((c, i) => (colnames?.[i] !== undefined ? colnames[i].String.sval : c.name));
    const withRowId = ctx.rowIdRangeVars?.has(n) === true;
    const rowId = withRowId ? [{ name: ROW_ID_COLUMN, type: Types.int8, tableOid: table.id, columnAttr: 0, hidden: true }] : [];
    scope.add(alias, [...table.columns.map((c, i) => ({ name: names[i], type: c.type, tableOid: table.id, columnAttr: i + 1 })), ...rowId]);
    const plan: PlanNode = {
      kind: 'scan',
      tableId: table.id,
      tableName: table.name,
      columns: table.columns.map((_, i) => i),
      withRowId,
      filter: null,
      output: [...table.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: table.id, columnAttr: i + 1 })), ...rowId.map((c) => ({ name: c.name, type: c.type }))],
    };
    const rows = ctx.tableRowCount(table.id);
    return { plan: { ...plan, estimatedRows: rows }, scope, estimatedRows: rows };
  }
  const view = ctx.catalog.findView(sch, name);
  if (view !== undefined) {
    if (ctx.expandingViews.has(view.id)) throw new SqlError(SqlState.invalidRecursion, `infinite recursion detected in rules for relation "${name}"`);
    ctx.expandingViews.add(view.id);
    try {
      const [stmt] = parseSql(view.sql);
      const sub = new QueryLevel(null);
      const plan = bindQueryPlan(stmt.ast!.SelectStmt ? stmt.ast : stmt.ast, ctx, sub);
      const renamed = { ...plan, output: plan.output.map((c, i) => ({ ...c, name: view.columnNames[i] ?? c.name })) };
      return relationFromPlan(renamed, alias, colnames);
    } finally {
      ctx.expandingViews.delete(view.id);
    }
  }
  if (isStorageStatsRelation(schema, name)) return relationFromPlan(bindStorageStats(ctx, 0), alias, colnames);
  if (isBufferStatsRelation(schema, name)) return relationFromPlan(bindBufferStats(ctx, 0), alias, colnames);
  if (isMlModelRelation(schema, name)) return relationFromPlan(bindMlModel(ctx, 0), alias, colnames);
  const seq = ctx.catalog.findSequence(sch, name);
  if (seq !== undefined && ctx.sequenceState !== undefined) return relationFromPlan(sequenceRow(seq, ctx.sequenceState(seq)), alias, colnames);
  throw new SqlError(SqlState.undefinedTable, `relation "${schema ? schema + '.' : ''}${name}" does not exist`, { position: pos(n) });
}

function bindExplicitJoin(n: any, ctx: BindContext, level: QueryLevel): FromItem {
  const kinds: Record<string, 'inner' | 'left' | 'right' | 'full'> = { JOIN_INNER: 'inner', JOIN_LEFT: 'left', JOIN_RIGHT: 'right', JOIN_FULL: 'full' };
  const joinType = kinds[n.jointype ?? 'JOIN_INNER'];
  if (joinType === undefined) throw notSupported(`join type ${n.jointype}`);
  const left = bindJoinSide(n.larg, ctx, level);
  const right = bindJoinSide(n.rarg, ctx, level);
  const scope = new Scope();
  scope.append(left.scope);
  scope.append(right.scope);
  const saved = level.scope;
  level.scope = scope;
  let condition: Expr | null = null;
  try {
    if (n.quals !== undefined)
      condition = requireType(bindExpr(n.quals, { ctx, level, aggregates: null, clause: 'JOIN conditions' }), Types.bool, ctx, 'JOIN/ON');
    const using: string[] | null = n.usingClause ? n.usingClause.map((u: any) => u.String.sval) : n.isNatural ? naturalColumns(left.scope, right.scope) : null;
    if (using !== null) {
      const eqs: Expr[] = [];
      for (const name of using) {
        const l = left.scope.lookup(name, null);
        const r = right.scope.lookup(name, null);
        if (l === undefined || r === undefined)
          throw new SqlError(SqlState.undefinedColumn, `column "${name}" specified in USING clause does not exist in ${l === undefined ? 'left' : 'right'} table`);
        const t = commonType(l.type, r.type) ?? l.type;
        eqs.push({
          kind: 'call',
          fn: 'eq',
          args: [coerce({ kind: 'column', index: l.index, type: l.type }, t, ctx), coerce({ kind: 'column', index: left.scope.width + r.index, type: r.type }, t, ctx)],
          type: Types.bool,
        });
        // The merged column is visible unqualified once (from the left side; good enough for inner/left joins).
        for (const rel of scope.relations.slice(left.scope.relations.length)) (rel.hiddenUnqualified ??= new Set()).add(name);
      }
      condition = eqs.length === 0 ? condition : { kind: 'and', args: condition ? [...eqs, condition] : eqs, type: Types.bool };
    }
  } finally {
    level.scope = saved;
  }
  const plan = planExplicitJoin(joinType, left.plan, right.plan, condition, (id) => ctx.tableStatistics(id));
  return { plan, scope, estimatedRows: Math.max(left.estimatedRows, right.estimatedRows) };
}

/** A join side: itself possibly a comma-free join tree; inner joins inside are planned on their own. */
function bindJoinSide(node: any, ctx: BindContext, level: QueryLevel): FromItem {
  if (node.JoinExpr !== undefined) return bindExplicitJoin(node.JoinExpr, ctx, level);
  return bindFromItem(node, ctx, level);
}

function naturalColumns(left: Scope, right: Scope): string[] {
  const rightNames = new Set(right.allColumns().map((c) => c.name));
  return left.allColumns().map((c) => c.name).filter((n) => rightNames.has(n));
}
