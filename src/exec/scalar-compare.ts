// Comparison and keys of single values — the slow path (subquery results, sort fallbacks).
// Strings compare by code point (PostgreSQL's C collation); bpchar ignores trailing spaces.
import { DataType } from '../types/data-type';
import { Interval, Scalar, isDecimal } from '../types/vector';
import { decimalCompare, decimalToString } from '../types/numeric';
import { comparableString, compareStrings, trimTrailingSpaces } from './string-order';
import { jsonbOrderKey } from '../types/json';
import { compareFloat } from './expr/kernels-compare';

function intervalSpan(iv: Interval): number {
  return iv.months * 2592e9 + iv.days * 864e8 + iv.micros;
}

/** -1/0/1 for two non-NULL values of one type. */
export function compareScalars(a: Scalar, b: Scalar, type: DataType): number {
  if (typeof a === 'number') return compareFloat(a, b as number);
  if (typeof a === 'string') {
    if (type.name === 'bpchar') return compareStrings(trimTrailingSpaces(a), trimTrailingSpaces(b as string));
    if (type.name === 'jsonb') return compareStrings(jsonbOrderKey(a), jsonbOrderKey(b as string));
    if (type.name === 'array') return compareStrings(comparableString(type, a), comparableString(type, b as string));
    return compareStrings(a, b as string);
  }
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (isDecimal(a)) return decimalCompare(a, b as never);
  const d = intervalSpan(a as Interval) - intervalSpan(b as Interval);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** A Set/Map key equal for equal SQL values (numeric 1.0 = 1.00; bpchar trailing spaces ignored). */
export function scalarKey(v: Scalar, type: DataType): string | number {
  if (v === null) return '\u0001N';
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (typeof v === 'string') return '\u0002' + comparableString(type, v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isDecimal(v)) {
    const s = decimalToString(v);
    return s.includes('.') ? s.replace(/\.?0+$/, '') || '0' : s;
  }
  return intervalSpan(v as Interval);
}
