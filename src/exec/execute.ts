// Runs a plan tree. Exec may import: plan, storage contracts, types.
//
// The executor is pull-based (DuckDB-style operators): each plan node is prepared once per
// statement — its expressions compiled into vector kernels — and opened into an Operator whose
// next() hands out compacted batches of at most BATCH_SIZE rows. Blocking operators (hash join
// build, aggregation, sort) drain their inputs on the first next(). Every operator counts the rows
// and time of its plan node (executePlanWithStats, for EXPLAIN ANALYZE) and checks for
// cancellation once per batch.
import { PlanNode } from '../plan/plan';
import { memoizedForFrozen } from '../plan/frozen-memo';
import { Expr as PlanExpr } from '../plan/expr';
import { compileSelection } from './expr/select-filter';
import { Batch } from '../types/vector';
import { ExecContext } from './context';
import { ExprEnv, NodeStats, PreparedPlan } from './expr/compiled';
import { Operator, PreparedNode, YIELD, drain, nextBatch } from './operators/operator';
import { prepareScan } from './operators/scan';
import { prepareCteScan, prepareFilter, prepareLimit, prepareProject, prepareValues } from './operators/simple';
import { prepareHashJoin } from './operators/hash-join';
import { prepareNestedLoopJoin } from './operators/nl-join';
import { prepareAggregate } from './operators/hash-aggregate';
import { prepareSort } from './operators/sort';
import { prepareDistinct, prepareSetOp, prepareWith } from './operators/distinct-setop';
import { prepareWindow } from './operators/window';
import { prepareRecursiveUnion } from './operators/recursive-union';
import { prepareFunctionScan } from './operators/function-scan';
import { prepareProjectSet } from './operators/project-set';
import { chunkBatch } from './vector-util';
import { neededColumns } from './needed-columns';
import { runParallelFragment } from './parallel/run-parallel';
import { originalPlanStats } from './parallel/fragment-stats';

export type { NodeStats } from './expr/compiled';

function prepareNode(node: PlanNode, env: ExprEnv): PreparedNode {
  // An aggregate whose partial aggregation already ran on the parallel workers runs as their merge.
  const replaced = env.ctx.replacedNodes?.get(node);
  if (replaced !== undefined) return prepareNode(replaced, env);
  const child = (n: PlanNode) => prepareNode(n, env);
  switch (node.kind) {
    case 'scan':
      return prepareScan(node, env);
    case 'values':
      return prepareValues(node, env);
    case 'filter':
      return prepareFilter(node, env, child);
    case 'project':
      return prepareProject(node, env, child);
    case 'hashjoin':
      return prepareHashJoin(node, env, child);
    case 'nljoin':
      return prepareNestedLoopJoin(node, env, child);
    case 'aggregate':
      return prepareAggregate(node, env, child);
    case 'sort':
      return prepareSort(node, env, child);
    case 'limit':
      return prepareLimit(node, env, child);
    case 'distinct':
      return prepareDistinct(node, env, child);
    case 'setop':
      return prepareSetOp(node, env, child);
    case 'with':
      return prepareWith(node, env, child);
    case 'ctescan':
      return prepareCteScan(node, env);
    case 'window':
      return prepareWindow(node, env, child);
    case 'recursiveunion':
      return prepareRecursiveUnion(node, env, child);
    case 'functionscan':
      return prepareFunctionScan(node, env);
    case 'projectset':
      return prepareProjectSet(node, env, child);
  }
}

function toPreparedPlan(p: PreparedNode): PreparedPlan {
  return {
    node: p.node,
    run: () => drain(p.open()),
    open: () => {
      const op: Operator = p.open();
      return () => nextBatch(op);
    },
  };
}

/** Statement end: scans stopped early (LIMIT, EXISTS, an error) release their pinned chunks, spill files go. */
function releaseAtEnd(env: ExprEnv): void {
  for (const r of env.closeAtEnd ?? []) r.close();
  env.closeAtEnd?.clear();
}

/** neededColumns of frozen plans (the engine's statement cache shares one plan between executions). */
const neededOfFrozen = memoizedForFrozen(neededColumns);

/** A run's own needed-columns entries over a frozen plan's shared ones (subplans prepared during the run add theirs here). */
class NeededOverlay extends Map<PlanNode, boolean[]> {
  constructor(private readonly shared: Map<PlanNode, boolean[]>) {
    super();
  }
  override get(node: PlanNode): boolean[] | undefined {
    return this.size > 0 && super.has(node) ? super.get(node) : this.shared.get(node);
  }
  override has(node: PlanNode): boolean {
    return super.has(node) || this.shared.has(node);
  }
}

function neededFor(plan: PlanNode): Map<PlanNode, boolean[]> {
  if (!Object.isFrozen(plan)) return neededColumns(plan);
  // Not a copy of the shared map (a copy per execution cost more than a point lookup's scan).
  return new NeededOverlay(neededOfFrozen(plan));
}

function rootEnv(ctx: ExecContext, plan: PlanNode): ExprEnv {
  return {
    ctx,
    outer: [],
    ctes: ctx.ctes === undefined ? new Map() : new Map(ctx.ctes),
    stats: new Map(),
    needed: neededFor(plan),
    closeAtEnd: new Set(),
    prepareSubplan: (sub, env) => {
      for (const [node, need] of neededColumns(sub)) env.needed.set(node, need);
      return toPreparedPlan(prepareNode(sub, env));
    },
  };
}

/** Runs the plan to completion: compacted batches (no selection) of at most BATCH_SIZE rows. */
export function executePlan(plan: PlanNode, ctx: ExecContext): Batch[] {
  return executePlanWithStats(plan, ctx).batches;
}

/** As executePlan, with the actual rows, batches, runs and time of every plan node (subplans included). */
export function executePlanWithStats(plan: PlanNode, ctx: ExecContext): { batches: Batch[]; stats: Map<PlanNode, NodeStats> } {
  const env = rootEnv(ctx, plan);
  try {
    const op = prepareNode(plan, env).open();
    const batches: Batch[] = [];
    for (let b = nextBatch(op); b !== null; b = nextBatch(op)) chunkBatch(b, batches);
    return { batches, stats: env.stats };
  } finally {
    releaseAtEnd(env);
  }
}

/** How long a statement runs before it lets the event loop in (other sessions, CancelRequests). */
const TIME_SLICE_MS = 20;

/**
 * As executePlan, but cooperative: every TIME_SLICE_MS the plan pauses (operators keep their state)
 * and the event loop runs, so a CancelRequest or statement_timeout stops a long CPU-bound query
 * and other connections are served meanwhile. The context is the statement's own: its
 * shouldYield is set here (copying the context instead cost more than a point lookup's scan).
 */
export async function executePlanAsync(plan: PlanNode, ctx: ExecContext, onStats?: (stats: Map<PlanNode, NodeStats>) => void): Promise<Batch[]> {
  // The part of the plan that splits by rows runs on worker threads first (when allowed and free).
  const original = plan;
  const starting = runParallelFragment(plan, ctx);
  const parallel = starting === null ? null : await starting;
  if (parallel !== null) ({ plan, ctx } = parallel);
  let sliceEnd = performance.now() + TIME_SLICE_MS;
  ctx.shouldYield = () => {
    const now = performance.now();
    if (now < sliceEnd) return false;
    sliceEnd = now + TIME_SLICE_MS;
    return true;
  };
  const env = rootEnv(ctx, plan);
  try {
    const op = prepareNode(plan, env).open();
    const batches: Batch[] = [];
    for (;;) {
      const b = op.next();
      if (b === null) break;
      if (b === YIELD) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceEnd = performance.now() + TIME_SLICE_MS;
        continue;
      }
      chunkBatch(b, batches);
    }
    // Stats by the statement's own plan nodes (EXPLAIN ANALYZE, the learned optimizer), workers' included.
    onStats?.(parallel === null ? env.stats : originalPlanStats(original, parallel.runs, env.stats));
    return batches;
  } finally {
    releaseAtEnd(env);
  }
}

/** Pull iteration: yields batches as the plan produces them (for streaming results to a client). */
export function* executePlanStream(plan: PlanNode, ctx: ExecContext): Generator<Batch, void, undefined> {
  const env = rootEnv(ctx, plan);
  try {
    const op = prepareNode(plan, env).open();
    const out: Batch[] = [];
    for (let b = nextBatch(op); b !== null; b = nextBatch(op)) {
      chunkBatch(b, out);
      while (out.length > 0) yield out.shift()!;
    }
  } finally {
    releaseAtEnd(env);
  }
}

/**
 * How many rows of `batch` the predicate keeps (the learned optimizer evaluates pushed-down
 * predicates on a table sample this way). Throws what the predicate throws on these rows.
 */
export function countSelected(predicate: PlanExpr, batch: Batch, ctx: ExecContext): number {
  const env: ExprEnv = { ctx, outer: [], ctes: new Map(), stats: new Map(), needed: new Map(), closeAtEnd: new Set(), prepareSubplan: () => { throw new Error('no subqueries in sampled predicates'); } };
  const keep = compileSelection(predicate, env).select(batch);
  return keep === null ? batch.length : keep.length;
}
