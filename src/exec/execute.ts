// Runs a plan tree to completion. Operators take and return arrays of batches (each compacted:
// no selection vector); scans cut row groups into batches and apply deletion bitmaps and filters.
// Exec may import: plan, storage contracts, types.
import { PlanNode, ScanNode, SortKey } from '../plan/plan';
import { SqlError, SqlState } from '../types/sql-error';
import { BATCH_SIZE, Batch, BoolVector, Scalar, Vector } from '../types/vector';
import { gatherVector, getScalar, newVector, sliceVector, vectorFromScalars } from '../types/vector-ops';
import { Types } from '../types/data-type';
import { ExecContext } from './context';
import { evalExpr } from './eval-expr';
import { concatBatches, runJoin } from './join';
import { runAggregate } from './aggregate';
import { compareScalars, keyOf } from './scalar-compare';

/** Rows a scan hands on at once: a few batches' worth, so per-batch overhead stays small. */
const SCAN_BATCH = BATCH_SIZE * 8;

export function executePlan(plan: PlanNode, ctx: ExecContext): Batch[] {
  ctx.subqueries ??= new Map();
  ctx.constants ??= new Map();
  return run(plan, ctx).filter((b) => b.length > 0);
}

function run(node: PlanNode, ctx: ExecContext): Batch[] {
  ctx.checkCancel();
  switch (node.kind) {
    case 'scan':
      return scan(node, ctx);
    case 'values':
      return values(node.rows, node.output.map((o) => o.type), ctx);
    case 'filter':
      return run(node.input, ctx).map((b) => filterBatch(b, node.predicate, ctx));
    case 'project':
      return run(node.input, ctx).map((b) => ({ length: b.length, columns: node.exprs.map((e) => evalExpr(e, b, ctx)) }));
    case 'hashjoin':
    case 'nljoin':
      return runJoin(node, run(node.left, ctx), run(node.right, ctx), ctx);
    case 'aggregate':
      return runAggregate(node, run(node.input, ctx), ctx);
    case 'sort':
      return sort(run(node.input, ctx), node.keys, node.limit, node.output, ctx);
    case 'limit':
      return limit(run(node.input, ctx), node.limit, node.offset, ctx);
    case 'distinct':
      return distinct(run(node.input, ctx), node.on, ctx);
    case 'setop':
      return setOp(node.op, node.all, run(node.left, ctx), run(node.right, ctx));
    case 'with': {
      const ctes = new Map(ctx.ctes ?? []);
      const inner: ExecContext = { ...ctx, ctes };
      for (const cte of node.ctes) ctes.set(cte.id, run(cte.plan, inner));
      return run(node.input, inner);
    }
    case 'ctescan': {
      const rows = ctx.ctes?.get(node.cteId);
      if (rows === undefined) throw new Error(`CTE ${node.cteId} not materialized`);
      return rows;
    }
  }
}

function scan(node: ScanNode, ctx: ExecContext): Batch[] {
  const snap = ctx.snapshot(node.tableId);
  const out: Batch[] = [];
  for (let g = 0; g < snap.rowGroupCount; g++) {
    const n = snap.rowCount(g);
    const deleted = snap.deleted(g);
    const cols = node.columns.map((c) => snap.readColumn(g, c));
    for (let start = 0; start < n; start += SCAN_BATCH) {
      ctx.checkCancel();
      const end = Math.min(n, start + SCAN_BATCH);
      let batch: Batch = { length: end - start, columns: cols.map((c) => sliceVector(c, start, end)) };
      if (node.withRowId) {
        const ids = newVector(Types.int8, end - start) as { values: Float64Array };
        for (let i = start; i < end; i++) ids.values[i - start] = g * 65536 + i;
        batch.columns.push(ids as unknown as Vector);
      }
      if (deleted !== null) {
        const keep: number[] = [];
        for (let i = start; i < end; i++) if (deleted[i] === 0) keep.push(i - start);
        if (keep.length < end - start) {
          const idx = Uint32Array.from(keep);
          batch = { length: idx.length, columns: batch.columns.map((c) => gatherVector(c, idx)) };
        }
      }
      if (node.filter !== null && batch.length > 0) batch = filterBatch(batch, node.filter, ctx);
      if (batch.length > 0) out.push(batch);
    }
  }
  return out;
}

function filterBatch(batch: Batch, predicate: import('../plan/expr').Expr, ctx: ExecContext): Batch {
  if (batch.length === 0) return batch;
  const p = evalExpr(predicate, batch, ctx) as BoolVector;
  const n = batch.length;
  const idx = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) if (p.values[i] === 1 && (p.nulls === null || p.nulls[i] === 0)) idx[k++] = i;
  if (k === n) return batch;
  const sel = idx.subarray(0, k);
  return { length: k, columns: batch.columns.map((c) => gatherVector(c, sel)) };
}

function values(rows: import('../plan/expr').Expr[][], types: import('../types/data-type').DataType[], ctx: ExecContext): Batch[] {
  const one: Batch = { length: 1, columns: [] };
  const cols: Scalar[][] = types.map(() => []);
  for (const row of rows) row.forEach((e, c) => cols[c].push(getScalar(evalExpr(e, one, ctx), 0)));
  if (types.length === 0) return rows.length === 0 ? [] : [{ length: rows.length, columns: [] }];
  return [{ length: rows.length, columns: types.map((t, c) => vectorFromScalars(t, cols[c])) }];
}

function sort(input: Batch[], keys: SortKey[], limitRows: number | null, output: PlanNode['output'], ctx: ExecContext): Batch[] {
  const all = concatBatches(input, output);
  const n = all.length;
  if (n === 0) return [];
  const keyVecs = keys.map((k) => evalExpr(k.expr, all, ctx));
  const order = Array.from({ length: n }, (_, i) => i);
  const comparators = keys.map((k, j) => columnComparator(keyVecs[j], k.descending, k.nullsFirst));
  order.sort((a, b) => {
    for (const cmp of comparators) {
      const c = cmp(a, b);
      if (c !== 0) return c;
    }
    return a - b;
  });
  const take = limitRows !== null ? Math.min(limitRows, n) : n;
  const idx = Uint32Array.from(order.slice(0, take));
  return [{ length: take, columns: all.columns.map((c) => gatherVector(c, idx)) }];
}

function columnComparator(v: Vector, desc: boolean, nullsFirst: boolean): (a: number, b: number) => number {
  const sign = desc ? -1 : 1;
  const nulls = v.nulls;
  const nullOrder = nullsFirst ? -1 : 1;
  const withNulls = (cmp: (a: number, b: number) => number) => (a: number, b: number) => {
    if (nulls !== null) {
      const na = nulls[a] === 1;
      const nb = nulls[b] === 1;
      if (na || nb) return na && nb ? 0 : na ? nullOrder : -nullOrder;
    }
    return sign * cmp(a, b);
  };
  if (v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp') {
    const x = v.values;
    return withNulls((a, b) => (x[a] < x[b] ? -1 : x[a] > x[b] ? 1 : 0));
  }
  if (v.kind === 'string') {
    const bp = v.type.name === 'bpchar';
    const dict = bp ? v.dict.map((s) => s.replace(/ +$/, '')) : v.dict;
    const codes = v.codes;
    return withNulls((a, b) => {
      const s = dict[codes[a]];
      const t = dict[codes[b]];
      return s < t ? -1 : s > t ? 1 : 0;
    });
  }
  const vals: Scalar[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) vals[i] = getScalar(v, i);
  return withNulls((a, b) => compareScalars(vals[a], vals[b], v.type));
}

function constNumber(e: import('../plan/expr').Expr | null, ctx: ExecContext, what: 'LIMIT' | 'OFFSET'): number | null {
  if (e === null) return null;
  const v = getScalar(evalExpr(e, { length: 1, columns: [] }, ctx), 0) as number | null;
  if (v === null) return null;
  if (v < 0)
    throw new SqlError(what === 'LIMIT' ? SqlState.invalidRowCountInLimitClause : SqlState.invalidRowCountInResultOffsetClause, `${what} must not be negative`);
  return v;
}

function limit(input: Batch[], limitExpr: import('../plan/expr').Expr | null, offsetExpr: import('../plan/expr').Expr | null, ctx: ExecContext): Batch[] {
  const lim = constNumber(limitExpr, ctx, 'LIMIT');
  let skip = constNumber(offsetExpr, ctx, 'OFFSET') ?? 0;
  let left = lim ?? Infinity;
  const out: Batch[] = [];
  for (const b of input) {
    if (left <= 0) break;
    let start = 0;
    if (skip > 0) {
      start = Math.min(skip, b.length);
      skip -= start;
    }
    const end = Math.min(b.length, start + left);
    if (end > start) {
      out.push(start === 0 && end === b.length ? b : { length: end - start, columns: b.columns.map((c) => sliceVector(c, start, end)) });
      left -= end - start;
    }
  }
  return out;
}

function rowKey(columns: Vector[], i: number): string {
  let k = '';
  for (let c = 0; c < columns.length; c++) k += (c > 0 ? '\u0000' : '') + keyOf(getScalar(columns[c], i), columns[c].type);
  return k;
}

/** Keeps the first row of each distinct key (keysOf gives a batch's key columns). */
function keepFirstRows(input: Batch[], keysOf: (b: Batch) => Vector[]): Batch[] {
  const seen = new Set<string>();
  const out: Batch[] = [];
  for (const b of input) {
    const keyCols = keysOf(b);
    const keep: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const k = rowKey(keyCols, i);
      if (seen.has(k)) continue;
      seen.add(k);
      keep.push(i);
    }
    if (keep.length > 0) {
      const idx = Uint32Array.from(keep);
      out.push({ length: idx.length, columns: b.columns.map((c) => gatherVector(c, idx)) });
    }
  }
  return out;
}

function distinct(input: Batch[], on: import('../plan/expr').Expr[] | null, ctx: ExecContext): Batch[] {
  return keepFirstRows(input, on === null ? (b) => b.columns : (b) => on.map((e) => evalExpr(e, b, ctx)));
}

function setOp(op: 'union' | 'intersect' | 'except', all: boolean, left: Batch[], right: Batch[]): Batch[] {
  if (op === 'union') {
    const both = [...left, ...right];
    return all ? both : distinctRows(both);
  }
  const counts = new Map<string, number>();
  for (const b of right) for (let i = 0; i < b.length; i++) {
    const k = rowKey(b.columns, i);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const emitted = new Set<string>();
  const out: Batch[] = [];
  for (const b of left) {
    const keep: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const k = rowKey(b.columns, i);
      const c = counts.get(k) ?? 0;
      if (op === 'intersect') {
        if (c === 0) continue;
        if (all) counts.set(k, c - 1);
        else if (emitted.has(k)) continue;
        emitted.add(k);
        keep.push(i);
      } else {
        if (all) {
          if (c > 0) {
            counts.set(k, c - 1);
            continue;
          }
        } else if (c > 0 || emitted.has(k)) continue;
        emitted.add(k);
        keep.push(i);
      }
    }
    if (keep.length > 0) {
      const idx = Uint32Array.from(keep);
      out.push({ length: idx.length, columns: b.columns.map((c) => gatherVector(c, idx)) });
    }
  }
  return out;
}

function distinctRows(input: Batch[]): Batch[] {
  return keepFirstRows(input, (b) => b.columns);
}
