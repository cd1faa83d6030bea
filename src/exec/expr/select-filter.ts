// A WHERE predicate evaluated as a selection: the row numbers where it is true, refined conjunct by
// conjunct, each conjunct looking only at the rows every earlier one kept (as PostgreSQL's qual
// list stops at the first false or NULL). Conjuncts comparing a column with a constant — integers,
// dates, timestamps, numerics (scaled once) — run as loops over the selection with no vector of
// results, no AND merge and no gather; they come first (they cannot raise errors, so moving them
// is invisible), then the other conjuncts in their written order: on the whole batch while most
// rows survive and they cannot raise an error, otherwise on the surviving rows gathered.
import { CallExpr, ComparisonFn, Expr } from '../../plan/expr';
import { Batch, BoolVector, Decimal, isDecimal } from '../../types/vector';
import { pow10 } from '../../types/vector-ops';
import { gatherBatch } from '../vector-util';
import { CompiledExpr, ExprEnv } from './compiled';
import { compileExpr, dateComparison } from './compile';
import { swapOp } from './kernels-compare';

export interface SelectionFilter {
  /** Rows (ascending) where the predicate is true; null when every row is. */
  select(batch: Batch): Uint32Array | null;
}

const COMPARISONS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** column op constant over a fixed-width (non-float) or numeric column. */
interface SimpleConjunct {
  kind: 'simple';
  op: ComparisonFn;
  column: number;
  /** The constant: a number for fixed-width columns, a Decimal for numeric ones. */
  value: number | Decimal;
  /** The conjunct compiled as usual, for numeric batches the loop cannot take (null for fixed-width columns, which it always takes). */
  general: CompiledExpr | null;
}
interface GeneralConjunct {
  kind: 'general';
  expr: CompiledExpr;
  needed: boolean[];
}
type Conjunct = SimpleConjunct | GeneralConjunct;

function conjuncts(e: Expr, out: Expr[]): Expr[] {
  if (e.kind === 'and') for (const a of e.args) conjuncts(a, out);
  else out.push(e);
  return out;
}

function simpleConjunct(e: Expr, env: ExprEnv): SimpleConjunct | null {
  if (e.kind !== 'call' || !COMPARISONS.has(e.fn)) return null;
  const call: CallExpr = dateComparison(e, env) ?? e;
  for (let side = 0; side < 2; side++) {
    const col = call.args[side];
    const other = call.args[1 - side];
    if (col.kind !== 'column') continue;
    const storage = col.type.storage;
    const fixed = storage === 'int32' || storage === 'int64' || storage === 'timestamp';
    if (!(fixed && col.type.name !== 'float8' && col.type.name !== 'float4') && storage !== 'numeric') continue;
    if (other.type.storage !== storage) continue;
    const k = compileExpr(other, env);
    if (!k.isConst || k.value === null) continue;
    if (fixed ? typeof k.value !== 'number' : !isDecimal(k.value)) continue;
    const op = (side === 0 ? call.fn : swapOp(call.fn as ComparisonFn)) as ComparisonFn;
    // Compiling the general form costs as much as the rest of a point lookup's preparation: only numeric needs it.
    return { kind: 'simple', op, column: col.index, value: k.value as number | Decimal, general: fixed ? null : compileExpr(e, env) };
  }
  return null;
}

export function compileSelection(e: Expr, env: ExprEnv): SelectionFilter {
  const simple: Conjunct[] = [];
  const other: Conjunct[] = [];
  for (const c of conjuncts(e, [])) {
    const s = simpleConjunct(c, env);
    if (s !== null) simple.push(s);
    else {
      const expr = compileExpr(c, env);
      const needed: boolean[] = [];
      for (const col of expr.columns) needed[col] = true;
      other.push({ kind: 'general', expr, needed });
    }
  }
  const list = [...simple, ...other];
  return {
    select(batch: Batch): Uint32Array | null {
      const n = batch.length;
      let sel: Uint32Array | null = null;
      let count = n;
      for (const c of list) {
        const out: Uint32Array = sel ?? new Uint32Array(n);
        count = c.kind === 'simple' ? refineSimple(c, batch, sel, count, out) : refineGeneral(c, batch, sel, count, out);
        sel = out;
        if (count === 0) break;
      }
      return sel === null || count === n ? null : sel.subarray(0, count);
    },
  };
}

/** Keeps the rows of sel[0..count) (or 0..count-1) where v is TRUE, into out; returns how many. */
function keepTrue(v: BoolVector, sel: Uint32Array | null, count: number, out: Uint32Array, positional: boolean): number {
  const vals = v.values;
  const nulls = v.nulls;
  let k = 0;
  for (let j = 0; j < count; j++) {
    const i = sel === null ? j : sel[j];
    const at = positional ? j : i;
    if (vals[at] === 1 && (nulls === null || nulls[at] === 0)) out[k++] = i;
  }
  return k;
}

function refineGeneral(c: GeneralConjunct, batch: Batch, sel: Uint32Array | null, count: number, out: Uint32Array): number {
  if (sel === null) return keepTrue(c.expr.eval(batch) as BoolVector, null, count, out, false);
  // Rows already dropped must not raise errors; a small selection is cheaper to evaluate gathered.
  if (c.expr.canError || count < batch.length / 2) {
    const rows = sel.subarray(0, count);
    return keepTrue(c.expr.eval(gatherBatch(batch, rows, count, c.needed)) as BoolVector, sel, count, out, true);
  }
  return keepTrue(c.expr.eval(batch) as BoolVector, sel, count, out, false);
}

function refineSimple(c: SimpleConjunct, batch: Batch, sel: Uint32Array | null, count: number, out: Uint32Array): number {
  const v = batch.columns[c.column];
  let k: number;
  if (typeof c.value === 'number') k = c.value;
  else {
    // numeric: the constant at the batch's scale, when exact and the batch has no values beyond 2^53.
    const d = c.value;
    const scaled = v.kind === 'numeric' && v.wide === null && v.scale >= d.scale ? Number(d.digits) * pow10(v.scale - d.scale) : NaN;
    if (!Number.isSafeInteger(scaled) || BigInt(scaled) !== d.digits * 10n ** BigInt((v as { scale: number }).scale - d.scale)) {
      const general = c.general!;
      return refineGeneral({ kind: 'general', expr: general, needed: neededOf(general) }, batch, sel, count, out);
    }
    k = scaled;
  }
  return refineCompare(c.op, (v as { values: ArrayLike<number> }).values, v.nulls, k, sel, count, out);
}

function neededOf(e: CompiledExpr): boolean[] {
  const needed: boolean[] = [];
  for (const col of e.columns) needed[col] = true;
  return needed;
}

/** Keeps the rows (not NULL) where x op k. */
function refineCompare(op: ComparisonFn, x: ArrayLike<number>, nulls: Uint8Array | null, k: number, sel: Uint32Array | null, count: number, out: Uint32Array): number {
  let m = 0;
  switch (op) {
    case 'eq':
      for (let j = 0; j < count; j++) {
        const i = sel === null ? j : sel[j];
        if (x[i] === k) out[m++] = i;
      }
      break;
    case 'ne':
      for (let j = 0; j < count; j++) {
        const i = sel === null ? j : sel[j];
        if (x[i] !== k) out[m++] = i;
      }
      break;
    case 'lt':
      for (let j = 0; j < count; j++) {
        const i = sel === null ? j : sel[j];
        if (x[i] < k) out[m++] = i;
      }
      break;
    case 'le':
      for (let j = 0; j < count; j++) {
        const i = sel === null ? j : sel[j];
        if (x[i] <= k) out[m++] = i;
      }
      break;
    case 'gt':
      for (let j = 0; j < count; j++) {
        const i = sel === null ? j : sel[j];
        if (x[i] > k) out[m++] = i;
      }
      break;
    case 'ge':
      for (let j = 0; j < count; j++) {
        const i = sel === null ? j : sel[j];
        if (x[i] >= k) out[m++] = i;
      }
      break;
  }
  if (nulls === null) return m;
  let w = 0;
  for (let j = 0; j < m; j++) if (nulls[out[j]] === 0) out[w++] = out[j];
  return w;
}
