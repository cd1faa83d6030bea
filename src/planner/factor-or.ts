// FactorOrConjuncts: (A AND X) OR (A AND Y) → A AND (X OR Y). Pulling the shared conjunct A out of
// every branch lets it act as a join key or a pushed-down filter (TPC-H Q19's p_partkey = l_partkey),
// as PostgreSQL's pull_ors / find_duplicate_ors does.
import { Expr } from '../plan/expr';
import { Types } from '../types/data-type';
import { andAll, exprKey, splitConjuncts } from './expr-utils';

export function factorOrConjuncts(conjuncts: Expr[]): Expr[] {
  const out: Expr[] = [];
  for (const c of conjuncts) {
    if (c.kind !== 'or') {
      out.push(c);
      continue;
    }
    const branches = c.args.map((b) => splitConjuncts(b));
    const keysPerBranch = branches.map((b) => new Set(b.map(exprKey)));
    const common = branches[0].filter((e) => keysPerBranch.every((keys) => keys.has(exprKey(e))));
    if (common.length === 0) {
      out.push(c);
      continue;
    }
    const commonKeys = new Set(common.map(exprKey));
    out.push(...common);
    const rest = branches.map((b) => andAll(b.filter((e) => !commonKeys.has(exprKey(e)))));
    // A branch left empty is TRUE, which makes the whole OR true.
    if (rest.some((r) => r === null)) continue;
    out.push({ kind: 'or', args: rest as Expr[], type: Types.bool });
  }
  return out;
}
