// The runtime filters a hash join hands to its probe side's scan. The Bloom filter never drops a
// key it holds, drops most keys it does not hold, and drops rows with NULL keys; the integer bitmap
// is exact.
import { expect } from 'chai';
import { BloomFilter } from '../../../src/exec/hash/bloom-filter';
import { IntBitmapFilter } from '../../../src/exec/hash/int-bitmap-filter';
import { KeyColumn, hashKeys } from '../../../src/exec/hash/key-hash';

function hashesOf(values: Int32Array): Int32Array {
  const keys: KeyColumn[] = [{ kind: 'num', nulls: null, values }];
  const h = new Int32Array(values.length);
  hashKeys(keys, values.length, h);
  return h;
}

function kept(f: BloomFilter, values: Int32Array, nulls: Uint8Array | null = null): number[] {
  const n = values.length;
  const out = new Uint32Array(n);
  const viaHashes = Array.from(out.subarray(0, f.selectHashes(hashesOf(values), nulls, null, n, out)));
  // The fused int32 path keeps the same rows, also when refining an earlier selection in place.
  const fused = Array.from(out.subarray(0, f.selectInt32(values, nulls, null, n, out)));
  expect(fused).to.deep.equal(viaHashes);
  const odd = new Uint32Array(n);
  let m = 0;
  for (let i = 1; i < n; i += 2) odd[m++] = i;
  const refined = Array.from(odd.subarray(0, f.selectInt32(values, nulls, odd, m, odd)));
  expect(refined).to.deep.equal(viaHashes.filter((r) => r % 2 === 1));
  return viaHashes;
}

describe('BloomFilter', () => {
  const n = 50_000;
  const built = new Int32Array(n);
  for (let i = 0; i < n; i++) built[i] = i * 7 + 3;
  const filter = new BloomFilter(n);
  filter.addAll(hashesOf(built), n, null);

  it('keeps every key it was built from', () => {
    expect(kept(filter, built).length).to.equal(n);
  });

  it('drops nearly all other keys (false positives near 1%)', () => {
    const other = new Int32Array(n);
    for (let i = 0; i < n; i++) other[i] = i * 7 + 4;
    expect(kept(filter, other).length).to.be.below(n * 0.03);
  });

  it('leaves out build rows flagged as NULL keys, drops probe rows with NULL keys, keeps rows in order', () => {
    const f = new BloomFilter(4);
    const keys = Int32Array.of(10, 20, 30, 40);
    f.addAll(hashesOf(keys), 4, Int32Array.of(0, -1, 2, 3));
    expect(kept(f, keys, Uint8Array.of(0, 0, 1, 0))).to.deep.equal([0, 3]);
  });
});

describe('IntBitmapFilter', () => {
  const ids = (n: number) => new Int32Array(n);
  const select = (f: IntBitmapFilter, values: ArrayLike<number>, nulls: Uint8Array | null = null) => {
    const out = new Uint32Array(values.length);
    return Array.from(out.subarray(0, f.select(values, nulls, null, values.length, out)));
  };

  it('keeps exactly the build values (negative ones too), drops NULLs, fractions, NaN and values out of range', () => {
    const f = IntBitmapFilter.build(Float64Array.of(-5, 7, 100, 7, 3), Int32Array.of(0, 1, 2, 1, -1), 5, 3)!;
    expect(f).to.not.equal(null);
    expect(select(f, Float64Array.of(-5, 3, 7, 7.5, 100, 101, -6, NaN, 7), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1))).to.deep.equal([0, 2, 4]);
  });

  it('refines an earlier selection in place', () => {
    const f = IntBitmapFilter.build(Int32Array.of(1, 2, 3), ids(3), 3, 3)!;
    const rows = Uint32Array.of(0, 2, 3);
    const k = f.select(Int32Array.of(1, 2, 3, 9), null, rows, 3, rows);
    expect(Array.from(rows.subarray(0, k))).to.deep.equal([0, 2]);
  });

  it('is not built for fractions, NaN, or a range far wider than the keys', () => {
    expect(IntBitmapFilter.build(Float64Array.of(1, 2.5), ids(2), 2, 2)).to.equal(null);
    expect(IntBitmapFilter.build(Float64Array.of(1, NaN), ids(2), 2, 2)).to.equal(null);
    expect(IntBitmapFilter.build(Float64Array.of(0, 1e12), ids(2), 2, 2)).to.equal(null);
    expect(IntBitmapFilter.build(Float64Array.of(0, 1e6), ids(2), 2, 2)).to.not.equal(null);
  });
});
