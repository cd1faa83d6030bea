// Building a sorted index: small integer keys are sorted packed with their RowIds into one float64
// (a native typed-array sort); the result must be the (key, RowId) order a comparator sort gives,
// with negative keys and many versions of one key, and other keys must fall back to that sort.
import { expect } from 'chai';
import { sortedPacked } from '../../../src/storage/sorted-index';

function byComparator(nums: number[], ids: number[]): { keys: number[]; rowIds: number[] } {
  const order = ids.map((_, i) => i).sort((a, b) => nums[a] - nums[b] || ids[a] - ids[b]);
  return { keys: order.map((i) => nums[i]), rowIds: order.map((i) => ids[i]) };
}

describe('sorted index build', () => {
  it('sorts small integer keys packed with their RowIds exactly as the comparator sort', () => {
    let seed = 11;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    const nums: number[] = [];
    const ids: number[] = [];
    // Row versions of few keys (an updated table's dead versions), negative keys, the limits' neighbours, large RowIds.
    for (let i = 0; i < 5000; i++) {
      nums.push(rand(10) - 5);
      ids.push(i * 7);
    }
    for (const k of [2 ** 25 - 1, -(2 ** 25) + 1, 0, -1]) {
      nums.push(k);
      ids.push(2 ** 27 - 1 - rand(100));
    }
    for (let i = 0; i < 3000; i++) {
      nums.push(rand(1_000_000) - 500_000);
      ids.push(rand(2 ** 27));
    }
    const packed = sortedPacked(nums, ids)!;
    const expected = byComparator(nums, ids);
    expect(Array.from(packed.keys)).to.deep.equal(expected.keys);
    expect(Array.from(packed.rowIds)).to.deep.equal(expected.rowIds);
  });

  it('declines keys that do not pack (fractions, large magnitudes, RowIds past 2^27)', () => {
    expect(sortedPacked([1, 2.5], [0, 1])).to.equal(null);
    expect(sortedPacked([2 ** 25], [0])).to.equal(null);
    expect(sortedPacked([-(2 ** 25)], [0])).to.equal(null);
    expect(sortedPacked([1], [2 ** 27])).to.equal(null);
    expect(sortedPacked([Number.NaN], [0])).to.equal(null);
    expect(sortedPacked([], [])).to.deep.equal({ keys: new Float64Array(0), rowIds: new Float64Array(0) });
  });
});
