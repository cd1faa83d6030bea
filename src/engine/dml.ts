// INSERT / UPDATE / DELETE against storage: rows come from executed plans as batches, are checked
// (NOT NULL here; primary keys in storage) and applied in the session's write transaction.
import { PlanNode } from '../plan/plan';
import { TableDef } from '../storage/api';
import { SqlError, SqlState } from '../types/sql-error';
import { Batch, Scalar, Vector } from '../types/vector';
import { formatCell } from '../types/text-format';
import { concatVectors, gatherVector } from '../types/vector-ops';
import { Expr } from '../plan/expr';
import { BoundStatement, Returning } from '../sql/bound-statement';
import { ExecuteResult } from './session-api';
import type { EngineSession } from './session';
import { rowsResult } from './session';
import { enforceChecks } from './constraints';
import { runInsertOnConflict } from './on-conflict';

/** PostgreSQL's 23502 for the first NULL in a NOT NULL column, with the failing row in the detail. */
export function checkNotNull(session: EngineSession, table: TableDef, columns: Vector[]): void {
  for (let c = 0; c < table.columns.length; c++) {
    const nulls = columns[c].nulls;
    if (!table.columns[c].notNull || nulls === null) continue;
    const row = nulls.indexOf(1);
    if (row === -1) continue;
    const fs = session.settings.format();
    const values = columns.map((v) => formatCell(v, row, fs) ?? 'null');
    throw new SqlError(SqlState.notNullViolation, `null value in column "${table.columns[c].name}" of relation "${table.name}" violates not-null constraint`, {
      detail: `Failing row contains (${values.join(', ')}).`,
      table: table.name,
      column: table.columns[c].name,
      schema: table.schema,
    });
  }
}

/** Evaluates DEFAULT expressions for `n` new rows (volatile ones such as nextval once per row); null entries stay null. */
export function evaluateDefaults(session: EngineSession, table: TableDef, exprs: (Expr | null)[], n: number): (Vector | null)[] {
  const wanted = exprs.map((e, i) => (e === null ? -1 : i)).filter((i) => i >= 0);
  const out: (Vector | null)[] = exprs.map(() => null);
  if (wanted.length === 0) return out;
  const ROWS = -3;
  const plan: PlanNode = {
    kind: 'project',
    input: { kind: 'ctescan', cteId: ROWS, output: [] },
    exprs: wanted.map((i) => exprs[i]!),
    output: wanted.map((i) => ({ name: table.columns[i].name, type: table.columns[i].type })),
  };
  const batches = session.runPlan(plan, [], new Map([[ROWS, [{ length: n, columns: [] }]]]));
  wanted.forEach((col, k) => {
    const parts = batches.map((b) => (b.selection !== undefined ? gatherVector(b.columns[k], b.selection) : b.columns[k]));
    out[col] = parts.length === 1 ? parts[0] : concatVectors(table.columns[col].type, parts);
  });
  return out;
}

/** Evaluates RETURNING over the affected rows (fed to the plan as a CTE). */
export function returningResult(session: EngineSession, returning: Returning, rows: Batch[], params: Scalar[], verb: string): ExecuteResult {
  const ROWS_CTE = -1;
  const plan: PlanNode = {
    kind: 'project',
    input: { kind: 'ctescan', cteId: ROWS_CTE, output: [] },
    exprs: returning.exprs,
    output: returning.output,
  };
  const out = session.runPlan(plan, params, new Map([[ROWS_CTE, rows]]));
  return rowsResult(returning, out, verb);
}

export async function runInsert(session: EngineSession, bound: Extract<BoundStatement, { kind: 'insert' }>, params: Scalar[]): Promise<ExecuteResult> {
  const txn = session.writeTxnNow();
  session.beginStatement();
  const batches = session.runPlan(bound.source, params);
  let count = 0;
  if (bound.onConflict != null) return runInsertOnConflict(session, bound, bound.onConflict, batches, params);
  let rows = 0;
  for (const b of batches) rows += b.length;
  for (const b of batches) {
    checkNotNull(session, bound.table, b.columns);
    enforceChecks(session, bound.table, b.columns, b.length);
    await session.lockInsertedKeys(bound.table, b.columns, b.length, rows);
    txn.append(bound.table.id, b.columns);
    count += b.length;
  }
  if (bound.returning !== null) return returningResult(session, bound.returning, batches, params, 'INSERT 0');
  return { kind: 'command', command: `INSERT 0 ${count}` };
}

function rowIdsOf(batches: Batch[], column: number): Float64Array {
  let n = 0;
  for (const b of batches) n += b.length;
  const ids = new Float64Array(n);
  let off = 0;
  for (const b of batches) {
    const v = b.columns[column];
    if (v.kind !== 'int64') throw new Error('row id column must be int8');
    // A loop, not set(subarray()): most UPDATEs touch a row or a few, where making the view costs more than copying.
    const values = v.values;
    for (let i = 0; i < b.length; i++) ids[off + i] = values[i];
    off += b.length;
  }
  return ids;
}

/**
 * Runs an UPDATE/DELETE plan and locks the committed rows it found. Under READ COMMITTED, when
 * another transaction changed one of them meanwhile (it waited for it to end), the statement is
 * run again on a fresh snapshot so it sees the rows' newest versions, as PostgreSQL re-checks them.
 */
async function findAndLock(session: EngineSession, table: TableDef, plan: PlanNode, params: Scalar[]): Promise<{ batches: Batch[]; ids: Float64Array }> {
  session.writeTxnNow();
  // The RowId is the plan's last column (scanForUpdate's ctid, also under a projection).
  const rowIdColumn = plan.output.length - 1;
  for (;;) {
    session.beginStatement();
    const batches = session.runPlan(plan, params);
    const ids = rowIdsOf(batches, rowIdColumn);
    if (!(await session.lockRows(table.id, ids))) return { batches, ids };
  }
}

/**
 * The plan cut to its RowId, for a DELETE without RETURNING: the scan then decodes only the columns
 * WHERE reads (needed-columns.ts), not every column of the table. A DELETE of 214k of SF 1
 * lineitem's 6M rows decoded all 16 columns, strings included: seconds, with the event loop held.
 */
function rowIdsOnly(plan: PlanNode): PlanNode {
  const id = plan.output.length - 1;
  return { kind: 'project', input: plan, exprs: [{ kind: 'column', index: id, type: plan.output[id].type }], output: [plan.output[id]] };
}

export async function runUpdate(session: EngineSession, bound: Extract<BoundStatement, { kind: 'update' }>, params: Scalar[]): Promise<ExecuteResult> {
  const txn = session.writeTxnNow();
  const width = bound.table.columns.length;
  const { batches, ids } = await findAndLock(session, bound.table, bound.plan, params);
  const newRows = batches.map((b) => ({ length: b.length, columns: b.columns.slice(0, width) }));
  for (const b of newRows) {
    checkNotNull(session, bound.table, b.columns);
    enforceChecks(session, bound.table, b.columns, b.length);
  }
  txn.delete(bound.table.id, ids);
  for (const b of newRows) if (b.length > 0) txn.append(bound.table.id, b.columns);
  if (bound.returning !== null) return returningResult(session, bound.returning, newRows, params, 'UPDATE');
  return { kind: 'command', command: `UPDATE ${ids.length}` };
}

export async function runDelete(session: EngineSession, bound: Extract<BoundStatement, { kind: 'delete' }>, params: Scalar[]): Promise<ExecuteResult> {
  const txn = session.writeTxnNow();
  const width = bound.table.columns.length;
  const { batches, ids } = await findAndLock(session, bound.table, bound.returning === null ? rowIdsOnly(bound.plan) : bound.plan, params);
  txn.delete(bound.table.id, ids);
  if (bound.returning !== null) {
    const oldRows = batches.map((b) => ({ length: b.length, columns: b.columns.slice(0, width) }));
    return returningResult(session, bound.returning, oldRows, params, 'DELETE');
  }
  return { kind: 'command', command: `DELETE ${ids.length}` };
}
