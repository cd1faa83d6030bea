// Comparison operators (= <> < <= > >=) over whole vectors, one loop per storage kind.
// Strings compare by code point (C collation), bpchar ignoring trailing spaces; a comparison with
// a constant string is evaluated once per dictionary entry (cached per dictionary object) and then
// mapped over the codes. Numeric compares exactly by value across scales; intervals by span.
import { ComparisonFn } from '../../plan/expr';
import { BoolVector, Decimal, NumericVector, StringVector, Vector, isDecimal } from '../../types/vector';
import { pow10 } from '../../types/vector-ops';
import { numericCompare, numericFromInt } from '../../types/numeric';
import { boolVector, orNulls } from '../vector-util';
import { arrayKeyDict, compareStrings, dictRanks, jsonbKeyDict, trimTrailingSpaces, trimmedDict } from '../string-order';
import { arrayOrderKey } from '../../types/array-text';
import { jsonbOrderKey } from '../../types/json';
import { intervalSpans } from '../hash/key-hash';
import { CompiledExpr, VectorFn } from './compiled';

/** The comparison with its operands swapped (c op x ⇔ x swapped(op) c). */
export function swapOp(op: ComparisonFn): ComparisonFn {
  switch (op) {
    case 'lt': return 'gt';
    case 'le': return 'ge';
    case 'gt': return 'lt';
    case 'ge': return 'le';
    default: return op;
  }
}

/** Whether a -1/0/1 comparison result satisfies op. */
export function cmpHolds(op: ComparisonFn, c: number): boolean {
  switch (op) {
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'gt': return c > 0;
    case 'ge': return c >= 0;
  }
}

function cmpInt8(op: ComparisonFn, c: Int8Array, out: Uint8Array, n: number): void {
  switch (op) {
    case 'eq': for (let i = 0; i < n; i++) out[i] = c[i] === 0 ? 1 : 0; break;
    case 'ne': for (let i = 0; i < n; i++) out[i] = c[i] !== 0 ? 1 : 0; break;
    case 'lt': for (let i = 0; i < n; i++) out[i] = c[i] < 0 ? 1 : 0; break;
    case 'le': for (let i = 0; i < n; i++) out[i] = c[i] <= 0 ? 1 : 0; break;
    case 'gt': for (let i = 0; i < n; i++) out[i] = c[i] > 0 ? 1 : 0; break;
    case 'ge': for (let i = 0; i < n; i++) out[i] = c[i] >= 0 ? 1 : 0; break;
  }
}

function cmpNumbers(op: ComparisonFn, x: ArrayLike<number>, y: ArrayLike<number>, out: Uint8Array, n: number): void {
  switch (op) {
    case 'eq': for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? 1 : 0; break;
    case 'ne': for (let i = 0; i < n; i++) out[i] = x[i] !== y[i] ? 1 : 0; break;
    case 'lt': for (let i = 0; i < n; i++) out[i] = x[i] < y[i] ? 1 : 0; break;
    case 'le': for (let i = 0; i < n; i++) out[i] = x[i] <= y[i] ? 1 : 0; break;
    case 'gt': for (let i = 0; i < n; i++) out[i] = x[i] > y[i] ? 1 : 0; break;
    case 'ge': for (let i = 0; i < n; i++) out[i] = x[i] >= y[i] ? 1 : 0; break;
  }
}

/** float8 comparison as PostgreSQL's float8_cmp: NaN equals NaN and sorts above every number. */
export function compareFloat(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const an = a !== a;
  const bn = b !== b;
  return an && bn ? 0 : an ? 1 : -1;
}

/** out[i] = x[i] op c, plain number comparisons (no float NaN rules). */
function cmpConst(op: ComparisonFn, x: ArrayLike<number>, c: number, out: Uint8Array, n: number): void {
  switch (op) {
    case 'eq': for (let i = 0; i < n; i++) out[i] = x[i] === c ? 1 : 0; break;
    case 'ne': for (let i = 0; i < n; i++) out[i] = x[i] !== c ? 1 : 0; break;
    case 'lt': for (let i = 0; i < n; i++) out[i] = x[i] < c ? 1 : 0; break;
    case 'le': for (let i = 0; i < n; i++) out[i] = x[i] <= c ? 1 : 0; break;
    case 'gt': for (let i = 0; i < n; i++) out[i] = x[i] > c ? 1 : 0; break;
    case 'ge': for (let i = 0; i < n; i++) out[i] = x[i] >= c ? 1 : 0; break;
  }
}

function cmpFloats(op: ComparisonFn, x: ArrayLike<number>, y: ArrayLike<number>, out: Uint8Array, n: number): void {
  let hasNaN = false;
  for (let i = 0; i < n; i++)
    if (x[i] !== x[i] || y[i] !== y[i]) {
      hasNaN = true;
      break;
    }
  if (!hasNaN) return cmpNumbers(op, x, y, out, n);
  for (let i = 0; i < n; i++) out[i] = cmpHolds(op, compareFloat(x[i], y[i])) ? 1 : 0;
}

/** Compares two vectors of the same type family (the slow-but-general entry point, also used by IN lists and subqueries). */
export function compareVectors(op: ComparisonFn, a: Vector, b: Vector): BoolVector {
  const n = a.length;
  const out = new Uint8Array(n);
  const nulls = orNulls([a, b], n);
  if (a.kind === 'string' && b.kind === 'string') {
    compareStringVectors(op, a, b, out, n);
    return boolVector(n, out, nulls);
  }
  if (a.kind === 'numeric' || b.kind === 'numeric') {
    const x = a.kind === 'numeric' ? a : numericFromInt(a);
    const y = b.kind === 'numeric' ? b : numericFromInt(b);
    const c = new Int8Array(n);
    numericCompare(x as NumericVector, y as NumericVector, c);
    cmpInt8(op, c, out, n);
    return boolVector(n, out, nulls);
  }
  if (a.kind === 'interval' && b.kind === 'interval') {
    cmpNumbers(op, intervalSpans(a), intervalSpans(b), out, n);
    return boolVector(n, out, nulls);
  }
  const x = (a as { values: ArrayLike<number> }).values;
  const y = (b as { values: ArrayLike<number> }).values;
  if (a.kind === 'float64' || b.kind === 'float64') cmpFloats(op, x, y, out, n);
  else cmpNumbers(op, x, y, out, n);
  return boolVector(n, out, nulls);
}

function compareStringVectors(op: ComparisonFn, a: StringVector, b: StringVector, out: Uint8Array, n: number): void {
  const bp = a.type.name === 'bpchar' || b.type.name === 'bpchar';
  const jb = a.type.name === 'jsonb';
  const ar = a.type.name === 'array';
  if (a.dict === b.dict) {
    // One dictionary: compare ranks (equal strings share a rank).
    const ranks = bp ? dictRanks(trimmedDict(a.dict)) : jb ? dictRanks(jsonbKeyDict(a.dict)) : ar ? dictRanks(arrayKeyDict(a.type, a.dict)) : dictRanks(a.dict);
    const ca = a.codes;
    const cb = b.codes;
    switch (op) {
      case 'eq': for (let i = 0; i < n; i++) out[i] = ranks[ca[i]] === ranks[cb[i]] ? 1 : 0; break;
      case 'ne': for (let i = 0; i < n; i++) out[i] = ranks[ca[i]] !== ranks[cb[i]] ? 1 : 0; break;
      default: for (let i = 0; i < n; i++) out[i] = cmpHolds(op, ranks[ca[i]] - ranks[cb[i]]) ? 1 : 0;
    }
    return;
  }
  const da = bp ? trimmedDict(a.dict) : jb ? jsonbKeyDict(a.dict) : ar ? arrayKeyDict(a.type, a.dict) : a.dict;
  const db = bp ? trimmedDict(b.dict) : jb ? jsonbKeyDict(b.dict) : ar ? arrayKeyDict(b.type, b.dict) : b.dict;
  const ca = a.codes;
  const cb = b.codes;
  if (op === 'eq' || op === 'ne') {
    const want = op === 'eq';
    for (let i = 0; i < n; i++) out[i] = (da[ca[i]] === db[cb[i]]) === want ? 1 : 0;
    return;
  }
  for (let i = 0; i < n; i++) out[i] = cmpHolds(op, compareStrings(da[ca[i]], db[cb[i]])) ? 1 : 0;
}

/** string op constant, evaluated per dictionary entry; results cached per dictionary object. */
function stringConstKernel(op: ComparisonFn, col: CompiledExpr, constant: string, bpchar: boolean): VectorFn {
  const jsonb = col.type.name === 'jsonb';
  const array = col.type.name === 'array';
  const target = bpchar ? trimTrailingSpaces(constant) : jsonb ? jsonbOrderKey(constant) : array ? arrayOrderKey(constant, col.type) : constant;
  const perDict = new WeakMap<string[], Uint8Array>();
  const f = col.eval;
  return (batch) => {
    const v = f(batch) as StringVector;
    const dict = v.dict;
    let table = perDict.get(dict);
    if (table === undefined || table.length !== dict.length) {
      const d = bpchar ? trimmedDict(dict) : jsonb ? jsonbKeyDict(dict) : array ? arrayKeyDict(col.type, dict) : dict;
      table = new Uint8Array(dict.length);
      if (op === 'eq') for (let k = 0; k < d.length; k++) table[k] = d[k] === target ? 1 : 0;
      else if (op === 'ne') for (let k = 0; k < d.length; k++) table[k] = d[k] !== target ? 1 : 0;
      else for (let k = 0; k < d.length; k++) table[k] = cmpHolds(op, compareStrings(d[k], target)) ? 1 : 0;
      perDict.set(dict, table);
    }
    const n = v.length;
    const out = new Uint8Array(n);
    const codes = v.codes;
    for (let i = 0; i < n; i++) out[i] = table[codes[i]];
    return boolVector(n, out, v.nulls === null ? null : v.nulls.slice(0, n));
  };
}

/** Fixed-width column op constant: no second vector at all. */
function numberConstKernel(op: ComparisonFn, col: CompiledExpr, c: number): VectorFn {
  const f = col.eval;
  const float = col.type.storage === 'float64';
  return (batch) => {
    const v = f(batch) as { values: ArrayLike<number>; nulls: Uint8Array | null; length: number };
    const n = v.length;
    const x = v.values;
    const out = new Uint8Array(n);
    if (float && (c !== c || hasNaN(x, n))) for (let i = 0; i < n; i++) out[i] = cmpHolds(op, compareFloat(x[i], c)) ? 1 : 0;
    else cmpConst(op, x, c, out, n);
    return boolVector(n, out, v.nulls === null ? null : v.nulls.slice(0, n));
  };
}

/**
 * numeric column op numeric constant: the constant scaled once to the column's scale, then plain
 * comparisons of the scaled integers (TPC-H's l_discount between .05 and .07, l_quantity < 24).
 * Batches with values beyond 2^53, or a constant with more decimals than the column, take the
 * general path.
 */
function numericConstKernel(op: ComparisonFn, col: CompiledExpr, constant: Decimal, general: VectorFn): VectorFn {
  const f = col.eval;
  let scaledFor = -1;
  let scaled = NaN;
  return (batch) => {
    const v = f(batch);
    if (v.kind !== 'numeric' || v.wide !== null || v.scale < constant.scale) return general(batch);
    if (v.scale !== scaledFor) {
      const c = Number(constant.digits) * pow10(v.scale - constant.scale);
      scaled = Number.isSafeInteger(c) && BigInt(c) === constant.digits * 10n ** BigInt(v.scale - constant.scale) ? c : NaN;
      scaledFor = v.scale;
    }
    if (scaled !== scaled) return general(batch);
    const c = scaled;
    const n = v.length;
    const x = v.values;
    const out = new Uint8Array(n);
    cmpConst(op, x, c, out, n);
    return boolVector(n, out, v.nulls === null ? null : v.nulls.slice(0, n));
  };
}

function hasNaN(x: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) if (x[i] !== x[i]) return true;
  return false;
}

export function compareKernel(op: ComparisonFn, a: CompiledExpr, b: CompiledExpr): VectorFn {
  const fixed = (t: CompiledExpr) => t.type.storage === 'int32' || t.type.storage === 'int64' || t.type.storage === 'float64' || t.type.storage === 'timestamp' || t.type.storage === 'bool';
  if (a.type.storage === 'string' && b.type.storage === 'string') {
    const bp = a.type.name === 'bpchar' || b.type.name === 'bpchar';
    if (b.isConst && b.value !== null) return stringConstKernel(op, a, b.value as string, bp);
    if (a.isConst && a.value !== null) return stringConstKernel(swapOp(op), b, a.value as string, bp);
  }
  if (fixed(a) && fixed(b)) {
    if (b.isConst && b.value !== null) return numberConstKernel(op, a, typeof b.value === 'boolean' ? (b.value ? 1 : 0) : (b.value as number));
    if (a.isConst && a.value !== null) return numberConstKernel(swapOp(op), b, typeof a.value === 'boolean' ? (a.value ? 1 : 0) : (a.value as number));
  }
  const fa = a.eval;
  const fb = b.eval;
  const general: VectorFn = (batch) => compareVectors(op, fa(batch), fb(batch));
  if (a.type.storage === 'numeric' && b.type.storage === 'numeric') {
    if (b.isConst && isDecimal(b.value)) return numericConstKernel(op, a, b.value, general);
    if (a.isConst && isDecimal(a.value)) return numericConstKernel(swapOp(op), b, a.value, general);
  }
  return general;
}
