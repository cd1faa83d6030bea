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
import { AGGREGATES } from './functions';

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
  const where = stmt.whereClause === undefined ? null : requireType(bindExpr(stmt.whereClause, { ctx, level, aggregates: null, clause: 'WHERE' }), Types.bool, ctx, 'WHERE');
  const conjuncts = where === null ? [] : splitAnd(where);
  // Every captured outer value must be a plain expression over the outer FROM row.
  if (level.captures.some((c) => hasOuterRef(c))) return null;
  const local: Expr[] = [];
  const correlated: Expr[] = [];
  for (const c of conjuncts) (hasOuterRef(c) ? correlated : local).push(c);

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

  const right = planInnerJoins(relations, local);
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
