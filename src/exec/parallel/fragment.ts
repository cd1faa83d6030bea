// Which part of a plan runs in parallel, and how its partial results are merged.
//
// The shape handled is an aggregate whose input is driven by one table scan: from the aggregate
// down, filters, projections and the probe (left) side of hash joins and nested-loop joins lead to
// a scan (the driving scan). Split into morsels of rows, that scan feeds every worker; the build
// sides of the joins are read whole by each worker. Each worker runs a partial aggregate over its
// morsels; the main thread merges the workers' partial groups with a final aggregate and a
// projection that restores the original aggregate's output (count = sum of counts, avg = sum of
// sums / sum of counts, …). Everything else in the plan runs serially on the merged result.
// Build sides too large for every worker to build (orders under a lineitem probe) are built once
// instead, by the main thread and the workers in partitions of shared memory, and probed there by
// every worker (shared-joins.ts): a join-then-aggregate whose probe runs on the workers.
import { CallExpr, CastExpr, ColumnExpr, Expr, SubqueryExpr } from '../../plan/expr';
import { forEachChild } from '../../plan/expr-children';
import { AggregateCall, AggregateNode, CteScanNode, HashJoinNode, NestedLoopJoinNode, PlanNode, ProjectNode, ScanNode, planChildren, withChildren } from '../../plan/plan';
import { pairKind } from '../hash/key-hash';
import { DataType, Types } from '../../types/data-type';
import { ShuffledJoin, shuffledJoinOf } from './shuffle-plan';

/** Path steps from the partial aggregate down to the driving scan. */
export type PathStep = 'input' | 'left';

export interface ParallelFragment {
  /** The aggregate of the original plan that the merge replaces. */
  aggregate: AggregateNode;
  /** What each worker runs: the partial aggregate over the original aggregate's input. */
  partial: AggregateNode;
  driving: ScanNode;
  /** From `partial` to `driving`. */
  path: PathStep[];
  /** Paths from `partial` to the hash joins whose tables are built once and shared (shared-joins.ts). */
  shared: PathStep[][];
  /**
   * Key-partitioned (set by the caller): every worker reads all the driving rows but aggregates only
   * the groups whose single integer key falls in its slice of [lo, hi], so the workers' groups are
   * disjoint and need no merge (disjointMergePlan): for many groups, where merging would cost
   * nearly what it saves.
   */
  partitioned?: { lo: number; hi: number } | null;
  /** In a cluster: the join whose two sides are hash-partitioned over the nodes (shuffle-plan.ts), else absent. */
  shuffle?: ShuffledJoin | null;
}

/** What the cluster lets a fragment do (absent: a single node, or cluster_parallel_query off). */
export interface ClusterFragmentOptions {
  /** Joins the planner marked 'shuffle' may be shuffled over the nodes (a shuffle runner is there). */
  shuffle: boolean;
  /** cluster_join_distribution = broadcast: every participant builds every build side, however large. */
  broadcast: boolean;
}

/** Aggregates whose partial results merge exactly (no order, no float rounding differences). */
const MERGEABLE = new Set(['count_star', 'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or']);
const EXACT_SUM_ARGS = new Set(['int2', 'int4', 'int8', 'numeric']);
/** Functions whose value differs per call or which touch session state: such plans stay serial. */
const VOLATILE = new Set(['nextval', 'currval', 'setval', 'lastval', 'set_config', 'gen_random_uuid', 'clock_timestamp']);
/**
 * Above this many estimated groups the partial results are nearly as large as the input, so the
 * serial merge would cost about what it saves.
 */
export const MAX_PARTIAL_GROUPS = 50_000;

/**
 * Largest build-side rows (all tables the joins build on) per driving row. Building a hash table
 * costs far more per row than probing it: at SF 1 with 2 workers, Q3/Q5/Q7/Q10 (orders and customer
 * built by each worker, about 0.28 build rows per lineitem row) ran 1.2-1.6× slower than serial,
 * while Q19 (part: 0.03) and scans without joins ran faster. Shared or partitioned builds would lift this.
 */
const MAX_BUILD_SHARE = 1 / 8;
/**
 * A hash join on the driving path whose build side reads at least parallel_shared_join_rows rows
 * (0: never), over numeric keys, may have its table built once and shared with the workers, when
 * the other build sides stay within MAX_BUILD_SHARE… Off by default: at SF 1 it made Q3, Q5, Q7 and
 * Q10 several times slower (their serial plans skip most lineitem rows by runtime filters and zone
 * maps on the main thread; the workers' morsel scans decode and filter every chunk, and the main
 * thread spends the time sending them).
 */
export const PARALLEL_SHARED_JOIN_ROWS = 0;
/**
 * …and the shared ones within this share of the driving rows: the main thread runs the shared
 * build sides' plans before the workers start, so they must stay small against the probe.
 */
const MAX_SHARED_BUILD_SHARE = 1 / 2;

function callOk(c: AggregateCall): boolean {
  if (!MERGEABLE.has(c.fn) || c.distinct || (c.orderBy !== undefined && c.orderBy.length > 0)) return false;
  if ((c.fn === 'sum' || c.fn === 'avg') && !EXACT_SUM_ARGS.has(c.args[0].type.name)) return false;
  return c.args.every(exprOk) && (c.filter === null || exprOk(c.filter));
}

/** No subqueries, outer references or volatile functions. */
export function exprOk(e: Expr): boolean {
  return exprOkWith(e, false);
}

/**
 * As exprOk; with `subqueries`, uncorrelated subqueries (no args: one value or row set per
 * statement) pass too — a shuffled fragment's coordinator runs them once and sends their rows
 * (shuffle-subqueries.ts).
 */
function exprOkWith(e: Expr, subqueries: boolean): boolean {
  const ok = (x: Expr): boolean => exprOkWith(x, subqueries);
  switch (e.kind) {
    case 'subquery':
      return subqueries && e.args.length === 0 && (e.test === null || ok(e.test));
    case 'outer':
      return false;
    case 'column':
    case 'const':
    case 'param':
      return true;
    case 'call':
      return !VOLATILE.has(e.fn) && e.args.every(ok);
    case 'and':
    case 'or':
    case 'coalesce':
      return e.args.every(ok);
    case 'cast':
    case 'not':
    case 'isnull':
    case 'booltest':
      return ok(e.arg);
    case 'case':
      return e.whens.every((w) => ok(w.when) && ok(w.then)) && (e.else === null || ok(e.else));
    case 'inlist':
      return ok(e.arg) && e.list.every(ok);
  }
}

/** The expressions a plan node evaluates itself (not its children's). */
export function nodeExprs(n: PlanNode): Expr[] {
  const out: (Expr | null | undefined)[] = [];
  switch (n.kind) {
    case 'scan':
      out.push(n.filter, n.index?.low, n.index?.high);
      break;
    case 'values':
      out.push(...n.rows.flat(), n.arrayElements);
      break;
    case 'filter':
      out.push(n.predicate);
      break;
    case 'project':
      out.push(...n.exprs);
      break;
    case 'hashjoin':
      out.push(...n.leftKeys, ...n.rightKeys, n.residual);
      break;
    case 'nljoin':
      out.push(n.condition);
      break;
    case 'aggregate':
      out.push(...n.groupBy);
      for (const a of n.aggregates) out.push(...a.args, a.filter, ...(a.orderBy ?? []).map((k) => k.expr));
      break;
    case 'sort':
      out.push(...n.keys.map((k) => k.expr));
      break;
    case 'limit':
      out.push(n.limit, n.offset);
      break;
    case 'distinct':
      out.push(...(n.on ?? []));
      break;
    case 'window':
      for (const c of n.calls) out.push(...c.args, c.filter, ...c.partitionBy, ...c.orderBy.map((k) => k.expr), c.frame.start.offset, c.frame.end.offset);
      break;
    case 'functionscan':
      out.push(...n.args);
      break;
    case 'projectset':
      out.push(...n.calls.flat());
      break;
    default:
      break;
  }
  return out.filter((e): e is Expr => e !== null && e !== undefined);
}

/** A subtree a worker may run whole (a join's build side): self-contained and deterministic. */
function subtreeOk(n: PlanNode, subqueries: boolean): boolean {
  if (n.kind === 'with' || n.kind === 'ctescan' || n.kind === 'recursiveunion') return false;
  return nodeExprs(n).every((e) => exprOkWith(e, subqueries)) && planChildren(n).every((c) => subtreeOk(c, subqueries));
}

/** The path from `n` down to the scan its rows split over (as for a fragment's driving scan), or null. */
export function drivingPathOf(n: PlanNode, subqueries = false): PathStep[] | null {
  return drivingPath(n, [], subqueries)?.path ?? null;
}

/** The driving scan below `n` and the path to it, or null when the shape does not split by rows. */
function drivingPath(n: PlanNode, path: PathStep[], subqueries = false): { scan: ScanNode; path: PathStep[] } | null {
  if (!nodeExprs(n).every((e) => exprOkWith(e, subqueries))) return null;
  switch (n.kind) {
    case 'scan':
      return { scan: n, path };
    case 'filter':
    case 'project':
      return drivingPath(n.input, [...path, 'input'], subqueries);
    case 'hashjoin':
    case 'nljoin': {
      // Each probe row's output depends only on it and the whole build side: splitting the probe
      // side splits the output. Right/full joins also emit unmatched build rows: not splittable.
      const probeSplits = n.joinType === 'inner' || n.joinType === 'left' || n.joinType === 'semi' || n.joinType === 'anti';
      if (!probeSplits || (n.kind === 'hashjoin' && n.buildLeft === true) || !subtreeOk(n.right, subqueries)) return null;
      return drivingPath(n.left, [...path, 'left'], subqueries);
    }
    default:
      return null;
  }
}

/** The joins on the path from `root` (the joins whose probe side leads to the driving scan), with their paths. */
function joinsOnPath(root: PlanNode, path: readonly PathStep[]): { node: HashJoinNode | NestedLoopJoinNode; path: PathStep[] }[] {
  const out: { node: HashJoinNode | NestedLoopJoinNode; path: PathStep[] }[] = [];
  let n = root;
  for (let i = 0; i < path.length; i++) {
    if (path[i] === 'left' && (n.kind === 'hashjoin' || n.kind === 'nljoin')) out.push({ node: n, path: path.slice(0, i) });
    n = (n as unknown as Record<PathStep, PlanNode>)[path[i]];
  }
  return out;
}

/** Every key pair of the join hashes as numbers (the shared table's keys: partitioned-join-table.ts). */
function numericKeys(j: HashJoinNode): boolean {
  return j.leftKeys.length > 0 && j.leftKeys.every((k, i) => pairKind(k.type, j.rightKeys[i].type) === 'num');
}

function subqueriesIn(e: Expr, out: SubqueryExpr[]): void {
  if (e.kind === 'subquery') out.push(e);
  forEachChild(e, (c) => subqueriesIn(c, out));
}

/**
 * The plans of the uncorrelated subqueries (no args: run once per statement) in the expressions of
 * `plan`'s nodes, and of those subqueries' own nodes, outermost first.
 */
export function uncorrelatedSubplans(plan: PlanNode, out: PlanNode[] = []): PlanNode[] {
  const subs: SubqueryExpr[] = [];
  for (const e of nodeExprs(plan)) subqueriesIn(e, subs);
  for (const s of subs) {
    if (s.args.length > 0 || out.includes(s.plan)) continue;
    out.push(s.plan);
    uncorrelatedSubplans(s.plan, out);
  }
  for (const c of planChildren(plan)) uncorrelatedSubplans(c, out);
  return out;
}

/** Whether the plan or one of its uncorrelated subqueries has an aggregate (only those make fragments). */
export function hasFragmentCandidates(plan: PlanNode): boolean {
  if (aggregates(plan, []).length > 0) return true;
  for (const sub of uncorrelatedSubplans(plan)) if (aggregates(sub, []).length > 0) return true;
  return false;
}

export function scansUnder(n: PlanNode, out: ScanNode[]): ScanNode[] {
  if (n.kind === 'scan') out.push(n);
  for (const c of planChildren(n)) scansUnder(c, out);
  return out;
}

/** Every aggregate node of the plan tree (subquery plans inside expressions excluded). */
function aggregates(n: PlanNode, out: AggregateNode[]): AggregateNode[] {
  if (n.kind === 'aggregate') out.push(n);
  for (const c of planChildren(n)) aggregates(c, out);
  return out;
}

/**
 * The aggregate to run in parallel: among those whose shape splits by rows, the one whose driving
 * table is largest (rows by `tableRows`); null when none qualifies. `maxGroups`: the most groups
 * estimated for a grouped aggregate (key-partitioned fragments take more: run-parallel.ts).
 */
export function findFragment(
  plan: PlanNode,
  tableRows: (tableId: number) => number,
  sharedJoinRows = PARALLEL_SHARED_JOIN_ROWS,
  maxGroups = MAX_PARTIAL_GROUPS,
  cluster: ClusterFragmentOptions | null = null,
): ParallelFragment | null {
  let best: ParallelFragment | null = null;
  let bestRows = -1;
  for (const a of aggregates(plan, [])) {
    if (!a.aggregates.every(callOk) || !a.groupBy.every(exprOk)) continue;
    if (a.groupBy.length > 0 && (a.estimatedRows ?? 0) > maxGroups) continue;
    const partial: AggregateNode = { kind: 'aggregate', input: a.input, groupBy: a.groupBy, aggregates: partialCalls(a.aggregates), output: [] };
    partial.output = [...a.output.slice(0, a.groupBy.length), ...partial.aggregates.map((c, i) => ({ name: `partial${i}`, type: c.type }))];
    let found = drivingPath(a.input, ['input']);
    // Uncorrelated subqueries in the fragment (Q18's IN): only when a join is shuffled (its coordinator runs them once).
    const withSubqueries = found === null && cluster?.shuffle === true;
    if (withSubqueries) found = drivingPath(a.input, ['input'], true);
    if (found === null) continue;
    const rows = tableRows(found.scan.tableId);
    // A shuffled join: its build side is split over the nodes like the probe, not built by each.
    const shuffle = cluster?.shuffle === true ? shuffledJoinOf(partial, found.path, withSubqueries) : null;
    if (withSubqueries && shuffle === null) continue;
    if (shuffle !== null || cluster?.broadcast === true) {
      if (rows > bestRows) {
        best = { aggregate: a, partial, driving: found.scan, path: found.path, shared: [], shuffle };
        bestRows = rows;
      }
      continue;
    }
    // Every worker builds the joins' build sides itself: worth it only while probing dominates.
    let buildRows = 0;
    for (const s of scansUnder(a.input, [])) if (s !== found.scan) buildRows += tableRows(s.tableId);
    const shared: PathStep[][] = [];
    if (buildRows > rows * MAX_BUILD_SHARE) {
      if (sharedJoinRows <= 0) continue;
      // Unless the large build sides are built once and shared.
      let perWorker = 0;
      let once = 0;
      for (const j of joinsOnPath(partial, found.path)) {
        const jrows = scansUnder(j.node.right, []).reduce((n, s) => n + tableRows(s.tableId), 0);
        if (j.node.kind === 'hashjoin' && jrows >= sharedJoinRows && numericKeys(j.node)) {
          shared.push(j.path);
          once += jrows;
        } else perWorker += jrows;
      }
      if (perWorker > rows * MAX_BUILD_SHARE || once > rows * MAX_SHARED_BUILD_SHARE) continue;
    }
    if (rows > bestRows) {
      best = { aggregate: a, partial, driving: found.scan, path: found.path, shared };
      bestRows = rows;
    }
  }
  return best;
}

/** sum's result type for an exact argument type (PostgreSQL: int2/int4 → int8, int8/numeric → numeric). */
function sumType(arg: DataType): DataType {
  return arg.name === 'int2' || arg.name === 'int4' ? Types.int8 : Types.numeric;
}

/** The calls each worker computes: avg becomes sum and count; the others stay as they are. */
function partialCalls(calls: AggregateCall[]): AggregateCall[] {
  const out: AggregateCall[] = [];
  for (const c of calls) {
    if (c.fn === 'avg') {
      out.push({ ...c, fn: 'sum', type: sumType(c.args[0].type) });
      out.push({ ...c, fn: 'count', type: Types.int8 });
    } else out.push(c);
  }
  return out;
}

const col = (index: number, type: DataType): ColumnExpr => ({ kind: 'column', index, type });
const cast = (arg: Expr, type: DataType): CastExpr => ({ kind: 'cast', arg, type });
const call = (fn: CallExpr['fn'], args: Expr[], type: DataType): CallExpr => ({ kind: 'call', fn, args, type });
const merge = (fn: AggregateCall['fn'], arg: Expr, type: DataType): AggregateCall => ({ fn, args: [arg], distinct: false, filter: null, type });

/**
 * Replaces the fragment's aggregate: the workers' partial rows (read from CTE `cteId`) grouped
 * again by the same keys, each call merged, then projected to the original aggregate's output.
 */
export function mergePlan(f: ParallelFragment, cteId: number): ProjectNode {
  const a = f.aggregate;
  const g = a.groupBy.length;
  const source: CteScanNode = { kind: 'ctescan', cteId, output: f.partial.output };
  const groupBy = a.groupBy.map((e, i) => col(i, e.type));
  const finals: AggregateCall[] = [];
  const exprs: Expr[] = groupBy.map((e, i) => col(i, e.type));
  let p = g; // next partial column
  for (const c of a.aggregates) {
    const at = (k: number): Expr => col(g + k, finals[k].type);
    switch (c.fn) {
      case 'count':
      case 'count_star':
        finals.push(merge('sum', col(p++, Types.int8), Types.numeric));
        exprs.push(cast(at(finals.length - 1), Types.int8));
        break;
      case 'sum': {
        const t = f.partial.output[p].type;
        finals.push(merge('sum', col(p++, t), sumType(t)));
        const k = finals.length - 1;
        exprs.push(finals[k].type.name === c.type.name ? at(k) : cast(at(k), c.type));
        break;
      }
      case 'avg': {
        const st = f.partial.output[p].type;
        finals.push(merge('sum', col(p++, st), Types.numeric));
        finals.push(merge('sum', col(p++, Types.int8), Types.numeric));
        const k = finals.length - 2;
        const sum = st.name === 'numeric' ? at(k) : cast(at(k), Types.numeric);
        // NULLIF: no non-NULL input anywhere → count 0 → NULL (as avg), not a division by zero.
        const count = call('nullif', [at(k + 1), { kind: 'const', value: { decimal: true, digits: 0n, scale: 0 }, type: Types.numeric }], Types.numeric);
        exprs.push(call('div', [sum, count], c.type));
        break;
      }
      default:
        finals.push(merge(c.fn, col(p++, c.type), c.type));
        exprs.push(at(finals.length - 1));
    }
  }
  const final: AggregateNode = {
    kind: 'aggregate',
    input: source,
    groupBy,
    aggregates: finals,
    output: [...a.output.slice(0, g), ...finals.map((c, i) => ({ name: `merged${i}`, type: c.type }))],
    estimatedRows: a.estimatedRows,
  };
  return { kind: 'project', input: final, exprs, output: a.output, estimatedRows: a.estimatedRows };
}

/**
 * Replaces a key-partitioned fragment's aggregate: the workers' groups are disjoint, so each
 * partial row is already its group's final row; only avg is computed from its sum and count.
 */
export function disjointMergePlan(f: ParallelFragment, cteId: number): ProjectNode {
  const a = f.aggregate;
  const g = a.groupBy.length;
  const source: CteScanNode = { kind: 'ctescan', cteId, output: f.partial.output };
  const exprs: Expr[] = a.groupBy.map((e, i) => col(i, e.type));
  let p = g;
  for (const c of a.aggregates) {
    if (c.fn !== 'avg') {
      exprs.push(col(p, f.partial.output[p++].type));
      continue;
    }
    const st = f.partial.output[p].type;
    const sum = st.name === 'numeric' ? col(p, st) : cast(col(p, st), Types.numeric);
    const count = call('nullif', [cast(col(p + 1, Types.int8), Types.numeric), { kind: 'const', value: { decimal: true, digits: 0n, scale: 0 }, type: Types.numeric }], Types.numeric);
    p += 2;
    exprs.push(call('div', [sum, count], c.type));
  }
  return { kind: 'project', input: source, exprs, output: a.output, estimatedRows: a.estimatedRows };
}

/** `root` with node `target` replaced by `by` (nodes on the way copied; the original plan is not changed). */
export function replaceNode(root: PlanNode, target: PlanNode, by: PlanNode): PlanNode {
  if (root === target) return by;
  return withChildren(root, planChildren(root).map((c) => replaceNode(c, target, by)));
}
