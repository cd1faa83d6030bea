// Binding of array expressions: ARRAY[…] constructors, subscripts and slices, the array operators
// (|| @> <@ && and comparisons), x op ANY/ALL (array value), and the array functions. Arrays are
// typed elem[] (types/data-type.ts arrayType); the kernels are in exec/expr/kernels-array.ts.
import { Expr, FunctionName } from '../plan/expr';
import { DataType, Types, arrayType, formatType, hasArrayType, withoutTypmod } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { pgTypeByOid } from '../types/pg-types';
import { CoercionContext, coerce, commonType, commonTypeOf, isUnknown } from './coerce';
import { COMPARISON_OPS, bindComparison, noOperator } from './functions';

type BindFn = (node: any) => Expr;

function call(fn: FunctionName, args: Expr[], type: DataType): Expr {
  return { kind: 'call', fn, args, type };
}
const isArrayT = (t: DataType) => t.name === 'array';

function pos(node: any): number | undefined {
  return typeof node?.location === 'number' && node.location >= 0 ? node.location + 1 : undefined;
}

function arrayOf(elem: DataType, position?: number): DataType {
  const e = withoutTypmod(elem);
  if (!hasArrayType(e)) throw new SqlError(SqlState.undefinedObject, `could not find array type for data type ${formatType(elem)}`, { position });
  return arrayType(e);
}

/** ARRAY[…]; `target` is the array type of an enclosing cast (ARRAY[]::int[] needs it). */
export function bindArrayConstructor(n: any, bind: BindFn, ctx: CoercionContext, target: DataType | null): Expr {
  const elements: any[] = n.elements ?? [];
  const position = pos(n);
  if (elements.length === 0) {
    if (target === null)
      throw new SqlError(SqlState.indeterminateDatatype, 'cannot determine type of empty array', {
        position,
        hint: 'Explicitly cast to the desired type, for example ARRAY[]::integer[].',
      });
    return { kind: 'const', value: '{}', type: target };
  }
  const bound = elements.map((e) => (e.A_ArrayExpr !== undefined ? bindArrayConstructor(e.A_ArrayExpr, bind, ctx, target) : bind(e)));
  if (bound.every((b) => isArrayT(b.type))) {
    // ARRAY[ARRAY[…], …] or ARRAY[array_col, …]: one more dimension.
    const t = commonTypeOf(bound.map((b) => b.type), 'ARRAY');
    return call('array_construct_nested', bound.map((b) => coerce(b, t, ctx)), t);
  }
  let elem = commonTypeOf(bound.map((b) => b.type), 'ARRAY');
  if (target !== null && bound.every((b) => isUnknown(b.type))) elem = target.elem!;
  const t = arrayOf(elem, position);
  return call('array_construct', bound.map((b) => coerce(b, t.elem!, ctx)), t);
}

/** a[i], a[i][j], a[lo:hi] (either bound may be omitted). */
export function bindIndirection(n: any, bind: BindFn, ctx: CoercionContext): Expr {
  let arr = bind(n.arg);
  for (const ind of n.indirection as any[]) if (ind.A_Indices === undefined) throw new SqlError(SqlState.featureNotSupported, 'field selection from a composite value is not supported');
  if (!isArrayT(arr.type)) {
    if (isUnknown(arr.type)) arr = coerce(arr, arrayType(Types.text), ctx);
    else throw new SqlError(SqlState.datatypeMismatch, `cannot subscript type ${formatType(arr.type)} because it does not support subscripting`, { position: pos(n.arg) });
  }
  const indices: any[] = n.indirection.map((i: any) => i.A_Indices);
  const int = (node: any): Expr => {
    const e = bind(node);
    if (isUnknown(e.type) || e.type.name === 'int2' || e.type.name === 'int4') return coerce(e, Types.int4, ctx);
    if (e.type.name === 'int8' || e.type.name === 'numeric' || e.type.name === 'float4' || e.type.name === 'float8') return coerce(e, Types.int4, ctx, true);
    throw new SqlError(SqlState.datatypeMismatch, 'array subscript must have type integer', { position: pos(node) });
  };
  if (!indices.some((i) => i.is_slice === true)) return call('array_subscript', [arr, ...indices.map((i) => int(i.uidx))], arr.type.elem!);
  // Any slice makes every subscript a slice; a plain [i] then means [1:i], as in PostgreSQL.
  let mask = '';
  const bounds: Expr[] = [];
  const zero: Expr = { kind: 'const', value: 0, type: Types.int4 };
  for (const i of indices) {
    const lo = i.is_slice ? i.lidx : undefined;
    mask += lo === undefined && i.is_slice ? 'o' : '-';
    bounds.push(lo === undefined ? (i.is_slice ? zero : { kind: 'const', value: 1, type: Types.int4 }) : int(lo));
    mask += i.uidx === undefined ? 'o' : '-';
    bounds.push(i.uidx === undefined ? zero : int(i.uidx));
  }
  return call('array_slice', [arr, { kind: 'const', value: mask, type: Types.text }, ...bounds], withoutTypmod(arr.type));
}

/** Both sides as one array type (an untyped literal takes the other side's), or null. */
function unifyArrays(l: Expr, r: Expr, ctx: CoercionContext): [Expr, Expr] | null {
  const lt = isUnknown(l.type) ? r.type : l.type;
  const rt = isUnknown(r.type) ? l.type : r.type;
  if (!isArrayT(lt) || !isArrayT(rt)) return null;
  const t = commonType(lt, rt);
  if (t === null) return null;
  return [coerce(l, t, ctx), coerce(r, t, ctx)];
}

const SET_OPS: Record<string, FunctionName> = { '@>': 'array_contains', '<@': 'array_contained', '&&': 'array_overlaps' };

/** An operator with an array operand (the caller checked that one side is an array). */
export function bindArrayOperator(op: string, l: Expr, r: Expr, ctx: CoercionContext, position?: number): Expr {
  const cmp = COMPARISON_OPS[op];
  if (cmp !== undefined || SET_OPS[op] !== undefined) {
    const both = unifyArrays(l, r, ctx);
    if (both === null) throw noOperator(op, l.type, r.type, position);
    if (cmp !== undefined) return bindComparison(cmp, both[0], both[1], ctx, op, position);
    return call(SET_OPS[op], both, Types.bool);
  }
  if (op === '||') {
    if ((isArrayT(l.type) || isUnknown(l.type)) && (isArrayT(r.type) || isUnknown(r.type))) {
      const both = unifyArrays(l, r, ctx);
      if (both === null) throw noOperator(op, l.type, r.type, position);
      return call('array_cat', both, both[0].type);
    }
    if (isArrayT(l.type)) return appendCall('array_append', l, r, ctx, op, position);
    return appendCall('array_prepend', r, l, ctx, op, position);
  }
  throw noOperator(op, l.type, r.type, position);
}

/** array || element and element || array: the element joins the array's element type (or both widen). */
function appendCall(fn: 'array_append' | 'array_prepend', arr: Expr, elem: Expr, ctx: CoercionContext, op: string, position?: number): Expr {
  const e = commonType(arr.type.elem!, elem.type);
  if (e === null || !hasArrayType(withoutTypmod(e)))
    throw fn === 'array_append' ? noOperator(op, arr.type, elem.type, position) : noOperator(op, elem.type, arr.type, position);
  const t = e === arr.type.elem ? arr.type : arrayOf(e);
  const a = coerce(arr, t, ctx);
  const x = coerce(elem, t.elem!, ctx);
  return call(fn, fn === 'array_append' ? [a, x] : [x, a], t);
}

/** x op ANY (array) / ALL over an array value; null when the right side is not an array value. */
export function bindAnyAllArray(n: any, bind: BindFn, ctx: CoercionContext): Expr | null {
  const r = n.rexpr;
  // Arrays written out in the query (and catalog arrays kept as text) keep their IN-list rewrite.
  if (r.A_ArrayExpr !== undefined || r.A_Const !== undefined || (r.TypeCast !== undefined && (r.TypeCast.arg.A_Const !== undefined || r.TypeCast.arg.A_ArrayExpr !== undefined))) return null;
  const op: string = n.name[n.name.length - 1].String.sval;
  const cmp = COMPARISON_OPS[op];
  let x = bind(n.lexpr);
  let arr = bind(r);
  if (arr.kind === 'param' && isUnknown(arr.type)) {
    if (isUnknown(x.type)) x = coerce(x, Types.text, ctx);
    arr = coerce(arr, arrayOf(x.type), ctx);
  }
  if (!isArrayT(arr.type)) {
    // A catalog array kept as text (or text holding an array literal): compared as text forms.
    if (pgTypeByOid(arr.type.oid)?.elem !== undefined || arr.type.storage === 'string') return null;
    throw new SqlError(SqlState.wrongObjectType, 'op ANY/ALL (array) requires array on right side', { position: pos(n) });
  }
  if (cmp === undefined) throw noOperator(op, x.type, arr.type.elem!, pos(n));
  const t = commonType(x.type, arr.type.elem!);
  if (t === null) throw noOperator(op, x.type, arr.type.elem!, pos(n));
  const elem = isUnknown(t) ? Types.text : withoutTypmod(t);
  const a = coerce(arr, arrayOf(elem), ctx);
  return call(n.kind === 'AEXPR_OP_ANY' ? 'array_any' : 'array_all', [{ kind: 'const', value: cmp, type: Types.text }, coerce(x, elem, ctx), a], Types.bool);
}

const INT4_OF_ARRAY = new Set(['array_length', 'array_lower', 'array_upper']);

/** The array functions by name, or null when `name` is not one of them. */
export function bindArrayFunction(name: string, args: Expr[], ctx: CoercionContext, position?: number): Expr | null {
  const needArray = (e: Expr): Expr => {
    if (isArrayT(e.type)) return e;
    throw new SqlError(SqlState.undefinedFunction, `function ${name}(${args.map((a) => formatType(a.type)).join(', ')}) does not exist`, {
      position,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  };
  if (INT4_OF_ARRAY.has(name) && args.length === 2) return call(name as FunctionName, [needArray(args[0]), coerce(args[1], Types.int4, ctx)], Types.int4);
  if ((name === 'cardinality' || name === 'array_ndims') && args.length === 1) return call(name, [needArray(args[0])], Types.int4);
  if (name === 'array_dims' && args.length === 1) return call(name, [needArray(args[0])], Types.text);
  if (name === 'array_position' && (args.length === 2 || args.length === 3)) {
    const a = needArray(args[0]);
    const rest = [coerce(args[1], a.type.elem!, ctx), ...(args.length === 3 ? [coerce(args[2], Types.int4, ctx)] : [])];
    return call('array_position', [a, ...rest], Types.int4);
  }
  if (name === 'array_append' && args.length === 2) return appendCall('array_append', needArray(args[0]), args[1], ctx, '||', position);
  if (name === 'array_prepend' && args.length === 2) return appendCall('array_prepend', needArray(args[1]), args[0], ctx, '||', position);
  if (name === 'array_remove' && args.length === 2) {
    const a = needArray(args[0]);
    return call('array_remove', [a, coerce(args[1], a.type.elem!, ctx)], a.type);
  }
  if (name === 'array_replace' && args.length === 3) {
    const a = needArray(args[0]);
    return call('array_replace', [a, coerce(args[1], a.type.elem!, ctx), coerce(args[2], a.type.elem!, ctx)], a.type);
  }
  // array_to_string over a real array (catalog arrays kept as text keep the catalog's version).
  if (name === 'array_to_string' && (args.length === 2 || args.length === 3) && isArrayT(args[0].type))
    return call('array_to_text', [args[0], ...args.slice(1).map((a) => coerce(a, Types.text, ctx))], Types.text);
  if (name === 'string_to_array' && (args.length === 2 || args.length === 3))
    return call('string_to_array', args.map((a) => coerce(a, Types.text, ctx)), arrayType(Types.text));
  if (name === 'array_cat' && args.length === 2) {
    const both = unifyArrays(args[0], args[1], ctx);
    if (both === null) needArray({ ...args[0], type: Types.unknown });
    return call('array_cat', both!, both![0].type);
  }
  return null;
}

/** UPDATE … SET col[i] = v: the column's new value (one subscript, no slices). */
export function bindElementAssignment(indirection: any[], column: Expr, value: Expr, bind: BindFn, ctx: CoercionContext, position?: number): Expr {
  if (!isArrayT(column.type))
    throw new SqlError(SqlState.datatypeMismatch, `cannot subscript type ${formatType(column.type)} because it does not support subscripting`, { position });
  const ind = indirection.length === 1 ? indirection[0].A_Indices : undefined;
  if (ind === undefined || ind.is_slice) throw new SqlError(SqlState.featureNotSupported, 'assignment to an array slice or to several subscripts is not supported');
  const index = coerce(bind(ind.uidx), Types.int4, ctx);
  return call('array_set_element', [column, index, coerce(value, column.type.elem!, ctx)], column.type);
}
