// Which output columns of each plan node some consumer reads. Plans carry every column of their
// inputs through joins and filters (the binder does not prune), so operators use this to skip
// work for columns nobody reads: scans do not decode them, filters, joins and sorts do not gather
// them. An unread column is passed on as an all-NULL placeholder vector (absentVector), so the
// batch shape stays what the plan says.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { DataType } from '../types/data-type';
import { Vector } from '../types/vector';
import { placeholder } from './vector-util';

/** Column indexes an expression reads from its input row (subquery plans excluded; their args included). */
export function exprColumns(e: Expr, out: Set<number>): Set<number> {
  switch (e.kind) {
    case 'column':
      out.add(e.index);
      break;
    case 'const':
    case 'param':
    case 'outer':
      break;
    case 'call':
    case 'and':
    case 'or':
    case 'coalesce':
      for (const a of e.args) exprColumns(a, out);
      break;
    case 'cast':
    case 'not':
    case 'isnull':
    case 'booltest':
      exprColumns(e.arg, out);
      break;
    case 'case':
      for (const w of e.whens) {
        exprColumns(w.when, out);
        exprColumns(w.then, out);
      }
      if (e.else !== null) exprColumns(e.else, out);
      break;
    case 'inlist':
      exprColumns(e.arg, out);
      for (const x of e.list) exprColumns(x, out);
      break;
    case 'subquery':
      for (const a of e.args) exprColumns(a, out);
      if (e.test !== null) exprColumns(e.test, out);
      break;
  }
  return out;
}

function all(n: number): boolean[] {
  return new Array(n).fill(true);
}
function withExprs(base: boolean[], exprs: readonly (Expr | null)[], offset = 0, width = base.length): boolean[] {
  const out = base.slice();
  for (const e of exprs) {
    if (e === null) continue;
    for (const c of exprColumns(e, new Set())) if (c >= offset && c < offset + width) out[c - offset] = true;
  }
  return out;
}

/** Needed output columns per plan node (the root's are all needed). */
export function neededColumns(root: PlanNode): Map<PlanNode, boolean[]> {
  const map = new Map<PlanNode, boolean[]>();
  const visit = (node: PlanNode, need: boolean[]): void => {
    const prev = map.get(node);
    if (prev !== undefined) {
      // The same node object read twice (a shared subtree): the union of both readers' needs.
      if (need.every((x, i) => !x || prev[i])) return;
      need = need.map((x, i) => x || prev[i] === true);
    }
    map.set(node, need);
    switch (node.kind) {
      case 'scan':
      case 'values':
      case 'ctescan':
      case 'functionscan':
        return;
      case 'window': {
        const exprs: (Expr | null)[] = [];
        for (const c of node.calls) exprs.push(...c.args, c.filter, ...c.partitionBy, ...c.orderBy.map((k) => k.expr));
        return visit(node.input, withExprs(need.slice(0, node.input.output.length), exprs));
      }
      case 'projectset':
        return visit(node.input, withExprs(need.slice(0, node.input.output.length), node.calls.flat()));
      case 'recursiveunion':
        visit(node.initial, all(node.initial.output.length));
        return visit(node.recursive, all(node.recursive.output.length));
      case 'filter':
        return visit(node.input, withExprs(need, [node.predicate]));
      case 'project':
        // A bare column nobody reads above needs nothing below (the join planner's column-order
        // projects pass every column through); computed expressions still count, as they are
        // evaluated (and may raise errors) either way.
        return visit(
          node.input,
          withExprs(
            new Array(node.input.output.length).fill(false),
            node.exprs.filter((e, i) => need[i] || e.kind !== 'column'),
          ),
        );
      case 'hashjoin':
      case 'nljoin': {
        const nl = node.left.output.length;
        const nr = node.right.output.length;
        const exprs = node.kind === 'hashjoin' ? [node.residual] : [node.condition];
        const semi = node.joinType === 'semi' || node.joinType === 'anti';
        let left = withExprs(need.slice(0, nl), exprs, 0, nl);
        let right = withExprs(semi ? new Array(nr).fill(false) : need.slice(nl, nl + nr), exprs, nl, nr);
        if (node.kind === 'hashjoin') {
          left = withExprs(left, node.leftKeys);
          right = withExprs(right, node.rightKeys);
        }
        visit(node.left, left);
        return visit(node.right, right);
      }
      case 'aggregate': {
        const exprs: (Expr | null)[] = [...node.groupBy];
        for (const a of node.aggregates) exprs.push(...a.args, a.filter, ...(a.orderBy ?? []).map((k) => k.expr));
        return visit(node.input, withExprs(new Array(node.input.output.length).fill(false), exprs));
      }
      case 'sort':
        return visit(node.input, withExprs(need, node.keys.map((k) => k.expr)));
      case 'limit':
        return visit(node.input, need);
      case 'distinct':
        return visit(node.input, node.on === null ? all(node.input.output.length) : withExprs(need, node.on));
      case 'setop':
        if (node.op === 'union' && node.all) {
          visit(node.left, need);
          return visit(node.right, need);
        }
        visit(node.left, all(node.left.output.length));
        return visit(node.right, all(node.right.output.length));
      case 'with':
        for (const c of node.ctes) visit(c.plan, all(c.plan.output.length));
        return visit(node.input, need);
    }
  };
  visit(root, all(root.output.length));
  return map;
}

/** The stand-in for a column nobody reads: n NULLs, shared (no allocation per batch). */
export function absentVector(type: DataType, n: number): Vector {
  return placeholder(type, n);
}
