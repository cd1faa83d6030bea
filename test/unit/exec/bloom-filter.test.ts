// The Bloom filter a hash join hands to its probe side's scan: never drops a key it holds, drops
// most keys it does not hold, and drops rows with NULL keys.
import { expect } from 'chai';
import { BloomFilter } from '../../../src/exec/hash/bloom-filter';
import { KeyColumn, hashKeys } from '../../../src/exec/hash/key-hash';

function hashesOf(values: Int32Array): Int32Array {
  const keys: KeyColumn[] = [{ kind: 'num', nulls: null, values }];
  const h = new Int32Array(values.length);
  hashKeys(keys, values.length, h);
  return h;
}

function allRows(n: number): Uint32Array {
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

describe('BloomFilter', () => {
  const n = 50_000;
  const built = new Int32Array(n);
  for (let i = 0; i < n; i++) built[i] = i * 7 + 3;
  const filter = new BloomFilter(n);
  filter.addAll(hashesOf(built), n, null);

  it('keeps every key it was built from', () => {
    expect(filter.filterRows(hashesOf(built), allRows(n), n, null)).to.equal(n);
  });

  it('drops nearly all other keys (false positives near 1%)', () => {
    const other = new Int32Array(n);
    for (let i = 0; i < n; i++) other[i] = i * 7 + 4;
    const kept = filter.filterRows(hashesOf(other), allRows(n), n, null);
    expect(kept).to.be.below(n * 0.03);
  });

  it('leaves out build rows flagged as NULL keys, drops probe rows with NULL keys, keeps rows in order', () => {
    const f = new BloomFilter(4);
    const keys = Int32Array.of(10, 20, 30, 40);
    f.addAll(hashesOf(keys), 4, Int32Array.of(0, -1, 2, 3));
    const rows = allRows(4);
    const kept = f.filterRows(hashesOf(keys), rows, 4, Uint8Array.of(0, 0, 1, 0));
    expect(Array.from(rows.subarray(0, kept))).to.deep.equal([0, 3]);
  });
});
