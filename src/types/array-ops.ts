// The array functions and operators over stored arrays (canonical text, see array-text.ts), with
// PostgreSQL's semantics: subscripts count from each dimension's lower bound, out-of-range
// subscripts give NULL, slices are clipped and start again at 1, || concatenates along the first
// dimension.
import { DataType } from './data-type';
import { SqlError, SqlState } from './sql-error';
import { Scalar } from './vector';
import { ArrayValue, EMPTY_ARRAY, elementText, elementValue, elementsEqual, formatArray, parseArrayLiteral, vectorArray } from './array-text';

/** ARRAY[a, b, …] over element values. */
export function constructArray(elem: DataType, values: Scalar[]): string {
  return formatArray(vectorArray(values.map((v) => elementText(elem, v))));
}

/** ARRAY[ARRAY[…], ARRAY[…]]: one more dimension over sub-arrays of equal dimensions. */
export function constructNested(subs: (string | null)[], mismatch = 'multidimensional arrays must have array expressions with matching dimensions'): string {
  const parsed = subs.map((s) => (s === null ? EMPTY_ARRAY : parseArrayLiteral(s)));
  if (parsed.length === 0 || parsed.every((p) => p.dims.length === 0)) return '{}';
  const first = parsed[0];
  for (const p of parsed)
    if (p.dims.length !== first.dims.length || p.dims.some((d, k) => d !== first.dims[k]))
      throw new SqlError(SqlState.arraySubscriptError, mismatch);
  return formatArray({ dims: [parsed.length, ...first.dims], lbounds: [1, ...first.lbounds], items: parsed.flatMap((p) => p.items) });
}

/** a[i][j]…: the element, or NULL when a subscript is NULL, out of range, or their count differs from the dimensions. */
export function subscript(elem: DataType, stored: string, idx: (number | null)[]): Scalar {
  const a = parseArrayLiteral(stored);
  if (idx.length !== a.dims.length) return null;
  let offset = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (i === null) return null;
    const rel = i - a.lbounds[k];
    if (rel < 0 || rel >= a.dims[k]) return null;
    offset = offset * a.dims[k] + rel;
  }
  return elementValue(elem, a.items[offset]);
}

/** a[lo:hi][…]: bounds null where omitted (to the array's own bound); extra dimensions keep all. */
export function slice(stored: string, bounds: { lo: number | null; hi: number | null }[]): string {
  const a = parseArrayLiteral(stored);
  if (a.dims.length === 0 || bounds.length > a.dims.length) return '{}';
  const ranges: [number, number][] = [];
  for (let k = 0; k < a.dims.length; k++) {
    const b = bounds[k];
    const first = a.lbounds[k];
    const last = first + a.dims[k] - 1;
    const lo = Math.max(b?.lo ?? first, first);
    const hi = Math.min(b?.hi ?? last, last);
    if (hi < lo) return '{}';
    ranges.push([lo - first, hi - first]);
  }
  const items: (string | null)[] = [];
  const walk = (k: number, offset: number) => {
    for (let i = ranges[k][0]; i <= ranges[k][1]; i++) {
      const o = offset * a.dims[k] + i;
      if (k === a.dims.length - 1) items.push(a.items[o]);
      else walk(k + 1, o);
    }
  };
  walk(0, 0);
  return formatArray({ dims: ranges.map(([lo, hi]) => hi - lo + 1), lbounds: ranges.map(() => 1), items });
}

function dimsError(): SqlError {
  return new SqlError(SqlState.arraySubscriptError, 'cannot concatenate incompatible arrays', {
    detail: 'Arrays with differing element dimensions are not compatible for concatenation.',
  });
}

/** array || array (array_cat): a NULL or empty side yields the other; else joined along the first dimension. */
export function arrayCat(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  const x = parseArrayLiteral(a);
  const y = parseArrayLiteral(b);
  if (x.dims.length === 0) return b;
  if (y.dims.length === 0) return a;
  const same = (p: number[], q: number[]) => p.length === q.length && p.every((d, k) => d === q[k]);
  if (x.dims.length === y.dims.length) {
    if (!same(x.dims.slice(1), y.dims.slice(1))) {
      if (x.dims.length === 1) return formatArray({ dims: [x.dims[0] + y.dims[0]], lbounds: [x.lbounds[0]], items: [...x.items, ...y.items] });
      throw dimsError();
    }
    return formatArray({ dims: [x.dims[0] + y.dims[0], ...x.dims.slice(1)], lbounds: x.lbounds, items: [...x.items, ...y.items] });
  }
  if (x.dims.length === y.dims.length + 1 && same(x.dims.slice(1), y.dims))
    return formatArray({ dims: [x.dims[0] + 1, ...y.dims], lbounds: x.lbounds, items: [...x.items, ...y.items] });
  if (y.dims.length === x.dims.length + 1 && same(y.dims.slice(1), x.dims))
    return formatArray({ dims: [y.dims[0] + 1, ...x.dims], lbounds: y.lbounds, items: [...x.items, ...y.items] });
  throw new SqlError(SqlState.arraySubscriptError, 'cannot concatenate incompatible arrays', {
    detail: `Arrays of ${x.dims.length} and ${y.dims.length} dimensions are not compatible for concatenation.`,
  });
}

function oneDimensional(a: ArrayValue, what: string): void {
  void what;
  if (a.dims.length > 1) throw new SqlError(SqlState.dataException, 'argument must be empty or one-dimensional array');
}

/** array_append / array || element: a NULL array is an empty one. */
export function arrayAppend(elem: DataType, stored: string | null, value: Scalar): string {
  const a = stored === null ? EMPTY_ARRAY : parseArrayLiteral(stored);
  oneDimensional(a, 'array_append');
  if (a.dims.length === 0) return formatArray(vectorArray([elementText(elem, value)]));
  return formatArray({ dims: [a.dims[0] + 1], lbounds: a.lbounds, items: [...a.items, elementText(elem, value)] });
}

/** array_prepend / element || array. */
export function arrayPrepend(elem: DataType, value: Scalar, stored: string | null): string {
  const a = stored === null ? EMPTY_ARRAY : parseArrayLiteral(stored);
  oneDimensional(a, 'array_prepend');
  if (a.dims.length === 0) return formatArray(vectorArray([elementText(elem, value)]));
  return formatArray({ dims: [a.dims[0] + 1], lbounds: a.lbounds, items: [elementText(elem, value), ...a.items] });
}

export function arrayLength(stored: string, dim: number): number | null {
  const a = parseArrayLiteral(stored);
  return dim >= 1 && dim <= a.dims.length ? a.dims[dim - 1] : null;
}
export function arrayLower(stored: string, dim: number): number | null {
  const a = parseArrayLiteral(stored);
  return dim >= 1 && dim <= a.dims.length ? a.lbounds[dim - 1] : null;
}
export function arrayUpper(stored: string, dim: number): number | null {
  const a = parseArrayLiteral(stored);
  return dim >= 1 && dim <= a.dims.length ? a.lbounds[dim - 1] + a.dims[dim - 1] - 1 : null;
}
export function cardinality(stored: string): number {
  return parseArrayLiteral(stored).items.length;
}
export function arrayNdims(stored: string): number | null {
  const n = parseArrayLiteral(stored).dims.length;
  return n === 0 ? null : n;
}
export function arrayDims(stored: string): string | null {
  const a = parseArrayLiteral(stored);
  return a.dims.length === 0 ? null : a.dims.map((d, k) => `[${a.lbounds[k]}:${a.lbounds[k] + d - 1}]`).join('');
}

/** array_position(a, x [, start]): the first subscript holding x (NULL finds NULL), or NULL. */
export function arrayPosition(elem: DataType, stored: string, value: Scalar, start: number | null): number | null {
  const a = parseArrayLiteral(stored);
  if (a.dims.length > 1) throw new SqlError(SqlState.featureNotSupported, 'searching for elements in multidimensional arrays is not supported');
  if (a.dims.length === 0) return null;
  const target = elementText(elem, value);
  const lb = a.lbounds[0];
  const from = start === null ? 0 : Math.max(0, start - lb);
  for (let k = from; k < a.items.length; k++) {
    const item = a.items[k];
    if (item === null ? target === null : target !== null && elementsEqual(elem, item, target)) return k + lb;
  }
  return null;
}

/** a @> b: every element of b is in a (NULLs never match; dimensions are ignored). */
export function arrayContains(elem: DataType, a: string, b: string): boolean {
  const x = parseArrayLiteral(a).items;
  const y = parseArrayLiteral(b).items;
  for (const item of y) {
    if (item === null) return false;
    if (!x.some((v) => v !== null && elementsEqual(elem, v, item))) return false;
  }
  return true;
}

/** a && b: some non-NULL element is in both. */
export function arrayOverlaps(elem: DataType, a: string, b: string): boolean {
  const x = parseArrayLiteral(a).items;
  const y = parseArrayLiteral(b).items;
  return y.some((item) => item !== null && x.some((v) => v !== null && elementsEqual(elem, v, item)));
}

/** The elements as values, row-major (unnest). */
export function arrayElements(elem: DataType, stored: string): Scalar[] {
  return parseArrayLiteral(stored).items.map((t) => elementValue(elem, t));
}

/** array_remove(a, x): a without the elements equal to x (NULL removes NULLs); one dimension only. */
export function arrayRemove(elem: DataType, stored: string, value: Scalar): string {
  const a = parseArrayLiteral(stored);
  if (a.dims.length > 1) throw new SqlError(SqlState.featureNotSupported, 'removing elements from multidimensional arrays is not supported');
  const target = elementText(elem, value);
  const kept = a.items.filter((item) => !(item === null ? target === null : target !== null && elementsEqual(elem, item, target)));
  return kept.length === a.items.length ? stored : formatArray(kept.length === 0 ? EMPTY_ARRAY : { dims: [kept.length], lbounds: a.lbounds, items: kept });
}

/** array_replace(a, x, y): every element equal to x (NULL matches NULL) becomes y; any dimensions. */
export function arrayReplace(elem: DataType, stored: string, from: Scalar, to: Scalar): string {
  const a = parseArrayLiteral(stored);
  const target = elementText(elem, from);
  const replacement = elementText(elem, to);
  a.items = a.items.map((item) => (item === null ? target === null : target !== null && elementsEqual(elem, item, target)) ? replacement : item);
  return formatArray(a);
}

/** array_to_string(a, sep [, null_text]): the elements' text output joined; NULLs skipped unless null_text is given. */
export function arrayToString(elem: DataType, stored: string, sep: string, nullText: string | null, format: (v: Scalar) => string): string {
  const out: string[] = [];
  for (const item of parseArrayLiteral(stored).items) {
    if (item === null) {
      if (nullText !== null) out.push(nullText);
    } else out.push(format(elementValue(elem, item)));
  }
  return out.join(sep);
}

/** string_to_array(s, sep [, null_text]): NULL sep splits into characters, '' sep keeps s whole. */
export function stringToArray(s: string, sep: string | null, nullText: string | null): string {
  let parts: string[];
  if (s === '') parts = [];
  else if (sep === null) parts = [...s];
  else if (sep === '') parts = [s];
  else parts = s.split(sep);
  return formatArray(vectorArray(parts.map((p) => (nullText !== null && p === nullText ? null : p))));
}

/** a[i] := v for one-dimensional arrays: beyond either end the array grows, with NULLs in between (PostgreSQL's array_set). */
export function arraySetElement(elem: DataType, stored: string | null, index: number, value: Scalar): string {
  const a = stored === null ? EMPTY_ARRAY : parseArrayLiteral(stored);
  const text = elementText(elem, value);
  if (a.dims.length === 0) return formatArray({ dims: [1], lbounds: [index], items: [text] });
  if (a.dims.length > 1) throw new SqlError(SqlState.featureNotSupported, 'assignment to an element of a multidimensional array is not supported');
  const lb = a.lbounds[0];
  const ub = lb + a.dims[0] - 1;
  const from = Math.min(lb, index);
  const to = Math.max(ub, index);
  const items: (string | null)[] = new Array(to - from + 1).fill(null);
  for (let k = 0; k < a.items.length; k++) items[lb - from + k] = a.items[k];
  items[index - from] = text;
  return formatArray({ dims: [items.length], lbounds: [from], items });
}
