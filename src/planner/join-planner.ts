// Plans the inner joins of a FROM clause with its WHERE conjuncts: single-relation predicates are
// pushed into their relation, equality predicates between relations become hash-join keys, and the
// join order is chosen greedily (smallest estimated relation first, then always the smallest relation
// connected to what is joined so far, building the hash table on the smaller side).
// The result's columns are in the FROM clause's order, so the binder's column indexes stay valid.
import { Expr } from '../plan/expr';
import { PlanNode, joinOutput } from '../plan/plan';
import { andAll, columnsUsed, hasSubquery, remapColumns } from './expr-utils';

export interface JoinRelation {
  plan: PlanNode;
  /** Estimated output rows before the pushed-down predicates. */
  estimatedRows: number;
}

/** Guessed selectivity of one pushed-down predicate, until statistics exist (issue: learned optimizer). */
const FILTER_SELECTIVITY = 0.3;

interface Conjunct {
  expr: Expr;
  relations: Set<number>;
  used: boolean;
}

interface Partial {
  plan: PlanNode;
  /** Canonical column index → position in plan's output. */
  position: Map<number, number>;
  relations: Set<number>;
  rows: number;
}

/** Joins `relations` (columns concatenated in order form the canonical row) under `conjuncts`. */
export function planInnerJoins(relations: JoinRelation[], conjuncts: Expr[]): PlanNode {
  const offsets: number[] = [];
  let width = 0;
  for (const r of relations) {
    offsets.push(width);
    width += r.plan.output.length;
  }
  const relationOf = (col: number): number => {
    let lo = 0;
    for (let i = 0; i < offsets.length; i++) if (offsets[i] <= col) lo = i;
    return lo;
  };
  const conj: Conjunct[] = conjuncts.map((expr) => ({
    expr,
    relations: new Set([...columnsUsed(expr)].map(relationOf)),
    used: false,
  }));

  // Push single-relation predicates down.
  const parts: Partial[] = relations.map((r, i) => {
    const local: Expr[] = [];
    for (const c of conj) {
      if (c.used || c.relations.size !== 1 || !c.relations.has(i)) continue;
      local.push(remapColumns(c.expr, (col) => col - offsets[i]));
      c.used = true;
    }
    const position = new Map<number, number>();
    for (let k = 0; k < r.plan.output.length; k++) position.set(offsets[i] + k, k);
    const rows = Math.max(1, r.estimatedRows * Math.pow(FILTER_SELECTIVITY, local.length));
    return { plan: addFilter(r.plan, local, rows), position, relations: new Set([i]), rows };
  });

  if (parts.length === 0) throw new Error('planInnerJoins needs at least one relation');
  // Constant predicates (no columns) apply to the first relation.
  const constants = conj.filter((c) => !c.used && c.relations.size === 0);
  for (const c of constants) c.used = true;

  const remaining = new Set(parts.map((_, i) => i));
  let current = pickStart(parts, conj);
  remaining.delete(current);
  let acc = parts[current];
  while (remaining.size > 0) {
    let best = -1;
    for (const i of remaining) {
      if (!connected(acc.relations, i, conj)) continue;
      if (best === -1 || parts[i].rows < parts[best].rows) best = i;
    }
    const cross = best === -1;
    if (cross) for (const i of remaining) if (best === -1 || parts[i].rows < parts[best].rows) best = i;
    remaining.delete(best);
    acc = joinPair(acc, parts[best], conj, cross);
    current = best;
  }
  let plan = acc.plan;
  const leftover = conj.filter((c) => !c.used).map((c) => c.expr);
  const topFilters = [...constants.map((c) => c.expr), ...leftover];
  // Restore the canonical column order.
  const identity = [...Array(width).keys()].every((k) => acc.position.get(k) === k) && plan.output.length === width;
  if (!identity) {
    const exprs: Expr[] = [];
    const output = [];
    for (let k = 0; k < width; k++) {
      const p = acc.position.get(k)!;
      exprs.push({ kind: 'column', index: p, type: plan.output[p].type });
      output.push(plan.output[p]);
    }
    plan = { kind: 'project', input: plan, exprs, output, estimatedRows: acc.rows };
  }
  return addFilter(plan, topFilters, acc.rows);
}

function addFilter(plan: PlanNode, predicates: Expr[], rows: number): PlanNode {
  const predicate = andAll(predicates);
  if (predicate === null) return plan;
  if (plan.kind === 'scan' && !hasSubquery(predicate)) {
    const filter = plan.filter === null ? predicate : andAll([plan.filter, predicate]);
    return { ...plan, filter, estimatedRows: rows };
  }
  return { kind: 'filter', input: plan, predicate, output: plan.output, estimatedRows: rows };
}

function pickStart(parts: Partial[], conj: Conjunct[]): number {
  let best = 0;
  for (let i = 1; i < parts.length; i++) if (parts[i].rows < parts[best].rows) best = i;
  // Prefer a relation that joins to something (avoid starting with an isolated cross product).
  if (parts.length > 1 && !conj.some((c) => c.relations.size > 1 && c.relations.has(best))) {
    for (let i = 0; i < parts.length; i++)
      if (conj.some((c) => c.relations.size > 1 && c.relations.has(i)) && (best === -1 || parts[i].rows < parts[best].rows)) best = i;
  }
  return best;
}

function connected(joined: Set<number>, candidate: number, conj: Conjunct[]): boolean {
  return conj.some((c) => !c.used && isEquiEdge(c) && c.relations.has(candidate) && [...c.relations].every((r) => r === candidate || joined.has(r)) && c.relations.size > 1);
}

function isEquiEdge(c: Conjunct): boolean {
  return c.expr.kind === 'call' && c.expr.fn === 'eq' && !hasSubquery(c.expr);
}

/** Joins acc with part; the smaller estimated side becomes the hash table (right input). */
function joinPair(acc: Partial, part: Partial, conj: Conjunct[], cross: boolean): Partial {
  const [probe, build] = part.rows < acc.rows ? [acc, part] : [part, acc];
  const relations = new Set([...acc.relations, ...part.relations]);
  const position = new Map<number, number>();
  const probeWidth = probe.plan.output.length;
  for (const [k, p] of probe.position) position.set(k, p);
  for (const [k, p] of build.position) position.set(k, p + probeWidth);
  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const residual: Expr[] = [];
  for (const c of conj) {
    if (c.used || c.relations.size < 2 || ![...c.relations].every((r) => relations.has(r))) continue;
    c.used = true;
    if (isEquiEdge(c)) {
      const [a, b] = (c.expr as { args: Expr[] }).args;
      const sideOf = (e: Expr): 'probe' | 'build' | 'both' => {
        const cols = [...columnsUsed(e)];
        if (cols.every((k) => probe.position.has(k))) return 'probe';
        if (cols.every((k) => build.position.has(k))) return 'build';
        return 'both';
      };
      const sa = sideOf(a);
      const sb = sideOf(b);
      if (sa === 'probe' && sb === 'build') {
        leftKeys.push(remapColumns(a, (k) => probe.position.get(k)!));
        rightKeys.push(remapColumns(b, (k) => build.position.get(k)!));
        continue;
      }
      if (sa === 'build' && sb === 'probe') {
        leftKeys.push(remapColumns(b, (k) => probe.position.get(k)!));
        rightKeys.push(remapColumns(a, (k) => build.position.get(k)!));
        continue;
      }
    }
    residual.push(remapColumns(c.expr, (k) => position.get(k)!));
  }
  const output = joinOutput('inner', probe.plan.output, build.plan.output);
  const rows = cross || leftKeys.length === 0 ? probe.rows * build.rows : Math.max(probe.rows, build.rows);
  const plan: PlanNode =
    leftKeys.length > 0
      ? { kind: 'hashjoin', joinType: 'inner', left: probe.plan, right: build.plan, leftKeys, rightKeys, residual: andAll(residual), output, estimatedRows: rows }
      : { kind: 'nljoin', joinType: 'inner', left: probe.plan, right: build.plan, condition: andAll(residual), output, estimatedRows: rows };
  return { plan, position, relations, rows };
}

/**
 * Plans an explicit outer (or inner) join with its ON condition over left ++ right columns:
 * equalities across the sides become hash keys; for LEFT joins predicates on the right side alone
 * are pushed into the right input (and symmetrically for RIGHT joins).
 */
export function planExplicitJoin(joinType: 'inner' | 'left' | 'right' | 'full', left: PlanNode, right: PlanNode, condition: Expr | null): PlanNode {
  const leftWidth = left.output.length;
  const output = joinOutput(joinType, left.output, right.output);
  const conjuncts = condition === null ? [] : splitAnd(condition);
  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const residual: Expr[] = [];
  const pushRight: Expr[] = [];
  const pushLeft: Expr[] = [];
  for (const c of conjuncts) {
    const cols = [...columnsUsed(c)];
    const onlyLeft = cols.length > 0 && cols.every((k) => k < leftWidth);
    const onlyRight = cols.length > 0 && cols.every((k) => k >= leftWidth);
    if (onlyRight && (joinType === 'left' || joinType === 'inner') && !hasSubquery(c)) {
      pushRight.push(remapColumns(c, (k) => k - leftWidth));
      continue;
    }
    if (onlyLeft && (joinType === 'right' || joinType === 'inner') && !hasSubquery(c)) {
      pushLeft.push(c);
      continue;
    }
    if (c.kind === 'call' && c.fn === 'eq' && !hasSubquery(c)) {
      const [a, b] = c.args;
      const ca = [...columnsUsed(a)];
      const cb = [...columnsUsed(b)];
      const aLeft = ca.length > 0 && ca.every((k) => k < leftWidth);
      const aRight = ca.length > 0 && ca.every((k) => k >= leftWidth);
      const bLeft = cb.length > 0 && cb.every((k) => k < leftWidth);
      const bRight = cb.length > 0 && cb.every((k) => k >= leftWidth);
      if (aLeft && bRight) {
        leftKeys.push(a);
        rightKeys.push(remapColumns(b, (k) => k - leftWidth));
        continue;
      }
      if (aRight && bLeft) {
        leftKeys.push(b);
        rightKeys.push(remapColumns(a, (k) => k - leftWidth));
        continue;
      }
    }
    residual.push(c);
  }
  const l = addFilter(left, pushLeft, left.estimatedRows ?? 1000);
  const r = addFilter(right, pushRight, right.estimatedRows ?? 1000);
  if (leftKeys.length > 0)
    return { kind: 'hashjoin', joinType, left: l, right: r, leftKeys, rightKeys, residual: andAll(residual), output };
  return { kind: 'nljoin', joinType, left: l, right: r, condition: andAll(residual), output };
}

function splitAnd(e: Expr): Expr[] {
  if (e.kind === 'and') return e.args.flatMap(splitAnd);
  return [e];
}
