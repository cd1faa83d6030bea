// Kernels for the pure functions that psql's and drivers' catalog queries call: POSIX regular
// expression matching (~, ~*), format_type, quote_ident and array_to_string over an array's text form.
import { FunctionName } from '../../plan/expr';
import { DataType } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { formatTypeOid, parseArrayLiteral, quoteIdent } from '../../types/pg-types';
import { CompiledExpr, VectorFn } from './compiled';
import { mapDictKernel, rowKernel } from './kernels-string';

const regexCache = new Map<string, RegExp>();

/**
 * A POSIX (ARE) pattern as a JavaScript RegExp. The constructs catalog queries use — anchors,
 * groups, alternation, classes, quantifiers — mean the same in both; [[:alpha:]]-style classes and
 * the ARE escapes \m \M \y are translated.
 */
function compileRegex(pattern: string, insensitive: boolean): RegExp {
  const key = (insensitive ? 'i' : 's') + pattern;
  let re = regexCache.get(key);
  if (re === undefined) {
    const classes: Record<string, string> = {
      alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '\\w',
    };
    const src = pattern
      .replace(/\[:(\w+):\]/g, (m, name: string) => classes[name] ?? m)
      .replace(/\\y/g, '\\b')
      .replace(/\\m/g, '\\b(?=\\w)')
      .replace(/\\M/g, '\\b(?<=\\w)');
    try {
      re = new RegExp(src, insensitive ? 'iu' : 'u');
    } catch (e) {
      throw new SqlError(SqlState.invalidRegularExpression, `invalid regular expression: ${(e as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

/** array_to_string over an array's text form ({a,b,"c d"}); NULL elements are skipped. */
function arrayToString(text: string, sep: string): string {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) throw new SqlError(SqlState.invalidTextRepresentation, `malformed array literal: "${text}"`);
  const out: string[] = [];
  let i = 1;
  while (i < s.length - 1) {
    let item = '';
    let quoted = false;
    if (s[i] === '"') {
      quoted = true;
      i++;
      while (i < s.length - 1 && s[i] !== '"') {
        if (s[i] === '\\') i++;
        item += s[i++];
      }
      i++;
    } else {
      while (i < s.length - 1 && s[i] !== ',') item += s[i++];
    }
    if (quoted || item.toUpperCase() !== 'NULL') out.push(item);
    if (s[i] === ',') i++;
  }
  return out.join(sep);
}

/** pg_size_pretty(bigint), PostgreSQL 15's rounding: bytes below 10 kB, then kB, MB, GB, TB halved with one extra bit. */
export function sizePretty(bytes: number): string {
  const limit = 10 * 1024;
  const limit2 = limit * 2 - 1;
  const half = (x: number) => Math.trunc((x + (x < 0 ? -1 : 1)) / 2);
  let size = bytes;
  if (Math.abs(size) < limit) return `${size} bytes`;
  size = Math.floor(size / 512);
  for (const unit of ['kB', 'MB', 'GB']) {
    if (Math.abs(size) < limit2) return `${half(size)} ${unit}`;
    size = Math.floor(size / 1024);
  }
  return `${half(size)} TB`;
}

export function catalogKernel(fn: FunctionName, args: CompiledExpr[], type: DataType): VectorFn | null {
  switch (fn) {
    case 'regex_match':
    case 'regex_imatch': {
      const insensitive = fn === 'regex_imatch';
      if (args[1].isConst && args[1].value !== null) {
        const re = compileRegex(args[1].value as string, insensitive);
        return mapDictKernel(args[0], type, (s) => re.test(s));
      }
      return rowKernel(args, type, ([s, p]) => compileRegex(p as string, insensitive).test(s as string));
    }
    case 'format_type':
      // format_type is not strict in its typmod: NULL means "no modifier known".
      return rowKernel(args, type, ([oid, typmod]) => (oid === null ? null : formatTypeOid(oid as number, typmod === null ? null : (typmod as number))), false);
    case 'quote_ident':
      return mapDictKernel(args[0], type, (s) => quoteIdent(s));
    case 'array_to_string':
      return rowKernel(args, type, ([a, sep]) => arrayToString(a as string, sep as string));
    case 'array_has':
      // SQL semantics of x = ANY(array): true if an element equals x, else NULL if x or an element is NULL, else false.
      return rowKernel(
        args,
        type,
        ([a, x]) => {
          if (a === null) return null;
          const items = parseArrayLiteral(a as string);
          if (items === null) throw new SqlError(SqlState.invalidTextRepresentation, `malformed array literal: "${a}"`);
          if (items.length === 0) return false;
          if (x === null) return null;
          if (items.includes(x as string)) return true;
          return items.includes(null) ? null : false;
        },
        false,
      );
    case 'oid_lookup': {
      // oid_lookup(key, keys and values as JSON arrays): the value for key, or NULL.
      if (!args[1].isConst || !args[2].isConst) throw new SqlError(SqlState.internalError, 'oid_lookup needs constant keys and values');
      const keys = JSON.parse(String(args[1].value)) as (number | string)[];
      const values = JSON.parse(String(args[2].value)) as string[];
      const map = new Map<number | string, string>();
      keys.forEach((k, i) => map.set(k, values[i]));
      return rowKernel([args[0]], type, ([k]) => map.get(k as number | string) ?? null);
    }
    case 'pg_size_pretty':
      return rowKernel(args, type, ([n]) => sizePretty(n as number));
    default:
      return null;
  }
}
