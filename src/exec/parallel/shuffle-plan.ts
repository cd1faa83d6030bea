// Which join of a parallel fragment is hash-shuffled across the cluster's nodes (shuffle-types.ts).
//
// Shapes shuffled: an inner, left or semi hash join with its build side on the right, on the
// fragment's driving path (its probe side leads down to the driving scan), that the planner marked
// distribution = 'shuffle', with at least one key pair, whose build side itself splits by rows —
// filters, projections and probe sides of inner/left/semi/anti joins down to one scan (its own
// "driving" scan), the build sides of those joins small enough to be read whole by every
// participant. Uncorrelated subqueries in the fragment are run once by the coordinator, their rows
// sent with the job (shuffle-subqueries.ts). One shuffled join per fragment: the first such join
// from the top (the one nearest the aggregate), as its owners then run everything above it.
import { HashJoinNode, PlanNode } from '../../plan/plan';
import { PathStep, drivingPathOf } from './fragment';
import { nodeAt } from './messages';

export interface ShuffledJoin {
  /** From the partial aggregate to the join. */
  join: PathStep[];
  /** From the join's right input to the build side's scan. */
  buildPath: PathStep[];
}

/** The shuffled join on `path` (partial aggregate → driving scan), or null when none qualifies. */
export function shuffledJoinOf(partial: PlanNode, path: readonly PathStep[], subqueries = false): ShuffledJoin | null {
  let n = partial;
  for (let i = 0; i < path.length; i++) {
    if (path[i] === 'left' && n.kind === 'hashjoin' && shuffles(n)) {
      const build = drivingPathOf(n.right, subqueries);
      if (build !== null) return { join: path.slice(0, i), buildPath: build };
    }
    n = nodeAt(n, [path[i]]);
  }
  return null;
}

function shuffles(j: HashJoinNode): boolean {
  const type = j.joinType === 'inner' || j.joinType === 'left' || j.joinType === 'semi';
  return j.distribution === 'shuffle' && type && j.buildLeft !== true && j.leftKeys.length > 0;
}
