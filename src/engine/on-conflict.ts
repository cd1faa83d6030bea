// INSERT … ON CONFLICT: rows are taken one at a time, in order, so a row sees the rows inserted or
// updated before it in the same command (as PostgreSQL's speculative insertion does). A proposed
// row whose arbiter key exists is skipped (DO NOTHING) or turns into an update of the existing row
// (DO UPDATE SET … [WHERE …]); updating the same row twice in one command is 21000.
import { PlanNode } from '../plan/plan';
import { Expr } from '../plan/expr';
import { RowId, TableDef } from '../storage/api';
import { SqlError, SqlState } from '../types/sql-error';
import { Batch, Scalar, Vector } from '../types/vector';
import { concatVectors, getScalar, gatherVector, sliceVector } from '../types/vector-ops';
import { BoundStatement, OnConflict } from '../sql/bound-statement';
import { ExecuteResult } from './session-api';
import type { EngineSession } from './session';
import { checkNotNull, returningResult } from './dml';
import { enforceChecks } from './constraints';

const concurrentUpdateError = () => new SqlError(SqlState.serializationFailure, 'could not serialize access due to concurrent update');

const ROW = -4;

/** Evaluates expressions over one combined row (existing columns then excluded columns). */
function evalOnRow(session: EngineSession, table: TableDef, exprs: Expr[], row: Vector[], params: Scalar[]): Vector[] {
  const cols = table.columns.map((c) => ({ name: c.name, type: c.type }));
  const plan: PlanNode = {
    kind: 'project',
    input: { kind: 'ctescan', cteId: ROW, output: [...cols, ...cols] },
    exprs,
    output: exprs.map((e, i) => ({ name: `c${i}`, type: e.type })),
  };
  const out = session.runPlan(plan, params, new Map([[ROW, [{ length: 1, columns: row }]]]));
  const b = out.find((x) => x.length > 0)!;
  return b.columns.map((v) => (b.selection !== undefined ? gatherVector(v, b.selection) : v));
}

export async function runInsertOnConflict(
  session: EngineSession,
  bound: Extract<BoundStatement, { kind: 'insert' }>,
  oc: OnConflict,
  batches: Batch[],
  params: Scalar[],
): Promise<ExecuteResult> {
  const txn = await session.writeTxn();
  const table = bound.table;
  const touched = new Set<RowId>();
  const written: Batch[] = [];
  let count = 0;
  for (const raw of batches) {
    const columns = raw.selection !== undefined ? raw.columns.map((v) => gatherVector(v, raw.selection!)) : raw.columns;
    checkNotNull(session, table, columns);
    enforceChecks(session, table, columns, raw.length);
    for (let i = 0; i < raw.length; i++) {
      const row = columns.map((v) => sliceVector(v, i, i + 1));
      let conflict = -1;
      for (const key of oc.keys) {
        conflict = txn.findKey(table.id, key, row, 0);
        if (conflict !== -1) break;
      }
      if (conflict === -1) {
        const id = txn.append(table.id, row);
        touched.add(id);
        written.push({ length: 1, columns: row });
        count++;
        continue;
      }
      if (oc.action === 'nothing') continue;
      if (touched.has(conflict))
        throw new SqlError(SqlState.cardinalityViolation, 'ON CONFLICT DO UPDATE command cannot affect row a second time', {
          hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.',
        });
      // The existing row is locked as an UPDATE locks it; changed meanwhile by another commit: 40001.
      if (await session.lockRows(table.id, [conflict])) throw concurrentUpdateError();
      const existing = txn.readRow(table.id, conflict);
      const combined = [...existing, ...row];
      if (oc.where !== null) {
        const [ok] = evalOnRow(session, table, [oc.where], combined, params);
        if (getScalar(ok, 0) !== true) continue;
      }
      const updated = evalOnRow(session, table, oc.set!, combined, params);
      checkNotNull(session, table, updated);
      enforceChecks(session, table, updated, 1);
      txn.delete(table.id, [conflict]);
      const id = txn.append(table.id, updated);
      touched.add(id);
      written.push({ length: 1, columns: updated });
      count++;
    }
  }
  if (bound.returning !== null) {
    const merged: Batch[] = written.length === 0 ? [] : [{ length: written.length, columns: table.columns.map((c, k) => concatVectors(c.type, written.map((w) => w.columns[k]))) }];
    return returningResult(session, bound.returning, merged, params, 'INSERT 0');
  }
  return { kind: 'command', command: `INSERT 0 ${count}` };
}
