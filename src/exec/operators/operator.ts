// The pull-based operator contract: next() hands out the next compacted batch (length > 0) or
// null at the end. The base class checks for cancellation once per batch and counts the rows,
// batches and time per plan node for EXPLAIN ANALYZE. A PreparedNode holds what is compiled once
// per statement (expressions, child nodes); open() makes a fresh operator with its own state, so a
// correlated subplan compiles once and runs many times.
import { PlanNode } from '../../plan/plan';
import { Batch } from '../../types/vector';
import { ExecContext } from '../context';
import { ExprEnv, NodeStats } from '../expr/compiled';

export abstract class Operator {
  private readonly stats: NodeStats;
  private readonly ctx: ExecContext;
  private statsStarted = false;
  private statsRunMs = 0;

  constructor(node: PlanNode, env: ExprEnv) {
    let s = env.stats.get(node);
    if (s === undefined) env.stats.set(node, (s = { rows: 0, batches: 0, loops: 0, elapsedMs: 0 }));
    s.loops++;
    this.stats = s;
    this.ctx = env.ctx;
  }

  next(): Batch | null {
    this.ctx.checkCancel();
    const start = performance.now();
    const b = this.produce();
    const s = this.stats;
    const spent = performance.now() - start;
    s.elapsedMs += spent;
    this.statsRunMs += spent;
    if (b !== null && !this.statsStarted) {
      // Startup time of this run (EXPLAIN ANALYZE's first "actual time" figure).
      this.statsStarted = true;
      s.startupMs = (s.startupMs ?? 0) + this.statsRunMs;
    }
    if (b !== null) {
      s.rows += b.length;
      s.batches++;
    }
    return b;
  }

  /** The next non-empty compacted batch, or null when done. */
  protected abstract produce(): Batch | null;
}

export interface PreparedNode {
  readonly node: PlanNode;
  open(): Operator;
}

/** Prepares a child plan node in the same environment (the executor's dispatcher). */
export type PrepareChild = (node: PlanNode) => PreparedNode;

/** Drains an operator into a list of batches. */
export function drain(op: Operator): Batch[] {
  const out: Batch[] = [];
  for (let b = op.next(); b !== null; b = op.next()) out.push(b);
  return out;
}
