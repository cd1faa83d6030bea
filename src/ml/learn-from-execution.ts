// Turns an executed plan's per-node row counts into training samples: every node the join planner
// featurized (scans with their pushed-down filters, joins) that ran exactly once to completion.
// Plans with a LIMIT are skipped whole, since operators below it may stop early and undercount.
import { PlanNode } from '../plan/plan';
import { NodeStats } from '../exec/execute';
import { Sample } from './learned-optimizer';

const CHILD_KEYS = ['input', 'left', 'right', 'initial', 'recursive'] as const;

function visit(node: PlanNode, f: (n: PlanNode) => boolean): boolean {
  if (!f(node)) return false;
  const rec = node as unknown as Record<string, unknown>;
  for (const k of CHILD_KEYS) {
    const c = rec[k] as PlanNode | undefined;
    if (c !== undefined && c !== null && typeof c === 'object' && !visit(c, f)) return false;
  }
  if (node.kind === 'with') for (const c of node.ctes) if (!visit(c.plan, f)) return false;
  return true;
}

/** Whether any node of the plan carries features (cheap check before collecting). */
export function hasMlAnnotations(plan: PlanNode): boolean {
  return !visit(plan, (n) => n.ml === undefined);
}

export function samplesFromExecution(plan: PlanNode, stats: Map<PlanNode, NodeStats>): Sample[] {
  const out: Sample[] = [];
  const complete = visit(plan, (n) => n.kind !== 'limit' && !(n.kind === 'sort' && n.limit !== null));
  if (!complete) return out;
  visit(plan, (n) => {
    const s = stats.get(n);
    if (n.ml !== undefined && s !== undefined && s.loops === 1) out.push({ features: n.ml.features, classicRows: n.ml.classicRows, trueRows: s.rows });
    return true;
  });
  return out;
}
