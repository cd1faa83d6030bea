// EXPLAIN ANALYZE of a statement whose aggregate ran as a parallel fragment (run-parallel.ts).
//
// The main thread runs a rewritten plan (the aggregate replaced by a merge of the workers' partial
// rows), and each worker runs the fragment's plan on its own copy, so neither counts rows against
// the statement's own plan nodes. Here both are put back onto the original nodes: nodes above the
// aggregate take the rewritten plan's counts, the aggregate takes the merge's (its time including
// the parallel phase) and the workers' shares, and the nodes below it the workers' counts summed
// (loops = one per worker, as PostgreSQL counts the runs of a node below a Gather).
import { PlanNode, planChildren } from '../../plan/plan';
import { NodeStats, ParallelStats, ParticipantStats, addParallelStats } from '../expr/compiled';
import { SentNodeStats } from './messages';

/** The plan's nodes in the order both threads number them: preorder over planChildren. */
function preorder(n: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(n);
  for (const c of planChildren(n)) preorder(c, out);
  return out;
}

/** In a worker: the stats of `plan`'s nodes in preorder. */
export function nodeStatsInOrder(plan: PlanNode, stats: Map<PlanNode, NodeStats>): SentNodeStats[] {
  return preorder(plan).map((n) => {
    const s = stats.get(n);
    return s === undefined ? null : [s.rows, s.loops, s.elapsedMs, s.startupMs ?? s.elapsedMs];
  });
}

/**
 * Pairs the nodes of `copy` with those of `original` down the shape they share (a copy made by
 * replaceNode: the same kinds, except where a subtree was replaced).
 */
function pairNodes(copy: PlanNode, original: PlanNode, out: Map<PlanNode, PlanNode>, stopAt?: PlanNode): Map<PlanNode, PlanNode> {
  if (copy.kind !== original.kind) return out;
  out.set(copy, original);
  if (original === stopAt) return out;
  const a = planChildren(copy);
  const b = planChildren(original);
  if (a.length === b.length) a.forEach((c, i) => pairNodes(c, b[i], out, stopAt));
  return out;
}

function addRun(into: Map<PlanNode, NodeStats>, node: PlanNode, s: SentNodeStats): void {
  if (s === null) return;
  let t = into.get(node);
  if (t === undefined) into.set(node, (t = { rows: 0, batches: 0, loops: 0, elapsedMs: 0, startupMs: 0 }));
  t.rows += s[0];
  t.loops += s[1];
  t.elapsedMs += s[2];
  t.startupMs = (t.startupMs ?? 0) + s[3];
}

/** What a parallel fragment's run leaves for EXPLAIN ANALYZE. */
export interface FragmentRun {
  /** The plan the main thread ran in place of the original (null: the aggregate was replaced through ExecContext.replacedNodes). */
  rewritten: PlanNode | null;
  /** The plan the fragment was found in: the statement's, or a subquery's. */
  root: PlanNode;
  /** The original plan's aggregate that the merge replaced, and the merge node. */
  aggregate: PlanNode;
  merge: PlanNode;
  /** What the workers ran (the partial aggregate, copied where prebuilt joins were cut off) and the same over original nodes. */
  workPlan: PlanNode;
  partial: PlanNode;
  /** The original plan's scan that the workers split into morsels. */
  driving: PlanNode;
  /** Each worker's node stats (preorder of workPlan), summed over rounds by the caller. */
  workerNodeStats: SentNodeStats[][];
  parallel: ParallelStats;
  /** Wall time of the parallel phase (the workers' run, before the merge). */
  phaseMs: number;
}

/** The stats of the original plan's nodes, from the main thread's run of the rewritten plan and the workers'. */
export function originalPlanStats(original: PlanNode, runs: readonly FragmentRun[], mainStats: Map<PlanNode, NodeStats>): Map<PlanNode, NodeStats> {
  // Subquery plans inside expressions are shared by both plans: their entries are already right.
  const out = new Map(mainStats);
  for (const run of runs) addFragmentStats(original, run, mainStats, out);
  return out;
}

/** The nodes from `root` down to `target` (planChildren only), `target` excluded; null when it is not below `root`. */
function pathTo(root: PlanNode, target: PlanNode): PlanNode[] | null {
  if (root === target) return [];
  for (const c of planChildren(root)) {
    const p = pathTo(c, target);
    if (p !== null) return [root, ...p];
  }
  return null;
}

function addFragmentStats(original: PlanNode, run: FragmentRun, mainStats: Map<PlanNode, NodeStats>, out: Map<PlanNode, NodeStats>): void {
  // A subquery's fragment: the nodes of the subquery above its aggregate ran around it too.
  if (run.rewritten === null)
    for (const n of pathTo(run.root, run.aggregate) ?? []) {
      const s = out.get(n);
      if (s !== undefined) out.set(n, { ...s, elapsedMs: s.elapsedMs + run.phaseMs, startupMs: (s.startupMs ?? s.elapsedMs) + run.phaseMs });
    }
  const pairs = run.rewritten === null ? new Map<PlanNode, PlanNode>() : pairNodes(run.rewritten, original, new Map(), run.aggregate);
  for (const [copy, orig] of pairs) {
    if (orig === run.aggregate) continue;
    const s = mainStats.get(copy);
    if (s === undefined) continue;
    // A copied node is an ancestor of the aggregate: its time includes the workers' phase too.
    out.set(orig, copy === orig ? s : { ...s, elapsedMs: s.elapsedMs + run.phaseMs, startupMs: (s.startupMs ?? s.elapsedMs) + run.phaseMs });
  }
  const merged = mainStats.get(run.merge);
  const agg: NodeStats = merged === undefined ? { rows: 0, batches: 0, loops: 1, elapsedMs: 0 } : { ...merged };
  // The aggregate's time includes the workers' phase (it ran before the merge started).
  const startup = agg.startupMs ?? agg.elapsedMs;
  agg.elapsedMs += run.phaseMs;
  agg.startupMs = startup + run.phaseMs;
  addParallelStats(agg, run.parallel);
  out.set(run.aggregate, agg);
  const work = preorder(run.workPlan);
  const toOriginal = pairNodes(run.workPlan, run.partial, new Map());
  const drivingAt = work.findIndex((n) => toOriginal.get(n) === run.driving);
  const drivingShares: ParticipantStats[] = [];
  run.workerNodeStats.forEach((stats, w) => {
    // Index 0 is the partial aggregate itself: its rows are the worker's share shown on the aggregate.
    for (let i = 1; i < work.length && i < stats.length; i++) {
      const orig = toOriginal.get(work[i]);
      if (orig !== undefined) addRun(out, orig, stats[i]);
    }
    const d = drivingAt < 0 ? null : stats[drivingAt];
    drivingShares.push({ worker: w, units: run.parallel.participants[w]?.units ?? 0, rows: d?.[0] ?? 0, ms: d?.[2] ?? 0 });
  });
  // The driving scan: each worker's morsels and rows (shown as a Parallel Seq Scan).
  const driving = out.get(run.driving);
  if (driving !== undefined) addParallelStats(driving, { ...run.parallel, kind: 'scan', participants: drivingShares });
}
