// What the binder hands the engine for each kind of statement.
import { Expr } from '../plan/expr';
import { OutputColumn, PlanNode } from '../plan/plan';
import { ColumnDef, TableDef } from '../storage/api';

/** RETURNING: expressions over the table's full row (one column per table column). */
export interface Returning {
  exprs: Expr[];
  output: OutputColumn[];
}

export type BoundStatement =
  | { kind: 'query'; plan: PlanNode }
  /** `source` yields one column per table column, in table order, already coerced to the column types. */
  | { kind: 'insert'; table: TableDef; source: PlanNode; returning: Returning | null }
  /** `plan` yields the new row (one column per table column) followed by the old row's RowId. */
  | { kind: 'update'; table: TableDef; plan: PlanNode; returning: Returning | null }
  /** `plan` yields the old row (one column per table column) followed by its RowId. */
  | { kind: 'delete'; table: TableDef; plan: PlanNode; returning: Returning | null }
  | {
      kind: 'createTable';
      schema: string;
      name: string;
      columns: ColumnDef[];
      primaryKey: number[] | null;
      ifNotExists: boolean;
    }
  | { kind: 'drop'; objectType: 'table' | 'view'; names: { schema: string; name: string }[]; ifExists: boolean; cascade: boolean }
  | { kind: 'createView'; schema: string; name: string; sql: string; columnNames: string[]; orReplace: boolean }
  | { kind: 'addPrimaryKey'; table: TableDef; columns: number[]; constraintName: string }
  | { kind: 'transaction'; action: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo'; name?: string; isolation?: string }
  | { kind: 'set'; name: string; value: string | null; local: boolean }
  | { kind: 'show'; name: string }
  | { kind: 'copyFrom'; table: TableDef; columns: number[]; options: CopyOptions }
  | { kind: 'copyTo'; source: PlanNode; options: CopyOptions }
  | { kind: 'analyze' }
  | { kind: 'truncate'; tables: TableDef[] }
  /** EXPLAIN [ANALYZE] of a query (DML is explained through its plan too). */
  | { kind: 'explain'; plan: PlanNode; analyze: boolean; options?: ExplainOptions }
  | { kind: 'noop'; command: string };

export interface CopyOptions {
  format: 'text' | 'csv' | 'binary';
  delimiter: string;
  header: boolean;
  null: string;
  quote: string;
  escape: string;
}

/** EXPLAIN's boolean options (PostgreSQL's defaults: COSTS on, TIMING on, SUMMARY on with ANALYZE). */
export interface ExplainOptions {
  costs: boolean;
  timing: boolean;
  summary: boolean;
}
