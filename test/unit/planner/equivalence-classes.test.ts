// Join selectivity by equivalence class: a multi-column join to a composite key (TPC-H's partsupp
// on (ps_partkey, ps_suppkey)) counts as one key join, directly and around a cycle.
import { expect } from 'chai';
import { ClassMember, EquivalenceClasses, RelationKeys } from '../../../src/planner/equivalence-classes';
import { JoinGraph } from '../../../src/planner/join-order';

// SF 1 shapes. Relations: 0 lineitem, 1 part, 2 supplier, 3 partsupp. Canonical columns:
// lineitem 0 l_partkey, 1 l_suppkey; part 2 p_partkey; supplier 3 s_suppkey; partsupp 4 ps_partkey, 5 ps_suppkey.
const L = 6_000_000;
const P = 200_000;
const S = 10_000;
const PS = 800_000;
const m = (relation: number, column: number, distinct: number): ClassMember => ({ relation, column, distinct });
const keys = (withPartsuppKey: boolean): RelationKeys[] => [
  { baseRows: L, rows: L, unique: [] },
  { baseRows: P, rows: P, unique: [[2]] },
  { baseRows: S, rows: S, unique: [[3]] },
  { baseRows: PS, rows: PS, unique: withPartsuppKey ? [[4, 5]] : [] },
];
const cycle = (withKey: boolean) =>
  EquivalenceClasses.fromEqualities(
    [
      [m(0, 0, P), m(1, 2, P)], // l_partkey = p_partkey
      [m(0, 1, S), m(2, 3, S)], // l_suppkey = s_suppkey
      [m(3, 4, P), m(1, 2, P)], // ps_partkey = p_partkey
      [m(3, 5, S), m(2, 3, S)], // ps_suppkey = s_suppkey
    ],
    keys(withKey),
  );
const rows = (g: JoinGraph, mask: number) => g.classicRows(mask);

describe('equivalence classes: composite keys', () => {
  it('estimates the lineitem–part–partsupp–supplier cycle as one row per lineitem (not |supplier|/4 times fewer)', () => {
    const g = new JoinGraph([L, P, S, PS], [], [], cycle(true));
    expect(rows(g, 0b1111)).to.be.closeTo(L, 1);
    // Subsets without the cycle keep the per-class estimates, which are right there.
    expect(rows(g, 0b0111)).to.be.closeTo(L, 1); // lineitem, part, supplier
    expect(rows(g, 0b1110)).to.be.closeTo(PS, 1); // part, supplier, partsupp
    expect(rows(g, 0b1011)).to.be.closeTo((L * PS) / P, 1); // lineitem, part, partsupp: 4 suppliers per part
    // Without the key known, the pair's combinations are the larger side's rows (the old estimate: far too low).
    const unknown = new JoinGraph([L, P, S, PS], [], [], cycle(false));
    expect(rows(unknown, 0b1111)).to.be.closeTo(PS, 1);
  });

  it('scales the key join with the filters on either side', () => {
    const g = new JoinGraph([L / 10, P, S, PS / 4], [], [], cycle(true));
    expect(rows(g, 0b1111)).to.be.closeTo(L / 10 / 4, 1);
  });

  it('joins lineitem to partsupp on both key columns directly (TPC-H Q9) as one key join', () => {
    const direct = EquivalenceClasses.fromEqualities(
      [
        [m(0, 0, P), m(1, 2, P)],
        [m(0, 1, S), m(1, 3, S)],
      ],
      [
        { baseRows: L, rows: L, unique: [] },
        { baseRows: PS, rows: PS, unique: [[2, 3]] },
      ],
    );
    expect(new JoinGraph([L, PS], [], [], direct).classicRows(0b11)).to.be.closeTo(L, 1);
  });

  it('keeps 1 / max(distinct) for a single-column join and treats a chain of one class by all but the smallest distinct count', () => {
    const single = EquivalenceClasses.fromEqualities([[m(0, 0, 100), m(1, 1, 1000)]], [
      { baseRows: 5000, rows: 5000, unique: [] },
      { baseRows: 1000, rows: 1000, unique: [[1]] },
    ]);
    expect(single.selectivity(0b11)).to.be.closeTo(1 / 1000, 1e-12);
    expect(single.selectivity(0b01)).to.equal(1);
    const chain = EquivalenceClasses.fromEqualities(
      [
        [m(0, 0, 10), m(1, 1, 1000)],
        [m(1, 1, 1000), m(2, 2, 100)],
      ],
      [0, 1, 2].map(() => ({ baseRows: 1e6, rows: 1e6, unique: [] })),
    );
    expect(chain.classes).to.have.length(1);
    expect(chain.selectivity(0b111)).to.be.closeTo(1 / (1000 * 100), 1e-15);
    // Relations 0 and 2 meet only through 1: without it no equality joins them.
    expect(chain.selectivity(0b101)).to.equal(1);
  });
});
