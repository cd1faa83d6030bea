// Type resolution, after PostgreSQL's rules (docs: "Type Conversion", chapter 10): common types for
// operators, CASE/UNION/IN, and the coercions that make every bound expression explicitly typed.
import { Expr } from '../plan/expr';
import { DataType, Types, arrayType, dataType, formatType, hasArrayType, withoutTypmod } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { castScalar } from '../types/cast';
import { DEFAULT_FORMAT, FormatSettings } from '../types/text-format';

/** Within the numeric category, the direction PostgreSQL promotes implicitly. */
const NUMERIC_RANK: Partial<Record<DataType['name'], number>> = { int2: 1, int4: 2, int8: 3, numeric: 4, float4: 5, float8: 6 };
const DATETIME_RANK: Partial<Record<DataType['name'], number>> = { date: 1, timestamp: 2, timestamptz: 3 };

export function isUnknown(t: DataType): boolean {
  return t.name === 'unknown';
}
export function isNumber(t: DataType): boolean {
  return NUMERIC_RANK[t.name] !== undefined;
}
export function isInteger(t: DataType): boolean {
  return t.name === 'int2' || t.name === 'int4' || t.name === 'int8';
}
export function isString(t: DataType): boolean {
  return t.name === 'text' || t.name === 'varchar' || t.name === 'bpchar' || t.name === 'name';
}
export function isDatetime(t: DataType): boolean {
  return DATETIME_RANK[t.name] !== undefined;
}

function base(t: DataType): DataType {
  return t.typmod === -1 ? t : withoutTypmod(t);
}

/**
 * The type both sides convert to for comparison or a shared result column, or null when none
 * (the caller words the error). Unknown literals take the other side's type.
 */
export function commonType(a: DataType, b: DataType): DataType | null {
  if (a.name === 'array' && b.name === 'array') {
    if (a.elem === b.elem) return a;
    const e = commonType(a.elem!, b.elem!);
    return e === null || !hasArrayType(e) ? null : arrayType(e);
  }
  if (a.name === b.name) return a.typmod === b.typmod ? a : base(a);
  if (isUnknown(a)) return base(b);
  if (isUnknown(b)) return base(a);
  const na = NUMERIC_RANK[a.name];
  const nb = NUMERIC_RANK[b.name];
  if (na !== undefined && nb !== undefined) {
    // float4 beside another number type resolves to the float8 operators (float48*, PostgreSQL's preferred type).
    if (a.name === 'float4' || b.name === 'float4') return Types.float8;
    return base(na >= nb ? a : b);
  }
  if (isString(a) && isString(b)) return Types.text;
  const da = DATETIME_RANK[a.name];
  const db = DATETIME_RANK[b.name];
  if (da !== undefined && db !== undefined) return base(da >= db ? a : b);
  return null;
}

/** Common type of many (CASE branches, IN lists, VALUES columns, UNION): unknown-only → text. */
export function commonTypeOf(types: DataType[], context: string): DataType {
  let acc: DataType = Types.unknown;
  for (const t of types) {
    const c = commonType(acc, t);
    if (c === null)
      throw new SqlError(SqlState.datatypeMismatch, `${context} types ${formatType(acc)} and ${formatType(t)} cannot be matched`);
    acc = c;
  }
  return isUnknown(acc) ? Types.text : acc;
}

/** Whether PostgreSQL applies this conversion without an explicit cast (in expressions). */
export function implicitlyCastable(from: DataType, to: DataType): boolean {
  if (from.name === 'array' && to.name === 'array') return implicitlyCastable(from.elem!, to.elem!);
  if (from.name === to.name || isUnknown(from)) return true;
  const nf = NUMERIC_RANK[from.name];
  const nt = NUMERIC_RANK[to.name];
  if (nf !== undefined && nt !== undefined) return nf <= nt;
  if (isString(from) && (to.name === 'text' || to.name === 'varchar' || to.name === 'bpchar')) return true;
  const df = DATETIME_RANK[from.name];
  const dt = DATETIME_RANK[to.name];
  if (df !== undefined && dt !== undefined) return df <= dt;
  return false;
}

/** Conversions allowed in INSERT/UPDATE targets (assignment casts): implicit ones plus number narrowing and anything to text. */
export function assignmentCastable(from: DataType, to: DataType): boolean {
  if (from.name === 'array' && to.name === 'array') return assignmentCastable(from.elem!, to.elem!);
  if (implicitlyCastable(from, to)) return true;
  if (isNumber(from) && isNumber(to)) return true;
  if (isString(to)) return true;
  if (isDatetime(from) && isDatetime(to)) return true;
  return false;
}

export interface CoercionContext {
  /** Parameter types; an unknown-typed parameter takes the type of its first use. */
  paramTypes: DataType[];
  format: FormatSettings;
}

/**
 * Converts `expr` to `to`: untyped literals are converted now (a bad literal is a 22P02 error at bind
 * time, as in PostgreSQL), untyped parameters take the type, anything else gets a Cast node.
 */
export function coerce(expr: Expr, to: DataType, ctx: CoercionContext, explicit = false): Expr {
  const from = expr.type;
  if (from === to) return expr;
  if (expr.kind === 'param' && isUnknown(from)) {
    ctx.paramTypes[expr.index] = to;
    return { kind: 'param', index: expr.index, type: to };
  }
  if (expr.kind === 'const') {
    if (expr.value === null) return { kind: 'const', value: null, type: to };
    if (isUnknown(from) || explicit || from.name !== to.name || from.typmod !== to.typmod || from.elem !== to.elem) {
      const value = castScalar(expr.value, isUnknown(from) ? Types.text : from, to, ctx.format ?? DEFAULT_FORMAT, explicit);
      return { kind: 'const', value, type: to };
    }
  }
  if (from.name === to.name && to.typmod === -1 && from.elem === to.elem) return expr;
  return { kind: 'cast', arg: expr, type: to, explicit };
}

/** Coerces to a type required by context (WHERE → bool …), with PostgreSQL's error when impossible. */
export function requireType(expr: Expr, to: DataType, ctx: CoercionContext, what: string): Expr {
  if (expr.type.name === to.name || isUnknown(expr.type)) return coerce(expr, to, ctx);
  throw new SqlError(SqlState.datatypeMismatch, `argument of ${what} must be type ${formatType(to)}, not type ${formatType(expr.type)}`);
}
