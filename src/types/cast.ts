// Conversions between types, with PostgreSQL's rounding and errors. Common numeric and date casts
// run over whole vectors; the rest go value by value through castScalar.
import { DataType, formatType, isOpaqueString, numericScale } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { Decimal, Interval, NumericVector, Scalar, Vector, isDecimal } from './vector';
import { getScalar, newVector, vectorFromScalars } from './vector-ops';
import { decimal, decimalToString, fitTypmod, numericFromInt, numericRescale, numericToFloat, parseDecimal, rescaleDigits } from './numeric';
import { FormatSettings, fitCharLength, formatScalar, parseScalar } from './text-format';
import { MICROS_PER_DAY, zoneOffsetMicros } from './datetime';
import { elementText, elementValue, formatArray, parseArrayLiteral } from './array-text';

const INT_LIMITS: Record<string, [number, number, string]> = {
  int2: [-32768, 32767, 'smallint'],
  int4: [-2147483648, 2147483647, 'integer'],
  int8: [-9007199254740991, 9007199254740991, 'bigint'],
};

function isInt(t: DataType): boolean {
  return t.name === 'int2' || t.name === 'int4' || t.name === 'int8';
}
function isFloat(t: DataType): boolean {
  return t.name === 'float4' || t.name === 'float8';
}
/** Text-category types (bytea, uuid and json live in StringVectors too but are not text). */
function isText(t: DataType): boolean {
  return t.storage === 'string' && !isOpaqueString(t);
}

function cannotCast(from: DataType, to: DataType): SqlError {
  return new SqlError(SqlState.cannotCoerce, `cannot cast type ${formatType(from)} to ${formatType(to)}`);
}

function outOfRange(to: DataType): SqlError {
  return new SqlError(SqlState.numericValueOutOfRange, `${INT_LIMITS[to.name][2]} out of range`);
}

/** bpchar semantics: trailing spaces are not significant (a loop: the regex / +$/ is slow on long dictionaries). */
export function trimTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Round half to even (float → integer casts, PostgreSQL's rint). */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero (numeric → integer casts). */
function roundAway(d: Decimal): number {
  return Number(rescaleDigits(d.digits, d.scale, 0));
}

export function castScalar(value: Scalar, from: DataType, to: DataType, fs: FormatSettings, explicit: boolean): Scalar {
  if (value === null) return null;
  if (from.name === to.name && from.typmod === to.typmod && from.elem === to.elem) return value;
  // Anything to text: its text output.
  if (isText(to)) {
    const text = isText(from) ? (from.name === 'bpchar' && to.name !== 'bpchar' ? trimTrailingSpaces(value as string) : (value as string)) : formatScalar(from, value, fs)!;
    return fitCharLength(to, text, explicit);
  }
  if (isText(from) || from.name === 'unknown') return parseScalar(to, value as string, fs);
  if (from.name === 'array' && to.name === 'array') return castArray(value as string, from, to, fs, explicit);
  // json ↔ jsonb: through the text form (json → jsonb normalizes it).
  if ((from.name === 'json' || from.name === 'jsonb') && (to.name === 'json' || to.name === 'jsonb')) return parseScalar(to, value as string, fs);
  if (isInt(to)) {
    const [lo, hi] = INT_LIMITS[to.name];
    let n: number;
    if (isInt(from)) n = value as number;
    else if (isFloat(from)) {
      if (!Number.isFinite(value as number)) throw outOfRange(to);
      n = rint(value as number);
    } else if (from.name === 'numeric') n = roundAway(value as Decimal);
    else if (from.name === 'bool' && to.name === 'int4') n = value ? 1 : 0;
    else throw cannotCast(from, to);
    if (n < lo || n > hi) throw outOfRange(to);
    return n;
  }
  if (isFloat(to)) {
    let x: number;
    if (isInt(from) || isFloat(from)) x = value as number;
    else if (from.name === 'numeric') x = Number(decimalToString(value as Decimal));
    else throw cannotCast(from, to);
    return to.name === 'float4' ? Math.fround(x) : x;
  }
  if (to.name === 'numeric') {
    let d: Decimal;
    if (isInt(from)) d = decimal(BigInt(value as number), 0);
    else if (isFloat(from)) {
      if (!Number.isFinite(value as number)) throw new SqlError(SqlState.featureNotSupported, 'numeric NaN and infinity are not supported');
      d = parseDecimal(from.name === 'float4' ? formatScalar(from, value, fs)! : String(value))!;
    } else if (from.name === 'numeric') d = value as Decimal;
    else throw cannotCast(from, to);
    return numericScale(to) >= 0 ? fitTypmod(d, to) : d;
  }
  if (to.name === 'bool') {
    if (from.name === 'int4') return (value as number) !== 0;
    throw cannotCast(from, to);
  }
  if (to.name === 'date') {
    if (from.name === 'timestamp') return Math.floor((value as number) / MICROS_PER_DAY);
    if (from.name === 'timestamptz') {
      const local = (value as number) + zoneOffsetMicros(fs.timeZone, value as number);
      return Math.floor(local / MICROS_PER_DAY);
    }
    throw cannotCast(from, to);
  }
  if (to.name === 'timestamp') {
    if (from.name === 'date') return (value as number) * MICROS_PER_DAY;
    if (from.name === 'timestamptz') return (value as number) + zoneOffsetMicros(fs.timeZone, value as number);
    throw cannotCast(from, to);
  }
  if (to.name === 'timestamptz') {
    let local: number;
    if (from.name === 'date') local = (value as number) * MICROS_PER_DAY;
    else if (from.name === 'timestamp') local = value as number;
    else throw cannotCast(from, to);
    const guess = local - zoneOffsetMicros(fs.timeZone, local);
    return local - zoneOffsetMicros(fs.timeZone, guess);
  }
  if (to.name === 'interval') {
    if (from.name === 'interval') return value as Interval;
    throw cannotCast(from, to);
  }
  throw cannotCast(from, to);
}

/** elem[] → other[]: each element cast (int[] → text[], text[] → int[] …). */
function castArray(stored: string, from: DataType, to: DataType, fs: FormatSettings, explicit: boolean): string {
  const a = parseArrayLiteral(stored);
  a.items = a.items.map((t) => elementText(to.elem!, castScalar(elementValue(from.elem!, t), from.elem!, to.elem!, fs, explicit)));
  return formatArray(a);
}

/**
 * Casts a whole vector. `explicit` distinguishes CAST/:: (char(n)/varchar(n) truncate) from
 * assignment (too long → 22001).
 */
export function castVector(v: Vector, to: DataType, fs: FormatSettings, explicit: boolean): Vector {
  const from = v.type;
  if (from === to) return v;
  const n = v.length;
  // Same storage and no typmod to enforce: relabel.
  if (from.name === to.name && to.typmod === -1 && to.name !== 'bpchar' && from.elem === to.elem) return { ...v, type: to } as Vector;
  if (isInt(from) && isInt(to)) {
    const [lo, hi] = INT_LIMITS[to.name];
    const src = (v as { values: ArrayLike<number> }).values;
    const out = newVector(to, n) as { values: Int32Array | Float64Array; nulls: Uint8Array | null };
    out.nulls = v.nulls;
    for (let i = 0; i < n; i++) {
      const x = src[i];
      if ((x < lo || x > hi) && (v.nulls === null || v.nulls[i] === 0)) throw outOfRange(to);
      out.values[i] = x;
    }
    return out as unknown as Vector;
  }
  if ((isInt(from) || isFloat(from)) && isFloat(to)) {
    const src = (v as { values: ArrayLike<number> }).values;
    const out = newVector(to, n) as { values: Float64Array; nulls: Uint8Array | null };
    out.nulls = v.nulls;
    if (to.name === 'float4') for (let i = 0; i < n; i++) out.values[i] = Math.fround(src[i]);
    else for (let i = 0; i < n; i++) out.values[i] = src[i];
    return out as unknown as Vector;
  }
  if (isInt(from) && to.name === 'numeric') {
    const out = numericFromInt(v, to);
    return numericScale(to) > 0 || numericScale(to) === 0 ? numericRescale(out, to) : out;
  }
  if (from.name === 'numeric' && to.name === 'numeric') return numericRescale(v as NumericVector, to);
  if (from.name === 'numeric' && isFloat(to)) {
    const out = newVector(to, n) as { values: Float64Array; nulls: Uint8Array | null };
    out.values = numericToFloat(v as NumericVector);
    if (to.name === 'float4') for (let i = 0; i < n; i++) out.values[i] = Math.fround(out.values[i]);
    out.nulls = v.nulls;
    return out as unknown as Vector;
  }
  if (from.name === 'date' && to.name === 'timestamp') {
    const src = (v as { values: Int32Array }).values;
    const out = newVector(to, n) as { values: Float64Array; nulls: Uint8Array | null };
    out.nulls = v.nulls;
    for (let i = 0; i < n; i++) out.values[i] = src[i] * MICROS_PER_DAY;
    return out as unknown as Vector;
  }
  if (isText(from) && isText(to) && v.kind === 'string') {
    // Convert each dictionary entry once.
    const dict = v.dict.map((s) => castScalar(s, from, to, fs, explicit) as string);
    return { ...v, type: to, dict };
  }
  const values: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = castScalar(getScalar(v, i), from, to, fs, explicit);
  if (to.name === 'numeric' && numericScale(to) < 0) {
    for (const x of values) if (x !== null && !isDecimal(x)) throw new Error('castVector: numeric cast produced a non-decimal');
  }
  return vectorFromScalars(to, values);
}
