// Subplan featurization: fixed length, per-table slots, join edges, the classic estimate's log.
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { FEATURE_COUNT, SubplanFeaturizer, TABLE_SLOTS, predicateKind } from '../../../src/ml/featurize';
import { Types } from '../../../src/types/data-type';

const col = (index: number): Expr => ({ kind: 'column', index, type: Types.int4 });
const int = (value: number): Expr => ({ kind: 'const', value, type: Types.int4 });
const call = (fn: string, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type: Types.bool }) as Expr;

describe('ml: featurizer', () => {
  const f = new SubplanFeaturizer(
    [
      { key: 1, baseRows: 1e6, predicates: [{ expr: call('lt', col(0), int(5)), column: 0, selectivity: 0.01 }] },
      { key: 2, baseRows: 1000, predicates: [] },
      { key: 3, baseRows: 10, predicates: [{ expr: call('like', col(1), int(0)), column: 1, selectivity: 0.1 }] },
    ],
    [
      { a: 0, b: 1, columnA: 1, columnB: 0 },
      { a: 1, b: 2, columnA: 2, columnB: 0 },
    ],
  );

  it('gives a fixed-length vector for any subset', () => {
    expect(f.features(0b1, 100).length).to.equal(FEATURE_COUNT);
    expect(f.features(0b111, 100).length).to.equal(FEATURE_COUNT);
  });

  it('differs by tables, edges and the classic estimate', () => {
    const a = Array.from(f.features(0b011, 100));
    const b = Array.from(f.features(0b110, 100));
    const c = Array.from(f.features(0b011, 1000));
    expect(a).to.not.deep.equal(b);
    expect(a).to.not.deep.equal(c);
    // Only the classic-estimate feature changed between a and c.
    const changed = a.map((v, i) => (v !== c[i] ? i : -1)).filter((i) => i >= 0);
    expect(changed).to.have.length(1);
    expect(c[changed[0]] - a[changed[0]]).to.be.closeTo(1 / 8, 1e-12);
  });

  it('counts the edges inside the subset only', () => {
    // Relations 0 and 2 are not joined directly: no edge feature set.
    const x = f.features(0b101, 100);
    const y = f.features(0b001, 100);
    const z = f.features(0b100, 100);
    const sum = Array.from(y).map((v, i) => v + z[i]);
    const diff = Array.from(x).map((v, i) => v - sum[i]);
    // Only globals differ (relation/predicate counts, classic log, the bias).
    const slotsAndEdges = diff.slice(0, FEATURE_COUNT - 7);
    expect(slotsAndEdges.every((d) => Math.abs(d) < 1e-12)).to.equal(true);
    expect(TABLE_SLOTS).to.equal(8);
  });

  it('classifies predicate kinds', () => {
    expect(predicateKind(call('eq', col(0), int(1)))).to.equal('eq');
    expect(predicateKind(call('ge', col(0), int(1)))).to.equal('range');
    expect(predicateKind(call('like', col(0), int(1)))).to.equal('like');
    expect(predicateKind({ kind: 'or', args: [], type: Types.bool })).to.equal('or');
    expect(predicateKind({ kind: 'inlist', arg: col(0), list: [int(1)], negated: false, type: Types.bool } as Expr)).to.equal('in');
  });
});
