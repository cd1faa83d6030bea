// How each inner hash join spreads over a cluster's nodes when a parallel fragment runs it there
// (exec/parallel/shuffle-plan.ts, run-parallel.ts): broadcast — every node builds the whole build
// side (each reads it whole: about build × nodes rows read, hashed and kept) — or shuffle — both
// sides are hash-partitioned by key and each row moves once to its partition's owner (about
// build + probe rows sent). The estimate is in bytes: estimated rows × the width of the side's
// output columns. Shuffle when build × nodes > build + probe, i.e. build × (nodes − 1) > probe:
// at 3 nodes, a build side above half the probe side's bytes (orders under a filtered lineitem);
// a small dimension table stays broadcast. Only in a cluster (cluster_nodes > 1, set by the
// cluster layer); cluster_join_distribution forces one choice for every join (tests, benches).
import { DataType } from '../types/data-type';
import { PlanNode, planChildren } from '../plan/plan';

export type DistributionMode = 'auto' | 'broadcast' | 'shuffle';

/**
 * The joins that may be shuffled: each probe row's output depends only on the build rows of its
 * key, which all meet at its key's owner. Not anti (NOT IN's answer depends on any NULL among all
 * build rows), right or full (unmatched build rows would be emitted by every owner that lacks them).
 */
const DISTRIBUTED = new Set(['inner', 'left', 'semi']);

/** Bytes a value of the type takes in a column batch, roughly (strings: a dictionary code and a share of the entry). */
function typeBytes(t: DataType): number {
  if (t.typlen > 0) return t.typlen;
  return t.storage === 'numeric' ? 16 : 24;
}

function rowBytes(n: PlanNode): number {
  let w = 0;
  for (const o of n.output) w += typeBytes(o.type);
  return Math.max(1, w);
}

/** The distribution the cost rule picks for a join of these estimated sides over `nodes` nodes. */
export function chooseDistribution(buildBytes: number, probeBytes: number, nodes: number): 'broadcast' | 'shuffle' {
  return buildBytes * (nodes - 1) > probeBytes ? 'shuffle' : 'broadcast';
}

/**
 * Default of cluster_shuffle_min_build_rows: in auto mode a join shuffles only when its build side
 * is estimated at this many rows or more, whatever the byte rule says. A shuffle has costs that do
 * not shrink with the rows moved: the job goes to every node, each runs three phases (build, the
 * Bloom filters, probe) separated by waits for all the others, and the owners' results come back
 * — round trips and synchronisation on any network, and a failed participant costs the whole
 * attempt before the fallback. Broadcast's extra cost for a small build side is just each node
 * building it (a hash table of 100k rows: a few ms). Measured at SF 1 on a 3-node cluster (one
 * 2-core machine, bench/cluster/leader-join-modes.ts): Q7 (build ~118k estimated rows, ~90k rows
 * moved) ran 200-450 ms shuffled against 75-140 ms on the leader alone; Q9's shuffled joins
 * (build ~460k rows) 1.1-2.9 s against 0.85-1.6 s. Above a million rows the build itself takes
 * ~100 ms per node and its memory is multiplied by the nodes: there the shuffle's saving can pay.
 */
export const SHUFFLE_MIN_BUILD_ROWS = 1_000_000;

/**
 * Sets `distribution` on the inner, left and semi hash joins of `plan` (in place: the binder's
 * fresh plan); nothing without a cluster. `minShuffleBuildRows`: auto mode shuffles no join whose
 * build side is estimated below this many rows (SHUFFLE_MIN_BUILD_ROWS).
 */
export function markJoinDistribution(plan: PlanNode, nodes: number, mode: DistributionMode, minShuffleBuildRows = SHUFFLE_MIN_BUILD_ROWS): void {
  if (nodes <= 1) return;
  // A frozen node is a cached plan shared with other statements (never the binder's own new joins): left as it is.
  if (plan.kind === 'hashjoin' && DISTRIBUTED.has(plan.joinType) && plan.buildLeft !== true && !Object.isFrozen(plan)) {
    if (mode !== 'auto') plan.distribution = mode;
    else {
      const buildRows = plan.right.estimatedRows ?? 1000;
      const build = buildRows * rowBytes(plan.right);
      const probe = (plan.left.estimatedRows ?? 1000) * rowBytes(plan.left);
      plan.distribution = buildRows < minShuffleBuildRows ? 'broadcast' : chooseDistribution(build, probe, nodes);
    }
  }
  for (const c of planChildren(plan)) markJoinDistribution(c, nodes, mode, minShuffleBuildRows);
}
