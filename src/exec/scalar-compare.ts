// Comparison and hashing of single values (the slow path: keys of hash tables, sort, subqueries).
// Strings compare by code point (PostgreSQL's C collation); bpchar ignores trailing spaces.
import { DataType } from '../types/data-type';
import { Interval, Scalar, isDecimal } from '../types/vector';
import { decimalCompare, decimalToString } from '../types/numeric';

function intervalMicros(iv: Interval): number {
  // interval_cmp: months count 30 days, days 24 hours.
  return iv.months * 30 * 86400e6 + iv.days * 86400e6 + iv.micros;
}

/** -1/0/1 for non-null values of one type. */
export function compareScalars(a: Scalar, b: Scalar, type: DataType): number {
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0;
  if (typeof a === 'string') {
    let x = a;
    let y = b as string;
    if (type.name === 'bpchar') {
      x = x.replace(/ +$/, '');
      y = y.replace(/ +$/, '');
    }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (isDecimal(a)) return decimalCompare(a, b as never);
  const d = intervalMicros(a as Interval) - intervalMicros(b as Interval);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** A string that is equal for equal values (numeric 1.0 = 1.00; bpchar trailing spaces ignored). */
export function keyOf(v: Scalar, type: DataType): string {
  if (v === null) return '\u0001N';
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'string') return type.name === 'bpchar' ? v.replace(/ +$/, '') : v;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (isDecimal(v)) {
    const s = decimalToString(v);
    return s.includes('.') ? s.replace(/\.?0+$/, '') || '0' : s;
  }
  return String(intervalMicros(v as Interval));
}
