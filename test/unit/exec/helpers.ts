// Test helpers: an in-memory TableSnapshot over vectors, a context, plan and expression builders,
// and conversion of result batches into arrays of plain JS values.
import { Expr, FunctionName } from '../../../src/plan/expr';
import { OutputColumn, PlanNode } from '../../../src/plan/plan';
import { ROW_GROUP_ROWS, TableDef, TableSnapshot } from '../../../src/storage/api';
import { DataType, Types } from '../../../src/types/data-type';
import { DEFAULT_FORMAT } from '../../../src/types/text-format';
import { Batch, Scalar, Vector, isDecimal } from '../../../src/types/vector';
import { getScalar, sliceVector, vectorFromScalars } from '../../../src/types/vector-ops';
import { decimalToString, parseDecimal } from '../../../src/types/numeric';
import { ExecContext } from '../../../src/exec/context';
import { executePlan } from '../../../src/exec/execute';

export interface MemTable {
  id: number;
  name: string;
  types: DataType[];
  /** Row-major values. */
  rows: Scalar[][];
  /** Row indexes deleted. */
  deleted?: number[];
  /** Rows per row group (to test several groups without 65536 rows): groups are still addressed with ROW_GROUP_ROWS RowIds. */
  groupRows?: number;
}

export function snapshotOf(t: MemTable): TableSnapshot {
  const per = t.groupRows ?? ROW_GROUP_ROWS;
  const total = t.rows.length;
  const groups = Math.max(1, Math.ceil(total / per));
  const columns = t.types.map((type, c) => vectorFromScalars(type, t.rows.map((r) => r[c])));
  const def: TableDef = {
    id: t.id,
    schema: 'public',
    name: t.name,
    columns: t.types.map((type, c) => ({ name: `c${c}`, type, notNull: false, defaultSql: null })),
    primaryKey: null,
    primaryKeyName: null,
  };
  const deleted = new Set(t.deleted ?? []);
  return {
    def,
    rowGroupCount: total === 0 ? 0 : groups,
    rowCount: (g) => Math.min(per, total - g * per),
    deleted: (g) => {
      const n = Math.min(per, total - g * per);
      const out = new Uint8Array(n);
      let any = false;
      for (let i = 0; i < n; i++)
        if (deleted.has(g * per + i)) {
          out[i] = 1;
          any = true;
        }
      return any ? out : null;
    },
    readColumn: (g, c) => sliceVector(columns[c], g * per, Math.min(total, (g + 1) * per)),
    liveRowCount: total - deleted.size,
    statistics: () => null,
  };
}

export function context(tables: MemTable[] = [], params: Scalar[] = []): ExecContext {
  const snaps = new Map(tables.map((t) => [t.id, snapshotOf(t)]));
  return {
    params,
    snapshot: (id) => {
      const s = snaps.get(id);
      if (s === undefined) throw new Error(`no table ${id}`);
      return s;
    },
    format: DEFAULT_FORMAT,
    statementStartMicros: Date.UTC(2024, 0, 15, 10, 30) * 1000,
    transactionStartMicros: Date.UTC(2024, 0, 15, 10, 30) * 1000,
    checkCancel: () => undefined,
  };
}

/** Result batches as rows of plain values (numeric → its text, for exact comparison). */
export function rowsOf(batches: Batch[]): unknown[][] {
  const out: unknown[][] = [];
  for (const b of batches) {
    if (b.selection !== undefined) throw new Error('result batch has a selection');
    for (let i = 0; i < b.length; i++) out.push(b.columns.map((c) => plain(getScalar(c, i))));
  }
  return out;
}
export function plain(v: Scalar): unknown {
  if (v !== null && isDecimal(v)) return decimalToString(v);
  return v;
}

export function run(plan: PlanNode, tables: MemTable[] = [], params: Scalar[] = []): unknown[][] {
  return rowsOf(executePlan(plan, context(tables, params)));
}

// ---- builders ----

export const col = (index: number, type: DataType): Expr => ({ kind: 'column', index, type });
export const lit = (value: Scalar, type: DataType): Expr => ({ kind: 'const', value, type });
export const num = (text: string): Scalar => parseDecimal(text);
export const call = (fn: FunctionName, type: DataType, ...args: Expr[]): Expr => ({ kind: 'call', fn, args, type });
export const and = (...args: Expr[]): Expr => ({ kind: 'and', args, type: Types.bool });
export const or = (...args: Expr[]): Expr => ({ kind: 'or', args, type: Types.bool });
export const not = (arg: Expr): Expr => ({ kind: 'not', arg, type: Types.bool });

export function outputs(types: DataType[]): OutputColumn[] {
  return types.map((type, i) => ({ name: `c${i}`, type }));
}

export function scan(t: MemTable, filter: Expr | null = null, withRowId = false): PlanNode {
  return {
    kind: 'scan',
    tableId: t.id,
    tableName: t.name,
    columns: t.types.map((_, i) => i),
    withRowId,
    filter,
    output: outputs(withRowId ? [...t.types, Types.int8] : t.types),
  };
}

export function values(types: DataType[], rows: Scalar[][]): PlanNode {
  return { kind: 'values', rows: rows.map((r) => r.map((v, c) => lit(v, types[c]))), output: outputs(types) };
}

export function project(input: PlanNode, exprs: Expr[]): PlanNode {
  return { kind: 'project', input, exprs, output: outputs(exprs.map((e) => e.type)) };
}

/** Evaluates expressions over a one-row VALUES (or over the given rows of a table). */
export function evalExprs(exprs: Expr[], input: PlanNode = { kind: 'values', rows: [[]], output: [] }, tables: MemTable[] = [], params: Scalar[] = []): unknown[][] {
  return run(project(input, exprs), tables, params);
}
export function evalOne(e: Expr, params: Scalar[] = []): unknown {
  return evalExprs([e], undefined, [], params)[0][0];
}

export function table(id: number, types: DataType[], rows: Scalar[][], extra: Partial<MemTable> = {}): MemTable {
  return { id, name: `t${id}`, types, rows, ...extra };
}

export type { Vector };
