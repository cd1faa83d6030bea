// PostgreSQL's built-in types as pg_type lists them (the ones Tessera has plus the ones its system
// catalogs and clients name), and format_type() over (type OID, typmod).
import { parseArrayLiteral as parseArrayText } from './array-text';

export interface PgTypeInfo {
  oid: number;
  typname: string;
  typlen: number;
  typbyval: boolean;
  /** pg_type.typcategory. */
  category: string;
  /** Collation of the type (100 = default for string types, else 0). */
  collation: number;
  /** OID of the array type over this one, or 0. */
  arrayOid: number;
  /** format_type() without a modifier. */
  display: string;
  /** Element type for array types, else 0. */
  elem?: number;
}

const t = (oid: number, typname: string, typlen: number, typbyval: boolean, category: string, arrayOid: number, display: string, collation = 0): PgTypeInfo => ({
  oid,
  typname,
  typlen,
  typbyval,
  category,
  collation,
  arrayOid,
  display,
});

const BASE: PgTypeInfo[] = [
  t(16, 'bool', 1, true, 'B', 1000, 'boolean'),
  t(17, 'bytea', -1, false, 'U', 1001, 'bytea'),
  t(18, 'char', 1, true, 'Z', 1002, '"char"', 100),
  t(19, 'name', 64, false, 'S', 1003, 'name', 950),
  t(20, 'int8', 8, true, 'N', 1016, 'bigint'),
  t(21, 'int2', 2, true, 'N', 1005, 'smallint'),
  t(22, 'int2vector', -1, false, 'A', 1006, 'int2vector'),
  t(23, 'int4', 4, true, 'N', 1007, 'integer'),
  t(24, 'regproc', 4, true, 'N', 1008, 'regproc'),
  t(25, 'text', -1, false, 'S', 1009, 'text', 100),
  t(26, 'oid', 4, true, 'N', 1028, 'oid'),
  t(30, 'oidvector', -1, false, 'A', 1013, 'oidvector'),
  t(114, 'json', -1, false, 'U', 199, 'json'),
  t(194, 'pg_node_tree', -1, false, 'Z', 0, 'pg_node_tree', 100),
  t(700, 'float4', 4, true, 'N', 1021, 'real'),
  t(701, 'float8', 8, true, 'N', 1022, 'double precision'),
  t(705, 'unknown', -2, false, 'X', 0, 'unknown'),
  t(1033, 'aclitem', 12, false, 'U', 1034, 'aclitem'),
  t(1042, 'bpchar', -1, false, 'S', 1014, 'character', 100),
  t(1043, 'varchar', -1, false, 'S', 1015, 'character varying', 100),
  t(1082, 'date', 4, true, 'D', 1182, 'date'),
  t(1083, 'time', 8, true, 'D', 1183, 'time without time zone'),
  t(1114, 'timestamp', 8, true, 'D', 1115, 'timestamp without time zone'),
  t(1184, 'timestamptz', 8, true, 'D', 1185, 'timestamp with time zone'),
  t(1186, 'interval', 16, false, 'T', 1187, 'interval'),
  t(1700, 'numeric', -1, false, 'N', 1231, 'numeric'),
  t(2205, 'regclass', 4, true, 'N', 2210, 'regclass'),
  t(2206, 'regtype', 4, true, 'N', 2211, 'regtype'),
  t(2278, 'void', 4, true, 'P', 0, 'void'),
  t(2950, 'uuid', 16, false, 'U', 2951, 'uuid'),
  t(3802, 'jsonb', -1, false, 'U', 3807, 'jsonb'),
  t(4089, 'regnamespace', 4, true, 'N', 4090, 'regnamespace'),
];

/** Every built-in type, arrays included (array types are named _elem and shown as elem[]). */
export const PG_TYPES: PgTypeInfo[] = (() => {
  const out = [...BASE];
  for (const b of BASE)
    if (b.arrayOid !== 0)
      out.push({ oid: b.arrayOid, typname: '_' + b.typname, typlen: -1, typbyval: false, category: 'A', collation: b.collation, arrayOid: 0, display: b.display + '[]', elem: b.oid });
  return out.sort((a, b) => a.oid - b.oid);
})();

const BY_OID = new Map(PG_TYPES.map((x) => [x.oid, x]));

export function pgTypeByOid(oid: number): PgTypeInfo | undefined {
  return BY_OID.get(oid);
}

/**
 * format_type(type_oid, typmod): PostgreSQL's spelling with the modifier, e.g. numeric(12,2),
 * character varying(40), character(3); a NULL typmod (null here) spells bpchar as character, -1 as bpchar.
 */
export function formatTypeOid(oid: number, typmod: number | null): string {
  const info = BY_OID.get(oid);
  if (info === undefined) return '???';
  if (info.elem !== undefined) return formatTypeOid(info.elem, typmod) + '[]';
  const mod = typmod ?? -1;
  switch (oid) {
    case 1042:
      // No modifier known (NULL) reads "character"; an explicit -1 reads "bpchar" (format_type_extended).
      if (typmod === null) return 'character';
      return mod >= 4 ? `character(${mod - 4})` : 'bpchar';
    case 1043:
      return mod >= 4 ? `character varying(${mod - 4})` : 'character varying';
    case 1700:
      return mod >= 4 ? `numeric(${((mod - 4) >> 16) & 0xffff},${(mod - 4) & 0xffff})` : 'numeric';
    case 1114:
    case 1184:
    case 1083:
      return mod >= 0 ? info.display.replace(/^(\w+)/, `$1(${mod})`) : info.display;
    default:
      return info.display;
  }
}

/** PostgreSQL's keywords that quote_ident must quote (reserved and type/function-name keywords). */
const RESERVED = new Set(
  ('all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column ' +
    'concurrently constraint create cross current_catalog current_date current_role current_schema current_time ' +
    'current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze from ' +
    'full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit localtime ' +
    'localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references returning ' +
    'right select session_user similar some symmetric table tablesample then to trailing true union unique user using ' +
    'variadic verbose when where window with between bigint bit boolean char character coalesce dec decimal exists extract ' +
    'float greatest grouping inout int integer interval least national nchar none normalize nullif numeric out overlay ' +
    'position precision real row setof smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat ' +
    'xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable')
    .split(' '),
);

/** quote_ident(): double-quotes a name unless it is a plain lower-case identifier and not a keyword. */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name)) return name;
  return '"' + name.replace(/"/g, '""') + '"';
}


/** '{a,"b c",NULL}' → ['a', 'b c', null]; null when not a one-dimensional array literal. */
export function parseArrayLiteral(text: string): (string | null)[] | null {
  try {
    const a = parseArrayText(text);
    return a.dims.length <= 1 ? a.items : null;
  } catch {
    return null;
  }
}
