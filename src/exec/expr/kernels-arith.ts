// Arithmetic operators: integers with PostgreSQL's overflow errors, floats with its overflow and
// underflow checks, exact numeric through types/numeric, and date/timestamp/interval arithmetic
// through types/datetime. NULL in → NULL out (no error is raised for a NULL row).
import { FunctionName } from '../../plan/expr';
import { DataType } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { Float64Vector, Int32Vector, IntervalVector, NumericVector, Vector } from '../../types/vector';
import { newVector } from '../../types/vector-ops';
import { numericAdd, numericDiv, numericFromInt, numericMod, numericMul, numericNeg, numericSub } from '../../types/numeric';
import { MICROS_PER_DAY, dateAddInterval, timestampAddInterval, timestampSub } from '../../types/datetime';
import { orNulls } from '../vector-util';
import { CompiledExpr, ExprEnv, VectorFn } from './compiled';

export const INT_RANGE: Record<string, { lo: number; hi: number; message: string }> = {
  int2: { lo: -32768, hi: 32767, message: 'smallint out of range' },
  int4: { lo: -2147483648, hi: 2147483647, message: 'integer out of range' },
  // int8 lives in a Float64Array: exact to 2^53; beyond that values are approximate, and 2^63 is the hard limit.
  int8: { lo: -9223372036854775808, hi: 9223372036854775807, message: 'bigint out of range' },
  date: { lo: -2147483648, hi: 2147483647, message: 'date out of range' },
};

export function divisionByZero(): SqlError {
  return new SqlError(SqlState.divisionByZero, 'division by zero');
}
export function outOfRange(message: string): SqlError {
  return new SqlError(SqlState.numericValueOutOfRange, message);
}

type Values = Int32Array | Float64Array;

function intArith(fn: FunctionName, a: Vector, b: Vector, type: DataType): Vector {
  const n = a.length;
  const range = INT_RANGE[type.name];
  const lo = range.lo;
  const hi = range.hi;
  const int8 = type.name === 'int8';
  const out = newVector(type, n) as Int32Vector | Float64Vector;
  const nulls = orNulls([a, b], n);
  out.nulls = nulls;
  const x = (a as Int32Vector).values as Values;
  const y = (b as Int32Vector).values as Values;
  const r = out.values;
  let bad = -1;
  switch (fn) {
    case 'add':
      for (let i = 0; i < n; i++) {
        const v = x[i] + y[i];
        if (v < lo || v > hi || (int8 && v >= hi)) bad = i;
        r[i] = v;
      }
      break;
    case 'sub':
      for (let i = 0; i < n; i++) {
        const v = x[i] - y[i];
        if (v < lo || v > hi || (int8 && v >= hi)) bad = i;
        r[i] = v;
      }
      break;
    case 'mul':
      for (let i = 0; i < n; i++) {
        const v = x[i] * y[i];
        if (v < lo || v > hi || (int8 && v >= hi)) bad = i;
        r[i] = v === 0 ? 0 : v;
      }
      break;
    case 'div':
      for (let i = 0; i < n; i++) {
        const d = y[i];
        if (d === 0) {
          if (nulls === null || nulls[i] === 0) throw divisionByZero();
          continue;
        }
        const v = Math.trunc(x[i] / d);
        if (v > hi || (int8 && v >= hi)) bad = i;
        r[i] = v === 0 ? 0 : v;
      }
      break;
    case 'mod':
      for (let i = 0; i < n; i++) {
        const d = y[i];
        if (d === 0) {
          if (nulls === null || nulls[i] === 0) throw divisionByZero();
          continue;
        }
        const v = x[i] % d;
        r[i] = v === 0 ? 0 : v;
      }
      break;
    default:
      throw new Error(`intArith ${fn}`);
  }
  // Int32Array stores wrap: find the overflowing non-NULL row (if any) from the inputs.
  if (bad !== -1) recheckWrapped(fn, x, y, nulls, n, lo, hi, range.message);
  return out;
}

/** Int32Array stores wrap on overflow; find overflowing rows from the inputs. */
function recheckWrapped(fn: FunctionName, x: Values, y: Values, nulls: Uint8Array | null, n: number, lo: number, hi: number, message: string): void {
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const v = fn === 'add' ? x[i] + y[i] : fn === 'sub' ? x[i] - y[i] : fn === 'mul' ? x[i] * y[i] : fn === 'div' ? Math.trunc(x[i] / y[i]) : 0;
    if (v < lo || v > hi || (hi > 2147483647 && v >= hi)) throw outOfRange(message);
  }
}

function floatArith(fn: FunctionName, a: Vector, b: Vector, type: DataType): Vector {
  const n = a.length;
  const out = newVector(type, n) as Float64Vector;
  const nulls = orNulls([a, b], n);
  out.nulls = nulls;
  const x = (a as Float64Vector).values;
  const y = (b as Float64Vector).values;
  const r = out.values;
  const f4 = type.name === 'float4';
  for (let i = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const p = x[i];
    const q = y[i];
    let v: number;
    switch (fn) {
      case 'add': v = p + q; break;
      case 'sub': v = p - q; break;
      case 'mul': v = p * q; break;
      case 'div':
        if (q === 0) throw divisionByZero();
        v = p / q;
        break;
      default:
        if (q === 0) throw divisionByZero();
        v = p % q;
    }
    if (f4) v = Math.fround(v);
    checkFloat(v, p, q, fn);
    r[i] = v;
  }
  return out;
}

/** float8_pl / float8_mul / float8_div checks: overflow when finite inputs give Inf, underflow when non-zero give 0. */
export function checkFloat(v: number, p: number, q: number, fn: FunctionName): void {
  if (v === Infinity || v === -Infinity) {
    if (isFinite(p) && isFinite(q)) throw outOfRange('value out of range: overflow');
  } else if (v === 0 && (fn === 'mul' ? p !== 0 && q !== 0 : fn === 'div' ? p !== 0 && isFinite(q) : false)) throw outOfRange('value out of range: underflow');
}

function numericArith(fn: FunctionName, a: Vector, b: Vector, type: DataType): Vector {
  const x = (a.kind === 'numeric' ? a : numericFromInt(a)) as NumericVector;
  const y = (b.kind === 'numeric' ? b : numericFromInt(b)) as NumericVector;
  switch (fn) {
    case 'add': return numericAdd(x, y, type);
    case 'sub': return numericSub(x, y, type);
    case 'mul': return numericMul(x, y, type);
    case 'div': return numericDiv(x, y, type);
    default: return numericMod(x, y, type);
  }
}

/** Applies f to each non-NULL row (date/interval arithmetic: per-row calendar math is the work anyway). */
function rowwise(type: DataType, a: Vector, b: Vector, set: (out: Vector, i: number) => void): Vector {
  const n = a.length;
  const out = newVector(type, n);
  const nulls = orNulls([a, b], n);
  out.nulls = nulls;
  for (let i = 0; i < n; i++) if (nulls === null || nulls[i] === 0) set(out, i);
  return out;
}

function ivAt(v: IntervalVector, i: number) {
  return { months: v.months[i], days: v.days[i], micros: v.micros[i] };
}
function setIv(out: Vector, i: number, iv: { months: number; days: number; micros: number }): void {
  const o = out as IntervalVector;
  o.months[i] = iv.months;
  o.days[i] = iv.days;
  o.micros[i] = iv.micros;
}

/** interval * factor, spilling fractional months into days and days into time, as PostgreSQL's interval_mul. */
export function scaleInterval(iv: { months: number; days: number; micros: number }, f: number): { months: number; days: number; micros: number } {
  const monthsF = iv.months * f;
  const months = Math.trunc(monthsF);
  const daysF = iv.days * f + (monthsF - months) * 30;
  const days = Math.trunc(daysF);
  const micros = Math.round(iv.micros * f + (daysF - days) * MICROS_PER_DAY);
  if (!isFinite(monthsF) || Math.abs(months) > 2147483647 || Math.abs(days) > 2147483647) throw outOfRange('interval out of range');
  return { months, days, micros: micros === 0 ? 0 : micros };
}

function intervalKernel(fn: FunctionName, a: Vector, b: Vector, type: DataType, tz: string): Vector {
  const an = a.type.name;
  const bn = b.type.name;
  const sign = fn === 'sub' ? -1 : 1;
  if (an === 'date' && (bn === 'int4' || bn === 'int2' || bn === 'int8')) {
    const x = (a as Int32Vector).values;
    const y = (b as { values: ArrayLike<number> }).values;
    return rowwise(type, a, b, (o, i) => {
      const d = x[i] + sign * y[i];
      if (d < -2147483648 || d > 2147483647) throw outOfRange('date out of range');
      (o as Int32Vector).values[i] = d;
    });
  }
  if (an === 'date' && bn === 'date') {
    const x = (a as Int32Vector).values;
    const y = (b as Int32Vector).values;
    return rowwise(type, a, b, (o, i) => ((o as Int32Vector).values[i] = x[i] - y[i]));
  }
  if (an === 'date' && bn === 'interval') {
    const x = (a as Int32Vector).values;
    const iv = b as IntervalVector;
    return rowwise(type, a, b, (o, i) => {
      const v = ivAt(iv, i);
      (o as Float64Vector).values[i] = dateAddInterval(x[i], sign === 1 ? v : negate(v));
    });
  }
  if ((an === 'timestamp' || an === 'timestamptz') && bn === 'interval') {
    const x = (a as Float64Vector).values;
    const iv = b as IntervalVector;
    const zone = an === 'timestamptz' ? tz : null;
    return rowwise(type, a, b, (o, i) => {
      const v = ivAt(iv, i);
      (o as Float64Vector).values[i] = timestampAddInterval(x[i], sign === 1 ? v : negate(v), zone);
    });
  }
  if ((an === 'timestamp' || an === 'timestamptz') && (bn === 'timestamp' || bn === 'timestamptz')) {
    const x = (a as Float64Vector).values;
    const y = (b as Float64Vector).values;
    return rowwise(type, a, b, (o, i) => setIv(o, i, timestampSub(x[i], y[i])));
  }
  if (an === 'interval' && bn === 'interval') {
    const x = a as IntervalVector;
    const y = b as IntervalVector;
    return rowwise(type, a, b, (o, i) => {
      const months = x.months[i] + sign * y.months[i];
      const days = x.days[i] + sign * y.days[i];
      if (Math.abs(months) > 2147483647 || Math.abs(days) > 2147483647) throw outOfRange('interval out of range');
      setIv(o, i, { months, days, micros: x.micros[i] + sign * y.micros[i] });
    });
  }
  if (an === 'interval' && (fn === 'mul' || fn === 'div')) {
    const x = a as IntervalVector;
    const y = (b as { values: ArrayLike<number> }).values;
    return rowwise(type, a, b, (o, i) => {
      const f = y[i];
      if (fn === 'div' && f === 0) throw divisionByZero();
      setIv(o, i, scaleInterval(ivAt(x, i), fn === 'div' ? 1 / f : f));
    });
  }
  throw new SqlError(SqlState.undefinedFunction, `operator does not exist: ${a.type.name} ${fn} ${b.type.name}`);
}

function negate(iv: { months: number; days: number; micros: number }) {
  return { months: -iv.months, days: -iv.days, micros: -iv.micros };
}

function negKernel(a: Vector, type: DataType): Vector {
  if (a.kind === 'numeric') return numericNeg(a);
  const n = a.length;
  if (a.kind === 'interval') return rowwise(type, a, a, (o, i) => setIv(o, i, negate(ivAt(a, i))));
  const out = newVector(type, n) as Int32Vector | Float64Vector;
  out.nulls = a.nulls;
  const x = (a as Int32Vector | Float64Vector).values;
  const range = INT_RANGE[type.name];
  for (let i = 0; i < n; i++) {
    const v = -x[i];
    if (range !== undefined && (v > range.hi || (type.name === 'int8' && v >= range.hi)) && (a.nulls === null || a.nulls[i] === 0)) throw outOfRange(range.message);
    out.values[i] = v;
  }
  return out;
}

export function arithKernel(fn: FunctionName, args: CompiledExpr[], type: DataType, env: ExprEnv): VectorFn {
  const fa = args[0].eval;
  if (fn === 'neg') return (batch) => negKernel(fa(batch), type);
  let fb = args[1].eval;
  let first = fa;
  const an = args[0].type.name;
  const bn = args[1].type.name;
  // int + date, interval + date/timestamp, float * interval: put the date/time operand first.
  const swap =
    fn === 'add' && ((bn === 'date' && an !== 'date') || (an === 'interval' && bn !== 'interval')) ? true : fn === 'mul' && bn === 'interval' && an !== 'interval';
  if (swap) {
    first = fb;
    fb = fa;
  }
  const lead = swap ? args[1].type : args[0].type;
  const tz = env.ctx.format.timeZone;
  if (lead.name === 'date' || lead.name === 'timestamp' || lead.name === 'timestamptz' || lead.name === 'interval')
    return (batch) => intervalKernel(fn, first(batch), fb(batch), type, tz);
  switch (type.name) {
    case 'int2':
    case 'int4':
    case 'int8':
      return (batch) => intArith(fn, first(batch), fb(batch), type);
    case 'float4':
    case 'float8':
      return (batch) => floatArith(fn, first(batch), fb(batch), type);
    case 'numeric':
      return (batch) => numericArith(fn, first(batch), fb(batch), type);
    default:
      throw new SqlError(SqlState.undefinedFunction, `operator does not exist: ${an} ${fn} ${bn}`);
  }
}
