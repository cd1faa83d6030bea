// Cardinality estimation and cost-based join ordering on hand-made statistics.
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { ColumnStatistics } from '../../../src/plan/statistics';
import { distinctAfterFilter, selectivity } from '../../../src/planner/cardinality';
import { JoinGraph, JoinTree, orderJoins } from '../../../src/planner/join-order';
import { Types } from '../../../src/types/data-type';

const col = (index: number): Expr => ({ kind: 'column', index, type: Types.int4 });
const int = (value: number): Expr => ({ kind: 'const', value, type: Types.int4 });
const cmp = (fn: 'eq' | 'lt' | 'ge' | 'ne', a: Expr, b: Expr): Expr => ({ kind: 'call', fn, args: [a, b], type: Types.bool });
const stats: ColumnStatistics[] = [
  { distinct: 100, nullFraction: 0, min: 0, max: 999 },
  { distinct: 4, nullFraction: 0.2, min: 1, max: 4 },
];
const info = { stats: (i: number) => stats[i] ?? null };

/** The tree as nested relation numbers, e.g. [[0, 1], 2]. */
function shape(t: JoinTree): unknown {
  return 'leaf' in t ? t.leaf : [shape(t.left), shape(t.right)];
}
function leaves(t: JoinTree): number[] {
  return 'leaf' in t ? [t.leaf] : [...leaves(t.left), ...leaves(t.right)];
}

describe('cardinality estimation', () => {
  it('uses 1/ndv for equality, min/max for ranges, combines ranges on one column, and NULL fractions', () => {
    expect(selectivity(cmp('eq', col(0), int(5)), info)).to.be.closeTo(0.01, 1e-9);
    expect(selectivity(cmp('eq', col(1), int(2)), info)).to.be.closeTo(0.2, 1e-9);
    expect(selectivity(cmp('lt', col(0), int(250)), info)).to.be.closeTo(0.25, 0.01);
    const range: Expr = { kind: 'and', args: [cmp('ge', col(0), int(100)), cmp('lt', col(0), int(300))], type: Types.bool };
    expect(selectivity(range, info)).to.be.closeTo(0.2, 0.01);
    const either: Expr = { kind: 'or', args: [cmp('eq', col(1), int(1)), cmp('eq', col(1), int(2))], type: Types.bool };
    expect(selectivity(either, info)).to.be.closeTo(0.36, 1e-9);
    expect(selectivity({ kind: 'isnull', arg: col(1), negated: false, type: Types.bool }, info)).to.equal(0.2);
    expect(selectivity({ kind: 'inlist', arg: col(0), list: [int(1), int(2), int(3)], negated: false, type: Types.bool }, info)).to.be.closeTo(0.03, 1e-9);
    // A constant outside [min, max] matches (almost) nothing.
    expect(selectivity(cmp('eq', col(0), int(5000)), info)).to.be.below(0.001);
  });

  it('shrinks distinct counts with the rows a filter keeps', () => {
    expect(distinctAfterFilter(1000, 100000, 100000)).to.equal(1000);
    expect(distinctAfterFilter(1000, 100000, 50000)).to.be.closeTo(1000, 1);
    expect(distinctAfterFilter(100000, 100000, 10)).to.be.at.most(10);
  });
});

describe('join ordering', () => {
  it('joins the selective dimension first instead of the many-to-many edge (TPC-H Q5 shape)', () => {
    // 0 customer 15000, 1 orders 20000, 2 lineitem 600000, 3 supplier 1000, 4 nation 5 (filtered).
    // customer-supplier share nationkey (25 values): a many-to-many edge.
    const g = new JoinGraph(
      [15000, 20000, 600000, 1000, 5],
      [
        { mask: 0b00011, selectivity: 1 / 15000 }, // c_custkey = o_custkey
        { mask: 0b00110, selectivity: 1 / 150000 }, // l_orderkey = o_orderkey
        { mask: 0b01100, selectivity: 1 / 1000 }, // l_suppkey = s_suppkey
        { mask: 0b01001, selectivity: 1 / 25 }, // c_nationkey = s_nationkey
        { mask: 0b11000, selectivity: 1 / 25 }, // s_nationkey = n_nationkey
      ],
      [
        { a: 0b00001, b: 0b00010 },
        { a: 0b00010, b: 0b00100 },
        { a: 0b00100, b: 0b01000 },
        { a: 0b00001, b: 0b01000 },
        { a: 0b01000, b: 0b10000 },
      ],
    );
    const t = orderJoins(g);
    expect(leaves(t).sort()).to.deep.equal([0, 1, 2, 3, 4]);
    // No subtree joins customer with supplier alone.
    const subtrees: JoinTree[] = [];
    const walk = (x: JoinTree) => {
      subtrees.push(x);
      if (!('leaf' in x)) (walk(x.left), walk(x.right));
    };
    walk(t);
    expect(subtrees.some((x) => x.mask === 0b01001)).to.equal(false);
    // Supplier meets the filtered nation before anything else touches it.
    expect(subtrees.some((x) => x.mask === 0b11000)).to.equal(true);
  });

  it('crosses unconnected components only at the end, smallest first', () => {
    const g = new JoinGraph([100, 10, 1000], [{ mask: 0b101, selectivity: 1 / 1000 }], [{ a: 0b001, b: 0b100 }]);
    expect(shape(orderJoins(g))).to.deep.equal([1, [0, 2]]);
  });

  it('plans more relations than the DP limit greedily over connected pairs', () => {
    const n = 14;
    const rows = Array.from({ length: n }, (_, i) => 1000 * (i + 1));
    const factors = [];
    const edges = [];
    for (let i = 1; i < n; i++) {
      factors.push({ mask: (1 << (i - 1)) | (1 << i), selectivity: 1 / rows[i] });
      edges.push({ a: 1 << (i - 1), b: 1 << i });
    }
    const t = orderJoins(new JoinGraph(rows, factors, edges));
    expect(leaves(t).sort((a, b) => a - b)).to.deep.equal([...Array(n).keys()]);
  });
});
