// INSERT … ON CONFLICT: rows are taken one at a time, in order, so a row sees the rows inserted or
// updated before it in the same command (as PostgreSQL's speculative insertion does). A proposed
// row whose arbiter key exists is skipped (DO NOTHING) or turns into an update of the existing row
// (DO UPDATE SET … [WHERE …]); updating the same row twice in one command is 21000.
import { PlanNode } from '../plan/plan';
import { Expr } from '../plan/expr';
import { StorageSnapshot, TableDef, UniqueKey, WriteTxn, uniqueKeysOf } from '../storage/api';
import { SqlError, SqlState } from '../types/sql-error';
import { Batch, Scalar, Vector } from '../types/vector';
import { formatCell } from '../types/text-format';
import { concatVectors, getScalar, gatherVector, sliceVector } from '../types/vector-ops';
import { BoundStatement, OnConflict } from '../sql/bound-statement';
import { ExecuteResult } from './session-api';
import { INSERT_KEY_LOCK_ROWS } from './session';
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
  const arbiters = uniqueKeysOf(table).filter((k) => oc.keys.includes(k.name));
  const fs = session.settings.format();
  const keyText = (k: UniqueKey, row: Vector[]) => k.columns.map((c) => formatCell(row[c], 0, fs) ?? '\0').join('\0');
  /** The arbiter keys of the rows this command inserted or updated: updating one of them again is 21000. */
  const writtenKeys = new Set<string>();
  const wrote = (row: Vector[]) => {
    for (const k of arbiters) writtenKeys.add(`${k.name}\0${keyText(k, row)}`);
  };
  let statementRows = 0;
  for (const b of batches) statementRows += b.length;
  // Keys are locked as an INSERT's are, so a concurrent inserter of the key is waited for; not for big statements (see lockInsertedKeys).
  const lockKeys = statementRows <= INSERT_KEY_LOCK_ROWS;
  const readCommitted = session.transactionSnapshot === null;
  const probe = new KeyProbe(session, table.id);
  const written: Batch[] = [];
  let count = 0;
  try {
    for (const raw of batches) {
      const columns = raw.selection !== undefined ? raw.columns.map((v) => gatherVector(v, raw.selection!)) : raw.columns;
      checkNotNull(session, table, columns);
      enforceChecks(session, table, columns, raw.length);
      // READ COMMITTED looks for conflicts among the latest commits, as PostgreSQL's speculative
      // insertion does: the transaction moves onto them after it waited for a transaction inserting
      // one of the rows' keys, when the latest commits have a key its view lacks, and when a
      // conflicting row changed while it waited for the row's lock (then it looks again).
      if (lockKeys && (await session.lockKeysOf(table, columns, raw.length)) && readCommitted) txn.refresh();
      for (let i = 0; i < raw.length; i++) {
        const row = columns.map((v) => sliceVector(v, i, i + 1));
        let refreshed = false;
        for (;;) {
          let conflict = -1;
          let arbiter = arbiters[0];
          for (const key of arbiters) {
            conflict = txn.findKey(table.id, key.name, row, 0);
            arbiter = key;
            if (conflict !== -1) break;
          }
          if (conflict === -1 && session.db.storage.version !== txn.baseVersion && arbiters.some((k) => probe.has(k.name, row, null))) {
            // Committed since this transaction's view: READ COMMITTED looks again there (a key it still does not
            // see is one it deleted itself); REPEATABLE READ fails unless its snapshot had the key (deleted by itself).
            if (readCommitted && !refreshed) {
              txn.refresh();
              refreshed = true;
              continue;
            }
            if (!readCommitted && !arbiters.some((k) => probe.has(k.name, row, session.transactionSnapshot))) throw concurrentUpdateError();
          }
          if (conflict === -1) {
            txn.append(table.id, row);
            wrote(row);
            written.push({ length: 1, columns: row });
            count++;
            break;
          }
          if (oc.action === 'nothing') break;
          const existing = txn.readRow(table.id, conflict);
          if (writtenKeys.has(`${arbiter.name}\0${keyText(arbiter, existing)}`))
            throw new SqlError(SqlState.cardinalityViolation, 'ON CONFLICT DO UPDATE command cannot affect row a second time', {
              hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.',
            });
          // The existing row is locked as an UPDATE locks it; changed meanwhile by another commit:
          // READ COMMITTED looks again (PostgreSQL retries the speculative insertion), else 40001.
          if (await session.lockRows(table.id, [conflict])) {
            txn.refresh();
            refreshed = true;
            continue;
          }
          const combined = [...existing, ...row];
          if (oc.where !== null) {
            const [ok] = evalOnRow(session, table, [oc.where], combined, params);
            if (getScalar(ok, 0) !== true) break;
          }
          const updated = evalOnRow(session, table, oc.set!, combined, params);
          checkNotNull(session, table, updated);
          enforceChecks(session, table, updated, 1);
          txn.delete(table.id, [conflict]);
          txn.append(table.id, updated);
          wrote(updated);
          written.push({ length: 1, columns: updated });
          count++;
          break;
        }
      }
    }
  } finally {
    probe.end();
  }
  if (bound.returning !== null) {
    const merged: Batch[] = written.length === 0 ? [] : [{ length: written.length, columns: table.columns.map((c, k) => concatVectors(c.type, written.map((w) => w.columns[k]))) }];
    return returningResult(session, bound.returning, merged, params, 'INSERT 0');
  }
  return { kind: 'command', command: `INSERT 0 ${count}` };
}

/** Looks keys up among the latest commits or in a snapshot (transactions begun once and kept while no commit comes). */
class KeyProbe {
  private latest: WriteTxn | null = null;
  private latestVersion = -1;
  private snapshot: WriteTxn | null = null;

  constructor(
    private readonly session: EngineSession,
    private readonly tableId: number,
  ) {}

  /** Whether a row with the key (of the single row `row`) is committed in `base` (null: the latest commits). */
  has(keyName: string, row: Vector[], base: StorageSnapshot | null): boolean {
    const storage = this.session.db.storage;
    let txn: WriteTxn;
    if (base !== null) txn = this.snapshot ??= storage.begin(base);
    else {
      if (this.latest === null || this.latestVersion !== storage.version) {
        this.latest?.abort();
        this.latest = storage.begin();
        this.latestVersion = storage.version;
      }
      txn = this.latest;
    }
    return txn.findKey(this.tableId, keyName, row, 0) !== -1;
  }

  end(): void {
    this.latest?.abort();
    this.snapshot?.abort();
  }
}
