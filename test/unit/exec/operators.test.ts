// Operators over an in-memory snapshot: scan, joins of every type (NULL keys included), aggregates,
// sort, limit/offset, DISTINCT, set operations, CTEs and subqueries.
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { AggregateCall, AggregateFn, JoinType, PlanNode, SortKey, joinOutput } from '../../../src/plan/plan';
import { DataType, Types, charType } from '../../../src/types/data-type';
import { SqlError } from '../../../src/types/sql-error';
import { Scalar } from '../../../src/types/vector';
import { executePlanStream, executePlanWithStats } from '../../../src/exec/execute';
import { call, col, context, lit, num, outputs, project, rowsOf, run, scan, table, values } from './helpers';

const T = Types;

function hashJoin(joinType: JoinType, left: PlanNode, right: PlanNode, leftKeys: Expr[], rightKeys: Expr[], residual: Expr | null = null): PlanNode {
  return { kind: 'hashjoin', joinType, left, right, leftKeys, rightKeys, residual, output: joinOutput(joinType, left.output, right.output) };
}
function nlJoin(joinType: JoinType, left: PlanNode, right: PlanNode, condition: Expr | null): PlanNode {
  return { kind: 'nljoin', joinType, left, right, condition, output: joinOutput(joinType, left.output, right.output) };
}
function agg(input: PlanNode, groupBy: Expr[], calls: Partial<AggregateCall>[]): PlanNode {
  const aggregates = calls.map((c) => ({ fn: c.fn!, args: c.args ?? [], distinct: c.distinct ?? false, filter: c.filter ?? null, type: c.type! }));
  return { kind: 'aggregate', input, groupBy, aggregates, output: outputs([...groupBy.map((g) => g.type), ...aggregates.map((a) => a.type)]) };
}
function sort(input: PlanNode, keys: SortKey[], limit: number | null = null): PlanNode {
  return { kind: 'sort', input, keys, limit, output: input.output };
}
const asc = (expr: Expr, nullsFirst = false): SortKey => ({ expr, descending: false, nullsFirst });
const desc = (expr: Expr, nullsFirst = true): SortKey => ({ expr, descending: true, nullsFirst });
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

function expectError(f: () => unknown, code: string, message: string): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(SqlError);
    expect((e as SqlError).code).to.equal(code);
    expect((e as SqlError).message).to.equal(message);
    return;
  }
  expect.fail('expected an error');
}

describe('exec operators', () => {
  const left = table(1, [T.int4, T.text], [[1, 'a'], [2, 'b'], [2, 'b2'], [null, 'n'], [4, 'd']]);
  const right = table(2, [T.int4, T.text], [[2, 'x'], [2, 'y'], [3, 'z'], [null, 'rn'], [1, 'w']]);
  const lk = [col(0, T.int4)];
  const rk = [col(0, T.int4)];

  it('scans row groups in batches, skipping deleted rows, with RowIds and a filter', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [i, `s${i % 7}`] as Scalar[]);
    const t = table(3, [T.int4, T.text], rows, { deleted: [0, 1, 2999, 4999], groupRows: 3000 });
    const all = run(scan(t, null, true), [t]);
    expect(all.length).to.equal(4996);
    expect(all[0]).to.deep.equal([2, 's2', 2]);
    // Second row group: RowId = 1 * 65536 + offset.
    expect(all.find((r) => r[0] === 3000)).to.deep.equal([3000, 's4', 65536]);
    const filtered = run(scan(t, call('eq', T.bool, col(1, T.text), lit('s3', T.text))), [t]);
    expect(filtered.every((r) => r[1] === 's3')).to.equal(true);
    expect(filtered.length).to.equal(rows.filter((r, i) => r[1] === 's3' && ![0, 1, 2999, 4999].includes(i)).length);
  });

  it('hash joins: inner, left, right, full, semi, anti — NULL keys never match', () => {
    const inner = run(hashJoin('inner', scan(left), scan(right), lk, rk), [left, right]);
    expect(sorted(inner)).to.deep.equal(sorted([[1, 'a', 1, 'w'], [2, 'b', 2, 'x'], [2, 'b', 2, 'y'], [2, 'b2', 2, 'x'], [2, 'b2', 2, 'y']]));
    const l = run(hashJoin('left', scan(left), scan(right), lk, rk), [left, right]);
    expect(sorted(l)).to.deep.equal(sorted([...inner, [null, 'n', null, null], [4, 'd', null, null]]));
    const r = run(hashJoin('right', scan(left), scan(right), lk, rk), [left, right]);
    expect(sorted(r)).to.deep.equal(sorted([...inner, [null, null, 3, 'z'], [null, null, null, 'rn']]));
    const f = run(hashJoin('full', scan(left), scan(right), lk, rk), [left, right]);
    expect(sorted(f)).to.deep.equal(sorted([...inner, [null, 'n', null, null], [4, 'd', null, null], [null, null, 3, 'z'], [null, null, null, 'rn']]));
    expect(run(hashJoin('semi', scan(left), scan(right), lk, rk), [left, right])).to.deep.equal([[1, 'a'], [2, 'b'], [2, 'b2']]);
    // NOT EXISTS semantics: a NULL-keyed left row has no match, so it is kept.
    expect(run(hashJoin('anti', scan(left), scan(right), lk, rk), [left, right])).to.deep.equal([[null, 'n'], [4, 'd']]);
  });

  it('hash join residuals, string and composite keys, numeric keys of different scales', () => {
    const residual = call('ne', T.bool, col(3, T.text), lit('x', T.text));
    expect(sorted(run(hashJoin('left', scan(left), scan(right), lk, rk, residual), [left, right]))).to.deep.equal(
      sorted([[1, 'a', 1, 'w'], [2, 'b', 2, 'y'], [2, 'b2', 2, 'y'], [null, 'n', null, null], [4, 'd', null, null]]),
    );
    const a = table(4, [T.text, T.int4, T.numeric], [['k', 1, num('1.50')], ['k', 2, num('2')], ['j', 1, num('3')]]);
    const b = table(5, [T.text, T.int4, T.numeric], [['k', 1, num('1.5')], ['k', 2, num('2.000')], ['k', 3, num('3')]]);
    const comp = run(hashJoin('inner', scan(a), scan(b), [col(0, T.text), col(1, T.int4)], [col(0, T.text), col(1, T.int4)]), [a, b]);
    expect(comp.map((r) => [r[0], r[1], r[4]])).to.deep.equal([['k', 1, 1], ['k', 2, 2]]);
    const byNumeric = run(hashJoin('inner', scan(a), scan(b), [col(2, T.numeric)], [col(2, T.numeric)]), [a, b]);
    expect(byNumeric.map((r) => [r[2], r[5]])).to.deep.equal([['1.50', '1.5'], ['2', '2.000'], ['3', '3']]);
    const bp = charType('bpchar', 3);
    const c = table(6, [bp], [['ab '], ['x  ']]);
    const d = table(7, [T.bpchar], [['ab'], ['y']]);
    expect(run(hashJoin('inner', scan(c), scan(d), [col(0, bp)], [col(0, T.bpchar)]), [c, d])).to.deep.equal([['ab ', 'ab']]);
  });

  it('hash joins with an empty build side', () => {
    const empty = table(8, [T.int4, T.text], []);
    expect(run(hashJoin('inner', scan(left), scan(empty), lk, rk), [left, empty])).to.deep.equal([]);
    expect(run(hashJoin('anti', scan(left), scan(empty), lk, rk), [left, empty]).length).to.equal(5);
    expect(run(hashJoin('left', scan(left), scan(empty), lk, rk), [left, empty])[0]).to.deep.equal([1, 'a', null, null]);
  });

  it('nested-loop joins with arbitrary conditions and cross products', () => {
    const cond = call('lt', T.bool, col(0, T.int4), col(2, T.int4));
    const inner = run(nlJoin('inner', scan(left), scan(right), cond), [left, right]);
    expect(sorted(inner)).to.deep.equal(sorted([[1, 'a', 2, 'x'], [1, 'a', 2, 'y'], [1, 'a', 3, 'z'], [2, 'b', 3, 'z'], [2, 'b2', 3, 'z']]));
    expect(run(nlJoin('inner', scan(left), scan(right), null), [left, right]).length).to.equal(25);
    const full = run(nlJoin('full', scan(left), scan(right), cond), [left, right]);
    expect(full.filter((r) => r[0] === null && r[1] === null).map((r) => r[3]).sort()).to.deep.equal(['rn', 'w']);
    expect(run(nlJoin('anti', scan(left), scan(right), cond), [left, right]).map((r) => r[1])).to.deep.equal(['n', 'd']);
    expect(run(nlJoin('semi', scan(left), scan(right), cond), [left, right]).map((r) => r[1])).to.deep.equal(['a', 'b', 'b2']);
  });

  const sales = table(
    9,
    [T.text, T.int4, T.numeric, T.float8, T.bool],
    [
      ['a', 1, num('1.50'), 1, true],
      ['b', 2, num('2.25'), 2, false],
      ['a', 3, num('3'), 4, true],
      [null, 4, null, null, null],
      ['b', null, num('-1.5'), 8, true],
      ['a', 1, num('1.5'), 16, false],
    ],
  );
  const call1 = (fn: AggregateFn, type: DataType, arg: Expr | null, extra: Partial<AggregateCall> = {}): Partial<AggregateCall> => ({ fn, type, args: arg === null ? [] : [arg], ...extra });

  it('aggregates per group with PostgreSQL result types; NULLs group together', () => {
    const rows = run(
      agg(scan(sales), [col(0, T.text)], [
        call1('count_star', T.int8, null),
        call1('count', T.int8, col(1, T.int4)),
        call1('sum', T.int8, col(1, T.int4)),
        call1('sum', T.numeric, col(2, T.numeric)),
        call1('avg', T.numeric, col(1, T.int4)),
        call1('avg', T.float8, col(3, T.float8)),
        call1('min', T.numeric, col(2, T.numeric)),
        call1('max', T.int4, col(1, T.int4)),
        call1('bool_and', T.bool, col(4, T.bool)),
        call1('bool_or', T.bool, col(4, T.bool)),
        call1('min', T.text, col(0, T.text)),
      ]),
      [sales],
    );
    expect(rows).to.deep.equal([
      ['a', 3, 3, 5, '6.00', '1.6666666666666667', 7, '1.50', 3, false, true, 'a'],
      ['b', 2, 1, 2, '0.75', '2.0000000000000000', 5, '-1.5', 2, false, true, 'b'],
      [null, 1, 1, 4, null, '4.0000000000000000', null, null, 4, null, null, null],
    ]);
  });

  it('aggregates without GROUP BY give one row, even on empty input', () => {
    const empty = table(10, [T.int4], []);
    expect(run(agg(scan(empty), [], [call1('count_star', T.int8, null), call1('sum', T.int8, col(0, T.int4)), call1('max', T.int4, col(0, T.int4))]), [empty])).to.deep.equal([
      [0, null, null],
    ]);
    expect(run(agg(scan(empty), [col(0, T.int4)], [call1('count_star', T.int8, null)]), [empty])).to.deep.equal([]);
  });

  it('DISTINCT and FILTER aggregates, string_agg, variance', () => {
    const rows = run(
      agg(scan(sales), [], [
        call1('count', T.int8, col(1, T.int4), { distinct: true }),
        call1('sum', T.numeric, col(2, T.numeric), { distinct: true }),
        call1('count_star', T.int8, null, { filter: call('eq', T.bool, col(0, T.text), lit('a', T.text)) }),
        { fn: 'string_agg', type: T.text, args: [col(0, T.text), lit(',', T.text)], distinct: false },
        call1('var_samp', T.numeric, col(1, T.int4)),
        call1('stddev_samp', T.float8, col(3, T.float8)),
      ]),
      [sales],
    );
    // sum(DISTINCT): 1.50 and 1.5 are equal values, counted once.
    expect(rows).to.deep.equal([[4, '5.25', 3, 'a,b,a,b,a', '1.7000000000000000', 6.099180272790763]]);
  });

  it('sorts by several keys with DESC and NULLS FIRST/LAST, stably, and top-N', () => {
    const t = table(11, [T.int4, T.text], [[2, 'b'], [null, 'n'], [1, 'z'], [2, 'a'], [1, null], [3, 'c']]);
    expect(run(sort(scan(t), [asc(col(0, T.int4)), asc(col(1, T.text))]), [t])).to.deep.equal([[1, 'z'], [1, null], [2, 'a'], [2, 'b'], [3, 'c'], [null, 'n']]);
    expect(run(sort(scan(t), [desc(col(0, T.int4)), asc(col(1, T.text), true)]), [t])).to.deep.equal([[null, 'n'], [3, 'c'], [2, 'a'], [2, 'b'], [1, null], [1, 'z']]);
    // Stable: equal keys keep input order.
    expect(run(sort(scan(t), [asc(col(0, T.int4), true)]), [t]).map((r) => r[1])).to.deep.equal(['n', 'z', null, 'b', 'a', 'c']);
    expect(run(sort(scan(t), [desc(col(1, T.text), false)], 3), [t])).to.deep.equal([[1, 'z'], [null, 'n'], [3, 'c']]);
  });

  it('sorts strings by code point and numeric by value', () => {
    const t = table(12, [T.text, T.numeric], [['b', num('10')], ['B', num('9.5')], ['\u{1F600}', num('-1')], ['\uFFFD', num('10.00')], ['a', num('2')]]);
    expect(run(sort(scan(t), [asc(col(0, T.text))]), [t]).map((r) => r[0])).to.deep.equal(['B', 'a', 'b', '\uFFFD', '\u{1F600}']);
    expect(run(sort(scan(t), [asc(col(1, T.numeric))]), [t]).map((r) => r[1])).to.deep.equal(['-1', '2', '9.5', '10', '10.00']);
  });

  it('LIMIT / OFFSET, with NULL meaning none and negative values rejected', () => {
    const t = table(13, [T.int4], Array.from({ length: 5000 }, (_, i) => [i]));
    const limit = (l: Scalar, o: Scalar): PlanNode => ({ kind: 'limit', input: scan(t), limit: lit(l, T.int8), offset: lit(o, T.int8), output: scan(t).output });
    expect(run(limit(3, 2500), [t])).to.deep.equal([[2500], [2501], [2502]]);
    expect(run(limit(null, 4998), [t])).to.deep.equal([[4998], [4999]]);
    expect(run(limit(0, null), [t])).to.deep.equal([]);
    expectError(() => run(limit(-1, null), [t]), '2201W', 'LIMIT must not be negative');
    expectError(() => run(limit(null, -1), [t]), '2201X', 'OFFSET must not be negative');
  });

  it('DISTINCT (NULLs equal) and DISTINCT ON (first row per key)', () => {
    const t = table(14, [T.int4, T.text], [[1, 'a'], [null, 'x'], [1, 'a'], [null, 'x'], [1, 'b'], [2, 'c']]);
    expect(run({ kind: 'distinct', input: scan(t), on: null, output: scan(t).output }, [t])).to.deep.equal([[1, 'a'], [null, 'x'], [1, 'b'], [2, 'c']]);
    expect(run({ kind: 'distinct', input: scan(t), on: [col(0, T.int4)], output: scan(t).output }, [t])).to.deep.equal([[1, 'a'], [null, 'x'], [2, 'c']]);
  });

  it('set operations with ALL and distinct variants (multiset semantics)', () => {
    const l = values([T.int4], [[1], [1], [1], [2], [null], [null], [3]]);
    const r = values([T.int4], [[1], [1], [null], [4]]);
    const setop = (op: 'union' | 'intersect' | 'except', all: boolean) => run({ kind: 'setop', op, all, left: l, right: r, output: l.output }).map((x) => x[0]);
    const s = (xs: unknown[]) => [...xs].sort((a, b) => (a === null ? 1 : b === null ? -1 : (a as number) - (b as number)));
    expect(s(setop('union', true))).to.deep.equal([1, 1, 1, 1, 1, 2, 3, 4, null, null, null]);
    expect(s(setop('union', false))).to.deep.equal([1, 2, 3, 4, null]);
    expect(s(setop('intersect', true))).to.deep.equal([1, 1, null]);
    expect(s(setop('intersect', false))).to.deep.equal([1, null]);
    expect(s(setop('except', true))).to.deep.equal([1, 2, 3, null]);
    expect(s(setop('except', false))).to.deep.equal([2, 3]);
  });

  it('WITH materializes each CTE once for every reader', () => {
    const cte: PlanNode = values([T.int4], [[1], [2]]);
    const reader: PlanNode = { kind: 'ctescan', cteId: 7, output: cte.output };
    const plan: PlanNode = { kind: 'with', ctes: [{ id: 7, plan: cte }], input: nlJoin('inner', reader, reader, null), output: outputs([T.int4, T.int4]) };
    const { batches, stats } = executePlanWithStats(plan, context());
    expect(batches.reduce((n, b) => n + b.length, 0)).to.equal(4);
    expect(stats.get(cte)!.loops).to.equal(1);
    expect(stats.get(plan)!.rows).to.equal(4);
  });

  it('uncorrelated and correlated subqueries', () => {
    const dept = table(15, [T.int4, T.int4], [[1, 10], [1, 20], [2, 30], [3, null]]);
    // SELECT d, (SELECT max(v) FROM dept i WHERE i.d = o.d), EXISTS(...), o.v IN (SELECT v FROM dept WHERE d = 1) FROM dept o
    const inner = (where: Expr): PlanNode => ({ kind: 'filter', input: scan(dept), predicate: where, output: scan(dept).output });
    const corr = call('eq', T.bool, col(0, T.int4), { kind: 'outer', slot: 0, type: T.int4 });
    const maxPlan = agg(inner(corr), [], [call1('max', T.int4, col(1, T.int4))]);
    const scalar: Expr = { kind: 'subquery', mode: 'scalar', plan: maxPlan, args: [col(0, T.int4)], test: null, op: null, type: T.int4 };
    const bigger = call('gt', T.bool, col(1, T.int4), { kind: 'outer', slot: 0, type: T.int4 });
    const exists: Expr = { kind: 'subquery', mode: 'exists', plan: inner(bigger), args: [col(1, T.int4)], test: null, op: null, type: T.bool };
    const inPlan = project(inner(call('eq', T.bool, col(0, T.int4), lit(1, T.int4))), [col(1, T.int4)]);
    const inSub: Expr = { kind: 'subquery', mode: 'any', plan: inPlan, args: [], test: col(1, T.int4), op: 'eq', type: T.bool };
    const withNull = project(scan(dept), [col(1, T.int4)]);
    const notIn: Expr = { kind: 'not', arg: { kind: 'subquery', mode: 'any', plan: withNull, args: [], test: lit(99, T.int4), op: 'eq', type: T.bool }, type: T.bool };
    const allSub: Expr = { kind: 'subquery', mode: 'all', plan: inPlan, args: [], test: col(1, T.int4), op: 'ge', type: T.bool };
    const rows = run(project(scan(dept), [col(0, T.int4), scalar, exists, inSub, notIn, allSub]), [dept]);
    expect(rows).to.deep.equal([
      [1, 20, true, true, null, false],
      [1, 20, true, true, null, true],
      [2, 30, false, false, null, true],
      [3, null, false, null, null, null],
    ]);
    const { stats } = executePlanWithStats(project(scan(dept), [scalar]), context([dept]));
    // Memoized per distinct outer value: d = 1, 2, 3.
    expect(stats.get(maxPlan)!.loops).to.equal(3);
  });

  it('a scalar subquery returning two rows is 21000', () => {
    const t = table(16, [T.int4], [[1], [2]]);
    const sub: Expr = { kind: 'subquery', mode: 'scalar', plan: scan(t), args: [], test: null, op: null, type: T.int4 };
    expectError(() => run(project(values([T.int4], [[0]]), [sub]), [t]), '21000', 'more than one row returned by a subquery used as an expression');
  });

  it('counts actual rows per plan node', () => {
    const t = table(17, [T.int4], Array.from({ length: 3000 }, (_, i) => [i % 10]));
    const s = scan(t);
    const f: PlanNode = { kind: 'filter', input: s, predicate: call('lt', T.bool, col(0, T.int4), lit(3, T.int4)), output: s.output };
    const { stats } = executePlanWithStats(f, context([t]));
    expect(stats.get(s)!.rows).to.equal(3000);
    expect(stats.get(f)!.rows).to.equal(900);
    expect(stats.get(s)!.batches).to.equal(2);
  });

  it('reads CTE rows handed in by the caller (RETURNING) and streams batches', () => {
    const ctx = context();
    const handed = executePlanWithStats(values([T.int4, T.text], [[1, 'a'], [2, 'b']]), ctx).batches;
    ctx.ctes = new Map([[-1, handed]]);
    const plan = project({ kind: 'ctescan', cteId: -1, output: [] }, [call('add', T.int4, col(0, T.int4), lit(10, T.int4)), col(1, T.text)]);
    expect(rowsOf(executePlanWithStats(plan, ctx).batches)).to.deep.equal([[11, 'a'], [12, 'b']]);
    const big = table(18, [T.int4], Array.from({ length: 5000 }, (_, i) => [i]));
    const sizes = [...executePlanStream(scan(big), context([big]))].map((b) => b.length);
    expect(sizes).to.deep.equal([2048, 2048, 904]);
  });

  it('computes only what consumers read, and the columns they read stay right', () => {
    // SELECT l.c1, r.c1 FROM left JOIN right ON l.c0 = r.c0 WHERE l.c1 <> 'b2' ORDER BY 1, 2
    const j = hashJoin('inner', scan(left), scan(right), lk, rk);
    const f: PlanNode = { kind: 'filter', input: j, predicate: call('ne', T.bool, col(1, T.text), lit('b2', T.text)), output: j.output };
    const p = project(f, [col(1, T.text), col(3, T.text)]);
    const s = sort(p, [asc(col(0, T.text)), asc(col(1, T.text))]);
    expect(run(s, [left, right])).to.deep.equal([['a', 'w'], ['b', 'x'], ['b', 'y']]);
  });

  it('stops with 57014 when the statement is cancelled', () => {
    const t = table(19, [T.int4], Array.from({ length: 10000 }, (_, i) => [i]));
    const ctx = context([t]);
    let calls = 0;
    ctx.checkCancel = () => {
      if (++calls > 3) throw new SqlError('57014', 'canceling statement due to user request');
    };
    expectError(() => executePlanWithStats(sort(scan(t), [asc(col(0, T.int4))]), ctx), '57014', 'canceling statement due to user request');
  });
});
