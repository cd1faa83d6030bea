// KeyTable against a Map of canonical keys: ids dense and in first-seen order, equal keys one id,
// lookups of absent keys -1, NULLs grouped (or skipped), across the switch from direct mode (one
// integer key, ids indexed by value) to the hash table when a batch brings a sparse value or a
// non-integer, and for composite and text keys.
import { expect } from 'chai';
import { KeyColumn, KeyKind, hashKeys } from '../../../src/exec/hash/key-hash';
import { KeyTable } from '../../../src/exec/hash/key-table';

type Val = number | null;

function numKey(vals: Val[], asInt32: boolean): KeyColumn {
  const n = vals.length;
  const values = asInt32 ? new Int32Array(n) : new Float64Array(n);
  let nulls: Uint8Array | null = null;
  vals.forEach((v, i) => {
    if (v === null) (nulls ??= new Uint8Array(n))[i] = 1;
    else values[i] = v;
  });
  return { kind: 'num', nulls, values };
}

/** The reference: canonical key text → id (NULL as 'N', -0 as 0, NaN equal to NaN). */
function canon(row: Val[]): string {
  return row.map((v) => (v === null ? 'N' : Object.is(v, -0) ? '0' : String(v))).join('|');
}

function check(kinds: KeyKind[], batches: Val[][][], asInt32: boolean, passHashes: boolean): void {
  const table = new KeyTable(kinds);
  const ref = new Map<string, number>();
  for (const rows of batches) {
    const n = rows.length;
    const keys = kinds.map((_, c) => numKey(rows.map((r) => r[c]), asInt32));
    let hashes: Int32Array | null = null;
    if (passHashes) {
      hashes = new Int32Array(n);
      hashKeys(keys, n, hashes);
    }
    // Lookups before inserting: known keys found, new ones -1; NULLs match only with nullsMatch.
    const found = new Int32Array(n);
    table.find(keys, hashes, n, found, true);
    rows.forEach((r, i) => expect(found[i], `find ${canon(r)}`).to.equal(ref.get(canon(r)) ?? -1));
    table.find(keys, hashes, n, found, false);
    rows.forEach((r, i) => expect(found[i]).to.equal(r.includes(null) ? -1 : ref.get(canon(r)) ?? -1));
    const ids = new Int32Array(n);
    table.findOrInsert(keys, hashes, n, ids);
    rows.forEach((r, i) => {
      const key = canon(r);
      if (!ref.has(key)) ref.set(key, ref.size);
      expect(ids[i], `id of ${key}`).to.equal(ref.get(key));
    });
    expect(table.size).to.equal(ref.size);
  }
}

describe('KeyTable', () => {
  const dense = (from: number, n: number): Val[][] => Array.from({ length: n }, (_, i) => [from + ((i * 7) % n)]);

  it('direct mode: dense integers, negative ones, NULLs, growth downward and upward', () => {
    for (const passHashes of [false, true])
      for (const asInt32 of [true, false]) check(['num'], [dense(100, 300), [[5], [null], [-20], [5], [null]], dense(-50, 1000), dense(200000, 50)], asInt32, passHashes);
  });

  it('leaves direct mode for a sparse value, keeping every key it had (the NULL one too)', () => {
    for (const asInt32 of [true, false]) check(['num'], [dense(0, 500), [[null], [3]], [[2_000_000_000], [7], [null]], dense(0, 600), [[-2_000_000_000]]], asInt32, false);
  });

  it('leaves direct mode for fractions, NaN and -0 (equal to 0)', () => {
    check(['num'], [dense(0, 100), [[1.5], [0], [-0], [NaN], [NaN], [1.5]], dense(50, 100)], false, false);
    check(['num'], [[[NaN], [1]], [[NaN], [-0], [0]]], false, true);
  });

  it('a NULL-only first batch, then values', () => {
    check(['num'], [[[null], [null]], dense(10, 20)], true, false);
  });

  it('composite number keys and a wide first batch', () => {
    const rows: Val[][] = [];
    for (let i = 0; i < 3000; i++) rows.push([i % 37, i % 11 === 0 ? null : i % 5]);
    check(['num', 'num'], [rows.slice(0, 1000), rows, [[1e15, 2], [1.25, 2]]], false, true);
  });

  it('stays in direct mode while dense keys arrive in ascending, descending or scattered batches', () => {
    for (const order of ['up', 'down', 'scattered'] as const) {
      const table = new KeyTable(['num']);
      // Scattered keys span the whole range from the first batch: within the span always allowed.
      const n = order === 'scattered' ? 1 << 20 : 1 << 22;
      const ids = new Int32Array(2048);
      for (let b = 0; b < n / 2048; b++) {
        const vals = new Int32Array(2048);
        for (let i = 0; i < 2048; i++) {
          const k = b * 2048 + i;
          vals[i] = order === 'up' ? k : order === 'down' ? n - k : (k * 7919) % n;
        }
        table.findOrInsert([{ kind: 'num', nulls: null, values: vals }], null, 2048, ids);
        expect(ids[2047]).to.equal(b * 2048 + 2047);
      }
      expect(table.hashed, order).to.equal(false);
      expect(table.size).to.equal(n);
    }
  });

  it('join build: rows with a NULL key skipped, then probes without hashes', () => {
    const table = new KeyTable(['num'], 4);
    const ids = new Int32Array(4);
    table.findOrInsert([numKey([3, null, 4, 3], true)], null, 4, ids, true);
    expect(Array.from(ids)).to.deep.equal([0, -1, 1, 0]);
    const out = new Int32Array(5);
    table.find([numKey([4, 3, null, 5, 2], false)], null, 5, out, false);
    expect(Array.from(out)).to.deep.equal([1, 0, -1, -1, -1]);
  });
});
