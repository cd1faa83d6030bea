// Numeric functions: abs, round, trunc, ceil, floor, sqrt, power, exp, ln, sign — float8 over
// typed arrays, numeric exactly through types/numeric (round/trunc/ceil/floor/abs) or, for the
// transcendental ones, through float8 with PostgreSQL's result scale (approximate in the last digits).
import { decimalExp, decimalLn, decimalLog, decimalPower } from '../../types/decimal-math';
import { FunctionName } from '../../plan/expr';
import { DataType, Types } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { Decimal, Float64Vector, Int32Vector, NumericVector, Scalar } from '../../types/vector';
import { decimalSqrtAtScale } from '../aggregates/decimal-sqrt';
import { newVector } from '../../types/vector-ops';
import { decimal, decimalAt, decimalRound, decimalToString, numericAbs, numericCeil, numericFloor, numericRound, numericTrunc, parseDecimal } from '../../types/numeric';
import { CompiledExpr, VectorFn } from './compiled';
import { rowKernel } from './kernels-string';
import { INT_RANGE, checkFloat, outOfRange } from './kernels-arith';

/** C's rint(): round half to even (float8 round()). */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function mapFloat(arg: CompiledExpr, type: DataType, f: (x: number) => number): VectorFn {
  const ev = arg.eval;
  return (batch) => {
    const v = ev(batch) as Float64Vector | Int32Vector;
    const n = v.length;
    const out = newVector(type, n) as Float64Vector | Int32Vector;
    out.nulls = v.nulls;
    const x = v.values;
    const r = out.values;
    const nulls = v.nulls;
    for (let i = 0; i < n; i++) if (nulls === null || nulls[i] === 0) r[i] = f(x[i]);
    return out;
  };
}

function sqrtFloat(x: number): number {
  if (x < 0) throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'cannot take square root of a negative number');
  return Math.sqrt(x);
}
function lnFloat(x: number): number {
  if (x === 0) throw new SqlError(SqlState.invalidArgumentForLogarithm, 'cannot take logarithm of zero');
  if (x < 0) throw new SqlError(SqlState.invalidArgumentForLogarithm, 'cannot take logarithm of a negative number');
  return Math.log(x);
}
function expFloat(x: number): number {
  const r = Math.exp(x);
  if (r === Infinity && isFinite(x)) throw outOfRange('value out of range: overflow');
  if (r === 0 && isFinite(x)) throw outOfRange('value out of range: underflow');
  return r;
}
function powerFloat(x: number, y: number): number {
  if (x === 0 && y < 0) throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'zero raised to a negative power is undefined');
  if (x < 0 && !Number.isInteger(y) && isFinite(y)) throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'a negative number raised to a non-integer power yields a complex result');
  const r = Math.pow(x, y);
  checkFloat(r, x, y, 'mul');
  return r;
}

/** Base-10000 weight of |d| (numeric.c's NumericVar.weight). */
function weight10000(d: Decimal): number {
  const abs = d.digits < 0n ? -d.digits : d.digits;
  if (abs === 0n) return 0;
  const intDigits = abs.toString().length - d.scale;
  return Math.floor((intDigits - 1) / 4);
}

/** numeric sqrt with numeric_sqrt's result scale, rounded exactly. */
export function decimalSqrt(d: Decimal): Decimal {
  if (d.digits < 0n) throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'cannot take square root of a negative number');
  const sweight = Math.floor(((weight10000(d) + 1) * 4) / 2) - 1;
  let rscale = 16 - sweight;
  rscale = Math.max(rscale, d.scale, 0);
  rscale = Math.min(rscale, 1000);
  return decimalSqrtAtScale(d, rscale);
}

function floatToDecimal(r: number, scale: number): Decimal {
  if (!isFinite(r)) throw outOfRange('value out of range: overflow');
  const d = parseDecimal(r.toFixed(Math.min(scale, 100)));
  if (d === null) throw outOfRange('value out of range: overflow');
  return d;
}

function toNumber(d: Decimal): number {
  return Number(decimalToString(d));
}

/** Decimal digits of |d|'s first significant digit (numeric.c estimate of log10 for ln/exp scales). */
function log10Weight(x: number): number {
  return x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
}

/** numeric.c's estimate_ln_dweight: the decimal weight of ln(d), which sets ln's result scale. */
function estimateLnDweight(d: Decimal, x: number): number {
  if (x >= 0.9 && x <= 1.1) {
    // ln(1 + t) ≈ t: the weight of t's leading decimal digit.
    const t = d.digits - 10n ** BigInt(d.scale);
    if (t === 0n) return 0;
    return (t < 0n ? -t : t).toString().length - 1 - d.scale;
  }
  return Math.trunc(Math.log10(Math.abs(Math.log(x))));
}

function numericTranscendental(fn: FunctionName, vals: Scalar[]): Scalar {
  const d = vals[0] as Decimal;
  const x = toNumber(d);
  switch (fn) {
    case 'sqrt':
      return decimalSqrt(d);
    case 'ln': {
      lnFloat(x); // the argument checks (zero, negative)
      return decimalLn(d, Math.min(1000, Math.max(16 - estimateLnDweight(d, x), d.scale, 0)));
    }
    case 'exp': {
      const r = expFloat(x);
      if (!isFinite(r)) throw outOfRange('value out of range: overflow');
      // numeric_exp: the result's decimal weight is (int)(x · log10 e), truncated toward zero.
      return decimalExp(d, Math.min(1000, Math.max(16 - Math.trunc(x * 0.434294481903252), d.scale, 0)), x);
    }
    case 'power': {
      const e = vals[1] as Decimal;
      const y = toNumber(e);
      if (x === 0 && y < 0) throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'zero raised to a negative power is undefined');
      if (x < 0 && e.digits % 10n ** BigInt(e.scale) !== 0n)
        throw new SqlError(SqlState.invalidArgumentForPowerFunction, 'a negative number raised to a non-integer power yields a complex result');
      // Integer exponents are exact (power_var_int); the scale follows numeric_power.
      if (e.digits % 10n ** BigInt(e.scale) === 0n) {
        const k = e.digits / 10n ** BigInt(e.scale);
        if (k >= 0n && k <= 1000n) {
          const exact = decimal(d.digits ** k, d.scale * Number(k));
          const r = toNumber(exact);
          const rscale = Math.min(1000, Math.max(16 - log10Weight(r), d.scale, 0));
          return decimalRound(exact, Math.max(rscale, 0));
        }
      }
      const r = powerFloat(x, y);
      if (x <= 0) return floatToDecimal(r, Math.min(1000, Math.max(16 - log10Weight(r), d.scale, e.scale, 0)));
      // power_var: the result's decimal weight is (int)(y · ln x · log10 e), truncated toward zero.
      const lnr = y * Math.log(x);
      const scale = Math.min(1000, Math.max(16 - Math.trunc(lnr * 0.434294481903252), d.scale, e.scale, 0));
      return decimalPower(d, e, scale, lnr, y);
    }
    case 'log': {
      // One argument: log10(x); two: log(base, x) — numeric.c's log_var result scale.
      const [b, v] = vals.length === 2 ? [vals[0] as Decimal, vals[1] as Decimal] : [decimal(10n, 0), d];
      for (const z of [b, v]) {
        if (z.digits === 0n) throw new SqlError(SqlState.invalidArgumentForLogarithm, 'cannot take logarithm of zero');
        if (z.digits < 0n) throw new SqlError(SqlState.invalidArgumentForLogarithm, 'cannot take logarithm of a negative number');
      }
      const bx = toNumber(b);
      const vx = toNumber(v);
      if (bx === 1) throw new SqlError(SqlState.divisionByZero, 'division by zero');
      const lnBase = estimateLnDweight(b, bx);
      const lnNum = estimateLnDweight(v, vx);
      const resultDweight = lnNum - lnBase;
      const scale = Math.min(1000, Math.max(16 - resultDweight, b.scale, v.scale, 0));
      return decimalLog(b, v, scale, Math.max(0, -lnBase) + Math.max(0, resultDweight));
    }
    default:
      throw new Error(fn);
  }
}

function numericSign(d: Decimal): Decimal {
  return decimal(d.digits > 0n ? 1n : d.digits < 0n ? -1n : 0n, 0);
}

export function mathKernel(fn: FunctionName, args: CompiledExpr[], type: DataType): VectorFn {
  if (fn === 'pi')
    return (b) => {
      const v = newVector(type, b.length) as Float64Vector;
      v.values.fill(Math.PI);
      return v;
    };
  const arg = args[0];
  const numeric = arg.type.storage === 'numeric';
  const ev = arg.eval;
  switch (fn) {
    case 'abs': {
      if (numeric) return (b) => numericAbs(ev(b) as NumericVector);
      const range = INT_RANGE[type.name];
      return mapFloat(arg, type, (x) => {
        const r = Math.abs(x);
        if (range !== undefined && (r > range.hi || (type.name === 'int8' && r >= range.hi))) throw outOfRange(range.message);
        return r;
      });
    }
    case 'round':
    case 'trunc': {
      if (numeric) {
        const digitsArg = args[1];
        if (digitsArg === undefined || digitsArg.isConst) {
          const digits = digitsArg === undefined ? 0 : (digitsArg.value as number | null);
          if (digits === null) return rowKernel(args, type, () => null);
          return (b) => (fn === 'round' ? numericRound(ev(b) as NumericVector, digits) : numericTrunc(ev(b) as NumericVector, digits));
        }
        return rowKernel(args, type, ([d, k]) => {
          const v = oneRow(d as Decimal);
          const r = fn === 'round' ? numericRound(v, k as number) : numericTrunc(v, k as number);
          return decimalAt(r, 0);
        });
      }
      return mapFloat(arg, type, fn === 'round' ? rint : Math.trunc);
    }
    case 'ceil':
      return numeric ? (b) => numericCeil(ev(b) as NumericVector) : mapFloat(arg, type, Math.ceil);
    case 'floor':
      return numeric ? (b) => numericFloor(ev(b) as NumericVector) : mapFloat(arg, type, Math.floor);
    case 'sign':
      return numeric ? rowKernel(args, type, ([d]) => numericSign(d as Decimal)) : mapFloat(arg, type, (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x));
    case 'sqrt':
    case 'exp':
    case 'ln':
      if (numeric) return rowKernel(args, type, memoized(fn));
      return mapFloat(arg, type, fn === 'sqrt' ? sqrtFloat : fn === 'exp' ? expFloat : lnFloat);
    case 'power':
      if (numeric) return rowKernel(args, type, memoized(fn));
      return rowKernel(args, type, ([x, y]) => powerFloat(x as number, y as number));
    case 'log':
      // log(x) is log10; log(b, x) takes the base first.
      if (numeric) return rowKernel(args, type, memoized(fn));
      return mapFloat(arg, type, (x) => {
        if (x === 0) throw new SqlError(SqlState.invalidArgumentForLogarithm, 'cannot take logarithm of zero');
        if (x < 0) throw new SqlError(SqlState.invalidArgumentForLogarithm, 'cannot take logarithm of a negative number');
        return Math.log10(x);
      });
    case 'cbrt':
      return mapFloat(arg, type, Math.cbrt);
    case 'degrees':
      return mapFloat(arg, type, (x) => (x * 180) / Math.PI);
    case 'radians':
      return mapFloat(arg, type, (x) => x * (Math.PI / 180));
    case 'div_trunc':
      return rowKernel(args, type, ([a, b]) => {
        const x = a as Decimal;
        const y = b as Decimal;
        if (y.digits === 0n) throw new SqlError(SqlState.divisionByZero, 'division by zero');
        // Truncated integer quotient: align the scales, then BigInt division truncates toward zero.
        const num = x.digits * 10n ** BigInt(Math.max(0, y.scale - x.scale));
        const den = y.digits * 10n ** BigInt(Math.max(0, x.scale - y.scale));
        return decimal(num / den, 0);
      });
    default:
      throw new Error(`mathKernel ${fn}`);
  }
}

/**
 * Exact numeric sqrt/exp/ln/power cost BigInt work per value; columns repeat values, so each
 * kernel remembers the results of the last few thousand distinct arguments.
 */
function memoized(fn: FunctionName): (vals: Scalar[]) => Scalar {
  const cache = new Map<string, Scalar>();
  return (vals) => {
    let key = '';
    for (const v of vals) key += (v as Decimal).digits.toString() + 'e' + (v as Decimal).scale + ',';
    let r = cache.get(key);
    if (r === undefined) {
      r = numericTranscendental(fn, vals);
      if (cache.size >= 4096) cache.clear();
      cache.set(key, r);
    }
    return r;
  };
}

function oneRow(d: Decimal): NumericVector {
  const v = newVector(Types.numeric, 1, d.scale) as NumericVector;
  const x = Number(d.digits);
  if (Number.isSafeInteger(x)) v.values[0] = x;
  else {
    v.values[0] = NaN;
    v.wide = [d.digits];
  }
  return v;
}
