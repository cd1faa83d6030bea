// Equality on a char(n) column: statistics hold blank-padded values, constants are not padded, so
// the constant equal to the minimum must not count as outside [min, max].
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { selectivity } from '../../../src/planner/cardinality';
import { Types } from '../../../src/types/data-type';

describe('planner: char(n) equality selectivity', () => {
  const stats = { distinct: 5, nullFraction: 0, min: '1-URGENT       ', max: '5-LOW          ' };
  const info = { stats: () => stats };
  const eq = (v: string): Expr => ({ kind: 'call', fn: 'eq', args: [{ kind: 'column', index: 0, type: Types.text }, { kind: 'const', value: v, type: Types.text }], type: Types.bool }) as Expr;

  it('treats the minimum and maximum as inside the range', () => {
    expect(selectivity(eq('1-URGENT'), info)).to.be.closeTo(0.2, 1e-9);
    expect(selectivity(eq('5-LOW'), info)).to.be.closeTo(0.2, 1e-9);
  });

  it('still sees values outside the range', () => {
    expect(selectivity(eq('0-NONE'), info)).to.equal(0.0001);
    expect(selectivity(eq('9-LATER'), info)).to.equal(0.0001);
  });
});
