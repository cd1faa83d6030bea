// Text output and input, and numeric arithmetic; expected strings checked against PostgreSQL 15.18.
import { expect } from 'chai';
import { Types, numericType, charType } from '../../../src/types/data-type';
import { DEFAULT_FORMAT, formatFloat8, formatFloat4, formatScalar, parseScalar } from '../../../src/types/text-format';
import { decimalDiv, decimalToString, parseDecimal, NumericSumState, numericAvg } from '../../../src/types/numeric';
import { vectorFromScalars } from '../../../src/types/vector-ops';
import { NumericVector } from '../../../src/types/vector';

const fs = DEFAULT_FORMAT;

describe('text output (checked against PostgreSQL 15.18)', () => {
  it('prints float8 and float4 as shortest round-trip digits', () => {
    expect([0.1 + 0.2, 1e20, 1.5e-7, 100 / 3, -0, 123456789012345, 1e15, 0.0001].map((x) => formatFloat8(x))).to.deep.equal([
      '0.30000000000000004',
      '1e+20',
      '1.5e-07',
      '33.333333333333336',
      '-0',
      '123456789012345',
      '1e+15',
      '0.0001',
    ]);
    expect(formatFloat4(1.5)).to.equal('1.5');
    expect(formatFloat4(0.1)).to.equal('0.1');
    expect(formatFloat4(1000000)).to.equal('1e+06');
  });

  it('prints dates, timestamps, timestamptz and intervals', () => {
    expect(formatScalar(Types.date, parseScalar(Types.date, '2024-02-29', fs), fs)).to.equal('2024-02-29');
    expect(formatScalar(Types.date, parseScalar(Types.date, '1969-12-31', fs), fs)).to.equal('1969-12-31');
    expect(formatScalar(Types.timestamp, parseScalar(Types.timestamp, '2024-02-29 13:14:15.5', fs), fs)).to.equal('2024-02-29 13:14:15.5');
    expect(formatScalar(Types.timestamptz, parseScalar(Types.timestamptz, '2024-02-29 13:14:15+02', fs), fs)).to.equal('2024-02-29 11:14:15+00');
    const ny = { ...fs, timeZone: 'America/New_York' };
    expect(formatScalar(Types.timestamptz, parseScalar(Types.timestamptz, '2024-07-01 12:00:00+00', fs), ny)).to.equal('2024-07-01 08:00:00-04');
    expect(formatScalar(Types.timestamptz, parseScalar(Types.timestamptz, '2024-01-01 12:00:00+00', fs), ny)).to.equal('2024-01-01 07:00:00-05');
    expect(formatScalar(Types.interval, parseScalar(Types.interval, '1 year 2 months 3 days 04:05:06', fs), fs)).to.equal('1 year 2 mons 3 days 04:05:06');
    expect(formatScalar(Types.interval, parseScalar(Types.interval, '-1 day', fs), fs)).to.equal('-1 days');
    expect(formatScalar(Types.interval, parseScalar(Types.interval, '1 day -01:00:00', fs), fs)).to.equal('1 day -01:00:00');
    expect(formatScalar(Types.interval, parseScalar(Types.interval, '0 seconds', fs), fs)).to.equal('00:00:00');
  });

  it('applies numeric(p,s), varchar(n) and char(n) rules on input', () => {
    expect(decimalToString(parseScalar(numericType(5, 2), '3.14159', fs) as never)).to.equal('3.14');
    expect(decimalToString(parseScalar(numericType(5, 2), '2.345', fs) as never)).to.equal('2.35');
    expect(() => parseScalar(numericType(5, 2), '1000', fs)).to.throw('numeric field overflow');
    expect(() => parseScalar(charType('varchar', 3), 'abcd', fs)).to.throw('value too long for type character varying(3)');
    expect(parseScalar(charType('varchar', 3), 'abc   ', fs)).to.equal('abc');
    expect(parseScalar(charType('bpchar', 4), 'ab', fs)).to.equal('ab  ');
    expect(() => parseScalar(Types.int4, 'abc', fs)).to.throw('invalid input syntax for type integer: "abc"');
    expect(() => parseScalar(Types.int4, '99999999999', fs)).to.throw('value "99999999999" is out of range for type integer');
    expect(() => parseScalar(Types.date, '2020-13-45', fs)).to.throw('date/time field value out of range');
  });
});

describe('numeric arithmetic (checked against PostgreSQL 15.18)', () => {
  const d = (s: string) => parseDecimal(s)!;
  it("divides with PostgreSQL's result scale", () => {
    expect(decimalToString(decimalDiv(d('1'), d('3')))).to.equal('0.33333333333333333333');
    expect(decimalToString(decimalDiv(d('10'), d('3')))).to.equal('3.3333333333333333');
    expect(decimalToString(decimalDiv(d('100.00'), d('7')))).to.equal('14.2857142857142857');
    expect(decimalToString(decimalDiv(d('-2'), d('3')))).to.equal('-0.66666666666666666667');
  });

  it('sums six million numeric(15,2) values exactly and averages them like PostgreSQL', () => {
    const state = new NumericSumState();
    state.ensure(1);
    const n = 2048;
    const groups = new Int32Array(n);
    const values = Array.from({ length: n }, (_, i) => ({ decimal: true as const, digits: 9999999n - BigInt(i), scale: 2 }));
    const v = vectorFromScalars(numericType(15, 2), values) as NumericVector;
    let expected = 0n;
    for (const x of values) expected += x.digits;
    const rounds = 2930; // 2930 * 2048 ≈ 6.0 million rows
    for (let r = 0; r < rounds; r++) state.add(groups, v, n);
    const sum = state.result(0)!;
    expect(sum.digits).to.equal(expected * BigInt(rounds));
    expect(decimalToString(sum)).to.equal(decimalToString({ decimal: true, digits: expected * BigInt(rounds), scale: 2 }));
    expect(decimalToString(numericAvg(d('380456.00'), 14876))).to.equal('25.5751546114546921');
  });

  it('adds partial sums between 2^52 and 2^53 exactly (merging parallel workers\' sums, TPC-H Q1)', () => {
    // Two partial sums of Q1's sum_charge at SF 0.1 (scale 6): the first stays just under 2^52, and
    // adding the second to it passes 2^53.
    const halves = [4503599627370495n, 5881978749214972n];
    const state = new NumericSumState();
    state.ensure(1);
    const v = vectorFromScalars(numericType(38, 6), halves.map((digits) => ({ decimal: true as const, digits, scale: 6 }))) as NumericVector;
    state.add(new Int32Array(2), v, 2);
    expect(decimalToString(state.result(0)!)).to.equal('10385578376.585467');
  });
});
