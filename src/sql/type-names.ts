// SQL type names (TypeName AST nodes) → DataType, with PostgreSQL's aliases and modifiers.
import { DataType, TypeName, arrayType, charType, dataType, hasArrayType, numericType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';

const ALIASES: Record<string, TypeName> = {
  bool: 'bool',
  boolean: 'bool',
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  float4: 'float4',
  real: 'float4',
  float8: 'float8',
  float: 'float8',
  'double precision': 'float8',
  numeric: 'numeric',
  decimal: 'numeric',
  text: 'text',
  varchar: 'varchar',
  'character varying': 'varchar',
  bpchar: 'bpchar',
  char: 'bpchar',
  character: 'bpchar',
  name: 'name',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  interval: 'interval',
  bytea: 'bytea',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
};

/** Interval field masks used in interval typmods (datetime.h: INTERVAL_MASK). */
export const IntervalField = {
  month: 1 << 1,
  year: 1 << 2,
  day: 1 << 3,
  hour: 1 << 10,
  minute: 1 << 11,
  second: 1 << 12,
} as const;

export interface ResolvedTypeName {
  type: DataType;
  /** For `interval '3' day`: the field mask qualifying a bare-number literal. */
  intervalFields?: number;
  isArray: boolean;
}

function constInt(node: any): number | undefined {
  const c = node?.A_Const;
  if (c === undefined) return undefined;
  if (c.ival !== undefined) return c.ival.ival ?? 0;
  return undefined;
}

/** Resolves a TypeName node; unknown names → 42704 'type "x" does not exist'. */
export function resolveTypeName(typeName: any): ResolvedTypeName {
  const names: string[] = (typeName.names ?? []).map((n: any) => n.String.sval);
  const last = names[names.length - 1];
  const qualified = names.length > 1 && names[0] !== 'pg_catalog' ? names.join('.') : last;
  const name = ALIASES[last];
  const position = typeName.location !== undefined ? typeName.location + 1 : undefined;
  if (name === undefined || qualified !== last)
    throw new SqlError(SqlState.undefinedObject, `type "${qualified}" does not exist`, { position });
  const isArray = (typeName.arrayBounds ?? []).length > 0;
  if (isArray) {
    // elem[] (any number of [] or ARRAY: PostgreSQL ignores the declared dimensions too).
    const element = resolveTypeName({ ...typeName, arrayBounds: undefined });
    if (!hasArrayType(element.type)) throw new SqlError(SqlState.undefinedObject, `type "${qualified}[]" does not exist`, { position });
    return { type: arrayType(element.type), isArray };
  }
  const mods = (typeName.typmods ?? []).map(constInt);
  switch (name) {
    case 'numeric': {
      if (mods.length === 0) return { type: dataType('numeric'), isArray };
      const precision = mods[0];
      const scale = mods[1] ?? 0;
      if (precision === undefined || precision < 1 || precision > 1000)
        throw new SqlError(SqlState.invalidParameterValue, `NUMERIC precision ${precision} must be between 1 and 1000`, { position });
      if (scale < 0 || scale > precision)
        throw new SqlError(SqlState.invalidParameterValue, `NUMERIC scale ${scale} must be between 0 and precision ${precision}`, { position });
      return { type: numericType(precision, scale), isArray };
    }
    case 'varchar':
    case 'bpchar': {
      // char with no length means char(1); varchar with none is unlimited.
      const length = mods[0] ?? (name === 'bpchar' && last !== 'bpchar' ? 1 : undefined);
      if (length === undefined) return { type: dataType(name), isArray };
      if (length < 1)
        throw new SqlError(SqlState.invalidParameterValue, `length for type ${name} must be at least 1`, { position });
      return { type: charType(name, length), isArray };
    }
    case 'interval':
      return { type: dataType('interval'), intervalFields: mods[0], isArray };
    default:
      return { type: dataType(name), isArray };
  }
}
