// Cardinality estimation from table statistics: selectivity of predicates (equality = 1/ndv, ranges
// from min/max, LIKE/IN heuristics, AND/OR/NOT), distinct counts after a filter, and equi-join
// selectivity 1/max(ndv_r, ndv_s). Without statistics the defaults follow PostgreSQL's
// (DEFAULT_EQ_SEL 0.005, DEFAULT_INEQ_SEL 1/3, DEFAULT_MATCH_SEL 0.005 for LIKE).
import { Expr } from '../plan/expr';
import { ColumnStatistics } from '../plan/statistics';
import { DataType, isNumericFamily, isStringFamily } from '../types/data-type';
import { isDecimal } from '../types/vector';
import { foldConstant } from './fold-constant';
import { exprKey, hasSubquery } from './expr-utils';

const DEFAULT_EQ = 0.005;
const DEFAULT_INEQ = 1 / 3;
const DEFAULT_RANGE = 0.005 * 10; // a closed range with no statistics
const DEFAULT_LIKE = 0.05;
const DEFAULT_OTHER = 0.3;

/** What estimation knows about the columns of the row a predicate is evaluated on. */
export interface ColumnInfo {
  /** Statistics of column `index` (ndv already scaled to the current row set), or null. */
  stats(index: number): ColumnStatistics | null;
}

const clamp = (s: number) => (Number.isFinite(s) ? Math.min(1, Math.max(0, s)) : DEFAULT_OTHER);

/** The column under value-preserving casts (int → numeric, varchar → text …), or null. */
function baseColumn(e: Expr): { index: number; type: DataType } | null {
  while (e.kind === 'cast') {
    const from = e.arg.type;
    const ok =
      (isNumericFamily(from) && isNumericFamily(e.type)) ||
      (isStringFamily(from) && isStringFamily(e.type)) ||
      (from.name === 'date' && e.type.storage === 'timestamp');
    if (!ok) return null;
    e = e.arg;
  }
  return e.kind === 'column' ? { index: e.index, type: e.type } : null;
}

/** A constant's value as statistics hold it (numbers for numeric kinds, strings for text), or undefined. */
function constValue(e: Expr, columnType: DataType): number | string | null | undefined {
  const v = foldConstant(e);
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'number') {
    // A date column compared with a timestamp (date - interval): days vs microseconds.
    if (columnType.name === 'date' && e.type.storage === 'timestamp') return v / 86400e6;
    if (columnType.storage === 'timestamp' && e.type.name === 'date') return v * 86400e6;
    return v;
  }
  if (typeof v === 'string') return v;
  if (isDecimal(v)) return Number(v.digits) / Math.pow(10, v.scale);
  return undefined;
}

const FLIP: Record<string, string> = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le', eq: 'eq', ne: 'ne' };

interface Comparison {
  column: number;
  type: DataType;
  op: string;
  value: number | string | null;
}

/** `column op constant` (either order), or null. */
function asComparison(e: Expr): Comparison | null {
  if (e.kind !== 'call' || FLIP[e.fn] === undefined || e.args.length !== 2) return null;
  const [a, b] = e.args;
  const ca = baseColumn(a);
  if (ca !== null) {
    const v = constValue(b, ca.type);
    if (v !== undefined) return { column: ca.index, type: ca.type, op: e.fn, value: v };
  }
  const cb = baseColumn(b);
  if (cb !== null) {
    const v = constValue(a, cb.type);
    if (v !== undefined) return { column: cb.index, type: cb.type, op: FLIP[e.fn], value: v };
  }
  return null;
}

const trimEnd = (x: string) => x.replace(/ +$/, '');

function eqSelectivity(s: ColumnStatistics | null): number {
  if (s === null) return DEFAULT_EQ;
  return (1 - s.nullFraction) / Math.max(1, s.distinct);
}

/** A string's position in [0, 1) by its first characters (for ranges over text min/max). */
function stringPosition(x: string): number {
  let p = 0;
  let scale = 1;
  for (let i = 0; i < 4; i++) {
    scale /= 65536;
    p += (i < x.length ? x.charCodeAt(i) : 0) * scale;
  }
  return p;
}

/** Fraction of non-NULL values inside [lo, hi] (either bound may be open: null) by linear interpolation. */
function rangeFraction(s: ColumnStatistics, lo: number | string | null, hi: number | string | null): number | null {
  if (s.min === null || s.max === null) return null;
  const num = (x: number | string): number | null => (typeof x === 'number' ? x : typeof s.min === 'string' ? stringPosition(x) : null);
  const min = num(s.min);
  const max = num(s.max);
  if (min === null || max === null) return null;
  const l = lo === null ? min : num(lo);
  const h = hi === null ? max : num(hi);
  if (l === null || h === null) return null;
  if (h < l) return 0;
  if (max <= min) return l <= min && min <= h ? 1 : 0;
  const from = Math.max(min, l);
  const to = Math.min(max, h);
  if (to < from) return 1 / Math.max(1, s.distinct); // outside the seen range: still allow a little
  // A range over a discrete column holds at least one value's share.
  return Math.max((to - from) / (max - min), 1 / Math.max(1, s.distinct));
}

/** Selectivity of a conjunction of range comparisons on one column. */
function rangeSelectivity(s: ColumnStatistics | null, comps: Comparison[]): number {
  let lo = null as number | string | null;
  let hi = null as number | string | null;
  for (const c of comps) {
    if (c.value === null) return 0;
    const v: number | string = c.value;
    if (c.op === 'gt' || c.op === 'ge') lo = lo === null || v > lo ? v : lo;
    else hi = hi === null || v < hi ? v : hi;
  }
  if (s === null) return lo !== null && hi !== null ? DEFAULT_RANGE : DEFAULT_INEQ;
  const f = rangeFraction(s, lo, hi);
  if (f === null) return lo !== null && hi !== null ? DEFAULT_RANGE : DEFAULT_INEQ;
  return f * (1 - s.nullFraction);
}

function likeSelectivity(pattern: Expr): number {
  if (pattern.kind !== 'const' || typeof pattern.value !== 'string') return DEFAULT_LIKE;
  const p = pattern.value;
  const firstWild = p.search(/[%_]/);
  if (firstWild < 0) return DEFAULT_EQ;
  // A fixed prefix narrows like a range; each further fixed character narrows a little more.
  const fixed = p.replace(/[%_]/g, '').length;
  const base = firstWild > 0 ? 0.02 : 0.1;
  return Math.max(0.0005, base * Math.pow(0.9, Math.max(0, fixed - firstWild - 3)));
}

/** Estimated fraction of rows for which `e` is true. */
export function selectivity(e: Expr, info: ColumnInfo): number {
  return clamp(estimate(e, info));
}

function estimate(e: Expr, info: ColumnInfo): number {
  switch (e.kind) {
    case 'and':
      return conjunctionSelectivity(e.args, info);
    case 'or': {
      let miss = 1;
      for (const a of e.args) miss *= 1 - clamp(estimate(a, info));
      return 1 - miss;
    }
    case 'not':
      return 1 - clamp(estimate(e.arg, info));
    case 'const':
      return e.value === true ? 1 : 0;
    case 'isnull': {
      const c = baseColumn(e.arg);
      const s = c === null ? null : info.stats(c.index);
      const f = s === null ? 0.005 : s.nullFraction;
      return e.negated ? 1 - f : f;
    }
    case 'inlist': {
      const c = baseColumn(e.arg);
      const s = c === null ? null : info.stats(c.index);
      const distinctItems = new Set(e.list.map(exprKey)).size;
      const sel = Math.min(1, distinctItems * eqSelectivity(s));
      return e.negated ? 1 - sel : sel;
    }
    case 'call':
      return callSelectivity(e, info);
    default:
      return hasSubquery(e) ? 0.5 : DEFAULT_OTHER;
  }
}

function callSelectivity(e: Expr & { kind: 'call' }, info: ColumnInfo): number {
  if (e.fn === 'like' || e.fn === 'ilike') return likeSelectivity(e.args[1]);
  const cmp = asComparison(e);
  if (cmp !== null) {
    const s = info.stats(cmp.column);
    if (cmp.value === null) return 0;
    if (cmp.op === 'eq') {
      // Trailing blanks do not count (char(n) statistics hold padded values, constants are not).
      const v = typeof cmp.value === 'string' ? trimEnd(cmp.value) : cmp.value;
      const lo = typeof s?.min === 'string' ? trimEnd(s.min) : s?.min ?? null;
      const hi = typeof s?.max === 'string' ? trimEnd(s.max) : s?.max ?? null;
      if (lo !== null && hi !== null && typeof v === typeof lo && (v < lo || v > hi)) return 0.0001;
      return eqSelectivity(s);
    }
    if (cmp.op === 'ne') return s === null ? 1 - DEFAULT_EQ : (1 - s.nullFraction) * (1 - 1 / Math.max(1, s.distinct));
    return rangeSelectivity(s, [cmp]);
  }
  if (e.fn === 'eq' && e.args.length === 2) {
    // Column = column: 1 / the larger distinct count.
    const a = baseColumn(e.args[0]);
    const b = baseColumn(e.args[1]);
    if (a !== null && b !== null) return equiJoinSelectivity(info.stats(a.index), info.stats(b.index));
    return DEFAULT_EQ;
  }
  if (e.fn === 'ne') return 1 - DEFAULT_EQ;
  if (e.fn === 'lt' || e.fn === 'le' || e.fn === 'gt' || e.fn === 'ge') return DEFAULT_INEQ;
  return DEFAULT_OTHER;
}

/** AND: range comparisons on one column combine into one range; the rest multiply (independence). */
function conjunctionSelectivity(args: Expr[], info: ColumnInfo): number {
  const ranges = new Map<number, Comparison[]>();
  let sel = 1;
  for (const a of args) {
    const cmp = asComparison(a);
    if (cmp !== null && cmp.op !== 'eq' && cmp.op !== 'ne') {
      const list = ranges.get(cmp.column) ?? [];
      list.push(cmp);
      ranges.set(cmp.column, list);
      continue;
    }
    sel *= clamp(estimate(a, info));
  }
  for (const [column, comps] of ranges) sel *= clamp(rangeSelectivity(info.stats(column), comps));
  return sel;
}

/** Selectivity of r.a = s.b: 1 / max(ndv) over the non-NULL rows. */
export function equiJoinSelectivity(a: ColumnStatistics | null, b: ColumnStatistics | null): number {
  if (a === null && b === null) return DEFAULT_EQ;
  const nd = Math.max(a?.distinct ?? 1, b?.distinct ?? 1, 1);
  return ((1 - (a?.nullFraction ?? 0)) * (1 - (b?.nullFraction ?? 0))) / nd;
}

/**
 * Distinct values left when `rows` of a column's `totalRows` rows are kept at random: d(1 - (1 - k/n)^(n/d)).
 */
export function distinctAfterFilter(distinct: number, totalRows: number, rows: number): number {
  if (rows >= totalRows || totalRows <= 0) return distinct;
  if (distinct <= 0) return 0;
  const kept = distinct * (1 - Math.pow(1 - rows / totalRows, totalRows / distinct));
  return Math.max(1, Math.min(distinct, rows, kept));
}

/** The column's statistics after a filter kept `rows` of `totalRows` rows. */
export function scaleColumnStats(s: ColumnStatistics | null, totalRows: number, rows: number): ColumnStatistics | null {
  if (s === null || rows >= totalRows) return s;
  return { ...s, distinct: distinctAfterFilter(s.distinct, totalRows, rows) };
}
