// Nested-loop join for arbitrary conditions (or none: a cross product). The right input is
// materialized; each left batch is cut into slices small enough that slice × build rows stays
// around PAIRS_PER_BLOCK candidate pairs, which go through the shared JoinEmitter.
import { NestedLoopJoinNode } from '../../plan/plan';
import { Batch } from '../../types/vector';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { concatBatches, sliceBatch } from '../vector-util';
import { JoinEmitter, PairBuffer } from './join-emit';
import { InputCollector, Operator, PrepareChild, PreparedNode, Pulled, YIELD } from './operator';

const PAIRS_PER_BLOCK = 1 << 16;

export function prepareNestedLoopJoin(node: NestedLoopJoinNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const left = child(node.left);
  const right = child(node.right);
  const condition = node.condition === null ? null : compileExpr(node.condition, env);
  return { node, open: () => new NestedLoopJoinOp(node, env, left.open(), right.open(), condition) };
}

class NestedLoopJoinOp extends Operator {
  private emitter: JoinEmitter | null = null;
  private buildRows = 0;
  private readonly queue: Batch[] = [];
  private leftDone = false;
  private readonly pairs = new PairBuffer();
  private readonly rightRows: InputCollector;

  constructor(
    private readonly node: NestedLoopJoinNode,
    private readonly env: ExprEnv,
    private readonly left: Operator,
    right: Operator,
    private readonly condition: CompiledExpr | null,
  ) {
    super(node, env);
    this.rightRows = new InputCollector(right);
  }

  protected produce(): Pulled {
    if (this.emitter === null) {
      const rightBatches = this.rightRows.pull();
      if (rightBatches === YIELD) return YIELD;
      const build = concatBatches(rightBatches, this.node.right.output.map((o) => o.type), this.env.needed.get(this.node.right) ?? null);
      this.buildRows = build.length;
      this.emitter = new JoinEmitter(this.node.joinType, this.node.left.output.map((o) => o.type), build, this.condition, this.env.needed.get(this.node) ?? null);
    }
    const emitter = this.emitter;
    for (;;) {
      const b = this.queue.shift();
      if (b !== undefined) return b;
      if (this.leftDone) return null;
      const probe = this.left.next();
      if (probe === YIELD) return YIELD;
      if (probe === null) {
        this.leftDone = true;
        emitter.finish(this.queue);
        continue;
      }
      if (this.buildRows === 0) {
        emitter.emitUnmatchedProbe(probe, this.queue);
        continue;
      }
      const step = Math.max(1, Math.floor(PAIRS_PER_BLOCK / this.buildRows));
      for (let start = 0; start < probe.length; start += step) {
        const slice = sliceBatch(probe, start, Math.min(probe.length, start + step));
        const pairs = this.pairs;
        pairs.reset();
        for (let i = 0; i < slice.length; i++) for (let r = 0; r < this.buildRows; r++) pairs.push(i, r);
        emitter.emit(slice, pairs, this.queue);
      }
    }
  }
}
