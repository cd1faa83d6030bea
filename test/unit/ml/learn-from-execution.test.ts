// Samples and plan times from an executed plan: only true counts become samples, and a learned-vs-
// classic join choice is timed by its statement (or its top join when no statement time is given).
import { expect } from 'chai';
import { PlanNode, ScanNode } from '../../../src/plan/plan';
import { NodeStats } from '../../../src/exec/execute';
import { planTimesFromExecution, samplesFromExecution } from '../../../src/ml/learn-from-execution';
import { Types } from '../../../src/types/data-type';

const ml = (rows: number) => ({ features: new Float64Array(4), classicRows: rows, learnedRows: null });
const scan = (rows: number): ScanNode => ({ kind: 'scan', tableId: 1, tableName: 't', columns: [0], withRowId: false, filter: null, output: [{ name: 'a', type: Types.int4 }], ml: ml(rows) }) as unknown as ScanNode;
const stat = (rows: number, extra: Partial<NodeStats> = {}): NodeStats => ({ rows, batches: 1, loops: 1, elapsedMs: 5, ended: true, ...extra });

describe('ml: learning from execution', () => {
  const probe = scan(100);
  const build = scan(10);
  const join = { kind: 'hashjoin', joinType: 'inner', left: probe, right: build, leftKeys: [], rightKeys: [], output: [], ml: ml(50), mlChoice: { signature: 's', learned: true } } as unknown as PlanNode;

  it('skips nodes pruned by a runtime filter from a join above, and nodes not run to their end', () => {
    const stats = new Map<PlanNode, NodeStats>([
      [join, stat(40)],
      [probe, stat(7, { prunedBy: new Set([join]) })],
      [build, stat(10)],
    ]);
    expect(samplesFromExecution(join, stats).map((s) => s.trueRows)).to.deep.equal([40, 10]);
    stats.set(build, stat(0, { ended: false }));
    expect(samplesFromExecution(join, stats).map((s) => s.trueRows)).to.deep.equal([40]);
  });

  it("times a join choice by the statement's time, else by its top join's", () => {
    const stats = new Map<PlanNode, NodeStats>([[join, stat(40, { elapsedMs: 12 })]]);
    expect(planTimesFromExecution(join, stats, 30)).to.deep.equal([{ signature: 's', learned: true, ms: 30 }]);
    expect(planTimesFromExecution(join, new Map(), 30)).to.deep.equal([{ signature: 's', learned: true, ms: 30 }]);
    expect(planTimesFromExecution(join, stats)).to.deep.equal([{ signature: 's', learned: true, ms: 12 }]);
    // Run several times (a correlated subquery) and no statement time: not timed.
    expect(planTimesFromExecution(join, new Map([[join, stat(40, { loops: 3 })]]))).to.deep.equal([]);
  });
});
