// Array functions and operators. An array argument is a StringVector of canonical array texts
// (types/array-text.ts): when the other arguments are constants the work is done once per
// dictionary entry, else per row.
import { CallExpr } from '../../plan/expr';
import { DataType, Types } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { FormatSettings, formatScalar } from '../../types/text-format';
import { Scalar } from '../../types/vector';
import * as ops from '../../types/array-ops';
import { elementKey, elementText, parseArrayLiteral } from '../../types/array-text';
import { CompiledExpr, VectorFn } from './compiled';
import { mapDictKernel, rowKernel } from './kernels-string';
import { compareStrings } from '../string-order';

export const ARRAY_FNS = new Set([
  'array_construct', 'array_construct_nested', 'array_subscript', 'array_slice', 'array_cat', 'array_append', 'array_prepend',
  'array_length', 'array_lower', 'array_upper', 'cardinality', 'array_ndims', 'array_dims', 'array_position',
  'array_contains', 'array_contained', 'array_overlaps', 'array_any', 'array_all',
  'array_remove', 'array_replace', 'array_to_text', 'string_to_array', 'array_set_element',
]);

/** Functions that can raise an error on some input. */
export const ARRAY_ERRORING = new Set(['array_construct_nested', 'array_cat', 'array_append', 'array_prepend', 'array_position', 'array_remove', 'array_set_element']);

const num = (v: Scalar) => v as number;
const str = (v: Scalar) => v as string;

/** f(array, constants…) per dictionary entry; f(…) per row otherwise. */
function perArray(args: CompiledExpr[], outType: DataType, fn: (vals: Scalar[]) => Scalar): VectorFn {
  const rest = args.slice(1);
  if (args[0].type.storage === 'string' && !args[0].isConst && rest.every((a) => a.isConst)) {
    const consts = rest.map((a) => a.value);
    if (consts.some((c) => c === null)) return rowKernel(args, outType, fn);
    return mapDictKernel(args[0], outType, (s) => fn([s, ...consts]));
  }
  return rowKernel(args, outType, fn);
}

export function arrayKernel(e: CallExpr, args: CompiledExpr[], fs: FormatSettings): VectorFn {
  const t = e.type;
  const elemOf = (k: number) => args[k].type.elem!;
  switch (e.fn) {
    case 'array_construct':
      return rowKernel(args, t, (vals) => ops.constructArray(t.elem!, vals), false);
    case 'array_construct_nested':
      return rowKernel(args, t, (vals) => ops.constructNested(vals as (string | null)[]), false);
    case 'array_subscript':
      return perArray(args, t, ([a, ...idx]) => ops.subscript(elemOf(0), str(a), idx as number[]));
    case 'array_slice': {
      // args: array, omitted-mask ('lo/hi' pairs as 'o' omitted, '-' given), then the bounds.
      const mask = args[1].value as string;
      return rowKernel([args[0], ...args.slice(2)], t, ([a, ...b]) => {
        if (a === null) return null;
        for (let k = 0; k < b.length; k++) if (b[k] === null && mask[k] !== 'o') return null;
        const bounds: { lo: number | null; hi: number | null }[] = [];
        for (let k = 0; k < b.length; k += 2)
          bounds.push({ lo: mask[k] === 'o' ? null : num(b[k]), hi: mask[k + 1] === 'o' ? null : num(b[k + 1]) });
        return ops.slice(str(a), bounds);
      }, false);
    }
    case 'array_cat':
      return rowKernel(args, t, ([a, b]) => ops.arrayCat(a as string | null, b as string | null), false);
    case 'array_append':
      return rowKernel(args, t, ([a, v]) => ops.arrayAppend(t.elem!, a as string | null, v), false);
    case 'array_prepend':
      return rowKernel(args, t, ([v, a]) => ops.arrayPrepend(t.elem!, v, a as string | null), false);
    case 'array_length':
      return perArray(args, t, ([a, d]) => ops.arrayLength(str(a), num(d)));
    case 'array_lower':
      return perArray(args, t, ([a, d]) => ops.arrayLower(str(a), num(d)));
    case 'array_upper':
      return perArray(args, t, ([a, d]) => ops.arrayUpper(str(a), num(d)));
    case 'cardinality':
      return perArray(args, t, ([a]) => ops.cardinality(str(a)));
    case 'array_ndims':
      return perArray(args, t, ([a]) => ops.arrayNdims(str(a)));
    case 'array_dims':
      return perArray(args, t, ([a]) => ops.arrayDims(str(a)));
    case 'array_position': {
      const fn = (vals: Scalar[]) => (vals[0] === null ? null : ops.arrayPosition(elemOf(0), str(vals[0]), vals[1], vals.length > 2 ? (vals[2] as number | null) : null));
      if (!args[0].isConst && args.slice(1).every((a) => a.isConst)) {
        const consts = args.slice(1).map((a) => a.value);
        return mapDictKernel(args[0], t, (s) => fn([s, ...consts]));
      }
      return rowKernel(args, t, fn, false);
    }
    case 'array_contains':
      return perArray(args, t, ([a, b]) => ops.arrayContains(elemOf(0), str(a), str(b)));
    case 'array_contained':
      return perArray(args, t, ([a, b]) => ops.arrayContains(elemOf(0), str(b), str(a)));
    case 'array_overlaps':
      return perArray(args, t, ([a, b]) => ops.arrayOverlaps(elemOf(0), str(a), str(b)));
    case 'array_any':
    case 'array_all':
      return anyAll(e.fn === 'array_any', args);
    case 'array_remove':
      return rowKernel(args, t, ([a, x]) => (a === null ? null : ops.arrayRemove(elemOf(0), str(a), x)), false);
    case 'array_replace':
      return rowKernel(args, t, ([a, x, y]) => (a === null ? null : ops.arrayReplace(elemOf(0), str(a), x, y)), false);
    case 'array_to_text': {
      // (array, separator[, null text]): strict in the first two only, as PostgreSQL's.
      const elem = elemOf(0);
      const format = (v: Scalar) => formatScalar(elem, v, fs)!;
      return rowKernel(args, t, ([a, sep, nul]) => (a === null || sep === null ? null : ops.arrayToString(elem, str(a), str(sep), (nul ?? null) as string | null, format)), false);
    }
    case 'array_set_element':
      return rowKernel(args, t, ([a, i, v]) => {
        if (i === null) throw new SqlError(SqlState.nullValueNotAllowed, 'array subscript in assignment must not be null');
        return ops.arraySetElement(t.elem!, a as string | null, num(i), v);
      }, false);
    case 'string_to_array':
      return rowKernel(args, t, ([s, sep, nul]) => (s === null ? null : ops.stringToArray(str(s), sep as string | null, (nul ?? null) as string | null)), false);
    default:
      throw new Error(`arrayKernel: ${e.fn}`);
  }
}

/**
 * x op ANY(array) / ALL: args are (op name const, x, array). Three-valued as PostgreSQL: ANY is
 * true if some comparison is true, else NULL if some was NULL, else false (ALL the mirror image).
 */
function anyAll(any: boolean, args: CompiledExpr[]): VectorFn {
  const op = args[0].value as string;
  const elem = args[2].type.elem!;
  const holds = (c: number) => (op === 'eq' ? c === 0 : op === 'ne' ? c !== 0 : op === 'lt' ? c < 0 : op === 'le' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0);
  const fn = ([x, a]: Scalar[]): Scalar => {
    if (a === null) return null;
    const items = parseArrayLiteral(str(a)).items;
    if (items.length === 0) return !any;
    if (x === null) return null;
    const xKey = elementKey(elem, elementText(elem, x)!);
    let sawNull = false;
    for (const item of items) {
      if (item === null) {
        sawNull = true;
        continue;
      }
      const r = holds(compareStrings(xKey, elementKey(elem, item)));
      if (any && r) return true;
      if (!any && !r) return false;
    }
    return sawNull ? null : !any;
  };
  // A constant left side (x = ANY(column)): once per distinct array, not per row.
  const [x, arr] = [args[1], args[2]];
  if (x.isConst && !arr.isConst) return mapDictKernel(arr, Types.bool, (a) => fn([x.value, a]));
  return rowKernel([x, arr], Types.bool, fn, false);
}
