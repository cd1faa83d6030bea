// Sequences in the binder: CREATE/ALTER SEQUENCE options (PostgreSQL's defaults and checks), the
// sequence functions nextval/currval/setval/lastval, and the serial pseudo-types.
import { Expr } from '../plan/expr';
import { CatalogView, SequenceDef, TableDef } from '../storage/api';
import { DataType, Types, formatType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { BindContext } from './bind-context';
import { coerce, isUnknown, isString } from './coerce';
import { findTableOrThrow } from './bind-dml';
import { resolveTypeName } from './type-names';

/** The options of a sequence, before it has an OID, schema and name. */
export type SequenceOptions = Omit<SequenceDef, 'id' | 'schema' | 'name' | 'ownedBy'>;

const BOUNDS: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

function invalid(message: string): SqlError {
  return new SqlError(SqlState.invalidParameterValue, message);
}

/** A DefElem's numeric argument (Integer, Float for big values, or a negative A_Const). */
function bigArg(d: any): bigint {
  const a = d.arg;
  if (a?.Integer !== undefined) return BigInt(a.Integer.ival ?? 0);
  if (a?.Float !== undefined) return BigInt(a.Float.fval);
  if (a?.String !== undefined) return BigInt(a.String.sval);
  throw new SqlError(SqlState.syntaxError, `${d.defname} requires a numeric value`);
}

/**
 * Applies CREATE/ALTER SEQUENCE options over `base` (null: CREATE, with PostgreSQL's defaults).
 * Returns the options, the OWNED BY target (names) if given, and RESTART's value if given.
 */
export function sequenceOptions(
  options: any[],
  base: SequenceOptions | null,
  defaultType: DataType = Types.int8,
): { options: SequenceOptions; ownedBy: string[] | null | undefined; restart: bigint | undefined } {
  let type = base?.type ?? defaultType;
  let increment: bigint | undefined;
  let min: bigint | null | undefined;
  let max: bigint | null | undefined;
  let start: bigint | undefined;
  let cache: number | undefined;
  let cycle: boolean | undefined;
  let ownedBy: string[] | null | undefined;
  let restart: bigint | undefined;
  let typeGiven = false;
  for (const o of options) {
    const d = o.DefElem;
    switch (d.defname) {
      case 'as': {
        type = resolveTypeName(d.arg.TypeName).type;
        if (!['int2', 'int4', 'int8'].includes(type.name))
          throw invalid('sequence type must be smallint, integer, or bigint');
        typeGiven = true;
        break;
      }
      case 'increment':
        increment = bigArg(d);
        if (increment === 0n) throw invalid('INCREMENT must not be zero');
        break;
      case 'minvalue':
        min = d.arg === undefined ? null : bigArg(d);
        break;
      case 'maxvalue':
        max = d.arg === undefined ? null : bigArg(d);
        break;
      case 'start':
        start = bigArg(d);
        break;
      case 'restart':
        restart = d.arg === undefined ? BigInt(start ?? BigInt(base?.start ?? 1)) : bigArg(d);
        break;
      case 'cache':
        cache = Number(bigArg(d));
        if (cache <= 0) throw invalid(`CACHE (${cache}) must be greater than zero`);
        break;
      case 'cycle':
        cycle = d.arg?.Boolean?.boolval === true;
        break;
      case 'owned_by': {
        const names: string[] = d.arg.List.items.map((i: any) => i.String.sval);
        ownedBy = names.length === 1 && names[0] === 'none' ? null : names;
        break;
      }
      case 'sequence_name':
        break;
      default:
        throw new SqlError(SqlState.syntaxError, `option "${d.defname}" not recognized`);
    }
  }
  const [typeMin, typeMax] = BOUNDS[type.name];
  const inc = increment ?? BigInt(base?.increment ?? 1);
  const asc = inc > 0n;
  // MINVALUE/MAXVALUE follow the type when not given (or when AS changes the type and they were the old type's bounds).
  const oldBounds = base !== null ? BOUNDS[base.type.name] : null;
  const baseMin = base === null || (typeGiven && BigInt(base.min) === (asc ? 1n : oldBounds![0])) ? null : BigInt(base.min);
  const baseMax = base === null || (typeGiven && BigInt(base.max) === (asc ? oldBounds![1] : -1n)) ? null : BigInt(base.max);
  const lo = min === undefined ? baseMin ?? (asc ? 1n : typeMin) : min ?? (asc ? 1n : typeMin);
  const hi = max === undefined ? baseMax ?? (asc ? typeMax : -1n) : max ?? (asc ? typeMax : -1n);
  const typeName = formatType(type);
  if (lo < typeMin || lo > typeMax) throw invalid(`MINVALUE (${lo}) is out of range for sequence data type ${typeName}`);
  if (hi < typeMin || hi > typeMax) throw invalid(`MAXVALUE (${hi}) is out of range for sequence data type ${typeName}`);
  if (lo >= hi) throw invalid(`MINVALUE (${lo}) must be less than MAXVALUE (${hi})`);
  const st = start ?? (base !== null ? BigInt(base.start) : asc ? lo : hi);
  if (st < lo) throw invalid(`START value (${st}) cannot be less than MINVALUE (${lo})`);
  if (st > hi) throw invalid(`START value (${st}) cannot be greater than MAXVALUE (${hi})`);
  if (restart !== undefined) {
    if (restart < lo) throw invalid(`RESTART value (${restart}) cannot be less than MINVALUE (${lo})`);
    if (restart > hi) throw invalid(`RESTART value (${restart}) cannot be greater than MAXVALUE (${hi})`);
  }
  return {
    options: { type, start: st.toString(), increment: inc.toString(), min: lo.toString(), max: hi.toString(), cache: cache ?? base?.cache ?? 1, cycle: cycle ?? base?.cycle ?? false },
    ownedBy,
    restart,
  };
}

/** The SEQUENCE NAME option of an identity specification, unqualified, or undefined. */
export function sequenceNameOption(options: any[]): string | undefined {
  const d = options.find((o) => o.DefElem?.defname === 'sequence_name')?.DefElem;
  if (d === undefined) return undefined;
  const parts: string[] = d.arg.List.items.map((i: any) => i.String.sval);
  return parts[parts.length - 1];
}

/** OWNED BY table.column → the table and attribute index. */
export function resolveOwnedBy(names: string[], ctx: BindContext): { table: TableDef; column: number } {
  if (names.length < 2) throw new SqlError(SqlState.invalidParameterValue, 'invalid OWNED BY option', { hint: 'Specify OWNED BY table.column or OWNED BY NONE.' });
  const col = names[names.length - 1];
  const rel = names.length === 3 ? { schemaname: names[0], relname: names[1] } : { relname: names[0] };
  const table = findTableOrThrow(ctx, rel);
  const column = table.columns.findIndex((c) => c.name === col);
  if (column === -1) throw new SqlError(SqlState.undefinedColumn, `column "${col}" of relation "${table.name}" does not exist`);
  return { table, column };
}

export function bindCreateSequence(n: any, ctx: BindContext): import('./bound-statement').BoundStatement {
  if (n.sequence.relpersistence === 't') throw new SqlError(SqlState.featureNotSupported, 'temporary sequences are not supported');
  const { options, ownedBy } = sequenceOptions(n.options ?? [], null);
  return {
    kind: 'createSequence',
    schema: n.sequence.schemaname ?? 'public',
    name: n.sequence.relname,
    options,
    ownedBy: ownedBy === undefined || ownedBy === null ? null : resolveOwnedBy(ownedBy, ctx),
    ifNotExists: n.if_not_exists === true,
  };
}

export function bindAlterSequence(n: any, ctx: BindContext): import('./bound-statement').BoundStatement {
  const schema = n.sequence.schemaname ?? 'public';
  const seq = ctx.catalog.findSequence(schema, n.sequence.relname);
  if (seq === undefined) {
    if (n.missing_ok === true) return { kind: 'noop', command: 'ALTER SEQUENCE' };
    throw new SqlError(SqlState.undefinedTable, `relation "${n.sequence.relname}" does not exist`);
  }
  const { options, ownedBy, restart } = sequenceOptions(n.options ?? [], seq);
  const owner = ownedBy === undefined ? seq.ownedBy : ownedBy === null ? null : resolveOwnedBy(ownedBy, ctx);
  const def: SequenceDef = { ...seq, ...options, ownedBy: owner === null ? null : 'table' in owner ? { tableId: owner.table.id, column: owner.column } : owner };
  return { kind: 'alterSequence', def, restart: restart === undefined ? null : restart.toString() };
}

// ---- sequence functions ----

export const SEQUENCE_FUNCTIONS = new Set(['nextval', 'currval', 'setval', 'lastval', 'pg_get_serial_sequence']);

/** `'name'::regclass` (how serial defaults are written) → just the string literal. */
export function stripRegclass(node: any): any {
  const tc = node?.TypeCast;
  if (tc === undefined) return node;
  const names: string[] = (tc.typeName?.names ?? []).map((x: any) => x.String.sval);
  return names[names.length - 1] === 'regclass' ? tc.arg : node;
}

/**
 * nextval(regclass) → int8, currval(regclass) → int8, setval(regclass, int8[, bool]) → int8, lastval() → int8.
 * The sequence is named by text (as regclass input is) and resolved when the call runs.
 */
export function bindSequenceCall(name: string, args: Expr[], ctx: BindContext, position?: number, namePosition?: number): Expr {
  if (name === 'pg_get_serial_sequence') return serialSequenceOf(args, ctx);
  const arity: Record<string, number[]> = { nextval: [1], currval: [1], setval: [2, 3], lastval: [0] };
  const signature = () => args.map((a) => formatType(isUnknown(a.type) ? Types.unknown : a.type)).join(', ');
  const missing = () =>
    new SqlError(SqlState.undefinedFunction, `function ${name}(${signature()}) does not exist`, {
      position,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  if (!arity[name].includes(args.length)) throw missing();
  const coerced: Expr[] = [];
  if (args.length > 0) {
    if (!isString(args[0].type) && !isUnknown(args[0].type)) throw missing();
    coerced.push(coerce(args[0], Types.text, ctx));
    // A literal name is resolved now, as PostgreSQL's regclass constant is (errors point at it).
    const a = args[0];
    if (a.kind === 'const' && typeof a.value === 'string') {
      try {
        resolveSequence(ctx.catalog, a.value);
      } catch (err) {
        if (err instanceof SqlError && err.code === SqlState.undefinedTable && namePosition !== undefined) throw new SqlError(err.code, err.message, { position: namePosition, hint: err.hint, detail: err.detail });
        throw err;
      }
    }
  }
  if (args.length > 1) {
    const t = args[1].type;
    if (!isUnknown(t) && !['int2', 'int4', 'int8', 'numeric'].includes(t.name)) throw missing();
    coerced.push(coerce(args[1], Types.int8, ctx));
  }
  if (args.length > 2) {
    if (!isUnknown(args[2].type) && args[2].type.name !== 'bool') throw missing();
    coerced.push(coerce(args[2], Types.bool, ctx));
  }
  return { kind: 'call', fn: name as 'nextval', args: coerced, type: Types.int8 };
}

/**
 * A relation name as regclass input reads it: optional schema, unquoted parts folded to lower
 * case, "quoted" parts kept as written.
 */
export function parseRelationName(text: string): { schema: string | null; name: string } {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    let part = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length) {
        if (s[i] === '"' && s[i + 1] === '"') {
          part += '"';
          i += 2;
        } else if (s[i] === '"') {
          i++;
          break;
        } else part += s[i++];
      }
    } else {
      while (i < s.length && s[i] !== '.') part += s[i++];
      part = part.trim().toLowerCase();
    }
    parts.push(part);
    if (s[i] !== '.') break;
    i++;
  }
  if (parts.length === 0 || parts.some((p) => p === '') || parts.length > 3) throw new SqlError(SqlState.invalidName, `invalid name syntax`);
  return parts.length === 1 ? { schema: null, name: parts[0] } : { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
}

/** The sequence named by regclass text, as the catalog sees it (42P01 / 42809 otherwise). */
export function resolveSequence(catalog: CatalogView, text: string): SequenceDef {
  const { schema, name } = parseRelationName(text);
  const seq = catalog.findSequence(schema ?? 'public', name);
  if (seq !== undefined) return seq;
  const shown = schema === null ? name : `${schema}.${name}`;
  if (catalog.findTable(schema ?? 'public', name) !== undefined || catalog.findView(schema ?? 'public', name) !== undefined)
    throw new SqlError(SqlState.wrongObjectType, `"${shown}" is not a sequence`);
  throw new SqlError(SqlState.undefinedTable, `relation "${shown}" does not exist`);
}

/** serial, bigserial, smallserial (and serial4/8/2) → the integer type, or null for other types. */
export function serialType(typeName: any): DataType | null {
  const names: string[] = (typeName.names ?? []).map((x: any) => x.String.sval);
  if (names.length !== 1 || (typeName.arrayBounds ?? []).length > 0) return null;
  switch (names[0]) {
    case 'serial':
    case 'serial4':
      return Types.int4;
    case 'bigserial':
    case 'serial8':
      return Types.int8;
    case 'smallserial':
    case 'serial2':
      return Types.int2;
    default:
      return null;
  }
}

/**
 * pg_get_serial_sequence(table text, column text) → text: the sequence a serial or identity column
 * owns ('schema.name'), or NULL. Resolved while binding, so its arguments must be constants.
 */
function serialSequenceOf(args: Expr[], ctx: BindContext): Expr {
  const text = (e: Expr | undefined): string | null => (e !== undefined && e.kind === 'const' && typeof e.value === 'string' ? e.value : null);
  if (args.length !== 2) throw new SqlError(SqlState.undefinedFunction, `function pg_get_serial_sequence with ${args.length} arguments does not exist`);
  const tableText = text(args[0]);
  const column = text(args[1]);
  if (tableText === null || column === null) throw new SqlError(SqlState.featureNotSupported, 'pg_get_serial_sequence with non-constant arguments is not supported');
  const { schema, name } = parseRelationName(tableText);
  const table = ctx.catalog.findTable(schema ?? 'public', name);
  if (table === undefined) throw new SqlError(SqlState.undefinedTable, `relation "${schema === null ? name : `${schema}.${name}`}" does not exist`);
  const attr = table.columns.findIndex((c) => c.name === column);
  if (attr === -1) throw new SqlError(SqlState.undefinedColumn, `column "${column}" of relation "${table.name}" does not exist`);
  const seq = ctx.catalog.sequences().find((q) => q.ownedBy?.tableId === table.id && q.ownedBy.column === attr);
  const ident = (x: string) => (/^[a-z_][a-z0-9_$]*$/.test(x) ? x : `"${x.replace(/"/g, '""')}"`);
  return { kind: 'const', value: seq === undefined ? null : `${ident(seq.schema)}.${ident(seq.name)}`, type: Types.text };
}
