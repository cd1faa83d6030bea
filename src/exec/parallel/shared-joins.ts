// Hash joins of a parallel fragment whose tables are built once and shared with the workers.
//
// Without this, every worker builds every build side of the fragment's joins itself, which only
// pays while the build sides are small against the probe (fragment.ts: MAX_BUILD_SHARE). A large
// build side over numeric keys (orders under a lineitem probe) is instead run here, on the main
// thread, before the workers start: its rows are gathered into shared memory and its table built in
// partitions (parallel-join-build.ts: by the workers too when large enough). The workers' plan gets
// an empty VALUES in place of that build input, and each worker's hash join takes the shared rows
// and table instead (hash-join.ts), so the probe and everything above it up to the partial
// aggregate runs on the workers, merged at the end as for any fragment.
import { ColumnExpr } from '../../plan/expr';
import { AggregateNode, HashJoinNode, PlanNode, ProjectNode, ValuesNode } from '../../plan/plan';
import { ExecContext } from '../context';
import { executePlan } from '../execute';
import { NumKey, pairKind, toKeyColumn } from '../hash/key-hash';
import { concatBatches } from '../vector-util';
import { ParallelFragment, replaceNode } from './fragment';
import { SentPrebuiltJoin, nodeAt } from './messages';
import { buildSharedJoinTable } from './parallel-join-build';
import { sendVector } from './run-parallel';

/**
 * Runs the build sides of the fragment's shared joins and builds their tables; returns the plan
 * the workers run (those build inputs replaced by empty VALUES) and what to send them.
 */
export function prebuildJoins(f: ParallelFragment, ctx: ExecContext): { plan: AggregateNode; joins: SentPrebuiltJoin[]; dicts: Map<number, string[]> } {
  let plan: PlanNode = f.partial;
  const joins: SentPrebuiltJoin[] = [];
  const dicts = new Map<number, string[]>();
  for (const path of f.shared) {
    const join = nodeAt(plan, path) as HashJoinNode;
    const right = join.right;
    const m = right.output.length;
    // The build rows with their key values appended: the keys are evaluated once, here.
    const withKeys: ProjectNode = {
      kind: 'project',
      input: right,
      exprs: [...right.output.map((o, i): ColumnExpr => ({ kind: 'column', index: i, type: o.type })), ...join.rightKeys],
      output: [...right.output, ...join.rightKeys.map((k, i) => ({ name: `key${i}`, type: k.type }))],
    };
    const rows = concatBatches(executePlan(withKeys, ctx), withKeys.output.map((o) => o.type));
    const n = rows.length;
    const keys = rows.columns.slice(m).map((v, i) => toKeyColumn(v, pairKind(join.leftKeys[i].type, join.rightKeys[i].type)) as NumKey);
    const { table, nullRows } = buildSharedJoinTable(keys, n, ctx);
    joins.push({ path, length: n, columns: rows.columns.slice(0, m).map((v) => sendVector(v, dicts)), table, nullRows });
    const empty: ValuesNode = { kind: 'values', rows: [], output: right.output };
    plan = replaceNode(plan, join, { ...join, right: empty });
  }
  return { plan: plan as AggregateNode, joins, dicts };
}
