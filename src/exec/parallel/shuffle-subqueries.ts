// The uncorrelated subqueries of a shuffled fragment (Q18's l_orderkey IN (SELECT … HAVING …)): run
// once here, on the coordinator, and sent as VALUES of their rows in the job's plan, instead of
// every participant running them over whole tables it would need sent too.
import { Expr, SubqueryExpr } from '../../plan/expr';
import { forEachChild } from '../../plan/expr-children';
import { PlanNode, ValuesNode, planChildren } from '../../plan/plan';
import { getScalar } from '../../types/vector-ops';
import { ExecContext } from '../context';
import { executePlan } from '../execute';
import { nodeExprs } from './fragment';

function subqueriesIn(e: Expr, out: SubqueryExpr[]): void {
  if (e.kind === 'subquery') {
    // Its own plan's subqueries run inside it; only its test expression belongs to this node.
    out.push(e);
    if (e.test !== null) subqueriesIn(e.test, out);
    return;
  }
  forEachChild(e, (c) => subqueriesIn(c, out));
}

/** The subquery expressions of the plan's nodes (not inside subquery plans), in a fixed walk order. */
function subqueriesOf(plan: PlanNode, out: SubqueryExpr[] = []): SubqueryExpr[] {
  for (const e of nodeExprs(plan)) subqueriesIn(e, out);
  for (const c of planChildren(plan)) subqueriesOf(c, out);
  return out;
}

/**
 * `plan`, or a copy of it in which each uncorrelated subquery reads VALUES of the rows it gives
 * here (run with `ctx`: the statement's snapshots, the subqueries' parallel merges included).
 */
export function materializeSubqueries(plan: PlanNode, ctx: ExecContext): PlanNode {
  const subs = subqueriesOf(plan);
  if (subs.length === 0) return plan;
  // A deep copy with the same shape: the same walk finds the same subqueries in it, in order.
  const copy = structuredClone(plan);
  const copies = subqueriesOf(copy);
  const serial: ExecContext = { ...ctx, shouldYield: undefined };
  subs.forEach((s, i) => {
    const types = s.plan.output.map((o) => o.type);
    const rows: Expr[][] = [];
    for (const b of executePlan(s.plan, serial))
      for (let r = 0; r < b.length; r++) rows.push(types.map((type, c) => ({ kind: 'const', value: getScalar(b.columns[c], r), type })));
    const values: ValuesNode = { kind: 'values', rows, output: s.plan.output };
    copies[i].plan = values;
  });
  return copy;
}
