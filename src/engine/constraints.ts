// CHECK constraints at write time (INSERT, UPDATE, COPY, ALTER TABLE validation): each constraint's
// expression is bound once per table definition and evaluated over whole batches of new rows.
import { Expr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { CheckConstraintDef, TableDef } from '../storage/api';
import { Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { formatCell } from '../types/text-format';
import { Batch, Vector } from '../types/vector';
import { concatVectors, gatherVector, getScalar } from '../types/vector-ops';
import { bindCheck } from '../sql/bind-constraints';
import type { EngineSession } from './session';

const bound = new WeakMap<TableDef, { check: CheckConstraintDef; expr: Expr }[]>();

function checksOf(session: EngineSession, table: TableDef): { check: CheckConstraintDef; expr: Expr }[] {
  let list = bound.get(table);
  if (list === undefined) {
    const ctx = session.bindContext([]);
    list = (table.checks ?? []).map((check) => ({ check, expr: bindCheck(check.sql, table.name, table.columns, ctx) }));
    bound.set(table, list);
  }
  return list;
}

const ROWS = -2;

/** Evaluates a boolean expression over the rows; the first row where it is false, or -1. */
export function firstFalseRow(session: EngineSession, table: TableDef, expr: Expr, columns: Vector[], length: number): number {
  if (length === 0) return -1;
  const plan: PlanNode = {
    kind: 'project',
    input: { kind: 'ctescan', cteId: ROWS, output: table.columns.map((c) => ({ name: c.name, type: c.type })) },
    exprs: [expr],
    output: [{ name: 'ok', type: Types.bool }],
  };
  const batch: Batch = { length, columns };
  const out = session.runPlan(plan, [], new Map([[ROWS, [batch]]]));
  let row = 0;
  for (const b of out) {
    for (let i = 0; i < b.length; i++, row++) {
      const r = b.selection !== undefined ? b.selection[i] : i;
      if (getScalar(b.columns[0], r) === false) return row;
    }
  }
  return -1;
}

/** Evaluates expressions over the table's rows (one vector per expression, compact). */
export function evaluateOverRows(session: EngineSession, table: TableDef, exprs: Expr[], columns: Vector[], length: number): Vector[] {
  const plan: PlanNode = {
    kind: 'project',
    input: { kind: 'ctescan', cteId: ROWS, output: table.columns.map((c) => ({ name: c.name, type: c.type })) },
    exprs,
    output: exprs.map((e, i) => ({ name: `e${i}`, type: e.type })),
  };
  const out = session.runPlan(plan, [], new Map([[ROWS, [{ length, columns }]]]));
  return exprs.map((e, k) => {
    const parts = out.map((b) => (b.selection !== undefined ? gatherVector(b.columns[k], b.selection) : b.columns[k]));
    return parts.length === 1 ? parts[0] : concatVectors(e.type, parts);
  });
}

/** The row as PostgreSQL prints it in "Failing row contains (…)". */
export function failingRow(session: EngineSession, columns: Vector[], row: number): string {
  const fs = session.settings.format();
  return `Failing row contains (${columns.map((v) => formatCell(v, row, fs) ?? 'null').join(', ')}).`;
}

/** 23514 for the first new row that violates a CHECK constraint. */
export function enforceChecks(session: EngineSession, table: TableDef, columns: Vector[], length: number): void {
  if ((table.checks ?? []).length === 0) return;
  for (const { check, expr } of checksOf(session, table)) {
    const row = firstFalseRow(session, table, expr, columns, length);
    if (row !== -1)
      throw new SqlError(SqlState.checkViolation, `new row for relation "${table.name}" violates check constraint "${check.name}"`, {
        detail: failingRow(session, columns, row),
        table: table.name,
        constraint: check.name,
        schema: table.schema,
      });
  }
}
