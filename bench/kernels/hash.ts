// Hashing: the engine's key hashes (hashKeys over int4/int8 vectors and dictionary codes,
// hashString per string) against xxhash-wasm's h32/h64 on the same data. xxhash-wasm hashes bytes
// (ints as their 4 little-endian bytes, strings UTF-8 encoded), one call per key, as a hash
// table would have to use it.
import { XXHashAPI } from 'xxhash-wasm';
import { KeyColumn, dictHashes, hashKeys, hashString } from '../../src/exec/hash/key-hash';
import { BenchCase, Scale, label } from './case';
import { intKeys, strings } from './data';

export function hashCases(scale: Scale, xx: XXHashAPI): BenchCase[] {
  const out: BenchCase[] = [];
  for (const n of [scale.small, scale.large]) {
    out.push({
      kernel: 'hash',
      variant: `engine hashKeys int4 (${label(n)} sparse)`,
      rows: n,
      prepare: () => {
        const keys: KeyColumn[] = [{ kind: 'num', nulls: null, values: intKeys(n, 'sparse') }];
        const h = new Int32Array(n);
        return () => {
          hashKeys(keys, n, h);
          return h[n - 1];
        };
      },
    });
  }
  const n = scale.small;
  out.push({
    kernel: 'hash',
    variant: 'engine hashKeys int8 (float64 storage)',
    rows: n,
    prepare: () => {
      const keys: KeyColumn[] = [{ kind: 'num', nulls: null, values: Float64Array.from(intKeys(n, 'sparse')) }];
      const h = new Int32Array(n);
      return () => {
        hashKeys(keys, n, h);
        return h[n - 1];
      };
    },
  });
  out.push({
    kernel: 'hash',
    variant: 'engine hashKeys int4 x2 columns',
    rows: n,
    prepare: () => {
      const keys: KeyColumn[] = [
        { kind: 'num', nulls: null, values: intKeys(n, 'sparse', 1) },
        { kind: 'num', nulls: null, values: intKeys(n, 'sparse', 7) },
      ];
      const h = new Int32Array(n);
      return () => {
        hashKeys(keys, n, h);
        return h[n - 1];
      };
    },
  });
  out.push({
    kernel: 'hash',
    variant: 'xxh32 h32Raw int4 (per key)',
    rows: n,
    prepare: () => {
      const bytes = new Uint8Array(intKeys(n, 'sparse').buffer);
      const h = new Int32Array(n);
      return () => {
        for (let i = 0; i < n; i++) h[i] = xx.h32Raw(bytes.subarray(i * 4, i * 4 + 4));
        return h[n - 1];
      };
    },
  });
  out.push({
    kernel: 'hash',
    variant: 'xxh64 h64Raw int4 (per key)',
    rows: n,
    prepare: () => {
      const bytes = new Uint8Array(intKeys(n, 'sparse').buffer);
      const h = new Int32Array(n);
      return () => {
        for (let i = 0; i < n; i++) h[i] = Number(BigInt.asIntN(32, xx.h64Raw(bytes.subarray(i * 4, i * 4 + 4))));
        return h[n - 1];
      };
    },
  });
  for (const shape of ['name', 'comment'] as const) {
    const what = shape === 'name' ? 'text 18 B (c_name)' : 'text 10-79 B (comment)';
    const data = () => strings(n, shape);
    out.push({
      kernel: 'hash',
      variant: `engine hashString ${what}`,
      rows: n,
      prepare: () => {
        const s = data();
        const h = new Int32Array(n);
        return () => {
          for (let i = 0; i < n; i++) h[i] = hashString(s[i]);
          return h[n - 1];
        };
      },
    });
    out.push({
      kernel: 'hash',
      variant: `xxh32 h32 ${what}`,
      rows: n,
      prepare: () => {
        const s = data();
        const h = new Int32Array(n);
        return () => {
          for (let i = 0; i < n; i++) h[i] = xx.h32(s[i]);
          return h[n - 1];
        };
      },
    });
    out.push({
      kernel: 'hash',
      variant: `xxh64 h64 ${what}`,
      rows: n,
      prepare: () => {
        const s = data();
        const h = new Int32Array(n);
        return () => {
          for (let i = 0; i < n; i++) h[i] = Number(BigInt.asIntN(32, xx.h64(s[i])));
          return h[n - 1];
        };
      },
    });
  }
  out.push({
    kernel: 'hash',
    variant: 'engine hashKeys text codes (1k-entry dict)',
    rows: n,
    prepare: () => {
      const dict = strings(1000, 'comment');
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = (i * 7919) % 1000;
      const keys: KeyColumn[] = [{ kind: 'str', nulls: null, codes, dict, dictHash: dictHashes(dict) }];
      const h = new Int32Array(n);
      return () => {
        hashKeys(keys, n, h);
        return h[n - 1];
      };
    },
  });
  return out;
}
