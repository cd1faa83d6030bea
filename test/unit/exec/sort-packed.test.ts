// Sort's one-key fast path (keys packed with the row index into doubles, sorted natively) must give
// the same stable order as the comparator: ASC/DESC, NULLS FIRST/LAST, ties, the int32 extremes, and
// int8 keys beyond int32 (which fall back to the comparator).
import { expect } from 'chai';
import { PlanNode, SortKey } from '../../../src/plan/plan';
import { DataType, Types } from '../../../src/types/data-type';
import { Scalar } from '../../../src/types/vector';
import { col, run, scan, table } from './helpers';

function sortPlan(input: PlanNode, key: SortKey): PlanNode {
  return { kind: 'sort', input, keys: [key], limit: null, output: input.output };
}

/** Reference: stable sort of [key, position] rows by the SQL ordering rules. */
function reference(keys: (number | null)[], descending: boolean, nullsFirst: boolean): number[] {
  const idx = keys.map((_, i) => i);
  return idx.sort((a, b) => {
    const x = keys[a];
    const y = keys[b];
    if (x === null || y === null) {
      if (x === y) return a - b;
      return (x === null) === nullsFirst ? -1 : 1;
    }
    const r = x < y ? -1 : x > y ? 1 : 0;
    return (descending ? -r : r) || a - b;
  });
}

function check(type: DataType, keys: (number | null)[]): void {
  const t = table(90, [type, Types.int4], keys.map((k, i) => [k, i] as Scalar[]));
  for (const descending of [false, true])
    for (const nullsFirst of [false, true]) {
      const got = run(sortPlan(scan(t), { expr: col(0, type), descending, nullsFirst }), [t]).map((r) => r[1]);
      expect(got, `desc=${descending} nullsFirst=${nullsFirst}`).to.deep.equal(reference(keys, descending, nullsFirst));
    }
}

describe('sort: packed one-key path', () => {
  it('orders int4 keys with ties and NULLs exactly as the comparator, stably', () => {
    let s = 12345;
    const keys: (number | null)[] = [];
    for (let i = 0; i < 3000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      keys.push(s % 11 === 0 ? null : (s % 50) - 25);
    }
    keys.push(2147483647, -2147483648, 0, null, -2147483648);
    check(Types.int4, keys);
  });

  it('falls back for int8 keys beyond int32, with the same order', () => {
    check(Types.int8, [5, 2 ** 40, null, -(2 ** 40), 5, 3, null, -7, 2 ** 31, -(2 ** 31)]);
  });

  it('sorts text by code point through the packed ranks', () => {
    const t = table(91, [Types.text], [['b'], [null], ['a'], ['\u{1F600}'], ['\uFFFD'], ['a'], ['B']]);
    const got = run(sortPlan(scan(t), { expr: col(0, Types.text), descending: false, nullsFirst: false }), [t]).map((r) => r[0]);
    expect(got).to.deep.equal(['B', 'a', 'a', 'b', '\uFFFD', '\u{1F600}', null]);
  });
});
