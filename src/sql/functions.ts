// Function and operator resolution: from a name and bound arguments to a FunctionName of
// src/plan/expr.ts with arguments coerced to the signature the executor expects.
import { ComparisonFn, Expr, FunctionName } from '../plan/expr';
import { AggregateFn } from '../plan/plan';
import { DataType, Types, dataType, formatType, isOpaqueString, withoutTypmod } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { CoercionContext, coerce, commonType, isDatetime, isInteger, isNumber, isString, isUnknown } from './coerce';

export const COMPARISON_OPS: Record<string, ComparisonFn> = { '=': 'eq', '<>': 'ne', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

function call(fn: FunctionName, args: Expr[], type: DataType): Expr {
  return { kind: 'call', fn, args, type };
}

export function noOperator(op: string, left: DataType | null, right: DataType, position?: number): SqlError {
  const sig = left === null ? `${op} ${formatType(right)}` : `${formatType(left)} ${op} ${formatType(right)}`;
  return new SqlError(SqlState.undefinedFunction, `operator does not exist: ${sig}`, {
    position,
    hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
  });
}

/** A comparison between two expressions of any comparable types. */
export function bindComparison(op: ComparisonFn, l: Expr, r: Expr, ctx: CoercionContext, opText: string, position?: number): Expr {
  let t = commonType(l.type, r.type);
  if (t === null) throw noOperator(opText, l.type, r.type, position);
  if (isUnknown(t)) t = Types.text;
  // json has no comparison operators in PostgreSQL (jsonb has; its normalized text compares for equality).
  if (t.name === 'json') throw noOperator(opText, l.type, r.type, position);
  // bpchar against text compares as text (PostgreSQL's resolution picks text = text).
  return call(op, [coerce(l, t, ctx), coerce(r, t, ctx)], Types.bool);
}

/** Binary arithmetic and the other binary operators. */
export function bindBinaryOperator(op: string, l: Expr, r: Expr, ctx: CoercionContext, position?: number): Expr {
  const cmp = COMPARISON_OPS[op];
  if (cmp !== undefined) return bindComparison(cmp, l, r, ctx, op, position);
  if (op === '||' && (l.type.name === 'jsonb' || r.type.name === 'jsonb') && (l.type.name === 'jsonb' || isUnknown(l.type)) && (r.type.name === 'jsonb' || isUnknown(r.type)))
    return call('jsonb_concat', [coerce(l, Types.jsonb, ctx), coerce(r, Types.jsonb, ctx)], Types.jsonb);
  if (op === '-' && l.type.name === 'jsonb') {
    if (isUnknown(r.type) || isString(r.type)) return call('jsonb_delete', [l, coerce(r, Types.text, ctx)], Types.jsonb);
    if (isInteger(r.type)) return call('jsonb_delete', [l, coerce(r, Types.int4, ctx)], Types.jsonb);
    throw noOperator(op, l.type, r.type, position);
  }
  if (op === '||' && (l.type.name === 'bytea' || r.type.name === 'bytea') && (l.type.name === 'bytea' || isUnknown(l.type)) && (r.type.name === 'bytea' || isUnknown(r.type)))
    return call('concat', [coerce(l, Types.bytea, ctx), coerce(r, Types.bytea, ctx)], Types.bytea);
  if (op === '||') {
    const lt = isString(l.type) || isUnknown(l.type);
    const rt = isString(r.type) || isUnknown(r.type);
    if (!lt && !rt) throw noOperator(op, l.type, r.type, position);
    return call('concat', [coerce(l, Types.text, ctx, !lt), coerce(r, Types.text, ctx, !rt)], Types.text);
  }
  if (op === '~~' || op === '!~~' || op === '~~*' || op === '!~~*') {
    const like = call(op.includes('*') ? 'ilike' : 'like', [coerce(l, Types.text, ctx), coerce(r, Types.text, ctx)], Types.bool);
    return op.startsWith('!') ? { kind: 'not', arg: like, type: Types.bool } : like;
  }
  if (op === '~' || op === '!~' || op === '~*' || op === '!~*') {
    const lt = isString(l.type) || isUnknown(l.type);
    const rt = isString(r.type) || isUnknown(r.type);
    if (!lt || !rt) throw noOperator(op, l.type, r.type, position);
    const match = call(op.includes('*') ? 'regex_imatch' : 'regex_match', [coerce(l, Types.text, ctx), coerce(r, Types.text, ctx)], Types.bool);
    return op.startsWith('!') ? { kind: 'not', arg: match, type: Types.bool } : match;
  }
  if (op === '->' || op === '->>') return bindJsonGet(op, l, r, ctx, position);
  if ((op === '?' || op === '@>' || op === '<@') && l.type.name === 'jsonb') {
    if (op === '?') {
      if (!isUnknown(r.type) && !isString(r.type)) throw noOperator(op, l.type, r.type, position);
      return call('jsonb_exists', [l, coerce(r, Types.text, ctx)], Types.bool);
    }
    if (!isUnknown(r.type) && r.type.name !== 'jsonb') throw noOperator(op, l.type, r.type, position);
    const rr = coerce(r, Types.jsonb, ctx);
    return call('jsonb_contains', op === '@>' ? [l, rr] : [rr, l], Types.bool);
  }
  if ((op === '@>' || op === '<@') && r.type.name === 'jsonb' && isUnknown(l.type)) return bindBinaryOperator(op, coerce(l, Types.jsonb, ctx), r, ctx, position);
  const fn = ARITHMETIC[op];
  if (fn === undefined) throw noOperator(op, l.type, r.type, position);
  const a = l.type;
  const b = r.type;
  // Untyped literals next to a typed operand take its type (or int4/numeric if it looks like a number).
  if (isUnknown(a) && !isUnknown(b)) return bindBinaryOperator(op, coerce(l, unknownPartner(b, op), ctx), r, ctx, position);
  if (isUnknown(b) && !isUnknown(a)) return bindBinaryOperator(op, l, coerce(r, unknownPartner(a, op), ctx), ctx, position);
  if (isNumber(a) && isNumber(b)) {
    const t = commonType(a, b)!;
    const rt = t.typmod === -1 ? t : withoutTypmod(t);
    return call(fn, [coerce(l, rt, ctx), coerce(r, rt, ctx)], rt);
  }
  const date = Types.date;
  const ts = a.name === 'timestamptz' || b.name === 'timestamptz' ? Types.timestamptz : Types.timestamp;
  if (fn === 'add') {
    if (a.name === 'date' && isInteger(b)) return call('add', [l, coerce(r, Types.int4, ctx)], date);
    if (isInteger(a) && b.name === 'date') return call('add', [r, coerce(l, Types.int4, ctx)], date);
    if (a.name === 'date' && b.name === 'interval') return call('add', [l, r], Types.timestamp);
    if (a.name === 'interval' && b.name === 'date') return call('add', [r, l], Types.timestamp);
    if ((a.name === 'timestamp' || a.name === 'timestamptz') && b.name === 'interval') return call('add', [l, r], a);
    if (a.name === 'interval' && (b.name === 'timestamp' || b.name === 'timestamptz')) return call('add', [r, l], b);
    if (a.name === 'interval' && b.name === 'interval') return call('add', [l, r], Types.interval);
  }
  if (fn === 'sub') {
    if (a.name === 'date' && isInteger(b)) return call('sub', [l, coerce(r, Types.int4, ctx)], date);
    if (a.name === 'date' && b.name === 'date') return call('sub', [l, r], Types.int4);
    if (a.name === 'date' && b.name === 'interval') return call('sub', [l, r], Types.timestamp);
    if ((a.name === 'timestamp' || a.name === 'timestamptz') && b.name === 'interval') return call('sub', [l, r], a);
    if (isDatetime(a) && isDatetime(b)) return call('sub', [coerce(l, ts, ctx), coerce(r, ts, ctx)], Types.interval);
    if (a.name === 'interval' && b.name === 'interval') return call('sub', [l, r], Types.interval);
  }
  if (fn === 'mul') {
    if (a.name === 'interval' && isNumber(b)) return call('mul', [l, coerce(r, Types.float8, ctx)], Types.interval);
    if (isNumber(a) && b.name === 'interval') return call('mul', [r, coerce(l, Types.float8, ctx)], Types.interval);
  }
  if (fn === 'div' && a.name === 'interval' && isNumber(b)) return call('div', [l, coerce(r, Types.float8, ctx)], Types.interval);
  throw noOperator(op, a, b, position);
}

/** json/jsonb `->` and `->>` with a text key or an integer index. */
function bindJsonGet(op: string, l: Expr, r: Expr, ctx: CoercionContext, position?: number): Expr {
  const doc = l.type.name;
  if (doc !== 'json' && doc !== 'jsonb') throw noOperator(op, l.type, r.type, position);
  let key: Expr;
  if (isUnknown(r.type) || isString(r.type)) key = coerce(r, Types.text, ctx);
  else if (isInteger(r.type)) key = coerce(r, Types.int4, ctx);
  else throw noOperator(op, l.type, r.type, position);
  return op === '->' ? call('json_get', [l, key], l.type) : call('json_get_text', [l, key], Types.text);
}

const ARITHMETIC: Record<string, FunctionName> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' };

/** The type an untyped literal takes beside `other` in arithmetic (PostgreSQL: the other operand's type). */
function unknownPartner(other: DataType, op: string): DataType {
  if (other.name === 'date' && (op === '+' || op === '-')) return Types.int4;
  if ((other.name === 'timestamp' || other.name === 'timestamptz') && (op === '+' || op === '-')) return Types.interval;
  if (other.name === 'interval' && (op === '*' || op === '/')) return Types.float8;
  return other.typmod === -1 ? other : withoutTypmod(other);
}

export function bindUnaryMinus(arg: Expr, ctx: CoercionContext, position?: number): Expr {
  if (isUnknown(arg.type)) arg = coerce(arg, Types.numeric, ctx);
  if (!isNumber(arg.type) && arg.type.name !== 'interval') throw noOperator('-', null, arg.type, position);
  const t = arg.type.typmod === -1 ? arg.type : withoutTypmod(arg.type);
  return call('neg', [arg], t);
}

interface Signature {
  fn: FunctionName;
  /** Argument types to coerce to ('any' keeps the argument's own type). */
  args: (DataType | 'any' | 'number' | 'datetime')[];
  /** Optional trailing arguments count. */
  optional?: number;
  result: DataType | 'arg0' | 'numeric-or-float';
  variadic?: boolean;
}

const T = Types;
const SCALAR_FUNCTIONS: Record<string, Signature[]> = {
  upper: [{ fn: 'upper', args: [T.text], result: T.text }],
  lower: [{ fn: 'lower', args: [T.text], result: T.text }],
  btrim: [{ fn: 'btrim', args: [T.text, T.text], optional: 1, result: T.text }],
  trim: [{ fn: 'btrim', args: [T.text, T.text], optional: 1, result: T.text }],
  ltrim: [{ fn: 'ltrim', args: [T.text, T.text], optional: 1, result: T.text }],
  rtrim: [{ fn: 'rtrim', args: [T.text, T.text], optional: 1, result: T.text }],
  length: [{ fn: 'length', args: ['any'], result: T.int4 }],
  char_length: [{ fn: 'char_length', args: ['any'], result: T.int4 }],
  character_length: [{ fn: 'char_length', args: ['any'], result: T.int4 }],
  octet_length: [{ fn: 'octet_length', args: ['any'], result: T.int4 }],
  substring: [{ fn: 'substring', args: [T.text, T.int4, T.int4], optional: 1, result: T.text }],
  substr: [{ fn: 'substring', args: [T.text, T.int4, T.int4], optional: 1, result: T.text }],
  position: [{ fn: 'position', args: [T.text, T.text], result: T.int4 }],
  strpos: [{ fn: 'strpos', args: [T.text, T.text], result: T.int4 }],
  replace: [{ fn: 'replace', args: [T.text, T.text, T.text], result: T.text }],
  left: [{ fn: 'left', args: [T.text, T.int4], result: T.text }],
  right: [{ fn: 'right', args: [T.text, T.int4], result: T.text }],
  lpad: [{ fn: 'lpad', args: [T.text, T.int4, T.text], optional: 1, result: T.text }],
  rpad: [{ fn: 'rpad', args: [T.text, T.int4, T.text], optional: 1, result: T.text }],
  repeat: [{ fn: 'repeat', args: [T.text, T.int4], result: T.text }],
  reverse: [{ fn: 'reverse', args: [T.text], result: T.text }],
  md5: [{ fn: 'md5', args: [T.text], result: T.text }],
  concat: [{ fn: 'concat_fn', args: [T.text], variadic: true, result: T.text }],
  concat_ws: [{ fn: 'concat_ws', args: [T.text], variadic: true, result: T.text }],
  extract: [{ fn: 'extract', args: [T.text, 'datetime'], result: T.numeric }],
  date_part: [{ fn: 'date_part', args: [T.text, 'datetime'], result: T.float8 }],
  date_trunc: [{ fn: 'date_trunc', args: [T.text, 'datetime'], result: 'arg0' }],
  now: [{ fn: 'now', args: [], result: T.timestamptz }],
  transaction_timestamp: [{ fn: 'now', args: [], result: T.timestamptz }],
  statement_timestamp: [{ fn: 'statement_timestamp', args: [], result: T.timestamptz }],
  clock_timestamp: [{ fn: 'clock_timestamp', args: [], result: T.timestamptz }],
  to_char: [
    { fn: 'to_char', args: ['datetime', T.text], result: T.text },
    { fn: 'to_char', args: ['number', T.text], result: T.text },
  ],
  abs: [{ fn: 'abs', args: ['number'], result: 'arg0' }],
  round: [
    { fn: 'round', args: [T.numeric, T.int4], result: T.numeric },
    { fn: 'round', args: ['number'], result: 'numeric-or-float' },
  ],
  trunc: [
    { fn: 'trunc', args: [T.numeric, T.int4], result: T.numeric },
    { fn: 'trunc', args: ['number'], result: 'numeric-or-float' },
  ],
  ceil: [{ fn: 'ceil', args: ['number'], result: 'numeric-or-float' }],
  ceiling: [{ fn: 'ceil', args: ['number'], result: 'numeric-or-float' }],
  floor: [{ fn: 'floor', args: ['number'], result: 'numeric-or-float' }],
  sqrt: [{ fn: 'sqrt', args: ['number'], result: 'numeric-or-float' }],
  exp: [{ fn: 'exp', args: ['number'], result: 'numeric-or-float' }],
  ln: [{ fn: 'ln', args: ['number'], result: 'numeric-or-float' }],
  power: [{ fn: 'power', args: ['number', 'number'], result: 'numeric-or-float' }],
  pow: [{ fn: 'power', args: ['number', 'number'], result: 'numeric-or-float' }],
  sign: [{ fn: 'sign', args: ['number'], result: 'numeric-or-float' }],
  log: [
    { fn: 'log', args: [T.numeric, T.numeric], result: T.numeric },
    { fn: 'log', args: ['number'], result: 'numeric-or-float' },
  ],
  log10: [{ fn: 'log', args: ['number'], result: 'numeric-or-float' }],
  cbrt: [{ fn: 'cbrt', args: [T.float8], result: T.float8 }],
  degrees: [{ fn: 'degrees', args: [T.float8], result: T.float8 }],
  radians: [{ fn: 'radians', args: [T.float8], result: T.float8 }],
  pi: [{ fn: 'pi', args: [], result: T.float8 }],
  div: [{ fn: 'div_trunc', args: [T.numeric, T.numeric], result: T.numeric }],
  mod: [{ fn: 'mod', args: ['number', 'number'], result: 'arg0' }],
  gen_random_uuid: [{ fn: 'gen_random_uuid', args: [], result: T.uuid }],
  encode: [{ fn: 'encode', args: [T.bytea, T.text], result: T.text }],
  jsonb_typeof: [{ fn: 'json_typeof', args: [T.jsonb], result: T.text }],
  json_typeof: [{ fn: 'json_typeof', args: [T.json], result: T.text }],
  jsonb_array_length: [{ fn: 'json_array_length', args: [T.jsonb], result: T.int4 }],
  json_array_length: [{ fn: 'json_array_length', args: [T.json], result: T.int4 }],
  decode: [{ fn: 'decode', args: [T.text, T.text], result: T.bytea }],
};

/** Resolves a scalar function call; unknown names or argument types → 42883. */
export function bindFunctionCall(name: string, args: Expr[], ctx: CoercionContext, position?: number): Expr {
  const sigs = SCALAR_FUNCTIONS[name];
  const argList = args.map((a) => formatType(isUnknown(a.type) ? Types.unknown : a.type)).join(', ');
  const missing = () =>
    new SqlError(SqlState.undefinedFunction, `function ${name}(${argList.replace(/unknown/g, 'unknown')}) does not exist`, {
      position,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  if (sigs === undefined) throw missing();
  if (name === 'mod') return bindBinaryOperator('%', args[0], args[1], ctx, position);
  if (name === 'greatest' || name === 'least') throw missing();
  for (const sig of sigs) {
    const min = sig.args.length - (sig.optional ?? 0);
    if (!sig.variadic && (args.length < min || args.length > sig.args.length)) continue;
    const coerced: Expr[] = [];
    let ok = true;
    for (let i = 0; i < args.length && ok; i++) {
      const want = sig.variadic ? sig.args[0] : sig.args[i];
      const a = args[i];
      if (want === 'any') coerced.push(isUnknown(a.type) ? coerce(a, T.text, ctx) : a);
      else if (want === 'number') {
        if (isUnknown(a.type)) coerced.push(coerce(a, T.numeric, ctx));
        else if (isNumber(a.type)) coerced.push(a);
        else ok = false;
      } else if (want === 'datetime') {
        if (isUnknown(a.type)) coerced.push(coerce(a, T.timestamp, ctx));
        else if (isDatetime(a.type) || a.type.name === 'interval') coerced.push(a);
        else ok = false;
      } else if (want === T.text && (isString(a.type) || isUnknown(a.type) || sig.variadic)) {
        coerced.push(coerce(a, T.text, ctx, sig.variadic));
      } else if (want.name === a.type.name) coerced.push(a);
      else if (isNumber(want) && (isNumber(a.type) || isUnknown(a.type)) && (isInteger(want) ? isInteger(a.type) || isUnknown(a.type) : true))
        coerced.push(coerce(a, want, ctx));
      else if (isUnknown(a.type)) coerced.push(coerce(a, want, ctx));
      else ok = false;
    }
    if (!ok) continue;
    let result: DataType;
    if (sig.result === 'arg0') result = coerced[1] !== undefined && sig.fn === 'date_trunc' ? coerced[1].type : coerced[0].type;
    else if (sig.result === 'numeric-or-float') {
      // PostgreSQL resolves integer arguments to the float8 variant (float8 is the preferred
      // numeric type), numeric arguments to the numeric one, and any float argument to float8.
      const anyFloat = coerced.some((c) => c.type.name === 'float4' || c.type.name === 'float8');
      const anyNumeric = coerced.some((c) => c.type.name === 'numeric');
      if (anyFloat || !anyNumeric) {
        for (let i = 0; i < coerced.length; i++) coerced[i] = coerce(coerced[i], T.float8, ctx);
        result = T.float8;
      } else {
        for (let i = 0; i < coerced.length; i++) coerced[i] = coerce(coerced[i], T.numeric, ctx);
        result = T.numeric;
      }
    } else result = sig.result;
    if (sig.fn === 'to_char') {
      const t = coerced[0].type.name;
      if (t === 'date') coerced[0] = coerce(coerced[0], T.timestamptz, ctx);
    }
    if (sig.fn === 'date_trunc' && coerced[1].type.name === 'date') {
      // date resolves to date_trunc(text, timestamptz): timestamptz is the preferred datetime type.
      coerced[1] = coerce(coerced[1], T.timestamptz, ctx);
      result = T.timestamptz;
    }
    if (result.typmod !== -1) result = withoutTypmod(result);
    return call(sig.fn, coerced, result);
  }
  throw missing();
}

export const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'string_agg', 'array_agg', 'stddev', 'stddev_samp', 'variance', 'var_samp']);

/** The aggregate function id and result type for `name(args)` (PostgreSQL's result types). */
export function resolveAggregate(name: string, args: Expr[], star: boolean, position?: number): { fn: AggregateFn; type: DataType } {
  const missing = () =>
    new SqlError(SqlState.undefinedFunction, `function ${name}(${args.map((a) => formatType(a.type)).join(', ')}) does not exist`, {
      position,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  if (name === 'count') return { fn: star ? 'count_star' : 'count', type: T.int8 };
  if (args.length === 0) throw missing();
  const t = args[0].type;
  switch (name) {
    case 'sum':
      if (t.name === 'int2' || t.name === 'int4') return { fn: 'sum', type: T.int8 };
      if (t.name === 'int8' || t.name === 'numeric') return { fn: 'sum', type: T.numeric };
      if (t.name === 'float4') return { fn: 'sum', type: T.float4 };
      if (t.name === 'float8') return { fn: 'sum', type: T.float8 };
      if (t.name === 'interval') return { fn: 'sum', type: T.interval };
      throw missing();
    case 'avg':
      if (isInteger(t) || t.name === 'numeric') return { fn: 'avg', type: T.numeric };
      if (t.name === 'float4' || t.name === 'float8') return { fn: 'avg', type: T.float8 };
      if (t.name === 'interval') return { fn: 'avg', type: T.interval };
      throw missing();
    case 'min':
    case 'max':
      // PostgreSQL has no min/max for bool, bytea, uuid, json or jsonb.
      if (t.name === 'bool' || (isOpaqueString(t) && t.name !== 'array')) throw missing();
      return { fn: name, type: t.typmod === -1 || t.name === 'bpchar' || t.name === 'varchar' ? t : withoutTypmod(t) };
    case 'bool_and':
    case 'every':
      if (t.name !== 'bool') throw missing();
      return { fn: 'bool_and', type: T.bool };
    case 'bool_or':
      if (t.name !== 'bool') throw missing();
      return { fn: 'bool_or', type: T.bool };
    case 'string_agg':
      return { fn: 'string_agg', type: T.text };
    case 'array_agg':
      if (args.length !== 1) throw missing();
      return { fn: 'array_agg', type: T.text };
    case 'stddev':
    case 'stddev_samp':
    case 'variance':
    case 'var_samp':
      return { fn: name === 'stddev' || name === 'stddev_samp' ? 'stddev_samp' : 'var_samp', type: t.name === 'float4' || t.name === 'float8' ? T.float8 : T.numeric };
  }
  throw missing();
}
