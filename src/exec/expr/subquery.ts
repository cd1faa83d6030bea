// Subqueries inside expressions. An uncorrelated subquery (no args) runs once per statement; a
// correlated one runs once per distinct combination of the outer values it reads (memoized in a
// Map keyed by those values — the slow path, but each distinct outer row costs one plan run).
import { SubqueryExpr } from '../../plan/expr';
import { DataType } from '../../types/data-type';
import { SqlError, SqlState } from '../../types/sql-error';
import { Batch, Scalar, Vector } from '../../types/vector';
import { getScalar, vectorFromScalars } from '../../types/vector-ops';
import { compareScalars, scalarKey } from '../scalar-compare';
import { cmpHolds } from './kernels-compare';
import { CompiledExpr, ExprEnv, PreparedPlan, VectorFn } from './compiled';

interface SubqueryResult {
  /** exists: any row; scalar: the value; any/all: every value of the single column. */
  exists: boolean;
  value: Scalar;
  values: Scalar[];
  /** For = ANY: the non-NULL values as keys. */
  keys: Set<string | number> | null;
  hasNull: boolean;
}

/** Memo entries kept per subquery before the memo is reset (bounds memory on many distinct outer rows). */
const MEMO_LIMIT = 100_000;

export function subqueryKernel(e: SubqueryExpr, args: CompiledExpr[], test: CompiledExpr | null, env: ExprEnv): VectorFn {
  const childEnv: ExprEnv = { ...env, outer: new Array(args.length).fill(null) };
  let prepared: PreparedPlan | null = null;
  const memo = new Map<string, SubqueryResult>();
  const innerType: DataType | null = e.plan.output[0]?.type ?? null;

  const run = (outer: Scalar[]): SubqueryResult => {
    prepared ??= env.prepareSubplan(e.plan, childEnv);
    childEnv.outer = outer;
    const result: SubqueryResult = { exists: false, value: null, values: [], keys: null, hasNull: false };
    const next = prepared.open();
    for (let b = next(); b !== null; b = next()) {
      if (b.length === 0) continue;
      result.exists = true;
      if (e.mode === 'exists') break;
      const col = b.columns[0];
      for (let i = 0; i < b.length; i++) {
        const v = getScalar(col, i);
        if (v === null) result.hasNull = true;
        result.values.push(v);
      }
      if (e.mode === 'scalar' && result.values.length > 1) throw new SqlError(SqlState.cardinalityViolation, 'more than one row returned by a subquery used as an expression');
    }
    if (e.mode === 'scalar') result.value = result.values.length === 0 ? null : result.values[0];
    if ((e.mode === 'any' || e.mode === 'all') && (e.op === 'eq' || e.op === 'ne') && innerType !== null) {
      result.keys = new Set();
      for (const v of result.values) if (v !== null) result.keys.add(scalarKey(v, innerType));
    }
    return result;
  };

  const lookup = (outer: Scalar[]): SubqueryResult => {
    let key = '';
    for (let k = 0; k < outer.length; k++) {
      const v = outer[k];
      key += (k > 0 ? '\u0000' : '') + String(scalarKey(v, args[k].type));
    }
    let r = memo.get(key);
    if (r === undefined) {
      r = run(outer);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, r);
    }
    return r;
  };

  const argFns = args.map((a) => a.eval);
  const testFn = test === null ? null : test.eval;
  const testType = test === null ? null : test.type;
  return (batch: Batch): Vector => {
    const n = batch.length;
    const argVecs = argFns.map((f) => f(batch));
    const testVec = testFn === null ? null : testFn(batch);
    const out: Scalar[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const outer: Scalar[] = new Array(argVecs.length);
      for (let k = 0; k < argVecs.length; k++) outer[k] = getScalar(argVecs[k], i);
      const r = lookup(outer);
      switch (e.mode) {
        case 'exists':
          out[i] = r.exists;
          break;
        case 'scalar':
          out[i] = r.value;
          break;
        default:
          out[i] = quantified(e, getScalar(testVec!, i), r, testType ?? innerType!);
      }
    }
    return vectorFromScalars(e.type, out);
  };
}

/** x op ANY/ALL (rows) with SQL's NULL rules: empty → false/true; a NULL decides only when nothing else does. */
function quantified(e: SubqueryExpr, x: Scalar, r: SubqueryResult, type: DataType): Scalar {
  const all = e.mode === 'all';
  if (r.values.length === 0) return all;
  if (x === null) return null;
  const op = e.op ?? 'eq';
  if (r.keys !== null) {
    const has = r.keys.has(scalarKey(x, type));
    if (op === 'eq' && !all) return has ? true : r.hasNull ? null : false;
    if (op === 'ne' && all) return has ? false : r.hasNull ? null : true;
  }
  let sawNull = false;
  for (const v of r.values) {
    if (v === null) {
      sawNull = true;
      continue;
    }
    const ok = cmpHolds(op, compareScalars(x, v, type));
    if (all && !ok) return false;
    if (!all && ok) return true;
  }
  return sawNull ? null : all;
}
