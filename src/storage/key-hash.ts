// Hashes and equality of unique-key values, straight from column vectors (no per-row strings).
// Equal SQL values hash alike across vectors of the same column: int8/float/timestamp by their
// double's bits (-0 = 0, one NaN), numeric by the correctly rounded double of its exact value (so
// 1.0 and 1.00, or a wide and a narrow encoding of one value, meet), text by a string hash computed
// once per dictionary entry. Equality is exact; the hash only narrows the candidates.
import { decimalCompare, decimalAt, decimalToString } from '../types/numeric';
import { pow10 } from '../types/vector-ops';
import { NumericVector, Vector } from '../types/vector';
import { fmix32, hashDouble as hashBits, hashString } from './column-stats';

/** Hash of a double: -0 = 0 (column-stats' hash) and every NaN alike. */
function hashDouble(x: number): number {
  return x !== x ? 0x7ff80000 : hashBits(x);
}

/** The numeric value as the correctly rounded double of its exact value. */
function numericDouble(v: NumericVector, i: number): number {
  const x = v.values[i];
  if (x === x && v.scale <= 22) return x / pow10(v.scale);
  return Number(decimalToString(decimalAt(v, i)));
}

/** Hash of one value (not NULL). */
function hashCell(v: Vector, i: number): number {
  switch (v.kind) {
    case 'int32':
    case 'bool':
      return fmix32(v.values[i]);
    case 'int64':
    case 'float64':
    case 'timestamp':
      return hashDouble(v.values[i]);
    case 'numeric':
      return hashDouble(numericDouble(v, i));
    case 'string':
      return hashString(v.dict[v.codes[i]]);
    case 'interval':
      return hashDouble(v.months[i] * 2592e9 + v.days[i] * 864e8 + v.micros[i]);
  }
}

function combine(h: number, c: number): number {
  return fmix32(Math.imul(h, 0x9e3779b1) ^ c);
}

/** Key hashes of the batch's first n rows; `nulls[i]` = 1 where a key column is NULL (no hash then). */
export interface KeyHashes {
  hashes: Uint32Array;
  nulls: Uint8Array | null;
}

/** Hashes the key columns of n rows at once, one typed loop per column. */
export function hashKeys(columns: Vector[], key: number[], n: number): KeyHashes {
  const hashes = new Uint32Array(n);
  let nulls: Uint8Array | null = null;
  for (let k = 0; k < key.length; k++) {
    const v = columns[key[k]];
    if (v.nulls !== null) {
      for (let i = 0; i < n; i++) {
        if (v.nulls[i] === 1) (nulls ??= new Uint8Array(n))[i] = 1;
      }
    }
    const first = k === 0;
    if (v.kind === 'int32') {
      const vals = v.values;
      for (let i = 0; i < n; i++) hashes[i] = first ? fmix32(vals[i]) : combine(hashes[i], fmix32(vals[i]));
    } else if (v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp') {
      const vals = v.values;
      for (let i = 0; i < n; i++) hashes[i] = first ? hashDouble(vals[i]) : combine(hashes[i], hashDouble(vals[i]));
    } else if (v.kind === 'string') {
      const dictHash = new Uint32Array(v.dict.length);
      for (let d = 0; d < v.dict.length; d++) dictHash[d] = v.dict[d] === undefined ? 0 : hashString(v.dict[d]);
      const codes = v.codes;
      for (let i = 0; i < n; i++) hashes[i] = first ? dictHash[codes[i]] : combine(hashes[i], dictHash[codes[i]]);
    } else {
      for (let i = 0; i < n; i++) {
        if (v.nulls !== null && v.nulls[i] === 1) continue;
        hashes[i] = first ? hashCell(v, i) : combine(hashes[i], hashCell(v, i));
      }
    }
  }
  return { hashes, nulls };
}

/** Hash of one row's key, as hashKeys computes it; -1 when a key column is NULL. */
export function hashKeyRow(columns: Vector[], key: number[], row: number): number {
  let h = 0;
  for (let k = 0; k < key.length; k++) {
    const v = columns[key[k]];
    if (v.nulls !== null && v.nulls[row] === 1) return -1;
    h = k === 0 ? hashCell(v, row) : combine(h, hashCell(v, row));
  }
  return h;
}

/** Exact SQL equality of two non-NULL values of the same column. */
export function cellsEqual(a: Vector, ai: number, b: Vector, bi: number): boolean {
  switch (a.kind) {
    case 'int32':
    case 'bool':
      return a.values[ai] === (b as typeof a).values[bi];
    case 'int64':
    case 'float64':
    case 'timestamp': {
      const x = a.values[ai];
      const y = (b as typeof a).values[bi];
      return x === y || (x !== x && y !== y);
    }
    case 'string':
      return a.dict[a.codes[ai]] === (b as typeof a).dict[(b as typeof a).codes[bi]];
    case 'numeric': {
      const o = b as NumericVector;
      const x = a.values[ai];
      if (a.scale === o.scale && x === x && x === o.values[bi]) return true;
      return decimalCompare(decimalAt(a, ai), decimalAt(o, bi)) === 0;
    }
    case 'interval': {
      const o = b as typeof a;
      return a.months[ai] * 2592e9 + a.days[ai] * 864e8 + a.micros[ai] === o.months[bi] * 2592e9 + o.days[bi] * 864e8 + o.micros[bi];
    }
  }
}
