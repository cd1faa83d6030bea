// Subplan featurization: a bag of part rows (one per relation, one per join edge inside the
// subset), the baseline with sample selectivities, and the edges a cycle leaves out.
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { BASELINE_RATIO_FEATURE, FEATURE_COUNT, MAX_PARTS, PART_WIDTH, SubplanFeaturizer, baselineRows, groupFeatures, partKind, partOffsets, predicateKind, sampleSelectivity } from '../../../src/ml/featurize';
import { Types } from '../../../src/types/data-type';

const col = (index: number): Expr => ({ kind: 'column', index, type: Types.int4 });
const int = (value: number): Expr => ({ kind: 'const', value, type: Types.int4 });
const call = (fn: string, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type: Types.bool }) as Expr;

describe('ml: featurizer', () => {
  // 0: a big table filtered by a range its sample says keeps 10% (classic: 1%); 1: a dimension;
  // 2: a small table with a LIKE.
  const f = new SubplanFeaturizer(
    [
      { key: 1, baseRows: 1e6, rows: 1e4, predicates: [{ expr: call('lt', col(0), int(5)), column: 0, selectivity: 0.01 }], sample: { hits: 400, n: 4000 } },
      { key: 2, baseRows: 1000, predicates: [] },
      { key: 3, baseRows: 10, rows: 1, predicates: [{ expr: call('like', col(1), int(0)), column: 1, selectivity: 0.1 }] },
    ],
    [
      { a: 0, b: 1, columnA: 1, columnB: 0, distinctA: 1000, distinctB: 1000 },
      { a: 1, b: 2, columnA: 2, columnB: 0, distinctA: 10, distinctB: 10 },
    ],
  );
  const parts = (x: Float64Array) => partOffsets(x).map((p) => Array.from(x.subarray(p, p + PART_WIDTH)));

  it('gives a fixed-length vector of one row per relation and per edge of the subset', () => {
    expect(f.features(0b1, 100)!.length).to.equal(FEATURE_COUNT);
    expect(partOffsets(f.features(0b1, 100)!)).to.have.length(1);
    const all = f.features(0b111, 100)!;
    const rows = parts(all);
    expect(rows.filter((r) => r[0] === 1)).to.have.length(3);
    expect(rows.filter((r) => r[1] === 1)).to.have.length(2);
  });

  it("composes: a subset's rows are its relations' rows plus its edges' rows", () => {
    const joined = parts(f.features(0b011, 100)!);
    const a = parts(f.features(0b001, 100)!);
    const b = parts(f.features(0b010, 100)!);
    expect(joined.slice(0, 2)).to.deep.equal([...a, ...b]);
    // Relations 0 and 2 are not joined directly: no edge row.
    expect(parts(f.features(0b101, 100)!).filter((r) => r[1] === 1)).to.have.length(0);
    // The classic estimate is not a part feature: only the baseline scales with it.
    expect(Array.from(f.features(0b011, 100)!)).to.deep.equal(Array.from(f.features(0b011, 1000)!));
  });

  it("corrects the classic estimate by the sample's selectivity in the baseline", () => {
    const x = f.features(0b001, 1e4)!;
    // Sample: (400 + 2·0.01)/(4000 + 2) ≈ 0.1 against the classic 0.01 → about 10× the classic rows.
    expect(x[BASELINE_RATIO_FEATURE]).to.be.closeTo(1, 0.01);
    expect(baselineRows(x, 1e4)).to.be.closeTo(1e5, 1e3);
    // Without a sample the baseline is the classic estimate.
    expect(baselineRows(f.features(0b100, 7)!, 7)).to.equal(7);
  });

  it('measures a small table exactly when its sample holds every row: contradictory predicates give an empty relation', () => {
    const pred = [{ expr: call('eq', col(1), int(3)), column: 1, selectivity: 0.04 }];
    // nation: 25 rows, all in the sample; no row passes.
    expect(sampleSelectivity({ key: 9, baseRows: 25, rows: 1, predicates: pred, sample: { hits: 0, n: 25 } })).to.be.below(1e-11);
    expect(sampleSelectivity({ key: 9, baseRows: 25, rows: 1, predicates: pred, sample: { hits: 3, n: 25 } })).to.equal(3 / 25);
    // A partial sample with no hits is shrunk toward the classic selectivity, not trusted as zero.
    expect(sampleSelectivity({ key: 1, baseRows: 1e6, rows: 4e4, predicates: pred, sample: { hits: 0, n: 4096 } })).to.be.closeTo((2 * 0.04) / 4098, 1e-9);
    const empty = new SubplanFeaturizer([{ key: 9, baseRows: 25, rows: 1, predicates: pred, sample: { hits: 0, n: 25 } }, { key: 2, baseRows: 1e4, predicates: [] }], [{ a: 0, b: 1, columnA: 0, columnB: 3, distinctA: 25, distinctB: 25 }]);
    expect(baselineRows(empty.features(0b11, 400)!, 400)).to.equal(1);
  });

  it('adds a group-by row to the input subplan, with a baseline of at most the input baseline rows', () => {
    const input = f.features(0b001, 1e4)!;
    const g = groupFeatures(input, 1e4, { keys: 2, groups: 5e5, inputRows: 1e4, keyDistinct: [1000, 500] })!;
    const rows = partOffsets(g);
    expect(rows).to.have.length(2);
    expect(rows.map((p) => partKind(g, p))).to.deep.equal([0, 2]);
    // The input's rows are unchanged; the group row holds the keys and the distinct counts' product over the groups.
    expect(Array.from(g.subarray(0, PART_WIDTH))).to.deep.equal(Array.from(input.subarray(0, PART_WIDTH)));
    expect(g[PART_WIDTH + 2]).to.equal(0.5);
    expect(g[PART_WIDTH + 8]).to.be.closeTo(Math.log10(5e5 / 5e5) / 8, 1e-12);
    // The classic groups (5e5) exceed the input's baseline, about 1e5 rows: the baseline groups are capped there.
    expect(baselineRows(g, 5e5)).to.be.closeTo(1e5, 1e3);
    expect(baselineRows(groupFeatures(input, 1e4, { keys: 1, groups: 50, inputRows: 1e4, keyDistinct: [50] })!, 50)).to.be.closeTo(50, 1e-9);
    // No room left for the group row.
    const full = new Float64Array(FEATURE_COUNT);
    for (let p = 0; p < MAX_PARTS; p++) full[p * PART_WIDTH] = 1;
    expect(groupFeatures(full, 10, { keys: 1, groups: 5, inputRows: 10, keyDistinct: [5] })).to.equal(null);
  });

  it('marks the edge a spanning tree leaves out of a cycle, keeping the most selective ones', () => {
    const cyc = new SubplanFeaturizer(
      [0, 1, 2].map((k) => ({ key: k, baseRows: 1e4, predicates: [] })),
      [
        { a: 0, b: 1, columnA: 0, columnB: 0, distinctA: 1e4, distinctB: 1e4 },
        { a: 1, b: 2, columnA: 1, columnB: 0, distinctA: 1e3, distinctB: 1e3 },
        { a: 2, b: 0, columnA: 1, columnB: 1, distinctA: 25, distinctB: 25 },
      ],
    );
    const edges = parts(cyc.features(0b111, 1)!).filter((r) => r[1] === 1);
    expect(edges.map((r) => r[6])).to.deep.equal([0, 0, 1]);
    // Any two of the three relations form a tree: nothing left out.
    expect(parts(cyc.features(0b101, 1)!).filter((r) => r[1] === 1 && r[6] === 1)).to.have.length(0);
  });

  it('answers null for subsets with more parts than a vector holds', () => {
    const n = 12;
    const big = new SubplanFeaturizer(
      Array.from({ length: n }, (_, k) => ({ key: k, baseRows: 10, predicates: [] })),
      Array.from({ length: n - 1 }, (_, k) => ({ a: k, b: k + 1, columnA: 0, columnB: 0 })),
    );
    expect(2 * n - 1).to.be.greaterThan(MAX_PARTS);
    expect(big.features((1 << n) - 1, 1)).to.equal(null);
    expect(big.features(0b111, 1)).to.not.equal(null);
  });

  it('classifies predicate kinds', () => {
    expect(predicateKind(call('eq', col(0), int(1)))).to.equal('eq');
    expect(predicateKind(call('ge', col(0), int(1)))).to.equal('range');
    expect(predicateKind(call('like', col(0), int(1)))).to.equal('like');
    expect(predicateKind({ kind: 'or', args: [], type: Types.bool })).to.equal('or');
    expect(predicateKind({ kind: 'inlist', arg: col(0), list: [int(1)], negated: false, type: Types.bool } as Expr)).to.equal('in');
  });
});
