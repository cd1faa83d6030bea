// The row routing of shuffled joins (src/exec/parallel/shuffle-partition.ts): equal keys meet in one
// partition whichever side and storage they come from, every row goes exactly once, the Bloom
// filters keep every row that can join, and string columns travel with only the entries they use.
import { expect } from 'chai';
import { BloomFilter } from '../../../src/exec/hash/bloom-filter';
import { KeyKind, hashKeys, toKeyColumn } from '../../../src/exec/hash/key-hash';
import { compactStrings, inAnyFilter, partitionRows } from '../../../src/exec/parallel/shuffle-partition';
import { DataType, Types } from '../../../src/types/data-type';
import { Batch, Scalar, StringVector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

function batch(types: DataType[], rows: Scalar[][]): Batch {
  return { length: rows.length, columns: types.map((t, c) => vectorFromScalars(t, rows.map((r) => r[c]))) };
}

/** Each row's first column by partition. */
function firstColumn(parts: Batch[][]): Scalar[][] {
  return parts.map((bs) => bs.flatMap((b) => Array.from({ length: b.length }, (_, r) => getScalar(b.columns[0], r))));
}

const keep = (): null => null;

describe('shuffle row routing (partitions, Bloom filters, dictionaries)', () => {
  it('an int4 key and an int8 key of the same value land in the same partition; every row once', () => {
    const n = 3;
    const probe = batch([Types.int4, Types.int4], Array.from({ length: 5000 }, (_, i) => [i, i]));
    const build = batch([Types.int8, Types.int8], Array.from({ length: 5000 }, (_, i) => [4999 - i, 4999 - i]));
    const kinds: KeyKind[] = ['num'];
    const p = firstColumn(partitionRows(probe, 1, kinds, n, keep));
    const b = firstColumn(partitionRows(build, 1, kinds, n, keep));
    expect(p.reduce((s, x) => s + x.length, 0)).to.equal(5000);
    for (let q = 0; q < n; q++) {
      expect([...p[q]].sort((x, y) => Number(x) - Number(y))).to.deep.equal([...b[q]].sort((x, y) => Number(x) - Number(y)));
      // Spread over the partitions: none holds less than a quarter of its share.
      expect(p[q].length).to.be.greaterThan(5000 / n / 4);
    }
  });

  it('text keys from different dictionaries meet by value', () => {
    const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
    const a = batch([Types.text, Types.text], words.map((w) => [w, w]));
    const b = batch([Types.text, Types.text], [...words].reverse().map((w) => [w, w]));
    const pa = firstColumn(partitionRows(a, 1, ['str'], 4, keep));
    const pb = firstColumn(partitionRows(b, 1, ['str'], 4, keep));
    for (let q = 0; q < 4; q++) expect(new Set(pa[q])).to.deep.equal(new Set(pb[q]));
  });

  it('the probe filter keeps every row whose key is in some participant\'s build keys, and drops NULL keys', () => {
    const keysOf = (vals: number[]): Int32Array => {
      const h = new Int32Array(vals.length);
      hashKeys([toKeyColumn(vectorFromScalars(Types.int4, vals), 'num')], vals.length, h);
      return h;
    };
    // Two participants' build keys: multiples of 7 and of 11 below 10000.
    const filters = [0, 1].map((k) => {
      const vals = Array.from({ length: 10000 }, (_, i) => i).filter((i) => i % (k === 0 ? 7 : 11) === 0);
      const f = new BloomFilter(vals.length);
      f.addAll(keysOf(vals), vals.length, null);
      return f;
    });
    const probe = Array.from({ length: 10000 }, (_, i) => i);
    const hashes = keysOf(probe);
    const nulls = new Uint8Array(probe.length);
    nulls[77] = 1;
    const kept = new Set(inAnyFilter(filters, hashes, nulls, probe.length));
    for (const i of probe) if (i !== 77 && (i % 7 === 0 || i % 11 === 0)) expect(kept.has(i), `row ${i}`).to.equal(true);
    expect(kept.has(77)).to.equal(false);
    // About 16 bits a key: few false positives (joinable rows are 2208 of 10000).
    expect(kept.size).to.be.lessThan(2208 + 300);
  });

  it('a string column travels with only the dictionary entries its rows use, values unchanged', () => {
    const dict = Array.from({ length: 1000 }, (_, i) => `name${i}`);
    const v: StringVector = { kind: 'string', type: Types.text, length: 4, nulls: Uint8Array.from([0, 1, 0, 0]), codes: Int32Array.from([500, 3, 7, 500]), dict };
    const b = compactStrings({ length: 4, columns: [v, vectorFromScalars(Types.int4, [1, 2, 3, 4])] });
    const s = b.columns[0] as StringVector;
    expect(s.dict).to.deep.equal(['name500', 'name7']);
    expect([0, 1, 2, 3].map((r) => getScalar(s, r))).to.deep.equal(['name500', null, 'name7', 'name500']);
    // Nothing to cut: the same batch.
    const small = batch([Types.text], [['a'], ['b']]);
    expect(compactStrings(small)).to.equal(small);
  });
});
