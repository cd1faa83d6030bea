// SELECT … FOR UPDATE/SHARE (bound by sql/bind-locking-select.ts): the matching rows, in ORDER BY
// order, are row-locked (over a join, the rows of each locked table that make up a result row) as UPDATE locks them (held until the transaction ends), then cut to
// OFFSET/LIMIT and projected. Waiting (the default), NOWAIT (55P03 at the first row another
// transaction holds) and SKIP LOCKED (such rows are passed over and do not count toward LIMIT)
// follow PostgreSQL. Under READ COMMITTED, a row that a transaction committed a change to while
// this one waited makes the statement run again on a fresh snapshot, so the newest versions are
// returned and rows that stopped matching are not (PostgreSQL re-checks the changed rows); under
// REPEATABLE READ and SERIALIZABLE that is 40001, as in PostgreSQL.
import { PlanNode } from '../plan/plan';
import { SqlError, SqlState } from '../types/sql-error';
import { Batch, Scalar } from '../types/vector';
import { gatherVector, getScalar } from '../types/vector-ops';
import { Types } from '../types/data-type';
import { BoundStatement } from '../sql/bound-statement';
import { ExecuteResult } from './session-api';
import type { EngineSession } from './session';
import { returningResult } from './dml';

type LockingSelect = Extract<BoundStatement, { kind: 'lockingSelect' }>;

export async function runLockingSelect(session: EngineSession, bound: LockingSelect, params: Scalar[]): Promise<ExecuteResult> {
  await session.writeTxn();
  const { limit, offset } = rowCounts(session, bound, params);
  for (;;) {
    session.beginStatement();
    const batches = session.runPlan(bound.rows, params).map(flat);
    const wanted = limit === null ? Infinity : offset + limit;
    const picked = await lockRows(session, bound, batches, wanted);
    if (picked === null) continue;
    // OFFSET's rows were locked too (PostgreSQL's LockRows is below its Limit).
    const kept = picked.slice(Math.min(offset, picked.length));
    return returningResult(session, bound.targets, gatherRows(batches, kept, bound.width), params, 'SELECT');
  }
}

/** A batch without a selection vector (its rows are addressed by position). */
function flat(b: Batch): Batch {
  const sel = b.selection;
  return sel === undefined ? b : { length: b.length, columns: b.columns.map((v) => gatherVector(v, sel)) };
}

/** Positions (batch, row) packed as batch * 2^32 + row of the rows taken, in order; null: run again on a fresh snapshot. */
async function lockRows(session: EngineSession, bound: LockingSelect, batches: Batch[], wanted: number): Promise<number[] | null> {
  const picked: number[] = [];
  // Per locked table: the RowIds of its rows in the rows picked.
  const ids: number[][] = bound.locked.map(() => []);
  for (let b = 0; b < batches.length && picked.length < wanted; b++) {
    const rowIds = bound.locked.map(({ column }) => {
      const v = batches[b].columns[column];
      if (v.kind !== 'int64') throw new Error('row id column must be int8');
      return v.values;
    });
    rows: for (let r = 0; r < batches[b].length && picked.length < wanted; r++) {
      for (let t = 0; t < rowIds.length; t++) {
        if (bound.waitPolicy === 'block' || session.tryLockRow(bound.locked[t].table.id, rowIds[t][r], bound.locked[t].share ? 'share' : 'exclusive')) continue;
        if (bound.waitPolicy === 'skip') continue rows;
        throw new SqlError(SqlState.lockNotAvailable, `could not obtain lock on row in relation "${bound.locked[t].table.name}"`);
      }
      picked.push(b * 2 ** 32 + r);
      for (let t = 0; t < rowIds.length; t++) ids[t].push(rowIds[t][r]);
    }
  }
  // Waits for the rows' holders (the rows taken above without waiting are this transaction's
  // already), and tells whether a commit changed any of them since this statement's snapshot.
  let changed = false;
  for (let t = 0; t < ids.length; t++) if (await session.lockRows(bound.locked[t].table.id, ids[t], bound.locked[t].share ? 'share' : 'exclusive')) changed = true;
  return changed ? null : picked;
}
function gatherRows(batches: Batch[], picked: number[], width: number): Batch[] {
  const out: Batch[] = [];
  let i = 0;
  while (i < picked.length) {
    const b = Math.floor(picked[i] / 2 ** 32);
    const rows: number[] = [];
    for (; i < picked.length && Math.floor(picked[i] / 2 ** 32) === b; i++) rows.push(picked[i] - b * 2 ** 32);
    const batch = batches[b];
    out.push({ length: rows.length, columns: batch.columns.slice(0, width).map((v) => gatherVector(v, rows)) });
  }
  return out;
}

/** LIMIT and OFFSET, evaluated once (constants or parameters), with PostgreSQL's errors for negative ones. */
function rowCounts(session: EngineSession, bound: LockingSelect, params: Scalar[]): { limit: number | null; offset: number } {
  const nullLimit = { kind: 'const', value: null, type: Types.int8 } as const;
  const plan: PlanNode = {
    kind: 'project',
    input: { kind: 'values', rows: [[]], output: [] },
    exprs: [bound.limit ?? nullLimit, bound.offset ?? nullLimit],
    output: [
      { name: 'limit', type: Types.int8 },
      { name: 'offset', type: Types.int8 },
    ],
  };
  const [batch] = session.runPlan(plan, params);
  const limit = getScalar(batch.columns[0], 0);
  const offset = getScalar(batch.columns[1], 0);
  if (limit !== null && Number(limit) < 0) throw new SqlError(SqlState.invalidRowCountInLimitClause, 'LIMIT must not be negative');
  if (offset !== null && Number(offset) < 0) throw new SqlError(SqlState.invalidRowCountInResultOffsetClause, 'OFFSET must not be negative');
  return { limit: limit === null ? null : Number(limit), offset: offset === null ? 0 : Number(offset) };
}
