// Expression kernels: 3VL, NULL propagation, errors, strings, LIKE, dates, numeric; expectations
// checked against PostgreSQL 15.
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { Types, charType, numericType } from '../../../src/types/data-type';
import { SqlError } from '../../../src/types/sql-error';
import { Scalar } from '../../../src/types/vector';
import { daysFromCivil } from '../../../src/types/datetime';
import { and, call, col, evalExprs, evalOne, lit, not, num, or, scan, table } from './helpers';

const T = Types;
const i4 = (v: number | null) => lit(v, T.int4);
const txt = (v: string | null) => lit(v, T.text);
const days = (s: string) => {
  const [y, m, d] = s.split('-').map(Number);
  return daysFromCivil(y, m, d);
};

function expectError(f: () => unknown, code: string, message: string | RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(SqlError);
    expect((e as SqlError).code).to.equal(code);
    if (typeof message === 'string') expect((e as SqlError).message).to.equal(message);
    else expect((e as SqlError).message).to.match(message);
    return;
  }
  expect.fail('expected an error');
}

/** Evaluates e over a table with one column of the given type and values (not constant-folded). */
function overColumn(type: typeof T.int4, vals: Scalar[], build: (c: Expr) => Expr): unknown[] {
  const t = table(1, [type], vals.map((v) => [v]));
  return evalExprs([build(col(0, type))], scan(t), [t]).map((r) => r[0]);
}

describe('exec expressions', () => {
  it('AND / OR / NOT follow three-valued logic', () => {
    const vals = [true, false, null];
    const t = table(1, [T.bool, T.bool], vals.flatMap((x) => vals.map((y) => [x, y])));
    const rows = evalExprs([and(col(0, T.bool), col(1, T.bool)), or(col(0, T.bool), col(1, T.bool)), not(col(0, T.bool))], scan(t), [t]);
    expect(rows).to.deep.equal([
      [true, true, false], [false, true, false], [null, true, false],
      [false, true, true], [false, false, true], [false, null, true],
      [null, true, null], [false, null, null], [null, null, null],
    ]);
  });

  it('IS [NOT] NULL / TRUE / UNKNOWN never return NULL', () => {
    const rows = overColumn(T.bool, [true, false, null], (c) => ({ kind: 'booltest', arg: c, test: 'true', negated: false, type: T.bool }));
    expect(rows).to.deep.equal([true, false, false]);
    const un = overColumn(T.bool, [true, null], (c) => ({ kind: 'booltest', arg: c, test: 'unknown', negated: true, type: T.bool }));
    expect(un).to.deep.equal([true, false]);
    expect(overColumn(T.int4, [1, null], (c) => ({ kind: 'isnull', arg: c, negated: false, type: T.bool }))).to.deep.equal([false, true]);
  });

  it('strict operators propagate NULL and raise no error on NULL rows', () => {
    const t = table(1, [T.int4, T.int4], [[1, null], [null, 0], [6, 3]]);
    const rows = evalExprs([call('add', T.int4, col(0, T.int4), col(1, T.int4)), call('div', T.int4, col(0, T.int4), col(1, T.int4))], scan(t), [t]);
    expect(rows).to.deep.equal([[null, null], [null, null], [9, 2]]);
  });

  it('integer overflow is 22003 and division by zero 22012', () => {
    expectError(() => overColumn(T.int4, [2147483647], (c) => call('add', T.int4, c, i4(1))), '22003', 'integer out of range');
    expectError(() => overColumn(T.int4, [-2147483648], (c) => call('div', T.int4, c, i4(-1))), '22003', 'integer out of range');
    expectError(() => overColumn(T.int4, [-2147483648], (c) => call('neg', T.int4, c)), '22003', 'integer out of range');
    expectError(() => overColumn(T.int2, [200], (c) => call('mul', T.int2, c, lit(200, T.int2))), '22003', 'smallint out of range');
    expectError(() => overColumn(T.int4, [5], (c) => call('div', T.int4, c, i4(0))), '22012', 'division by zero');
    expectError(() => overColumn(T.int4, [5], (c) => call('mod', T.int4, c, i4(0))), '22012', 'division by zero');
    expectError(() => overColumn(T.float8, [5], (c) => call('div', T.float8, c, lit(0, T.float8))), '22012', 'division by zero');
    expectError(() => overColumn(T.numeric, [num('5')], (c) => call('div', T.numeric, c, lit(num('0'), T.numeric))), '22012', 'division by zero');
    expectError(() => overColumn(T.float8, [1e308], (c) => call('mul', T.float8, c, lit(10, T.float8))), '22003', 'value out of range: overflow');
    // Constant subexpressions fold at compile time, as PostgreSQL's planner does.
    expectError(() => evalOne(call('div', T.int4, i4(1), i4(0))), '22012', 'division by zero');
  });

  it('integer division truncates and mod keeps the dividend sign; numeric division uses PostgreSQL scale', () => {
    expect(overColumn(T.int4, [-7], (c) => call('div', T.int4, c, i4(2)))).to.deep.equal([-3]);
    expect(overColumn(T.int4, [-7], (c) => call('mod', T.int4, c, i4(2)))).to.deep.equal([-1]);
    expect(overColumn(T.numeric, [num('7.0')], (c) => call('div', T.numeric, c, lit(num('3'), T.numeric)))).to.deep.equal(['2.3333333333333333']);
  });

  it('AND, OR and CASE evaluate erroring arguments only on the rows that reach them', () => {
    const t = table(1, [T.int4], [[0], [2], [null]]);
    const x = col(0, T.int4);
    const guard = and(call('ne', T.bool, x, i4(0)), call('gt', T.bool, call('div', T.int4, i4(10), x), i4(1)));
    const kase: Expr = { kind: 'case', whens: [{ when: call('eq', T.bool, x, i4(0)), then: i4(-1) }], else: call('div', T.int4, i4(10), x), type: T.int4 };
    const coalesce: Expr = { kind: 'coalesce', args: [x, call('div', T.int4, i4(1), i4(1))], type: T.int4 };
    expect(evalExprs([guard, kase, coalesce], scan(t), [t])).to.deep.equal([[false, -1, 0], [true, 5, 2], [null, null, 1]]);
  });

  it('IN lists follow SQL NULL rules', () => {
    const inList = (arg: Expr, list: Expr[], negated = false): Expr => ({ kind: 'inlist', arg, list, negated, type: T.bool });
    expect(overColumn(T.int4, [1, 3, null], (c) => inList(c, [i4(1), i4(null)]))).to.deep.equal([true, null, null]);
    expect(overColumn(T.int4, [1, 3, null], (c) => inList(c, [i4(1), i4(null)], true))).to.deep.equal([false, null, null]);
    expect(overColumn(T.int4, [1, 3], (c) => inList(c, [i4(1), i4(2)], true))).to.deep.equal([false, true]);
    expect(overColumn(T.text, ['a', 'b', null], (c) => inList(c, [txt('b'), txt('c')]))).to.deep.equal([false, true, null]);
    expect(overColumn(T.int4, [2, 5], (c) => inList(c, [call('add', T.int4, c, i4(0)), i4(9)]))).to.deep.equal([true, true]);
  });

  it('COALESCE, NULLIF, GREATEST and LEAST', () => {
    const t = table(1, [T.int4, T.int4], [[null, 2], [1, null], [null, null], [3, 3]]);
    const x = col(0, T.int4);
    const y = col(1, T.int4);
    const rows = evalExprs(
      [
        { kind: 'coalesce', args: [x, y, i4(9)], type: T.int4 },
        call('nullif', T.int4, x, y),
        call('greatest', T.int4, x, y),
        call('least', T.int4, x, y, i4(2)),
      ],
      scan(t),
      [t],
    );
    expect(rows).to.deep.equal([[2, null, 2, 2], [1, 1, 1, 1], [9, null, null, 2], [3, null, 3, 2]]);
  });

  it('compares strings by code point, bpchar ignoring trailing spaces, numeric across scales', () => {
    expect(overColumn(T.text, ['a', 'B', 'é', '\u{1F600}', '\uFFFD'], (c) => call('lt', T.bool, c, txt('b')))).to.deep.equal([true, true, false, false, false]);
    expect(overColumn(T.text, ['\u{1F600}'], (c) => call('gt', T.bool, c, txt('\uFFFD')))).to.deep.equal([true]);
    const bp = charType('bpchar', 4);
    expect(overColumn(bp, ['ab  ', 'abc '], (c) => call('eq', T.bool, c, lit('ab', bp)))).to.deep.equal([true, false]);
    const t = table(1, [numericType(10, 2), T.numeric], [[num('1.50'), num('1.5')], [num('2.00'), num('2.001')]]);
    expect(evalExprs([call('eq', T.bool, col(0, T.numeric), col(1, T.numeric)), call('lt', T.bool, col(0, T.numeric), col(1, T.numeric))], scan(t), [t])).to.deep.equal([
      [true, false],
      [false, true],
    ]);
    const two = table(2, [T.text, T.text], [['x', 'x'], ['x', 'y'], [null, 'y']]);
    expect(evalExprs([call('eq', T.bool, col(0, T.text), col(1, T.text))], scan(two), [two]).map((r) => r[0])).to.deep.equal([true, false, null]);
  });

  it('float comparisons treat NaN as equal to itself and above every number', () => {
    expect(overColumn(T.float8, [NaN, 1, Infinity], (c) => call('gt', T.bool, c, lit(Infinity, T.float8)))).to.deep.equal([true, false, false]);
    expect(overColumn(T.float8, [NaN], (c) => call('eq', T.bool, c, lit(NaN, T.float8)))).to.deep.equal([true]);
  });

  it('LIKE and ILIKE with % _ and escapes', () => {
    const like = (s: string, p: string, fn: 'like' | 'ilike' = 'like', escape?: string) =>
      overColumn(T.text, [s], (c) => call(fn, T.bool, ...[c, txt(p), ...(escape === undefined ? [] : [txt(escape)])]))[0];
    expect(like('a', 'A%')).to.equal(false);
    expect(like('abc', 'a_c')).to.equal(true);
    expect(like('a%c', 'a\\%c')).to.equal(true);
    expect(like('aXc', 'a\\%c')).to.equal(false);
    expect(like('ABC', 'a%', 'ilike')).to.equal(true);
    expect(like('a\nb', 'a%b')).to.equal(true);
    expect(like('x.y', 'x.y')).to.equal(true);
    expect(like('xzy', 'x.y')).to.equal(false);
    expect(like('a#%', 'a#%', 'like', '#')).to.equal(false);
    expect(like('a%', 'a#%', 'like', '#')).to.equal(true);
    expect(like('abcdef', '%cd%')).to.equal(true);
    expect(like('\u{1F600}', '_')).to.equal(true);
    expectError(() => like('a', 'a\\'), '22025', 'LIKE pattern must not end with escape character');
    // A non-constant pattern.
    const t = table(1, [T.text, T.text], [['abc', 'a%'], ['abc', 'b%'], [null, 'a']]);
    expect(evalExprs([call('like', T.bool, col(0, T.text), col(1, T.text))], scan(t), [t]).map((r) => r[0])).to.deep.equal([true, false, null]);
  });

  it('string functions as PostgreSQL', () => {
    const s = col(0, T.text);
    const t = table(1, [T.text], [['hello'], [null]]);
    const rows = evalExprs(
      [
        call('substring', T.text, s, i4(-1), i4(3)),
        call('substring', T.text, s, i4(2)),
        call('position', T.int4, s, txt('lo')),
        call('left', T.text, s, i4(-2)),
        call('right', T.text, s, i4(-2)),
        call('lpad', T.text, s, i4(8), txt('xy')),
        call('rpad', T.text, s, i4(3)),
        call('repeat', T.text, s, i4(2)),
        call('reverse', T.text, s),
        call('upper', T.text, s),
        call('length', T.int4, s),
        call('replace', T.text, s, txt('l'), txt('L')),
        call('concat', T.text, s, txt('!')),
        call('md5', T.text, s),
        call('btrim', T.text, s, txt('ho')),
      ],
      scan(t),
      [t],
    );
    expect(rows[0]).to.deep.equal(['h', 'ello', 4, 'hel', 'llo', 'xyxhello', 'hel', 'hellohello', 'olleh', 'HELLO', 5, 'heLLo', 'hello!', '5d41402abc4b2a76b9719d911017c592', 'ell']);
    expect(rows[1].every((v) => v === null)).to.equal(true);
    expect(evalOne(call('concat_ws', T.text, txt(','), txt('a'), txt(null), txt('b')))).to.equal('a,b');
    expect(evalOne(call('concat_fn', T.text, txt('a'), txt(null), txt('b')))).to.equal('ab');
    expect(overColumn(charType('bpchar', 5), ['ab   '], (c) => call('length', T.int4, c))).to.deep.equal([2]);
    expect(overColumn(T.text, ['a\u{1F600}b'], (c) => call('char_length', T.int4, c))).to.deep.equal([3]);
    expect(overColumn(T.text, ['a\u{1F600}b'], (c) => call('octet_length', T.int4, c))).to.deep.equal([6]);
    expectError(() => overColumn(T.text, ['abc'], (c) => call('substring', T.text, c, i4(1), i4(-1))), '22011', 'negative substring length not allowed');
  });

  it('date and time arithmetic', () => {
    const d = col(0, T.date);
    const t = table(1, [T.date], [[days('2024-01-31')]]);
    const month: Scalar = { months: 1, days: 0, micros: 0 };
    const rows = evalExprs(
      [
        call('add', T.date, d, i4(1)),
        call('sub', T.int4, lit(days('2024-03-01'), T.date), d),
        call('add', T.timestamp, d, lit(month, T.interval)),
        call('sub', T.date, d, i4(31)),
        call('extract', T.numeric, txt('year'), d),
        call('date_part', T.float8, txt('month'), d),
      ],
      scan(t),
      [t],
    );
    expect(rows[0]).to.deep.equal([days('2024-02-01'), 30, days('2024-02-29') * 86400e6, days('2023-12-31'), '2024', 1]);
    const ts = table(2, [T.timestamp], [[Date.UTC(2024, 0, 1, 0, 0, 1, 500) * 1000]]);
    const tc = col(0, T.timestamp);
    const trows = evalExprs(
      [
        call('extract', T.numeric, txt('epoch'), tc),
        call('extract', T.numeric, txt('second'), tc),
        call('date_trunc', T.timestamp, txt('month'), tc),
        call('sub', T.interval, tc, lit(Date.UTC(2023, 11, 31) * 1000, T.timestamp)),
      ],
      scan(ts),
      [ts],
    );
    expect(trows[0]).to.deep.equal(['1704067201.500000', '1.500000', Date.UTC(2024, 0, 1) * 1000, { months: 0, days: 1, micros: 1_500_000 }]);
    expect(evalOne(call('current_date', T.date))).to.equal(days('2024-01-15'));
  });

  it('numeric functions', () => {
    expect(evalOne(call('round', T.numeric, lit(num('2.5'), T.numeric)))).to.equal('3');
    expect(evalOne(call('round', T.float8, lit(2.5, T.float8)))).to.equal(2);
    expect(overColumn(T.numeric, [num('1.234'), num('-1.7')], (c) => call('round', T.numeric, c, i4(2)))).to.deep.equal(['1.23', '-1.70']);
    expect(overColumn(T.numeric, [num('-1.7')], (c) => call('trunc', T.numeric, c))).to.deep.equal(['-1']);
    expect(overColumn(T.numeric, [num('2')], (c) => call('sqrt', T.numeric, c))).to.deep.equal(['1.414213562373095']);
    expect(overColumn(T.int2, [-3], (c) => call('abs', T.int2, c))).to.deep.equal([3]);
    expectError(() => overColumn(T.float8, [-1], (c) => call('sqrt', T.float8, c)), '2201F', 'cannot take square root of a negative number');
    expectError(() => overColumn(T.float8, [0], (c) => call('ln', T.float8, c)), '2201E', 'cannot take logarithm of zero');
  });

  it('casts and parameters', () => {
    const e: Expr = { kind: 'cast', arg: { kind: 'param', index: 0, type: T.text }, type: T.int4 };
    expect(evalOne(e, ['42'])).to.equal(42);
    expect(overColumn(T.int4, [7, null], (c) => ({ kind: 'cast', arg: c, type: T.text }))).to.deep.equal(['7', null]);
  });
});
