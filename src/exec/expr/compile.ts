// Compiles a bound expression once per statement into a function over whole vectors. Constant
// subtrees (literals, parameters, and calls over them) are folded here — as PostgreSQL folds them
// at plan time, so `1/0` fails even on an empty table. Chains of fixed-width arithmetic,
// comparisons and boolean logic are fused into one generated loop (fuse.ts); everything else is
// a kernel call per vector (kernels-*.ts), which for strings works per dictionary entry.
import { CallExpr, Expr } from '../../plan/expr';
import { memoizedForFrozen } from '../../plan/frozen-memo';
import { DataType, Types } from '../../types/data-type';
import { Batch, Scalar } from '../../types/vector';
import { getScalar } from '../../types/vector-ops';
import { castKernel } from './kernels-cast';
import { ConstVectorSource } from '../vector-util';
import { CompiledExpr, ExprEnv, VectorFn } from './compiled';
import { compareKernel } from './kernels-compare';
import { arithKernel } from './kernels-arith';
import { rowKernel, stringKernel } from './kernels-string';
import { catalogKernel } from './kernels-catalog';
import { ARRAY_ERRORING, ARRAY_FNS, arrayKernel } from './kernels-array';
import { datetimeKernel } from './kernels-datetime';
import { mathKernel } from './kernels-math';
import { jsonGetKernel, jsonKernel, randomUuidKernel } from './kernels-json';
import { decodeBytea, encodeBytea } from '../../types/bytea-uuid';
import { andOrKernel, booltestKernel, caseKernel, coalesceKernel, greatestLeastKernel, inListKernel, isNullKernel, notKernel, nullifKernel } from './kernels-logic';
import { subqueryKernel } from './subquery';
import { tryFuse } from './fuse';
import { SEQUENCE_FNS, sequenceCall } from './kernels-sequence';
import { setConfigCall } from './kernels-settings';

const ONE_ROW: Batch = { length: 1, columns: [] };

export function constant(type: DataType, value: Scalar): CompiledExpr {
  const src = new ConstVectorSource(type, value);
  return { type, eval: (b) => src.get(b.length), isConst: true, value, canError: false, columns: [] };
}

function union(parts: readonly CompiledExpr[]): readonly number[] {
  // Most nodes have one argument reading columns (a call over a column and constants): its list as it is.
  let only: readonly number[] | null = null;
  let many = false;
  for (const p of parts)
    if (p.columns.length > 0) {
      if (only === null) only = p.columns;
      else many = true;
    }
  if (!many) return only ?? [];
  const set = new Set<number>();
  for (const p of parts) for (const c of p.columns) set.add(c);
  return [...set].sort((a, b) => a - b);
}

/** A compiled node over compiled children; folded to a constant when every child is constant. */
function node(type: DataType, children: readonly CompiledExpr[], fn: VectorFn, canError: boolean): CompiledExpr {
  const c: CompiledExpr = { type, eval: fn, isConst: false, value: null, canError: canError || children.some((x) => x.canError), columns: union(children) };
  if (children.length > 0 && children.every((x) => x.isConst)) return constant(type, getScalar(fn(ONE_ROW), 0));
  return c;
}

/** Functions that can raise an error on some input (so lazily evaluated under AND/OR/CASE). */
const ERRORING = new Set<string>([
  'add', 'sub', 'mul', 'div', 'mod', 'neg', 'abs', 'substring', 'repeat', 'lpad', 'rpad', 'like', 'ilike', 'regex_match', 'regex_imatch', 'array_to_string',
  'extract', 'date_part', 'date_trunc', 'round', 'trunc', 'sqrt', 'power', 'exp', 'ln', 'encode', 'decode',
  'json_typeof', 'json_array_length', 'jsonb_exists', 'jsonb_contains', 'jsonb_concat', 'jsonb_delete',
  'log', 'div_trunc',
]);

/** compileExpr of each, in order (a loop: a cached plan's arrays are frozen, and map is slow on frozen arrays). */
export function compileAll(exprs: readonly Expr[], env: ExprEnv): CompiledExpr[] {
  const out: CompiledExpr[] = new Array(exprs.length);
  for (let i = 0; i < exprs.length; i++) out[i] = compileExpr(exprs[i], env);
  return out;
}

export function compileExpr(e: Expr, env: ExprEnv): CompiledExpr {
  switch (e.kind) {
    case 'const':
      return constant(e.type, e.value);
    case 'param':
      return constant(e.type, env.ctx.params[e.index] ?? null);
    case 'column': {
      const index = e.index;
      return { type: e.type, eval: (b) => b.columns[index], isConst: false, value: null, canError: false, columns: [index] };
    }
    case 'outer': {
      const slot = e.slot;
      const type = e.type;
      let src: ConstVectorSource | null = null;
      const fn: VectorFn = (b) => {
        const v = env.outer[slot] ?? null;
        if (src === null || src.value !== v) src = new ConstVectorSource(type, v);
        return src.get(b.length);
      };
      return { type, eval: fn, isConst: false, value: null, canError: false, columns: [] };
    }
    case 'subquery': {
      const args = compileAll(e.args, env);
      const test = e.test === null ? null : compileExpr(e.test, env);
      const fn = subqueryKernel(e, args, test, env);
      const children = test === null ? args : [...args, test];
      return { type: e.type, eval: fn, isConst: false, value: null, canError: true, columns: union(children) };
    }
    default:
      break;
  }
  const fused = tryFuse(e, env);
  if (fused !== null) return fused;
  switch (e.kind) {
    case 'cast': {
      const arg = compileExpr(e.arg, env);
      const to = e.type;
      const explicit = e.explicit === true;
      const fs = env.ctx.format;
      if (arg.type === to) return arg;
      return node(to, [arg], castKernel(arg, to, fs, explicit), arg.type.storage !== 'string' || to.storage !== 'string' || to.typmod >= 0);
    }
    case 'and':
    case 'or': {
      const args = compileAll(e.args, env);
      return node(Types.bool, args, andOrKernel(e.kind, args), false);
    }
    case 'not': {
      const arg = compileExpr(e.arg, env);
      return node(Types.bool, [arg], notKernel(arg), false);
    }
    case 'isnull': {
      const arg = compileExpr(e.arg, env);
      return node(Types.bool, [arg], isNullKernel(arg, e.negated), false);
    }
    case 'booltest': {
      const arg = compileExpr(e.arg, env);
      return node(Types.bool, [arg], booltestKernel(arg, e.test, e.negated), false);
    }
    case 'inlist': {
      const arg = compileExpr(e.arg, env);
      const list = compileAll(e.list, env);
      return node(Types.bool, [arg, ...list], inListKernel(arg, list, e.negated), false);
    }
    case 'coalesce': {
      const args = compileAll(e.args, env);
      return node(e.type, args, coalesceKernel(e.type, args), false);
    }
    case 'case': {
      const whens = e.whens.map((w) => ({ when: compileExpr(w.when, env), then: compileExpr(w.then, env) }));
      const otherwise = e.else === null ? null : compileExpr(e.else, env);
      const all = whens.flatMap((w) => [w.when, w.then]).concat(otherwise === null ? [] : [otherwise]);
      return node(e.type, all, caseKernel(e.type, whens, otherwise), false);
    }
    case 'call':
      return compileCall(e, env);
  }
}

function compileCall(e: CallExpr, env: ExprEnv): CompiledExpr {
  const onDates = dateComparison(e, env);
  if (onDates !== null) return compileCall(onDates, env);
  const args = compileAll(e.args, env);
  if (SEQUENCE_FNS.has(e.fn)) return sequenceCall(e, args, env);
  if (e.fn === 'set_config') return setConfigCall(e, args, env);
  const canError = ERRORING.has(e.fn) || ARRAY_ERRORING.has(e.fn);
  return node(e.type, args, callKernel(e, args, env), canError);
}

const COMPARISONS = new Set<string>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const MICROS_PER_DAY = 86400e6;

/**
 * date_col < date '…' + interval '…' (TPC-H's favourite predicate) compares a date column cast to
 * timestamp with a constant timestamp. When that constant is a midnight, comparing the dates
 * themselves is the same test for every operator, and skips a cast per row.
 */
export function dateComparison(e: CallExpr, env: ExprEnv): CallExpr | null {
  if (!dateComparisonShape(e)) return null;
  for (let side = 0; side < 2; side++) {
    const cast = e.args[side];
    const other = e.args[1 - side];
    if (cast.kind !== 'cast' || cast.type.name !== 'timestamp' || cast.arg.type.name !== 'date' || other.type.name !== 'timestamp') continue;
    const k = compileExpr(other, env);
    if (!k.isConst || typeof k.value !== 'number' || !Number.isInteger(k.value / MICROS_PER_DAY)) continue;
    const day: Expr = { kind: 'const', value: k.value / MICROS_PER_DAY, type: Types.date };
    return { ...e, args: side === 0 ? [cast.arg, day] : [day, cast.arg] };
  }
  return null;
}

/** Whether the comparison has dateComparison's shape (its constant side not yet looked at); remembered for frozen trees. */
const dateComparisonShape = memoizedForFrozen((e: CallExpr): boolean => {
  if (!COMPARISONS.has(e.fn)) return false;
  for (let side = 0; side < 2; side++) {
    const cast = e.args[side];
    if (cast.kind === 'cast' && cast.type.name === 'timestamp' && cast.arg.type.name === 'date' && e.args[1 - side].type.name === 'timestamp') return true;
  }
  return false;
});

function callKernel(e: CallExpr, args: CompiledExpr[], env: ExprEnv): VectorFn {
  if (ARRAY_FNS.has(e.fn)) return arrayKernel(e, args, env.ctx.format);
  switch (e.fn) {
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return compareKernel(e.fn, args[0], args[1]);
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'mod':
    case 'neg':
      return arithKernel(e.fn, args, e.type, env);
    case 'nullif':
      return nullifKernel(e.type, args[0], args[1]);
    case 'greatest':
    case 'least':
      return greatestLeastKernel(e.fn, e.type, args);
    case 'extract':
    case 'date_part':
    case 'date_trunc':
    case 'to_char':
    case 'statement_timestamp':
    case 'clock_timestamp':
    case 'now':
    case 'current_date':
    case 'localtimestamp':
      return datetimeKernel(e.fn, args, e.type, env);
    case 'abs':
    case 'round':
    case 'trunc':
    case 'ceil':
    case 'floor':
    case 'sqrt':
    case 'power':
    case 'exp':
    case 'ln':
    case 'sign':
    case 'log':
    case 'cbrt':
    case 'degrees':
    case 'radians':
    case 'pi':
    case 'div_trunc':
      return mathKernel(e.fn, args, e.type);
    case 'regex_match':
    case 'regex_imatch':
    case 'format_type':
    case 'quote_ident':
    case 'array_to_string':
    case 'pg_size_pretty':
    case 'array_has':
    case 'oid_lookup':
      return catalogKernel(e.fn, args, e.type)!;
    case 'json_get':
    case 'json_get_text':
      return jsonGetKernel(e.fn === 'json_get_text', args, e.type);
    case 'gen_random_uuid':
      return randomUuidKernel(e.type);
    case 'json_typeof':
    case 'json_array_length':
    case 'jsonb_exists':
    case 'jsonb_contains':
    case 'jsonb_concat':
    case 'jsonb_delete':
      return jsonKernel(e.fn, args, e.type);
    case 'encode':
      return rowKernel(args, e.type, ([b, f]) => encodeBytea(b as string, f as string));
    case 'decode':
      return rowKernel(args, e.type, ([t, f]) => decodeBytea(t as string, f as string));
    default:
      return stringKernel(e.fn, args, e.type);
  }
}
