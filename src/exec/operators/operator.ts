// The pull-based operator contract: next() hands out the next compacted batch (length > 0), null
// at the end, or YIELD when the statement's time slice is used up (nothing is lost: call next()
// again; the top-level driver lets the event loop run first, so a CancelRequest is seen while a
// long query runs). The base class checks for cancellation once per batch and counts the rows,
// batches and time per plan node for EXPLAIN ANALYZE. A PreparedNode holds what is compiled once
// per statement (expressions, child nodes); open() makes a fresh operator with its own state, so a
// correlated subplan compiles once and runs many times.
import { PlanNode } from '../../plan/plan';
import { Batch } from '../../types/vector';
import { ExecContext } from '../context';
import { ExprEnv, NodeStats } from '../expr/compiled';

/** "Not done, call again": the statement's time slice ran out (see ExecContext.shouldYield). */
export const YIELD: unique symbol = Symbol('yield');
export type Pulled = Batch | null | typeof YIELD;

export abstract class Operator {
  private readonly stats: NodeStats;
  private readonly ctx: ExecContext;
  private statsStarted = false;
  private statsRunMs = 0;

  constructor(node: PlanNode, env: ExprEnv) {
    let s = env.stats.get(node);
    if (s === undefined) env.stats.set(node, (s = { rows: 0, batches: 0, loops: 0, elapsedMs: 0 }));
    s.loops++;
    s.ended = false;
    this.stats = s;
    this.ctx = env.ctx;
  }

  next(): Pulled {
    this.ctx.checkCancel();
    const start = performance.now();
    const b = this.produce();
    const s = this.stats;
    const spent = performance.now() - start;
    s.elapsedMs += spent;
    this.statsRunMs += spent;
    if (b !== null && b !== YIELD && !this.statsStarted) {
      // Startup time of this run (EXPLAIN ANALYZE's first "actual time" figure).
      this.statsStarted = true;
      s.startupMs = (s.startupMs ?? 0) + this.statsRunMs;
    }
    if (b !== null && b !== YIELD) {
      s.rows += b.length;
      s.batches++;
    } else if (b === null) s.ended = true;
    return b;
  }

  /** The next non-empty compacted batch, null when done, or YIELD (state kept, to be resumed). */
  protected abstract produce(): Pulled;
}

export interface PreparedNode {
  readonly node: PlanNode;
  open(): Operator;
}

/** Prepares a child plan node in the same environment (the executor's dispatcher). */
export type PrepareChild = (node: PlanNode) => PreparedNode;

/** Drains an operator into a list of batches, synchronously (a YIELD is simply pulled past). */
export function drain(op: Operator): Batch[] {
  const out: Batch[] = [];
  for (let b = op.next(); b !== null; b = op.next()) if (b !== YIELD) out.push(b);
  return out;
}

/** The next batch or null, pulling past YIELDs (for consumers that cannot pause). */
export function nextBatch(op: Operator): Batch | null {
  for (;;) {
    const b = op.next();
    if (b !== YIELD) return b;
  }
}

/**
 * Collects an input's batches across calls: a blocking operator (sort, hash build) calls pull()
 * from produce() and returns YIELD when it does; the batches gathered so far are kept.
 */
export class InputCollector {
  private readonly batches: Batch[] = [];
  private done = false;
  constructor(private readonly input: Operator) {}
  pull(): Batch[] | typeof YIELD {
    if (!this.done) {
      for (let b = this.input.next(); b !== null; b = this.input.next()) {
        if (b === YIELD) return YIELD;
        this.batches.push(b);
      }
      this.done = true;
    }
    return this.batches;
  }
}
