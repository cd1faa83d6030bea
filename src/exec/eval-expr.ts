// Evaluates bound expressions over whole batches: one kernel call per expression node and batch,
// with typed-array loops for comparisons and arithmetic, per-dictionary-entry evaluation for string
// functions and LIKE, and a per-row path for the rest.
import { CallExpr, Expr } from '../plan/expr';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { BoolVector, Decimal, Interval, NumericVector, Scalar, StringVector, Vector, isDecimal } from '../types/vector';
import { gatherVector, getScalar, newVector, vectorFromScalars } from '../types/vector-ops';
import { castVector } from '../types/cast';
import {
  decimal,
  decimalAt,
  decimalRound,
  decimalToString,
  fromDecimals,
  numericAbs,
  numericAdd,
  numericCeil,
  numericCompare,
  numericDiv,
  numericFloor,
  numericMod,
  numericMul,
  numericNeg,
  numericRound,
  numericSub,
  numericTrunc,
  parseDecimal,
} from '../types/numeric';
import {
  MICROS_PER_DAY,
  canonicalUnit,
  dateAddInterval,
  daysFromCivil,
  isoDayOfWeek,
  isoWeek,
  splitTimestamp,
  timestampAddInterval,
  timestampSub,
  truncateMicros,
  unitNotRecognized,
  zoneOffsetMicros,
} from '../types/datetime';
import { Batch } from '../types/vector';
import { ExecContext } from './context';
import { compareScalars } from './scalar-compare';
import { evalSubquery } from './subquery';
import { createHash } from 'crypto';

/** A vector of n copies of one value, filled as typed arrays (no per-row scalars). */
export function constVector(type: DataType, value: Scalar, n: number): Vector {
  const v = newVector(type, n);
  if (value === null) {
    v.nulls = new Uint8Array(n).fill(1);
    return v;
  }
  switch (v.kind) {
    case 'string':
      v.dict = [value as string];
      return v;
    case 'bool':
      v.values.fill(value ? 1 : 0);
      return v;
    case 'int32':
    case 'int64':
    case 'float64':
    case 'timestamp':
      v.values.fill(value as number);
      return v;
    default:
      return vectorFromScalars(type, new Array(n).fill(value));
  }
}

/** Whether e depends on nothing but constants and parameters (so it is evaluated once per statement). */
function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case 'const':
    case 'param':
      return true;
    case 'column':
    case 'outer':
    case 'subquery':
      return false;
    case 'call':
    case 'and':
    case 'or':
    case 'coalesce':
      return e.args.every(isConstant);
    case 'cast':
    case 'not':
    case 'isnull':
    case 'booltest':
      return isConstant(e.arg);
    case 'case':
      return e.whens.every((w) => isConstant(w.when) && isConstant(w.then)) && (e.else === null || isConstant(e.else));
    case 'inlist':
      return isConstant(e.arg) && e.list.every(isConstant);
  }
}

const constantness = new WeakMap<Expr, boolean>();
const ONE_ROW: Batch = { length: 1, columns: [] };

/** The value of a constant subtree, computed once per statement (cached in the context). */
function constantValue(e: Expr, ctx: ExecContext): Scalar {
  const cache = (ctx.constants ??= new Map()) as Map<Expr, Scalar>;
  if (cache.has(e)) return cache.get(e)!;
  const v = getScalar(evalNode(e, ONE_ROW, ctx), 0);
  cache.set(e, v);
  return v;
}

function boolVector(n: number, values: Uint8Array, nulls: Uint8Array | null): BoolVector {
  return { kind: 'bool', type: Types.bool, length: n, nulls, values };
}

function orNulls(vs: Vector[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const v of vs) {
    if (v.nulls === null) continue;
    out ??= new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] |= v.nulls[i];
  }
  return out;
}

export function evalExpr(e: Expr, batch: Batch, ctx: ExecContext): Vector {
  if (e.kind !== 'const' && e.kind !== 'param') {
    let c = constantness.get(e);
    if (c === undefined) constantness.set(e, (c = isConstant(e)));
    if (c) return constVector(e.type, constantValue(e, ctx), batch.length);
  }
  return evalNode(e, batch, ctx);
}

function evalNode(e: Expr, batch: Batch, ctx: ExecContext): Vector {
  const n = batch.length;
  switch (e.kind) {
    case 'column':
      return batch.columns[e.index];
    case 'const':
      return constVector(e.type, e.value, n);
    case 'param':
      return constVector(e.type, ctx.params[e.index] ?? null, n);
    case 'outer':
      return constVector(e.type, ctx.outer?.[e.slot] ?? null, n);
    case 'cast':
      return castVector(evalExpr(e.arg, batch, ctx), e.type, ctx.format, e.explicit === true);
    case 'and':
    case 'or':
      return evalBoolOp(e.kind, e.args, batch, ctx);
    case 'not': {
      const a = evalExpr(e.arg, batch, ctx) as BoolVector;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = a.values[i] ^ 1;
      return boolVector(n, out, a.nulls);
    }
    case 'isnull': {
      const a = evalExpr(e.arg, batch, ctx);
      const out = new Uint8Array(n);
      const want = e.negated ? 0 : 1;
      for (let i = 0; i < n; i++) out[i] = (a.nulls !== null && a.nulls[i] === 1 ? 1 : 0) === want ? 1 : 0;
      return boolVector(n, out, null);
    }
    case 'booltest': {
      const a = evalExpr(e.arg, batch, ctx) as BoolVector;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const isNull = a.nulls !== null && a.nulls[i] === 1;
        const r = e.test === 'unknown' ? isNull : !isNull && a.values[i] === (e.test === 'true' ? 1 : 0);
        out[i] = (r ? 1 : 0) ^ (e.negated ? 1 : 0);
      }
      return boolVector(n, out, null);
    }
    case 'inlist':
      return evalInList(e.arg, e.list, e.negated, batch, ctx);
    case 'coalesce': {
      const vs = e.args.map((a) => evalExpr(a, batch, ctx));
      const pick = new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < vs.length; k++)
          if (vs[k].nulls === null || vs[k].nulls![i] === 0) {
            pick[i] = k;
            break;
          }
      return choose(e.type, vs, pick, n);
    }
    case 'case':
      return evalCase(e, batch, ctx);
    case 'call':
      return evalCall(e, batch, ctx);
    case 'subquery':
      return evalSubquery(e, batch, ctx);
  }
}

/** Row i takes vs[pick[i]][i] (NULL when pick is -1). */
function choose(type: DataType, vs: Vector[], pick: Int32Array, n: number): Vector {
  if (vs.length === 1 && pick.every((p) => p === 0)) return vs[0];
  const values: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = pick[i] === -1 ? null : getScalar(vs[pick[i]], i);
  return vectorFromScalars(type, values);
}

function evalBoolOp(kind: 'and' | 'or', args: Expr[], batch: Batch, ctx: ExecContext): Vector {
  const n = batch.length;
  // 3VL: AND is false if any false, else NULL if any NULL; OR dually.
  const decided = new Uint8Array(n);
  const anyNull = new Uint8Array(n);
  const stop = kind === 'and' ? 0 : 1;
  // Cheap arguments first over all rows; arguments with subqueries only on rows still undecided,
  // so a correlated subquery runs for the rows that survive the other conjuncts.
  const ordered = [...args.filter((a) => !containsSubquery(a)), ...args.filter(containsSubquery)];
  for (const a of ordered) {
    let rows: Uint32Array | null = null;
    if (containsSubquery(a)) {
      const open: number[] = [];
      for (let i = 0; i < n; i++) if (!decided[i]) open.push(i);
      if (open.length === 0) break;
      if (open.length < n) rows = Uint32Array.from(open);
    }
    const v = evalExpr(a, rows === null ? batch : subBatch(batch, rows), ctx) as BoolVector;
    const m = rows === null ? n : rows.length;
    for (let k = 0; k < m; k++) {
      const i = rows === null ? k : rows[k];
      if (decided[i]) continue;
      if (v.nulls !== null && v.nulls[k] === 1) anyNull[i] = 1;
      else if (v.values[k] === stop) decided[i] = 1;
    }
  }
  const out = new Uint8Array(n);
  let nulls: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (decided[i]) out[i] = stop;
    else if (anyNull[i]) (nulls ??= new Uint8Array(n))[i] = 1;
    else out[i] = stop ^ 1;
  }
  return boolVector(n, out, nulls);
}

const subqueryCache = new WeakMap<Expr, boolean>();
function containsSubquery(e: Expr): boolean {
  let r = subqueryCache.get(e);
  if (r === undefined) {
    r = JSON.stringify(e, (k, v) => (typeof v === 'bigint' ? 0 : v)).includes('"kind":"subquery"');
    subqueryCache.set(e, r);
  }
  return r;
}

function evalInList(argExpr: Expr, list: Expr[], negated: boolean, batch: Batch, ctx: ExecContext): Vector {
  const n = batch.length;
  const arg = evalExpr(argExpr, batch, ctx);
  const found = new Uint8Array(n);
  const sawNull = new Uint8Array(n);
  for (const item of list) {
    const eq = compareVectors('eq', arg, evalExpr(item, batch, ctx));
    for (let i = 0; i < n; i++) {
      if (eq.nulls !== null && eq.nulls[i] === 1) sawNull[i] = 1;
      else if (eq.values[i] === 1) found[i] = 1;
    }
  }
  const out = new Uint8Array(n);
  let nulls: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (arg.nulls !== null && arg.nulls[i] === 1) (nulls ??= new Uint8Array(n))[i] = 1;
    else if (found[i]) out[i] = negated ? 0 : 1;
    else if (sawNull[i]) (nulls ??= new Uint8Array(n))[i] = 1;
    else out[i] = negated ? 1 : 0;
  }
  return boolVector(n, out, nulls);
}

/** CASE evaluates each THEN only on the rows that reach it (so 1/x is not computed where x = 0 is excluded). */
function evalCase(e: Extract<Expr, { kind: 'case' }>, batch: Batch, ctx: ExecContext): Vector {
  const n = batch.length;
  const results: Scalar[] = new Array(n).fill(null);
  let remaining = Uint32Array.from({ length: n }, (_, i) => i);
  for (const w of e.whens) {
    if (remaining.length === 0) break;
    const sub = subBatch(batch, remaining);
    const cond = evalExpr(w.when, sub, ctx) as BoolVector;
    const hit: number[] = [];
    const miss: number[] = [];
    for (let k = 0; k < remaining.length; k++) {
      if ((cond.nulls === null || cond.nulls[k] === 0) && cond.values[k] === 1) hit.push(k);
      else miss.push(k);
    }
    if (hit.length > 0) {
      const hitRows = Uint32Array.from(hit, (k) => remaining[k]);
      const vals = evalExpr(w.then, subBatch(batch, hitRows), ctx);
      for (let k = 0; k < hitRows.length; k++) results[hitRows[k]] = getScalar(vals, k);
    }
    remaining = Uint32Array.from(miss, (k) => remaining[k]);
  }
  if (e.else !== null && remaining.length > 0) {
    const vals = evalExpr(e.else, subBatch(batch, remaining), ctx);
    for (let k = 0; k < remaining.length; k++) results[remaining[k]] = getScalar(vals, k);
  }
  return vectorFromScalars(e.type, results);
}

export function subBatch(batch: Batch, rows: Uint32Array): Batch {
  return { length: rows.length, columns: batch.columns.map((c) => gatherVector(c, rows)) };
}

// ---------------------------------------------------------------------------------------------
// Comparisons

type Cmp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

function cmpResult(op: Cmp, c: number): number {
  switch (op) {
    case 'eq':
      return c === 0 ? 1 : 0;
    case 'ne':
      return c !== 0 ? 1 : 0;
    case 'lt':
      return c < 0 ? 1 : 0;
    case 'le':
      return c <= 0 ? 1 : 0;
    case 'gt':
      return c > 0 ? 1 : 0;
    case 'ge':
      return c >= 0 ? 1 : 0;
  }
}

function isConstString(v: StringVector): boolean {
  return v.dict.length === 1 && v.nulls === null && v.codes.every((c) => c === 0);
}

export function compareVectors(op: Cmp, a: Vector, b: Vector): BoolVector {
  const n = a.length;
  const out = new Uint8Array(n);
  const nulls = orNulls([a, b], n);
  if ((a.kind === 'int32' || a.kind === 'int64' || a.kind === 'float64' || a.kind === 'timestamp') && a.kind === b.kind) {
    const x = a.values;
    const y = (b as typeof a).values;
    switch (op) {
      case 'eq': for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? 1 : 0; break;
      case 'ne': for (let i = 0; i < n; i++) out[i] = x[i] !== y[i] ? 1 : 0; break;
      case 'lt': for (let i = 0; i < n; i++) out[i] = x[i] < y[i] ? 1 : 0; break;
      case 'le': for (let i = 0; i < n; i++) out[i] = x[i] <= y[i] ? 1 : 0; break;
      case 'gt': for (let i = 0; i < n; i++) out[i] = x[i] > y[i] ? 1 : 0; break;
      case 'ge': for (let i = 0; i < n; i++) out[i] = x[i] >= y[i] ? 1 : 0; break;
    }
    return boolVector(n, out, nulls);
  }
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const c = new Int8Array(n);
    numericCompare(a, b, c);
    for (let i = 0; i < n; i++) out[i] = cmpResult(op, c[i]);
    return boolVector(n, out, nulls);
  }
  if (a.kind === 'string' && b.kind === 'string') {
    const bp = a.type.name === 'bpchar' || b.type.name === 'bpchar';
    const norm = (s: string) => (bp ? s.replace(/ +$/, '') : s);
    if (isConstString(b)) {
      // Evaluate once per dictionary entry of a.
      const target = norm(b.dict[0]);
      const perEntry = new Uint8Array(a.dict.length);
      for (let d = 0; d < a.dict.length; d++) {
        const s = norm(a.dict[d]);
        perEntry[d] = cmpResult(op, s < target ? -1 : s > target ? 1 : 0);
      }
      for (let i = 0; i < n; i++) out[i] = perEntry[a.codes[i]];
      return boolVector(n, out, nulls);
    }
    for (let i = 0; i < n; i++) {
      if (nulls !== null && nulls[i] === 1) continue;
      const s = norm(a.dict[a.codes[i]]);
      const t = norm(b.dict[b.codes[i]]);
      out[i] = cmpResult(op, s < t ? -1 : s > t ? 1 : 0);
    }
    return boolVector(n, out, nulls);
  }
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    out[i] = cmpResult(op, compareScalars(getScalar(a, i), getScalar(b, i), a.type));
  }
  return boolVector(n, out, nulls);
}

// ---------------------------------------------------------------------------------------------
// Calls

/** Applies fn row by row over scalar arguments; NULL in → NULL out (strict functions). */
function mapRows(args: Vector[], n: number, type: DataType, fn: (vals: Scalar[]) => Scalar): Vector {
  const out: Scalar[] = new Array(n);
  const vals: Scalar[] = new Array(args.length);
  for (let i = 0; i < n; i++) {
    let isNull = false;
    for (let k = 0; k < args.length; k++) {
      const v = getScalar(args[k], i);
      if (v === null) {
        isNull = true;
        break;
      }
      vals[k] = v;
    }
    out[i] = isNull ? null : fn(vals);
  }
  return vectorFromScalars(type, out);
}

/** A string → something function evaluated once per dictionary entry. */
function mapDict(v: StringVector, type: DataType, fn: (s: string) => Scalar): Vector {
  const n = v.length;
  if (type.storage === 'string') {
    const dict = v.dict.map((s) => fn(s) as string);
    return { kind: 'string', type, length: n, nulls: v.nulls, codes: v.codes, dict };
  }
  const perEntry = v.dict.map(fn);
  const values: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = v.nulls !== null && v.nulls[i] === 1 ? null : perEntry[v.codes[i]];
  return vectorFromScalars(type, values);
}

function rtrimSpaces(s: string): string {
  return s.replace(/ +$/, '');
}

const likeCache = new Map<string, RegExp>();
export function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const key = (insensitive ? 'i' : 's') + pattern;
  let re = likeCache.get(key);
  if (re !== undefined) return re;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) src += escapeRegex(pattern[++i]);
    else if (ch === '%') src += '.*';
    else if (ch === '_') src += '.';
    else src += escapeRegex(ch);
  }
  re = new RegExp('^' + src + '$', insensitive ? 'is' : 's');
  if (likeCache.size > 1000) likeCache.clear();
  likeCache.set(key, re);
  return re;
}
function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? '\\' + ch : ch;
}

const INT_LIMIT: Record<string, [number, number, string]> = {
  int2: [-32768, 32767, 'smallint'],
  int4: [-2147483648, 2147483647, 'integer'],
  int8: [-9007199254740991, 9007199254740991, 'bigint'],
};

function divisionByZero(): SqlError {
  return new SqlError(SqlState.divisionByZero, 'division by zero');
}

function intArith(fn: string, a: Vector, b: Vector, type: DataType): Vector {
  const n = a.length;
  const [lo, hi, name] = INT_LIMIT[type.name];
  const out = newVector(type, n) as { values: Int32Array | Float64Array; nulls: Uint8Array | null };
  const nulls = orNulls([a, b], n);
  out.nulls = nulls;
  const x = (a as { values: ArrayLike<number> }).values;
  const y = (b as { values: ArrayLike<number> }).values;
  const r = out.values;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    let v: number;
    switch (fn) {
      case 'add': v = x[i] + y[i]; break;
      case 'sub': v = x[i] - y[i]; break;
      case 'mul': v = x[i] * y[i]; break;
      case 'div':
        if (y[i] === 0) throw divisionByZero();
        v = Math.trunc(x[i] / y[i]);
        break;
      default:
        if (y[i] === 0) throw divisionByZero();
        v = x[i] % y[i];
    }
    if (v < lo || v > hi || !Number.isFinite(v)) throw new SqlError(SqlState.numericValueOutOfRange, `${name} out of range`);
    r[i] = v === 0 ? 0 : v;
  }
  return out as unknown as Vector;
}

function floatArith(fn: string, a: Vector, b: Vector, type: DataType): Vector {
  const n = a.length;
  const out = newVector(type, n) as { values: Float64Array; nulls: Uint8Array | null };
  const nulls = orNulls([a, b], n);
  out.nulls = nulls;
  const x = (a as { values: Float64Array }).values;
  const y = (b as { values: Float64Array }).values;
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    let v: number;
    switch (fn) {
      case 'add': v = x[i] + y[i]; break;
      case 'sub': v = x[i] - y[i]; break;
      case 'mul': v = x[i] * y[i]; break;
      case 'div':
        if (y[i] === 0) throw divisionByZero();
        v = x[i] / y[i];
        break;
      default:
        if (y[i] === 0) throw divisionByZero();
        v = x[i] % y[i];
    }
    if (!Number.isFinite(v) && Number.isFinite(x[i]) && Number.isFinite(y[i]))
      throw new SqlError(SqlState.numericValueOutOfRange, `value out of range: ${v > 0 ? 'overflow' : 'underflow'}`);
    out.values[i] = type.name === 'float4' ? Math.fround(v) : v;
  }
  return out as unknown as Vector;
}

function arith(e: CallExpr, args: Vector[], ctx: ExecContext): Vector {
  const [a, b] = args;
  const t = e.type;
  const n = a.length;
  const an = a.type.name;
  const bn = b?.type.name;
  if (t.name === 'int2' || t.name === 'int4' || t.name === 'int8') {
    if (an === 'date' && bn === 'date') return intArith('sub', a, b, t);
    if (an === t.name || an === 'int2' || an === 'int4' || an === 'int8') return intArith(e.fn, a, b, t);
  }
  if ((t.name === 'float8' || t.name === 'float4') && an === t.name) return floatArith(e.fn, a, b, t);
  if (t.name === 'numeric' && an === 'numeric') {
    const x = a as NumericVector;
    const y = b as NumericVector;
    switch (e.fn) {
      case 'add': return numericAdd(x, y);
      case 'sub': return numericSub(x, y);
      case 'mul': return numericMul(x, y);
      case 'div': checkNumericZero(y); return numericDiv(x, y);
      default: checkNumericZero(y); return numericMod(x, y);
    }
  }
  if (t.name === 'date') {
    const sign = e.fn === 'sub' ? -1 : 1;
    return mapRows([a, b], n, t, ([d, k]) => (d as number) + sign * (k as number));
  }
  if (t.name === 'interval') {
    if (an === 'interval' && bn === 'interval')
      return mapRows([a, b], n, t, ([x, y]) => {
        const p = x as Interval;
        const q = y as Interval;
        const s = e.fn === 'sub' ? -1 : 1;
        return { months: p.months + s * q.months, days: p.days + s * q.days, micros: p.micros + s * q.micros };
      });
    if (an === 'interval') return mapRows([a, b], n, t, ([x, f]) => scaleInterval(x as Interval, e.fn === 'div' ? 1 / zeroCheck(f as number) : (f as number)));
    return mapRows([a, b], n, t, ([x, y]) => timestampSub(x as number, y as number));
  }
  if (t.name === 'timestamp' || t.name === 'timestamptz') {
    const tz = t.name === 'timestamptz' ? ctx.format.timeZone : null;
    return mapRows([a, b], n, t, ([x, iv]) => {
      const i = iv as Interval;
      const signed = e.fn === 'sub' ? { months: -i.months, days: -i.days, micros: -i.micros } : i;
      return an === 'date' ? dateAddInterval(x as number, signed) : timestampAddInterval(x as number, signed, tz);
    });
  }
  throw new SqlError(SqlState.featureNotSupported, `operator ${e.fn} for ${an} and ${bn} is not implemented`);
}

function zeroCheck(f: number): number {
  if (f === 0) throw divisionByZero();
  return f;
}

function checkNumericZero(y: NumericVector): void {
  for (let i = 0; i < y.length; i++) if ((y.nulls === null || y.nulls[i] === 0) && y.values[i] === 0 && (y.wide === null || y.wide[i] === undefined)) throw divisionByZero();
}

/** interval * factor, spilling fractional months and days down as PostgreSQL's interval_mul. */
function scaleInterval(iv: Interval, f: number): Interval {
  const monthsF = iv.months * f;
  const months = Math.trunc(monthsF);
  const daysF = iv.days * f + (monthsF - months) * 30;
  const days = Math.trunc(daysF);
  const micros = Math.round(iv.micros * f + (daysF - days) * MICROS_PER_DAY);
  return { months, days, micros };
}

function extractField(field: string, type: DataType, value: number | Interval, tz: string): Decimal {
  const unit = canonicalUnit(field);
  if (type.name === 'interval') {
    const iv = value as Interval;
    const secs = iv.micros / 1e6;
    switch (unit) {
      case 'year': return decimal(BigInt(Math.trunc(iv.months / 12)), 0);
      case 'month': return decimal(BigInt(iv.months % 12), 0);
      case 'day': return decimal(BigInt(iv.days), 0);
      case 'hour': return decimal(BigInt(Math.trunc(secs / 3600)), 0);
      case 'minute': return decimal(BigInt(Math.trunc((secs % 3600) / 60)), 0);
      case 'second': return decimal(BigInt(Math.round((iv.micros % 60e6))), 6);
      case 'epoch': return decimal(BigInt(Math.round(iv.months * 30 * 86400e6 * 365.25 / 360 + iv.days * 86400e6 + iv.micros)), 6);
      default: throw unitNotRecognized(field, 'interval');
    }
  }
  const isDate = type.name === 'date';
  let micros = isDate ? (value as number) * MICROS_PER_DAY : (value as number);
  if (unit === 'epoch') return isDate ? decimal(BigInt(value as number) * 86400n, 0) : decimal(BigInt(Math.round(micros)), 6);
  if (type.name === 'timestamptz') micros += zoneOffsetMicros(tz, micros);
  const p = splitTimestamp(micros);
  const int = (x: number) => decimal(BigInt(x), 0);
  switch (unit) {
    case 'year': return int(p.year > 0 ? p.year : p.year - 1);
    case 'month': return int(p.month);
    case 'day': return int(p.day);
    case 'quarter': return int(Math.floor((p.month - 1) / 3) + 1);
    case 'dow': return int(isoDayOfWeek(p.days) % 7);
    case 'isodow': return int(isoDayOfWeek(p.days));
    case 'doy': return int(p.days - daysFromCivil(p.year, 1, 1) + 1);
    case 'week': return int(isoWeek(p.days).week);
    case 'isoyear': return int(isoWeek(p.days).isoYear);
    case 'decade': return int(Math.floor(p.year / 10));
    case 'century': return int(p.year > 0 ? Math.floor((p.year + 99) / 100) : -Math.floor((99 - (p.year - 1)) / 100));
    case 'millennium': return int(p.year > 0 ? Math.floor((p.year + 999) / 1000) : -Math.floor((999 - (p.year - 1)) / 1000));
    case 'hour':
      if (isDate) throw unitNotRecognized(field, 'date');
      return int(p.hour);
    case 'minute':
      if (isDate) throw unitNotRecognized(field, 'date');
      return int(p.minute);
    case 'second':
      if (isDate) throw unitNotRecognized(field, 'date');
      return decimal(BigInt(p.secondMicros), 6);
    case 'milliseconds':
      if (isDate) throw unitNotRecognized(field, 'date');
      return decimal(BigInt(p.secondMicros), 3);
    case 'microseconds':
      if (isDate) throw unitNotRecognized(field, 'date');
      return int(p.secondMicros);
    default:
      throw unitNotRecognized(field, isDate ? 'date' : type.name === 'timestamptz' ? 'timestamp with time zone' : 'timestamp without time zone');
  }
}

function evalCall(e: CallExpr, batch: Batch, ctx: ExecContext): Vector {
  const n = batch.length;
  const fn = e.fn;
  switch (fn) {
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return compareVectors(fn, evalExpr(e.args[0], batch, ctx), evalExpr(e.args[1], batch, ctx));
    case 'now':
      return constVector(Types.timestamptz, ctx.transactionStartMicros, n);
    case 'localtimestamp':
      return constVector(Types.timestamp, ctx.transactionStartMicros + zoneOffsetMicros(ctx.format.timeZone, ctx.transactionStartMicros), n);
    case 'current_date': {
      const local = ctx.transactionStartMicros + zoneOffsetMicros(ctx.format.timeZone, ctx.transactionStartMicros);
      return constVector(Types.date, Math.floor(local / MICROS_PER_DAY), n);
    }
    default:
      break;
  }
  const args = e.args.map((a) => evalExpr(a, batch, ctx));
  const t = e.type;
  switch (fn) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'mod':
      return arith(e, args, ctx);
    case 'neg': {
      const a = args[0];
      if (a.kind === 'numeric') return numericNeg(a);
      if (a.kind === 'interval') return mapRows(args, n, t, ([iv]) => scaleInterval(iv as Interval, -1));
      const [lo, hi, name] = INT_LIMIT[t.name] ?? [-Infinity, Infinity, ''];
      return mapRows(args, n, t, ([x]) => {
        const v = -(x as number);
        if (v < lo || v > hi) throw new SqlError(SqlState.numericValueOutOfRange, `${name} out of range`);
        return v;
      });
    }
    case 'concat':
      return mapRows(args, n, t, ([x, y]) => (x as string) + (y as string));
    case 'like':
    case 'ilike': {
      const [s, p] = args as StringVector[];
      if (isConstString(p) && s.kind === 'string') {
        const re = likeRegex(p.dict[0], fn === 'ilike');
        return mapDict(s, Types.bool, (x) => re.test(x));
      }
      return mapRows(args, n, t, ([x, pat]) => likeRegex(pat as string, fn === 'ilike').test(x as string));
    }
    case 'upper':
      return args[0].kind === 'string' ? mapDict(args[0], t, (s) => s.toUpperCase()) : mapRows(args, n, t, ([s]) => (s as string).toUpperCase());
    case 'lower':
      return args[0].kind === 'string' ? mapDict(args[0], t, (s) => s.toLowerCase()) : mapRows(args, n, t, ([s]) => (s as string).toLowerCase());
    case 'length':
    case 'char_length': {
      const bp = args[0].type.name === 'bpchar';
      const f = (s: string) => [...(bp ? rtrimSpaces(s) : s)].length;
      return args[0].kind === 'string' ? mapDict(args[0], t, f) : mapRows(args, n, t, ([s]) => f(String(s)));
    }
    case 'octet_length':
      return mapRows(args, n, t, ([s]) => Buffer.byteLength(String(s)));
    case 'btrim':
    case 'ltrim':
    case 'rtrim':
      return mapRows(args, n, t, ([s, chars]) => trimChars(s as string, (chars as string | undefined) ?? ' ', fn));
    case 'substring':
      return mapRows(args, n, t, ([s, start, count]) => sqlSubstring(s as string, start as number, count as number | undefined));
    case 'position':
    case 'strpos':
      return mapRows(args, n, t, ([hay, needle]) => [...(hay as string)].join('').indexOf(needle as string) === -1 ? 0 : [...(hay as string).slice(0, (hay as string).indexOf(needle as string))].length + 1);
    case 'replace':
      return mapRows(args, n, t, ([s, from, to]) => ((from as string) === '' ? (s as string) : (s as string).split(from as string).join(to as string)));
    case 'left':
      return mapRows(args, n, t, ([s, k]) => {
        const c = [...(s as string)];
        return (k as number) >= 0 ? c.slice(0, k as number).join('') : c.slice(0, Math.max(0, c.length + (k as number))).join('');
      });
    case 'right':
      return mapRows(args, n, t, ([s, k]) => {
        const c = [...(s as string)];
        return (k as number) >= 0 ? c.slice(Math.max(0, c.length - (k as number))).join('') : c.slice(-(k as number)).join('');
      });
    case 'lpad':
    case 'rpad':
      return mapRows(args, n, t, ([s, len, fill]) => pad(s as string, len as number, (fill as string | undefined) ?? ' ', fn === 'lpad'));
    case 'repeat':
      return mapRows(args, n, t, ([s, k]) => (s as string).repeat(Math.max(0, k as number)));
    case 'reverse':
      return mapRows(args, n, t, ([s]) => [...(s as string)].reverse().join(''));
    case 'md5':
      return mapRows(args, n, t, ([s]) => createHash('md5').update(s as string).digest('hex'));
    case 'concat_fn':
    case 'concat_ws':
      return concatFunctions(fn, args, n, t);
    case 'extract':
      return mapRows(args, n, t, ([field, v]) => extractField(field as string, args[1].type, v as number | Interval, ctx.format.timeZone));
    case 'date_part':
      return mapRows(args, n, t, ([field, v]) => Number(decimalToText(extractField(field as string, args[1].type, v as number | Interval, ctx.format.timeZone))));
    case 'date_trunc': {
      const tz = args[1].type.name === 'timestamptz' ? ctx.format.timeZone : null;
      return mapRows(args, n, t, ([field, v]) => {
        if (tz === null) return truncateMicros(field as string, v as number);
        const local = (v as number) + zoneOffsetMicros(tz, v as number);
        const truncated = truncateMicros(field as string, local);
        return truncated - zoneOffsetMicros(tz, truncated - zoneOffsetMicros(tz, truncated));
      });
    }
    case 'abs':
      if (args[0].kind === 'numeric') return numericAbs(args[0]);
      return mapRows(args, n, t, ([x]) => Math.abs(x as number));
    case 'round':
    case 'trunc':
      if (args[0].kind === 'numeric') {
        const digits = args.length > 1 ? (getScalar(args[1], 0) as number) : 0;
        if (args.length > 1 && !isUniform(args[1]))
          return mapRows(args, n, t, ([x, d]) => roundDecimal(x as Decimal, d as number, fn === 'trunc'));
        return fn === 'round' ? numericRound(args[0], digits) : numericTrunc(args[0], digits);
      }
      return mapRows(args, n, t, ([x]) => (fn === 'round' ? roundHalfEven(x as number) : Math.trunc(x as number)));
    case 'ceil':
      return args[0].kind === 'numeric' ? numericCeil(args[0]) : mapRows(args, n, t, ([x]) => Math.ceil(x as number));
    case 'floor':
      return args[0].kind === 'numeric' ? numericFloor(args[0]) : mapRows(args, n, t, ([x]) => Math.floor(x as number));
    case 'sqrt':
    case 'exp':
    case 'ln':
    case 'power':
    case 'sign':
      return mathFunction(fn, args, n, t);
    case 'nullif': {
      const eq = compareVectors('eq', args[0], args[1]);
      const values: Scalar[] = new Array(n);
      for (let i = 0; i < n; i++) values[i] = (eq.nulls === null || eq.nulls[i] === 0) && eq.values[i] === 1 ? null : getScalar(args[0], i);
      return vectorFromScalars(t, values);
    }
    case 'greatest':
    case 'least': {
      const values: Scalar[] = new Array(n);
      for (let i = 0; i < n; i++) {
        let best: Scalar = null;
        for (const a of args) {
          const v = getScalar(a, i);
          if (v === null) continue;
          if (best === null || (fn === 'greatest' ? compareScalars(v, best, t) > 0 : compareScalars(v, best, t) < 0)) best = v;
        }
        values[i] = best;
      }
      return vectorFromScalars(t, values);
    }
    default:
      throw new SqlError(SqlState.undefinedFunction, `function ${fn} is not implemented`);
  }
}

function isUniform(v: Vector): boolean {
  const first = getScalar(v, 0);
  for (let i = 1; i < v.length; i++) if (getScalar(v, i) !== first) return false;
  return true;
}

function decimalToText(d: Decimal): string {
  return decimalToString(d);
}

function roundDecimal(d: Decimal, digits: number, truncate: boolean): Decimal {
  const v = fromDecimals([d], Types.numeric, d.scale);
  const r = truncate ? numericTrunc(v, digits) : numericRound(v, digits);
  return decimalAt(r, 0).scale === r.scale ? decimalRound(decimalAt(r, 0), r.dscale?.[0] ?? r.scale) : decimalAt(r, 0);
}

/** float round(): half to even like C's rint. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function mathFunction(fn: string, args: Vector[], n: number, t: DataType): Vector {
  const numeric = t.name === 'numeric';
  const toNum = (x: Scalar) => (isDecimal(x) ? Number(decimalToText(x)) : (x as number));
  return mapRows(args, n, t, (vals) => {
    const x = toNum(vals[0]);
    let r: number;
    switch (fn) {
      case 'sqrt':
        if (x < 0) throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'cannot take square root of a negative number');
        r = Math.sqrt(x);
        break;
      case 'exp':
        r = Math.exp(x);
        break;
      case 'ln':
        if (x <= 0) throw new SqlError(SqlState.invalidArgumentForLogarithm, x === 0 ? 'cannot take logarithm of zero' : 'cannot take logarithm of a negative number');
        r = Math.log(x);
        break;
      case 'power':
        r = Math.pow(x, toNum(vals[1]));
        break;
      default:
        r = Math.sign(x);
    }
    if (!numeric) return r;
    // numeric results of transcendental functions: 16 significant digits, as a readable approximation.
    const d = parseDecimal(Number.isInteger(r) ? String(r) : r.toPrecision(17).replace(/0+$/, '').replace(/\.$/, ''));
    if (d === null) throw new SqlError(SqlState.numericValueOutOfRange, 'value out of range');
    return fn === 'sign' ? decimal(BigInt(r), 0) : decimalRound(d, Math.max(0, Math.min(d.scale, 16)));
  });
}

function concatFunctions(fn: string, args: Vector[], n: number, t: DataType): Vector {
  const values: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (fn === 'concat_ws') {
      const sep = getScalar(args[0], i);
      if (sep === null) {
        values[i] = null;
        continue;
      }
      const parts: string[] = [];
      for (let k = 1; k < args.length; k++) {
        const v = getScalar(args[k], i);
        if (v !== null) parts.push(v as string);
      }
      values[i] = parts.join(sep as string);
    } else {
      let s = '';
      for (const a of args) {
        const v = getScalar(a, i);
        if (v !== null) s += v as string;
      }
      values[i] = s;
    }
  }
  return vectorFromScalars(t, values);
}

function trimChars(s: string, chars: string, fn: string): string {
  const set = new Set([...chars]);
  const c = [...s];
  let start = 0;
  let end = c.length;
  if (fn !== 'rtrim') while (start < end && set.has(c[start])) start++;
  if (fn !== 'ltrim') while (end > start && set.has(c[end - 1])) end--;
  return c.slice(start, end).join('');
}

/** SQL substring(s FROM start FOR count): positions are 1-based and may start before 1. */
function sqlSubstring(s: string, start: number, count: number | undefined): string {
  const chars = [...s];
  if (count !== undefined && count < 0) throw new SqlError(SqlState.substringError, 'negative substring length not allowed');
  const from = Math.max(start, 1);
  const to = count === undefined ? chars.length + 1 : Math.min(start + count, chars.length + 1);
  if (to <= from) return '';
  return chars.slice(from - 1, to - 1).join('');
}

function pad(s: string, len: number, fill: string, left: boolean): string {
  const c = [...s];
  if (len <= c.length) return c.slice(0, Math.max(0, len)).join('');
  if (fill === '') return s;
  const f = [...fill];
  const padChars: string[] = [];
  for (let i = 0; padChars.length < len - c.length; i++) padChars.push(f[i % f.length]);
  return left ? padChars.join('') + s : s + padChars.join('');
}

