// The value of a constant expression (literals and functions over them, e.g. date '1995-01-01' +
// interval '3 month'), computed with the executor's own kernels, for cardinality estimation.
// Expressions that read columns, parameters, outer rows or subqueries are not constant here.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { compileExpr } from '../exec/expr/compile';
import { ExprEnv, NodeStats, PreparedPlan } from '../exec/expr/compiled';
import { DEFAULT_FORMAT } from '../types/text-format';
import { Scalar } from '../types/vector';
import { forEachChild } from './expr-utils';

function isConstantTree(e: Expr): boolean {
  if (e.kind === 'column' || e.kind === 'param' || e.kind === 'outer' || e.kind === 'subquery') return false;
  if (e.kind === 'call' && (e.fn as string) === 'random') return false;
  let ok = true;
  forEachChild(e, (c) => {
    if (ok && !isConstantTree(c)) ok = false;
  });
  return ok;
}

/** The expression's value, or undefined when it is not constant or evaluating it fails. */
export function foldConstant(e: Expr): Scalar | undefined {
  if (e.kind === 'const') return e.value;
  if (!isConstantTree(e)) return undefined;
  const now = Date.now() * 1000;
  const env: ExprEnv = {
    ctx: {
      params: [],
      snapshot: () => {
        throw new Error('no tables while folding constants');
      },
      format: DEFAULT_FORMAT,
      statementStartMicros: now,
      transactionStartMicros: now,
      checkCancel: () => undefined,
    },
    outer: [],
    ctes: new Map(),
    stats: new Map<PlanNode, NodeStats>(),
    needed: new Map(),
    prepareSubplan: (): PreparedPlan => {
      throw new Error('no subplans while folding constants');
    },
  };
  try {
    const c = compileExpr(e, env);
    return c.isConst ? c.value : undefined;
  } catch {
    return undefined;
  }
}
