// String functions and LIKE. The usual shape — a string column with constant other arguments — is
// evaluated once per dictionary entry (cached per dictionary object, so a scan's shared dictionary
// is processed once per query) and mapped over the codes; anything else goes row by row.
// Positions and lengths count characters (code points), as PostgreSQL does in UTF-8.
import { createHash } from 'crypto';
import { FunctionName } from '../../plan/expr';
import { DataType } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { Scalar, StringVector, Vector } from '../../types/vector';
import { getScalar, newVector, vectorFromScalars } from '../../types/vector-ops';
import { trimTrailingSpaces } from '../string-order';
import { placeholder } from '../vector-util';
import { CompiledExpr, VectorFn } from './compiled';
import { compileLike } from './like';

type StrFn = (s: string) => Scalar;

/**
 * Applies fn once per dictionary entry of a string vector (cached per dictionary object); NULL rows
 * stay NULL. An entry whose evaluation fails raises its error only if a live row uses it: a
 * dictionary may hold values of rows that are deleted or filtered out.
 */
export function mapDictKernel(arg: CompiledExpr, outType: DataType, fn: StrFn): VectorFn {
  const f = arg.eval;
  const cache = new WeakMap<string[], DictTable>();
  return (batch) => {
    const v = f(batch) as StringVector;
    let table = cache.get(v.dict);
    if (table === undefined || table.values.length !== v.dict.length) {
      table = evalDict(v.dict, fn);
      cache.set(v.dict, table);
    }
    if (table.errors !== null) raiseIfUsed(v, table.errors);
    return fromTable(v, table.values, outType);
  };
}

interface DictTable {
  values: Scalar[];
  errors: Map<number, unknown> | null;
}

function evalDict(dict: string[], fn: StrFn): DictTable {
  const values: Scalar[] = new Array(dict.length);
  let errors: Map<number, unknown> | null = null;
  for (let k = 0; k < dict.length; k++) {
    try {
      values[k] = fn(dict[k]);
    } catch (e) {
      values[k] = null;
      (errors ??= new Map()).set(k, e);
    }
  }
  return { values, errors };
}

function raiseIfUsed(v: StringVector, errors: Map<number, unknown>): void {
  const nulls = v.nulls;
  for (let i = 0; i < v.length; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const e = errors.get(v.codes[i]);
    if (e !== undefined) throw e;
  }
}

const dictOut = new WeakMap<Scalar[], string[]>();
const tableNulls = new WeakMap<Scalar[], boolean>();

/** Row nulls: the input's, plus rows whose entry maps to NULL (e.g. json `->` of a missing key). */
function resultNulls(v: StringVector, table: Scalar[], n: number, copy: boolean): Uint8Array | null {
  let any = tableNulls.get(table);
  if (any === undefined) tableNulls.set(table, (any = table.some((x) => x === null)));
  if (!any) return v.nulls === null ? null : copy ? v.nulls.slice(0, n) : v.nulls;
  const out = v.nulls === null ? new Uint8Array(n) : v.nulls.slice(0, n);
  for (let i = 0; i < n; i++) if (table[v.codes[i]] === null) out[i] = 1;
  return out;
}

function fromTable(v: StringVector, table: Scalar[], outType: DataType): Vector {
  const n = v.length;
  const codes = v.codes;
  if (outType.storage === 'string') {
    let dict = dictOut.get(table);
    if (dict === undefined) {
      dict = table as string[];
      dictOut.set(table, dict);
    }
    return { kind: 'string', type: outType, length: n, nulls: resultNulls(v, table, n, false), codes: codes.subarray(0, n), dict };
  }
  const out = newVector(outType, n);
  out.nulls = resultNulls(v, table, n, true);
  if (out.kind === 'bool' || out.kind === 'int32' || out.kind === 'int64' || out.kind === 'float64' || out.kind === 'timestamp') {
    const vals = out.values;
    const t = table as (number | boolean)[];
    for (let i = 0; i < n; i++) {
      const x = t[codes[i]];
      vals[i] = x === true ? 1 : x === false ? 0 : (x as number);
    }
    return out;
  }
  const values: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = out.nulls !== null && out.nulls[i] === 1 ? null : table[codes[i]];
  return vectorFromScalars(outType, values);
}

/** Applies fn to each row's argument values; strict (a NULL argument gives NULL) unless told otherwise. */
export function rowKernel(args: CompiledExpr[], outType: DataType, fn: (vals: Scalar[]) => Scalar, strict = true): VectorFn {
  const fs = args.map((a) => a.eval);
  return (batch) => {
    const n = batch.length;
    const vs = fs.map((f) => f(batch));
    const out: Scalar[] = new Array(n);
    const vals: Scalar[] = new Array(vs.length);
    for (let i = 0; i < n; i++) {
      let isNull = false;
      for (let k = 0; k < vs.length; k++) {
        const x = getScalar(vs[k], i);
        if (x === null && strict) {
          isNull = true;
          break;
        }
        vals[k] = x;
      }
      out[i] = isNull ? null : fn(vals);
    }
    return vectorFromScalars(outType, out);
  };
}

/**
 * A function of a string (argument 0) and other arguments: per dictionary entry when the others
 * are constants (a NULL constant makes every row NULL), else per row.
 */
function stringFn(args: CompiledExpr[], outType: DataType, fn: (s: string, rest: Scalar[]) => Scalar, bpcharTrim = false): VectorFn {
  const first = args[0];
  const trim = bpcharTrim && first.type.name === 'bpchar';
  if (first.type.storage === 'string' && args.slice(1).every((a) => a.isConst)) {
    const rest = args.slice(1).map((a) => a.value);
    if (rest.some((r) => r === null)) return (batch) => placeholder(outType, batch.length);
    return mapDictKernel(first, outType, (s) => fn(trim ? trimTrailingSpaces(s) : s, rest));
  }
  return rowKernel(args, outType, (vals) => fn(trim ? trimTrailingSpaces(vals[0] as string) : (vals[0] as string), vals.slice(1)));
}

// ---- LIKE ----

const likeCache = new Map<string, (s: string) => boolean>();

/** A cached matcher per (pattern, case, escape): for patterns that vary per row. */
function likeMatcher(pattern: string, insensitive: boolean, escape: string | null): (s: string) => boolean {
  const key = (insensitive ? 'i' : 's') + (escape ?? '') + '\u0000' + pattern;
  let m = likeCache.get(key);
  if (m === undefined) {
    m = compileLike(pattern, insensitive, escape);
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(key, m);
  }
  return m;
}

function likeKernel(args: CompiledExpr[], outType: DataType, insensitive: boolean): VectorFn {
  const escapeArg = args[2];
  if (args[1].isConst && (escapeArg === undefined || escapeArg.isConst)) {
    if (args[1].value === null || (escapeArg !== undefined && escapeArg.value === null)) return stringFn(args, outType, () => null);
    const match = compileLike(args[1].value as string, insensitive, escapeArg === undefined ? '\\' : (escapeArg.value as string));
    return mapDictKernel(args[0], outType, match);
  }
  return rowKernel(args, outType, (vals) => likeMatcher(vals[1] as string, insensitive, vals.length > 2 ? (vals[2] as string) : '\\')(vals[0] as string));
}

// ---- helpers over code points ----

function codePoints(s: string): string[] {
  return Array.from(s);
}
function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function hasSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** SQL substring(s FROM start FOR count): positions are 1-based and may start before 1. */
export function sqlSubstring(s: string, start: number, count: number | null): string {
  if (count !== null && count < 0) throw new SqlError(SqlState.substringError, 'negative substring length not allowed');
  // Without surrogate pairs code units are characters: slice directly instead of splitting.
  if (!hasSurrogates(s)) {
    const from = Math.max(start, 1);
    const to = count === null ? s.length + 1 : Math.min(start + count, s.length + 1);
    return to <= from ? '' : s.slice(from - 1, to - 1);
  }
  const chars = codePoints(s);
  const from = Math.max(start, 1);
  const to = count === null ? chars.length + 1 : Math.min(start + count, chars.length + 1);
  if (to <= from) return '';
  return chars.slice(from - 1, to - 1).join('');
}

function trimChars(s: string, chars: string, mode: 'btrim' | 'ltrim' | 'rtrim'): string {
  const set = new Set(codePoints(chars));
  const c = codePoints(s);
  let start = 0;
  let end = c.length;
  if (mode !== 'rtrim') while (start < end && set.has(c[start])) start++;
  if (mode !== 'ltrim') while (end > start && set.has(c[end - 1])) end--;
  return start === 0 && end === c.length ? s : c.slice(start, end).join('');
}

const MAX_STRING_CHARS = (1 << 30) - 1;
function tooLarge(): SqlError {
  return new SqlError(SqlState.programLimitExceeded, 'requested length too large');
}

function pad(s: string, len: number, fill: string, left: boolean): string {
  if (len > MAX_STRING_CHARS) throw tooLarge();
  const c = codePoints(s);
  if (len <= c.length) return c.slice(0, Math.max(0, len)).join('');
  if (fill === '') return s;
  const f = codePoints(fill);
  let padding = '';
  for (let i = 0; i < len - c.length; i++) padding += f[i % f.length];
  return left ? padding + s : s + padding;
}

function strpos(hay: string, needle: string): number {
  const at = hay.indexOf(needle);
  return at === -1 ? 0 : charLength(hay.slice(0, at)) + 1;
}

export function stringKernel(fn: FunctionName, args: CompiledExpr[], type: DataType): VectorFn {
  switch (fn) {
    case 'concat':
      if (args[1].isConst && args[0].type.storage === 'string') return stringFn(args, type, (s, [t]) => s + (t as string));
      if (args[0].isConst && args[1].type.storage === 'string' && args[0].value !== null) {
        const prefix = args[0].value as string;
        return stringFn([args[1]], type, (s) => prefix + s);
      }
      return rowKernel(args, type, ([a, b]) => (a as string) + (b as string));
    case 'like':
    case 'ilike':
      return likeKernel(args, type, fn === 'ilike');
    case 'upper':
      return stringFn(args, type, (s) => s.toUpperCase());
    case 'lower':
      return stringFn(args, type, (s) => s.toLowerCase());
    case 'btrim':
    case 'ltrim':
    case 'rtrim':
      return stringFn(args, type, (s, rest) => trimChars(s, rest.length > 0 ? (rest[0] as string) : ' ', fn));
    case 'length':
    case 'char_length':
      return stringFn(args, type, (s) => charLength(s), true);
    case 'octet_length':
      // bytea strings hold one char code per byte.
      if (args[0].type.name === 'bytea') return stringFn(args, type, (s) => s.length);
      return stringFn(args, type, (s) => Buffer.byteLength(s, 'utf8'));
    case 'substring':
      return stringFn(args, type, (s, rest) => sqlSubstring(s, rest[0] as number, rest.length > 1 ? (rest[1] as number) : null));
    case 'position':
    case 'strpos':
      return stringFn(args, type, (s, [needle]) => strpos(s, needle as string));
    case 'replace':
      return stringFn(args, type, (s, [from, to]) => ((from as string) === '' ? s : s.split(from as string).join(to as string)));
    case 'left':
      return stringFn(args, type, (s, [k]) => {
        const c = codePoints(s);
        const n = k as number;
        return n >= 0 ? c.slice(0, n).join('') : c.slice(0, Math.max(0, c.length + n)).join('');
      });
    case 'right':
      return stringFn(args, type, (s, [k]) => {
        const c = codePoints(s);
        const n = k as number;
        return n >= 0 ? c.slice(Math.max(0, c.length - n)).join('') : c.slice(Math.min(c.length, -n)).join('');
      });
    case 'lpad':
    case 'rpad':
      return stringFn(args, type, (s, rest) => pad(s, rest[0] as number, rest.length > 1 ? (rest[1] as string) : ' ', fn === 'lpad'));
    case 'repeat':
      return stringFn(args, type, (s, [k]) => {
        const n = k as number;
        if (n <= 0) return '';
        if (s.length * n > MAX_STRING_CHARS) throw tooLarge();
        return s.repeat(n);
      });
    case 'reverse':
      return stringFn(args, type, (s) => codePoints(s).reverse().join(''));
    case 'md5':
      return stringFn(args, type, (s) => createHash('md5').update(s, 'utf8').digest('hex'));
    case 'concat_ws':
      return rowKernel(
        args,
        type,
        (vals) => {
          const sep = vals[0];
          if (sep === null) return null;
          const parts: string[] = [];
          for (let k = 1; k < vals.length; k++) if (vals[k] !== null) parts.push(vals[k] as string);
          return parts.join(sep as string);
        },
        false,
      );
    case 'concat_fn':
      return rowKernel(
        args,
        type,
        (vals) => {
          let s = '';
          for (const v of vals) if (v !== null) s += v as string;
          return s;
        },
        false,
      );
    default:
      throw new SqlError(SqlState.undefinedFunction, `function ${fn} is not implemented`);
  }
}
