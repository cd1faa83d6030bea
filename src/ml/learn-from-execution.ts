// Turns an executed plan's per-node row counts into training samples: every node the join planner
// featurized (scans with their pushed-down filters, joins) that ran exactly once to completion and
// whose count is the subplan's true rows (no runtime filter from a join above pruned below it).
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
  return !visit(plan, (n) => n.ml === undefined && n.mlChoice === undefined);
}

export function samplesFromExecution(plan: PlanNode, stats: Map<PlanNode, NodeStats>): Sample[] {
  const out: Sample[] = [];
  const complete = visit(plan, (n) => n.kind !== 'limit' && !(n.kind === 'sort' && n.limit !== null));
  if (!complete) return out;
  const inexact = inexactCounts(plan, stats);
  visit(plan, (n) => {
    const s = stats.get(n);
    if (n.ml !== undefined && s !== undefined && s.loops === 1 && s.ended === true && !inexact.has(n))
      out.push({ features: n.ml.features, classicRows: n.ml.classicRows, trueRows: s.rows });
    return true;
  });
  return out;
}

/**
 * The measured time of every top join whose order was a learned-vs-classic choice (plan feedback):
 * the statement's time (`statementMs`: the choice's effect end to end, also when the join ran in
 * parallel workers or inside a correlated subquery), else the join's own time when it ran once to
 * its end.
 */
export function planTimesFromExecution(plan: PlanNode, stats: Map<PlanNode, NodeStats>, statementMs?: number): { signature: string; learned: boolean; ms: number }[] {
  const out: { signature: string; learned: boolean; ms: number }[] = [];
  visit(plan, (n) => {
    if (n.mlChoice === undefined) return true;
    const s = stats.get(n);
    if (statementMs !== undefined) out.push({ ...n.mlChoice, ms: statementMs });
    else if (s !== undefined && s.loops === 1 && s.ended === true) out.push({ ...n.mlChoice, ms: s.elapsedMs });
    return true;
  });
  return out;
}

/**
 * Nodes whose counted rows are fewer than their true rows: a scan a join's runtime filter pruned,
 * and every node between it and that join (the join itself, and those above, count true rows).
 */
export function inexactCounts(plan: PlanNode, stats: Map<PlanNode, NodeStats>): Set<PlanNode> {
  const out = new Set<PlanNode>();
  const path: PlanNode[] = [];
  const walk = (n: PlanNode): void => {
    path.push(n);
    const pruned = stats.get(n)?.prunedBy;
    if (pruned !== undefined)
      for (const owner of pruned) {
        const at = path.lastIndexOf(owner);
        for (let i = at + 1; i < path.length; i++) out.add(path[i]);
      }
    const rec = n as unknown as Record<string, unknown>;
    for (const k of CHILD_KEYS) {
      const c = rec[k] as PlanNode | undefined;
      if (c !== undefined && c !== null && typeof c === 'object') walk(c);
    }
    if (n.kind === 'with') for (const c of n.ctes) walk(c.plan);
    path.pop();
  };
  walk(plan);
  return out;
}
