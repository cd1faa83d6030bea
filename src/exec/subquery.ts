// Subqueries inside expressions. An uncorrelated subquery runs once per statement; a correlated
// one runs once per distinct combination of the outer values it reads (memoized).
import { SubqueryExpr } from '../plan/expr';
import { Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Batch, BoolVector, Scalar, Vector } from '../types/vector';
import { getScalar, vectorFromScalars } from '../types/vector-ops';
import { ExecContext } from './context';
import { compareScalars, keyOf } from './scalar-compare';
import type { evalExpr as EvalExpr } from './eval-expr';

interface SubqueryResult {
  /** All rows of the single output column (scalar/any/all), or just whether any row exists. */
  values: Scalar[];
  /** For uncorrelated = ANY: the non-null values as keys, for hash lookups. */
  keys: Set<string> | null;
  hasNull: boolean;
}

function run(e: SubqueryExpr, outer: Scalar[], ctx: ExecContext): SubqueryResult {
  // Results live for one statement (ctx.subqueries is created by executePlan at the top).
  const memo = (ctx.subqueries ??= new Map()) as Map<SubqueryExpr, Map<string, SubqueryResult>>;
  let cache = memo.get(e);
  if (cache === undefined) memo.set(e, (cache = new Map()));
  const key = outer.map((v, i) => keyOf(v, e.args[i].type)).join('\u0000');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const { executePlan } = require('./execute') as typeof import('./execute');
  const batches = executePlan(e.plan, { ...ctx, outer });
  const values: Scalar[] = [];
  let hasNull = false;
  for (const b of batches) {
    if (e.mode === 'exists') {
      if (b.length > 0) values.push(true);
      continue;
    }
    for (let i = 0; i < b.length; i++) {
      const v = getScalar(b.columns[0], i);
      if (v === null) hasNull = true;
      values.push(v);
    }
  }
  let keys: Set<string> | null = null;
  if (e.mode === 'any' && e.op === 'eq') {
    keys = new Set();
    const t = e.plan.output[0].type;
    for (const v of values) if (v !== null) keys.add(keyOf(v, t));
  }
  const result = { values, keys, hasNull };
  // Bound the memo so a correlated subquery over many distinct outer rows does not hold them all.
  if (cache.size > 100000) cache.clear();
  cache.set(key, result);
  return result;
}

export function evalSubquery(e: SubqueryExpr, batch: Batch, ctx: ExecContext): Vector {
  const { evalExpr } = require('./eval-expr') as { evalExpr: typeof EvalExpr };
  const n = batch.length;
  const argVecs = e.args.map((a) => evalExpr(a, batch, ctx));
  const test = e.test !== null ? evalExpr(e.test, batch, ctx) : null;
  const out: Scalar[] = new Array(n);
  const outer: Scalar[] = new Array(argVecs.length);
  const innerType = e.plan.output[0]?.type ?? Types.text;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < argVecs.length; k++) outer[k] = getScalar(argVecs[k], i);
    const r = run(e, outer.slice(), ctx);
    switch (e.mode) {
      case 'exists':
        out[i] = r.values.length > 0;
        break;
      case 'scalar':
        if (r.values.length > 1) throw new SqlError(SqlState.cardinalityViolation, 'more than one row returned by a subquery used as an expression');
        out[i] = r.values.length === 0 ? null : r.values[0];
        break;
      default: {
        const x = getScalar(test!, i);
        out[i] = quantified(e, x, r, innerType);
      }
    }
  }
  const v = vectorFromScalars(e.type, out);
  return e.mode === 'exists' ? (v as BoolVector) : v;
}

/** x op ANY/ALL (rows) with SQL's NULL rules. */
function quantified(e: SubqueryExpr, x: Scalar, r: SubqueryResult, t: import('../types/data-type').DataType): Scalar {
  const all = e.mode === 'all';
  if (r.values.length === 0) return all;
  if (x === null) return null;
  if (r.keys !== null) {
    if (r.keys.has(keyOf(x, t))) return true;
    return r.hasNull ? null : false;
  }
  let sawNull = false;
  for (const v of r.values) {
    if (v === null) {
      sawNull = true;
      continue;
    }
    const c = compareScalars(x, v, t);
    const ok = e.op === 'eq' ? c === 0 : e.op === 'ne' ? c !== 0 : e.op === 'lt' ? c < 0 : e.op === 'le' ? c <= 0 : e.op === 'gt' ? c > 0 : c >= 0;
    if (all && !ok) return false;
    if (!all && ok) return true;
  }
  if (sawNull) return null;
  return all;
}
