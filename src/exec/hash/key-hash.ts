// Key columns for hashing and exact equality (joins, grouping, DISTINCT, set operations).
// A key vector is first put in a canonical form so that equal SQL values are equal here:
//  - 'num': int2/int4/int8/float/date/timestamp/bool/interval as numbers (interval by its span,
//    as PostgreSQL's interval_cmp; -0 = 0; NaN = NaN as float8 equality)
//  - 'str': dictionary codes; bpchar dictionaries with trailing spaces removed; hashed per entry
//  - 'dec': numeric as mantissa × 10^exponent with trailing zeros stripped, so 1.0 = 1.00
// Hashes are computed for whole vectors at once with an integer mix (murmur3's fmix32) — a
// fixed-width key costs a few multiplications per row and no allocation.
import { DataType } from '../../types/data-type';
import { IntervalVector, NumericVector, StringVector, Vector } from '../../types/vector';
import { comparableDict } from '../string-order';

export type KeyKind = 'num' | 'str' | 'dec';

export interface NumKey {
  kind: 'num';
  nulls: Uint8Array | null;
  values: Float64Array | Int32Array | Uint8Array;
}
export interface StrKey {
  kind: 'str';
  nulls: Uint8Array | null;
  codes: Int32Array;
  /** Normalized dictionary (bpchar: trailing spaces removed). */
  dict: string[];
  dictHash: Int32Array;
}
export interface DecKey {
  kind: 'dec';
  nulls: Uint8Array | null;
  /** Mantissa with trailing zeros stripped; NaN when it does not fit 2^53 (then `wide` holds it as text). */
  mant: Float64Array;
  exp: Int32Array;
  wide: (string | undefined)[] | null;
}
export type KeyColumn = NumKey | StrKey | DecKey;

/** The canonical kind for a key of this type. */
export function keyKindOf(t: DataType): KeyKind {
  return t.storage === 'string' ? 'str' : t.storage === 'numeric' ? 'dec' : 'num';
}
/** The kind both sides of a key pair use (numeric wins over integers, should they ever differ). */
export function pairKind(a: DataType, b: DataType): KeyKind {
  const x = keyKindOf(a);
  const y = keyKindOf(b);
  return x === 'dec' || y === 'dec' ? 'dec' : x;
}

export function toKeyColumn(v: Vector, kind: KeyKind = keyKindOf(v.type)): KeyColumn {
  if (kind === 'str') {
    const s = v as StringVector;
    const dict = comparableDict(v.type, s.dict);
    return { kind: 'str', nulls: v.nulls, codes: s.codes, dict, dictHash: dictHashes(dict) };
  }
  if (kind === 'dec') return decKey(v);
  switch (v.kind) {
    case 'interval':
      return { kind: 'num', nulls: v.nulls, values: intervalSpans(v) };
    case 'bool':
    case 'int32':
    case 'int64':
    case 'float64':
    case 'timestamp':
      return { kind: 'num', nulls: v.nulls, values: v.values };
    default:
      throw new Error(`key of kind num from a ${v.kind} vector`);
  }
}

/** An interval's span in microseconds (months as 30 days, days as 24 hours), as interval_cmp orders. */
export function intervalSpans(v: IntervalVector): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = v.months[i] * 2592e9 + v.days[i] * 864e8 + v.micros[i];
  return out;
}

function decKey(v: Vector): DecKey {
  const n = v.length;
  const mant = new Float64Array(n);
  const exp = new Int32Array(n);
  let wide: (string | undefined)[] | null = null;
  if (v.kind !== 'numeric') {
    const src = (v as { values: ArrayLike<number> }).values;
    for (let i = 0; i < n; i++) mant[i] = src[i];
  } else {
    const nv = v as NumericVector;
    const vals = nv.values;
    for (let i = 0; i < n; i++) {
      mant[i] = vals[i];
      exp[i] = -nv.scale;
    }
    if (nv.wide !== null) {
      for (let i = 0; i < n; i++) {
        const w = nv.wide[i];
        if (w === undefined) continue;
        let m = w;
        let e = -nv.scale;
        while (m !== 0n && m % 10n === 0n) {
          m /= 10n;
          e++;
        }
        if (m <= 9007199254740991n && m >= -9007199254740991n) {
          mant[i] = Number(m);
          exp[i] = e;
        } else {
          mant[i] = NaN;
          exp[i] = e;
          (wide ??= new Array(n))[i] = m.toString();
        }
      }
    }
  }
  const nulls = v.nulls;
  for (let i = 0; i < n; i++) {
    let m = mant[i];
    if (m !== m) continue;
    if (m === 0 || (nulls !== null && nulls[i] === 1)) {
      mant[i] = 0;
      exp[i] = 0;
      continue;
    }
    let e = exp[i];
    while (m % 10 === 0) {
      m /= 10;
      e++;
    }
    mant[i] = m;
    exp[i] = e;
  }
  return { kind: 'dec', nulls, mant, exp, wide };
}

// ---- hashing ----

export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
/** The hash of a NULL key column. */
export const NULL_HASH = 0x5bd1e995;
const NAN_HASH = 0x1b873593;

/** Hash of an int32 (the same as hashNumber gives for it). */
export function hashInt(i: number): number {
  return mix32(i ^ 0x27d4eb2f);
}

/** Hash of a number such that equal numbers (whatever their storage) hash equally. */
export function hashNumber(v: number): number {
  const i = v | 0;
  if (i === v) return hashInt(i);
  if (v !== v) return NAN_HASH;
  scratchF64[0] = v;
  return mix32(scratchU32[0] ^ mix32(scratchU32[1] + 0x165667b1));
}

export function hashString(s: string): number {
  // FNV-1a over UTF-16 code units, finished with fmix32.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h ^ s.length);
}

const dictHashCache = new WeakMap<string[], Int32Array>();
/** Hash of each dictionary entry, computed once per dictionary object (scans share dictionaries across batches). */
export function dictHashes(dict: string[]): Int32Array {
  let h = dictHashCache.get(dict);
  if (h === undefined || h.length !== dict.length) {
    h = new Int32Array(dict.length);
    for (let i = 0; i < dict.length; i++) h[i] = hashString(dict[i]);
    dictHashCache.set(dict, h);
  }
  return h;
}

function combine(h: number, x: number): number {
  return mix32((h ^ (x + 0x9e3779b9 + (h << 6) + (h >>> 2))) | 0);
}

/** Hashes rows [0, n) of the key columns into out. */
export function hashKeys(keys: readonly KeyColumn[], n: number, out: Int32Array): void {
  for (let c = 0; c < keys.length; c++) {
    const k = keys[c];
    const first = c === 0;
    switch (k.kind) {
      case 'num': {
        const vals = k.values;
        if (vals instanceof Float64Array) {
          for (let i = 0; i < n; i++) {
            const h = hashNumber(vals[i]);
            out[i] = first ? h : combine(out[i], h);
          }
        } else {
          for (let i = 0; i < n; i++) {
            const h = hashInt(vals[i]);
            out[i] = first ? h : combine(out[i], h);
          }
        }
        break;
      }
      case 'str': {
        const codes = k.codes;
        const dh = k.dictHash;
        for (let i = 0; i < n; i++) {
          const h = dh[codes[i]];
          out[i] = first ? h : combine(out[i], h);
        }
        break;
      }
      case 'dec': {
        for (let i = 0; i < n; i++) {
          const m = k.mant[i];
          let h = m === m ? hashNumber(m) : hashString(k.wide![i]!);
          h = combine(h, k.exp[i]);
          out[i] = first ? h : combine(out[i], h);
        }
        break;
      }
    }
    const nulls = k.nulls;
    if (nulls !== null) for (let i = 0; i < n; i++) if (nulls[i] === 1) out[i] = first ? NULL_HASH : combine(out[i], NULL_HASH);
  }
}

/** 1 where any key column is NULL, or null when none has NULLs. */
export function anyNullKey(keys: readonly KeyColumn[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const k of keys) {
    if (k.nulls === null) continue;
    out ??= new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] |= k.nulls[i];
  }
  return out;
}
