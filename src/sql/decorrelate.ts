// DecorrelateExists: WHERE-level `[NOT] EXISTS (subquery)` and `x IN (subquery)` conjuncts become
// semi/anti hash joins on the correlation equalities, instead of running the subquery per outer row.
// Applies when the subquery is a plain SELECT … FROM … WHERE (no grouping, aggregates, DISTINCT,
// LIMIT or set operations) whose outer references appear in WHERE conjuncts, at least one of them
// an equality between an inner expression and an outer one.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { Types } from '../types/data-type';
import { andAll, columnsUsed, forEachChild, mapChildren, remapColumns } from '../planner/expr-utils';
import { planInnerJoins, JoinRelation } from '../planner/join-planner';
import { BindContext, QueryLevel, Scope } from './bind-context';
import { bindExpr, bindTypedExpr } from './bind-expr';
import { coerce, commonTypeOf, requireType } from './coerce';
import { AGGREGATES, COMPARISON_OPS, bindComparison } from './functions';

/** A semi/anti join to put on top of the outer FROM plan (its left input). */
export interface SemiJoin {
  joinType: 'semi' | 'anti';
  right: PlanNode;
  leftKeys: Expr[];
  rightKeys: Expr[];
  /** Over left ++ right columns. */
  residual: Expr | null;
}

function usesAggregates(node: unknown): boolean {
  let found = false;
  JSON.stringify(node, (k, v) => {
    if (k === 'FuncCall' && v?.funcname) {
      const name = v.funcname[v.funcname.length - 1].String.sval;
      if (AGGREGATES.has(name) || v.over !== undefined) found = true;
    }
    return v;
  });
  return found;
}

function isPlainSelect(stmt: any): boolean {
  return (
    stmt !== undefined &&
    (stmt.op === undefined || stmt.op === 'SETOP_NONE') &&
    stmt.valuesLists === undefined &&
    stmt.groupClause === undefined &&
    stmt.havingClause === undefined &&
    stmt.distinctClause === undefined &&
    stmt.limitCount === undefined &&
    stmt.limitOffset === undefined &&
    stmt.withClause === undefined &&
    stmt.fromClause !== undefined &&
    !usesAggregates(stmt.targetList)
  );
}

/** Whether e reads a value of the enclosing query at this level (OuterRef not inside a nested plan). */
function hasOuterRef(e: Expr): boolean {
  if (e.kind === 'outer') return true;
  let found = false;
  forEachChild(e, (c) => {
    if (!found && hasOuterRef(c)) found = true;
  });
  return found;
}

/**
 * Tries to turn a WHERE conjunct (AST) into a semi/anti join; null when it does not qualify.
 * `outer` is the level of the query whose WHERE holds the conjunct (its scope is the FROM row).
 */
export function tryDecorrelate(node: any, ctx: BindContext, outer: QueryLevel): SemiJoin | null {
  let negated = false;
  let n = node;
  if (n.BoolExpr?.boolop === 'NOT_EXPR') {
    negated = true;
    n = n.BoolExpr.args[0];
  }
  const link = n.SubLink;
  if (link === undefined) return null;
  const isExists = link.subLinkType === 'EXISTS_SUBLINK';
  const isIn = link.subLinkType === 'ANY_SUBLINK' && (link.operName === undefined || link.operName[link.operName.length - 1].String.sval === '=');
  if (!isExists && !(isIn && !negated)) return null;
  const stmt = link.subselect.SelectStmt;
  if (!isPlainSelect(stmt)) return null;

  // Bind the subquery's FROM and WHERE at a child level; correlated conjuncts are kept apart.
  const level = new QueryLevel(outer);
  const relations: JoinRelation[] = [];
  const scope = new Scope();
  const { bindFromItem } = require('./bind-from') as typeof import('./bind-from');
  for (const item of stmt.fromClause) {
    if (item.JoinExpr !== undefined) return null;
    const rel = bindFromItem(item, ctx, level);
    scope.append(rel.scope);
    relations.push({ plan: rel.plan, estimatedRows: rel.estimatedRows });
  }
  level.scope = scope;
  const local: Expr[] = [];
  const correlated: Expr[] = [];
  let width = scope.width;
  for (const ast of stmt.whereClause === undefined ? [] : splitAndAst(stmt.whereClause)) {
    // A correlated scalar aggregate local to the subquery becomes a grouped join inside it.
    const grouped = tryDecorrelateScalarAggregate(ast, ctx, level, width);
    if (grouped !== null) {
      relations.push({ plan: grouped.relation, estimatedRows: grouped.relation.estimatedRows ?? 1000 });
      width += grouped.relation.output.length;
      for (const c of grouped.conjuncts) (hasOuterRef(c) ? correlated : local).push(c);
      continue;
    }
    const bound = requireType(bindExpr(ast, { ctx, level, aggregates: null, clause: 'WHERE' }), Types.bool, ctx, 'WHERE');
    for (const c of splitAnd(bound)) (hasOuterRef(c) ? correlated : local).push(c);
  }
  // Every captured outer value must be a plain expression over the outer FROM row.
  if (level.captures.some((c) => hasOuterRef(c))) return null;

  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const residualInner: Expr[] = [];
  for (const c of correlated) {
    if (c.kind === 'call' && c.fn === 'eq') {
      const [a, b] = c.args;
      const aOuterOnly = columnsUsed(a).size === 0 && hasOuterRef(a);
      const bOuterOnly = columnsUsed(b).size === 0 && hasOuterRef(b);
      if (aOuterOnly && !hasOuterRef(b) && columnsUsed(b).size > 0) {
        leftKeys.push(substituteOuter(a, level.captures));
        rightKeys.push(b);
        continue;
      }
      if (bOuterOnly && !hasOuterRef(a) && columnsUsed(a).size > 0) {
        leftKeys.push(substituteOuter(b, level.captures));
        rightKeys.push(a);
        continue;
      }
    }
    residualInner.push(c);
  }

  const outerWidth = outer.scope.width;
  if (isIn) {
    const test = bindTypedExpr(link.testexpr, { ctx, level: outer, aggregates: null, clause: 'WHERE' });
    if (stmt.targetList.length !== 1) return null;
    const target = stmt.targetList[0].ResTarget.val;
    if (target.ColumnRef?.fields?.some((f: any) => f.A_Star !== undefined)) return null;
    const inner = bindTypedExpr(target, { ctx, level, aggregates: null, clause: 'SELECT' });
    if (hasOuterRef(inner)) return null;
    const t = commonTypeOf([test.type, inner.type], 'IN');
    leftKeys.push(coerce(test, t, ctx));
    rightKeys.push(coerce(inner, t, ctx));
  }
  if (leftKeys.length === 0) return null;
  if (level.captures.length > 0 && correlated.length === 0 && !isIn) return null;

  const right = planInnerJoins(relations, local, (id) => ctx.tableStatistics(id), ctx.cardinalityModel);
  // Residual: outer refs → outer columns (left side), inner columns shifted after them.
  const residual = residualInner.map((r) => substituteOuter(remapColumns(r, (k) => k + outerWidth), level.captures));
  return {
    joinType: negated ? 'anti' : 'semi',
    right,
    leftKeys,
    rightKeys,
    residual: andAll(residual),
  };
}

/** Replaces OuterRef slot k by the captured outer expression (over the outer FROM row). */
function substituteOuter(e: Expr, captures: Expr[]): Expr {
  if (e.kind === 'outer') return captures[e.slot];
  if (e.kind === 'subquery') return { ...e, args: e.args.map((a) => substituteOuter(a, captures)), test: e.test === null ? null : substituteOuter(e.test, captures) };
  return mapChildren(e, (c) => substituteOuter(c, captures));
}

function splitAnd(e: Expr): Expr[] {
  return e.kind === 'and' ? e.args.flatMap(splitAnd) : [e];
}

/**
 * DecorrelateScalarAggregate: a WHERE conjunct `x op (SELECT f(agg(…)) FROM … WHERE inner = outer AND …)`
 * becomes a join with the subquery grouped by its correlation keys:
 *   outer JOIN (SELECT inner_keys, f(agg(…)) FROM … WHERE local GROUP BY inner_keys) g
 *     ON outer_keys = g.keys AND x op g.value
 * An outer row with no group would have compared with NULL and been filtered, so an inner join is
 * exact. count(*) is excluded (it would be 0, not NULL, on an empty group).
 */
export interface ScalarAggregateJoin {
  /** The grouped subquery: its first columns are the keys, the last one the value. */
  relation: PlanNode;
  /** Conjuncts over the outer FROM row extended by the relation's columns at `offset`. */
  conjuncts: Expr[];
}

const NOT_NULL_ON_EMPTY = new Set(['count']);

export function tryDecorrelateScalarAggregate(node: any, ctx: BindContext, outer: QueryLevel, offset: number): ScalarAggregateJoin | null {
  const cmp = node.A_Expr;
  if (cmp === undefined || cmp.kind !== 'AEXPR_OP') return null;
  const op = cmp.name[cmp.name.length - 1].String.sval as string;
  const link = cmp.rexpr?.SubLink;
  if (link === undefined || link.subLinkType !== 'EXPR_SUBLINK' || cmp.lexpr?.SubLink !== undefined) return null;
  const stmt = link.subselect.SelectStmt;
  if (
    stmt === undefined ||
    (stmt.op !== undefined && stmt.op !== 'SETOP_NONE') ||
    stmt.groupClause !== undefined ||
    stmt.havingClause !== undefined ||
    stmt.distinctClause !== undefined ||
    stmt.limitCount !== undefined ||
    stmt.withClause !== undefined ||
    stmt.fromClause === undefined ||
    stmt.whereClause === undefined ||
    stmt.targetList?.length !== 1 ||
    !usesAggregates(stmt.targetList)
  )
    return null;
  let countLike = false;
  JSON.stringify(stmt.targetList, (k, v) => {
    if (k === 'FuncCall' && NOT_NULL_ON_EMPTY.has(v.funcname[v.funcname.length - 1].String.sval)) countLike = true;
    return v;
  });
  if (countLike) return null;

  // Classify the subquery's WHERE conjuncts by binding them once at a child level.
  const level = new QueryLevel(outer);
  const scope = new Scope();
  const { bindFromItem } = require('./bind-from') as typeof import('./bind-from');
  for (const item of stmt.fromClause) {
    if (item.JoinExpr !== undefined) return null;
    scope.append(bindFromItem(item, ctx, level).scope);
  }
  level.scope = scope;
  const conjunctAsts: any[] = splitAndAst(stmt.whereClause);
  const keysInnerAst: any[] = [];
  const keysOuter: Expr[] = [];
  const localAsts: any[] = [];
  for (const ast of conjunctAsts) {
    const bound = bindExpr(ast, { ctx, level, aggregates: null, clause: 'WHERE' });
    if (!hasOuterRef(bound)) {
      localAsts.push(ast);
      continue;
    }
    // Only `inner = outer` (either order) may be correlated.
    const a = ast.A_Expr;
    if (a === undefined || a.kind !== 'AEXPR_OP' || a.name[a.name.length - 1].String.sval !== '=' || bound.kind !== 'call' || bound.fn !== 'eq') return null;
    const [l, r] = bound.args;
    const lOuter = hasOuterRef(l) && columnsUsed(l).size === 0;
    const rOuter = hasOuterRef(r) && columnsUsed(r).size === 0;
    if (lOuter && !hasOuterRef(r)) {
      keysInnerAst.push(a.rexpr);
      keysOuter.push(substituteOuter(l, level.captures));
    } else if (rOuter && !hasOuterRef(l)) {
      keysInnerAst.push(a.lexpr);
      keysOuter.push(substituteOuter(r, level.captures));
    } else return null;
  }
  if (keysInnerAst.length === 0 || level.captures.some((c) => hasOuterRef(c))) return null;

  // The grouped subquery, bound as ordinary SQL.
  const grouped = {
    SelectStmt: {
      targetList: [...keysInnerAst.map((k) => ({ ResTarget: { val: k } })), stmt.targetList[0]],
      fromClause: stmt.fromClause,
      whereClause: localAsts.length === 0 ? undefined : localAsts.length === 1 ? localAsts[0] : { BoolExpr: { boolop: 'AND_EXPR', args: localAsts } },
      groupClause: keysInnerAst,
      op: 'SETOP_NONE',
      limitOption: 'LIMIT_OPTION_DEFAULT',
    },
  };
  // bind-query imports this module (through bind-from): a lazy require breaks the cycle.
  const { bindQueryPlan } = require('./bind-query') as typeof import('./bind-query');
  const subLevel = new QueryLevel(outer);
  const relation = bindQueryPlan(grouped, ctx, subLevel);
  if (subLevel.captures.length > 0) return null;
  const cmpFn = COMPARISON_OPS[op];
  if (cmpFn === undefined) return null;
  const conjuncts: Expr[] = keysOuter.map((k, i) =>
    bindComparison('eq', k, { kind: 'column', index: offset + i, type: relation.output[i].type }, ctx, '='),
  );
  const valueIdx = keysInnerAst.length;
  const left = bindExpr(cmp.lexpr, { ctx, level: outer, aggregates: null, clause: 'WHERE' });
  conjuncts.push(bindComparison(cmpFn, left, { kind: 'column', index: offset + valueIdx, type: relation.output[valueIdx].type }, ctx, op));
  return { relation, conjuncts };
}

function splitAndAst(node: any): any[] {
  if (node.BoolExpr?.boolop === 'AND_EXPR') return node.BoolExpr.args.flatMap(splitAndAst);
  return [node];
}
