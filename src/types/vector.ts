// Vector and Batch: the unit of data that flows between storage, buffer pool, executor and wire.
// A Vector is one column of a batch held in typed arrays; operators never hold one JS object per row.
import { DataType } from './data-type';

/** Rows per batch the executor aims for (a power of two, as DuckDB's STANDARD_VECTOR_SIZE). */
export const BATCH_SIZE = 2048;

interface VectorBase {
  readonly type: DataType;
  readonly length: number;
  /** 1 where the value is NULL; null when the vector has no NULLs at all. Values under a NULL are unspecified. */
  nulls: Uint8Array | null;
}

export interface BoolVector extends VectorBase {
  readonly kind: 'bool';
  values: Uint8Array;
}
/** int2, int4, date (days since 1970-01-01). */
export interface Int32Vector extends VectorBase {
  readonly kind: 'int32';
  values: Int32Array;
}
/** int8 (exact integers), float4/float8, timestamp/timestamptz (microseconds since 1970-01-01). */
export interface Float64Vector extends VectorBase {
  readonly kind: 'int64' | 'float64' | 'timestamp';
  values: Float64Array;
}
/**
 * numeric: row i is values[i] / 10^scale, exact while |values[i]| <= 2^53.
 * Rows beyond that hold NaN in values and the exact scaled integer in wide[i] (the slow path).
 * dscale[i] is the row's display scale when rows differ (PostgreSQL keeps one per value); null means all = scale.
 */
export interface NumericVector extends VectorBase {
  readonly kind: 'numeric';
  values: Float64Array;
  scale: number;
  dscale: Uint8Array | null;
  wide: (bigint | undefined)[] | null;
}
/** Strings as codes into a dictionary; a scan shares its chunk's dictionary across batches. */
export interface StringVector extends VectorBase {
  readonly kind: 'string';
  codes: Int32Array;
  dict: string[];
}
export interface IntervalVector extends VectorBase {
  readonly kind: 'interval';
  months: Int32Array;
  days: Int32Array;
  micros: Float64Array;
}

export type Vector = BoolVector | Int32Vector | Float64Vector | NumericVector | StringVector | IntervalVector;

export interface Batch {
  length: number;
  columns: Vector[];
  /** When present, only these row indexes (ascending) of the columns are live; length = selection.length. */
  selection?: Uint32Array;
}

/** An interval value as PostgreSQL keeps it: the three fields are not normalized into each other. */
export interface Interval {
  months: number;
  days: number;
  micros: number;
}

/**
 * A single value outside a vector (constants, parameters, results of scalar subqueries).
 * bool → boolean; int2/int4/int8/float/date(days)/timestamp(micros) → number;
 * numeric → Decimal; text types → string; interval → Interval; NULL → null.
 */
export type Scalar = null | boolean | number | string | Decimal | Interval;

/** An exact decimal scalar: value = digits / 10^scale; dscale is the display scale. */
export interface Decimal {
  readonly decimal: true;
  digits: bigint;
  scale: number;
}

export function isDecimal(v: Scalar): v is Decimal {
  return v !== null && typeof v === 'object' && (v as Decimal).decimal === true;
}
export function isInterval(v: Scalar): v is Interval {
  return v !== null && typeof v === 'object' && (v as Interval).months !== undefined;
}
