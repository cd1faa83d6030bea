// Kernels for the pure functions that psql's and drivers' catalog queries call: POSIX regular
// expression matching (~, ~*), format_type, quote_ident and array_to_string over an array's text form.
import { FunctionName } from '../../plan/expr';
import { DataType } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { formatTypeOid, quoteIdent } from '../../types/pg-types';
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
    default:
      return null;
  }
}
