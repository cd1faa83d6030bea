// DataType: one object per SQL type that drives binding, execution and the wire encoders,
// so that text and binary output match PostgreSQL's in one place.
// This is the lowest layer: it imports nothing from the project.

/** PostgreSQL type OIDs (pg_type.oid) for the types Tessera knows. */
export const TypeOid = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  regclass: 2205,
  uuid: 2950,
  void: 2278,
  jsonb: 3802,
  array: 2277, // anyarray; a real array type carries its own OID (arrayType)
} as const;

/** How values of a type sit in a Vector (see vector.ts). */
export type StorageKind =
  | 'bool' // Uint8Array of 0/1
  | 'int32' // Int32Array: int2, int4, date (days since 1970-01-01)
  | 'int64' // Float64Array holding exact integers (|v| <= 2^53): int8
  | 'float64' // Float64Array: float4, float8
  | 'timestamp' // Float64Array of microseconds since 1970-01-01 00:00:00 (UTC for timestamptz)
  | 'numeric' // NumericVector: scaled integers in Float64Array
  | 'string' // StringVector: Int32Array codes into a string dictionary
  | 'interval'; // IntervalVector: months, days, micros

export type TypeName =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'name'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'bytea'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'array' // elem[]: see arrayType()
  | 'unknown'; // an untyped literal or NULL before coercion

export interface DataType {
  readonly name: TypeName;
  readonly oid: number;
  /** PostgreSQL's encoding: -1 when absent; varchar(n)/bpchar(n): n+4; numeric(p,s): ((p<<16)|s)+4. */
  readonly typmod: number;
  readonly storage: StorageKind;
  /** pg_type.typlen: byte width for fixed-size types, -1 for varlena. */
  readonly typlen: number;
  /** Arrays only: the element type (its typmod is the array's, as PostgreSQL keeps varchar(10)[]). */
  readonly elem?: DataType;
}

const STORAGE: Record<TypeName, StorageKind> = {
  bool: 'bool',
  int2: 'int32',
  int4: 'int32',
  int8: 'int64',
  float4: 'float64',
  float8: 'float64',
  numeric: 'numeric',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  name: 'string',
  date: 'int32',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
  interval: 'interval',
  // Byte strings, canonical uuid text, json text and normalized jsonb text (see bytea-uuid.ts, json.ts).
  bytea: 'string',
  uuid: 'string',
  json: 'string',
  jsonb: 'string',
  // Arrays are kept as their canonical text form (see array-text.ts for why).
  array: 'string',
  unknown: 'string',
};

const TYPLEN: Record<TypeName, number> = {
  bool: 1,
  int2: 2,
  int4: 4,
  int8: 8,
  float4: 4,
  float8: 8,
  numeric: -1,
  text: -1,
  varchar: -1,
  bpchar: -1,
  name: 64,
  date: 4,
  timestamp: 8,
  timestamptz: 8,
  interval: 16,
  bytea: -1,
  uuid: 16,
  json: -1,
  jsonb: -1,
  array: -1,
  unknown: -2,
};

const typeCache = new Map<string, DataType>();

/** The interned DataType for a name and typmod (same inputs → same object). */
export function dataType(name: TypeName, typmod = -1): DataType {
  const key = name + ':' + typmod;
  let t = typeCache.get(key);
  if (t === undefined) {
    t = Object.freeze({ name, oid: TypeOid[name], typmod, storage: STORAGE[name], typlen: TYPLEN[name] });
    typeCache.set(key, t);
  }
  return t;
}

export const Types = {
  bool: dataType('bool'),
  int2: dataType('int2'),
  int4: dataType('int4'),
  int8: dataType('int8'),
  float4: dataType('float4'),
  float8: dataType('float8'),
  numeric: dataType('numeric'),
  text: dataType('text'),
  varchar: dataType('varchar'),
  bpchar: dataType('bpchar'),
  name: dataType('name'),
  date: dataType('date'),
  timestamp: dataType('timestamp'),
  timestamptz: dataType('timestamptz'),
  interval: dataType('interval'),
  bytea: dataType('bytea'),
  uuid: dataType('uuid'),
  json: dataType('json'),
  jsonb: dataType('jsonb'),
  unknown: dataType('unknown'),
} as const;

export function numericType(precision: number, scale: number): DataType {
  return dataType('numeric', ((precision << 16) | scale) + 4);
}
/** Declared scale of numeric(p,s), or -1 for unconstrained numeric. */
export function numericScale(t: DataType): number {
  return t.typmod < 4 ? -1 : (t.typmod - 4) & 0xffff;
}
/** Declared precision of numeric(p,s), or -1 for unconstrained numeric. */
export function numericPrecision(t: DataType): number {
  return t.typmod < 4 ? -1 : ((t.typmod - 4) >> 16) & 0xffff;
}
export function charType(name: 'varchar' | 'bpchar', length: number): DataType {
  return dataType(name, length + 4);
}
/** Declared length of varchar(n)/char(n), or -1. */
export function charLength(t: DataType): number {
  return t.typmod < 4 ? -1 : t.typmod - 4;
}

export function isNumericFamily(t: DataType): boolean {
  return t.name === 'int2' || t.name === 'int4' || t.name === 'int8' || t.name === 'numeric' || t.name === 'float4' || t.name === 'float8';
}
export function isStringFamily(t: DataType): boolean {
  return t.storage === 'string';
}
/** Types kept in StringVectors whose strings are not their text form (or that are not text category). */
export function isOpaqueString(t: DataType): boolean {
  return t.name === 'bytea' || t.name === 'uuid' || t.name === 'json' || t.name === 'jsonb' || t.name === 'array';
}

/** format_type(): how PostgreSQL spells a type with its modifier, e.g. "numeric(15,2)", "character(25)". */
export function formatType(t: DataType): string {
  switch (t.name) {
    case 'bool': return 'boolean';
    case 'int2': return 'smallint';
    case 'int4': return 'integer';
    case 'int8': return 'bigint';
    case 'float4': return 'real';
    case 'float8': return 'double precision';
    case 'numeric': return t.typmod < 4 ? 'numeric' : `numeric(${numericPrecision(t)},${numericScale(t)})`;
    case 'varchar': return t.typmod < 4 ? 'character varying' : `character varying(${charLength(t)})`;
    case 'bpchar': return t.typmod < 4 ? 'bpchar' : `character(${charLength(t)})`;
    case 'timestamp': return 'timestamp without time zone';
    case 'timestamptz': return 'timestamp with time zone';
    case 'array': return formatType(t.elem!) + '[]';
    default: return t.name;
  }
}

/** The DataType of a PostgreSQL type OID, for Parse messages that name parameter types. */
export function typeFromOid(oid: number): DataType | undefined {
  for (const name of Object.keys(STORAGE) as TypeName[]) if (name !== 'array' && TypeOid[name] === oid) return dataType(name);
  for (const [name, arrayOid] of Object.entries(ARRAY_OID)) if (arrayOid === oid) return arrayType(dataType(name as TypeName));
  return undefined;
}

/** pg_type.typarray of each element type Tessera has arrays of. */
const ARRAY_OID: Partial<Record<TypeName, number>> = {
  bool: 1000, bytea: 1001, name: 1003, int8: 1016, int2: 1005, int4: 1007, text: 1009, json: 199, float4: 1021, float8: 1022,
  bpchar: 1014, varchar: 1015, date: 1182, timestamp: 1115, timestamptz: 1185, interval: 1187, numeric: 1231, uuid: 2951, jsonb: 3807,
};

/** The array type over `elem` (interned; typmod is the element's), or 42704 when there is none. */
export function arrayType(elem: DataType): DataType {
  const oid = ARRAY_OID[elem.name];
  if (oid === undefined || elem.oid !== TypeOid[elem.name]) throw new Error(`arrayType: no array type over ${elem.name}`);
  const key = 'array:' + elem.name + ':' + elem.typmod;
  let t = typeCache.get(key);
  if (t === undefined) {
    t = Object.freeze({ name: 'array' as TypeName, oid, typmod: elem.typmod, storage: 'string' as StorageKind, typlen: -1, elem });
    typeCache.set(key, t);
  }
  return t;
}
export function hasArrayType(elem: DataType): boolean {
  return ARRAY_OID[elem.name] !== undefined && elem.oid === TypeOid[elem.name];
}
export function isArray(t: DataType): boolean {
  return t.name === 'array';
}

/** A type as stored in the catalog: [name, typmod] or, for arrays, [\'array\', typmod, element name]. */
export type SerializedType = [TypeName, number] | [TypeName, number, TypeName];
export function serializeType(t: DataType): SerializedType {
  return t.elem !== undefined ? [t.name, t.typmod, t.elem.name] : [t.name, t.typmod];
}
export function deserializeType(s: SerializedType): DataType {
  return s[0] === 'array' ? arrayType(dataType(s[2]!, s[1])) : dataType(s[0], s[1]);
}

/**
 * System-catalog column types that Tessera stores like a type it already has, reported to clients
 * under their own OID: oid (an int8 value, wire OID 26) and "char" (a text value, wire OID 18).
 * Their `name` is the storing type's, so binding, kernels and casts treat them as int8/text.
 */
export const OidType: DataType = Object.freeze({ name: 'int8' as TypeName, oid: TypeOid.oid, typmod: -1, storage: 'int64' as StorageKind, typlen: 4 });
export const CharType: DataType = Object.freeze({ name: 'text' as TypeName, oid: 18, typmod: -1, storage: 'string' as StorageKind, typlen: 1 });

/** The type with its modifier dropped (numeric(10,2) → numeric, varchar(5)[] → varchar[]). */
export function withoutTypmod(t: DataType): DataType {
  if (t.typmod === -1) return t;
  return t.elem !== undefined ? arrayType(withoutTypmod(t.elem)) : dataType(t.name);
}
