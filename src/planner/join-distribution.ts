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

/** Sets `distribution` on the inner, left and semi hash joins of `plan` (in place: the binder's fresh plan); nothing without a cluster. */
export function markJoinDistribution(plan: PlanNode, nodes: number, mode: DistributionMode): void {
  if (nodes <= 1) return;
  // A frozen node is a cached plan shared with other statements (never the binder's own new joins): left as it is.
  if (plan.kind === 'hashjoin' && DISTRIBUTED.has(plan.joinType) && plan.buildLeft !== true && !Object.isFrozen(plan)) {
    if (mode !== 'auto') plan.distribution = mode;
    else {
      const build = (plan.right.estimatedRows ?? 1000) * rowBytes(plan.right);
      const probe = (plan.left.estimatedRows ?? 1000) * rowBytes(plan.left);
      plan.distribution = chooseDistribution(build, probe, nodes);
    }
  }
  for (const c of planChildren(plan)) markJoinDistribution(c, nodes, mode);
}
