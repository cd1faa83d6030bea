// What the binder hands the engine for each kind of statement.
import { Expr } from '../plan/expr';
import { OutputColumn, PlanNode } from '../plan/plan';
import { ColumnDef, SequenceDef, TableDef } from '../storage/api';
import type { SequenceOptions } from './bind-sequence';

/** A serial or identity column of CREATE TABLE / ADD COLUMN: the engine creates its sequence. */
export interface SerialColumn {
  column: number;
  /** null for serial (a nextval DEFAULT), else GENERATED ALWAYS / BY DEFAULT AS IDENTITY. */
  identity: 'always' | 'byDefault' | null;
  options: SequenceOptions;
  /** SEQUENCE NAME given in the identity options (pg_dump writes it); otherwise table_column_seq. */
  sequenceName?: string;
}

/** A UNIQUE or CHECK constraint of CREATE TABLE (name null = chosen as PostgreSQL does). */
export type TableConstraint =
  | { type: 'unique'; name: string | null; columns: number[] }
  | { type: 'check'; name: string | null; sql: string; columns: number[] };

/** INSERT … ON CONFLICT: arbiter unique keys (by name), and for DO UPDATE the new row's expressions. */
export interface OnConflict {
  /** Names of the unique keys (primary key, UNIQUE constraints, unique indexes) that are arbiters. */
  keys: string[];
  action: 'nothing' | 'update';
  /** DO UPDATE: expressions over [existing row columns…, excluded row columns…] giving the new row. */
  set: Expr[] | null;
  /** DO UPDATE … WHERE over the same row, or null. */
  where: Expr | null;
}

/** RETURNING: expressions over the table's full row (one column per table column). */
export interface Returning {
  exprs: Expr[];
  output: OutputColumn[];
}

export type BoundStatement =
  | { kind: 'query'; plan: PlanNode }
  /** `source` yields one column per table column, in table order, already coerced to the column types. */
  | { kind: 'insert'; table: TableDef; source: PlanNode; returning: Returning | null; onConflict?: OnConflict | null }
  /** `plan` yields the new row (one column per table column) followed by the old row's RowId. */
  | { kind: 'update'; table: TableDef; plan: PlanNode; returning: Returning | null }
  /** `plan` yields the old row (one column per table column) followed by its RowId. */
  | { kind: 'delete'; table: TableDef; plan: PlanNode; returning: Returning | null }
  /**
   * SELECT … FOR UPDATE/SHARE of one table (bind-locking-select.ts): `rows` yields the matching rows
   * (one column per table column, then the RowId) in ORDER BY order; the engine locks them as
   * `waitPolicy` says, then applies `offset`/`limit` and projects `targets`.
   */
  | {
      kind: 'lockingSelect';
      /** The first table locked (the statement's table lock is taken on every table it scans). */
      table: TableDef;
      /** The rows: `width` columns `targets` are evaluated over, then the RowIds of each locked table's row (`locked`). */
      rows: PlanNode;
      width: number;
      /** `share`: FOR SHARE / FOR KEY SHARE (row locks several transactions hold together). */
      locked: { table: TableDef; column: number; share: boolean }[];
      targets: Returning;
      limit: Expr | null;
      offset: Expr | null;
      lockName: string;
      waitPolicy: 'block' | 'skip' | 'error';
    }
  | {
      kind: 'createTable';
      schema: string;
      name: string;
      columns: ColumnDef[];
      primaryKey: number[] | null;
      ifNotExists: boolean;
      /** Named PRIMARY KEY constraint (null: table_pkey). */
      primaryKeyName?: string | null;
      constraints?: TableConstraint[];
      serials?: SerialColumn[];
    }
  | { kind: 'drop'; objectType: 'table' | 'view' | 'sequence' | 'index'; names: { schema: string; name: string }[]; ifExists: boolean; cascade: boolean }
  | { kind: 'createView'; schema: string; name: string; sql: string; columnNames: string[]; orReplace: boolean }
  | { kind: 'addPrimaryKey'; table: TableDef; columns: number[]; constraintName: string }
  | { kind: 'createSequence'; schema: string; name: string; options: SequenceOptions; ownedBy: { table: TableDef; column: number } | null; ifNotExists: boolean }
  | { kind: 'alterSequence'; def: SequenceDef; restart: string | null }
  /** ALTER TABLE / RENAME: the commands are bound one after another by the engine, each against the table as the previous left it. */
  | { kind: 'alterTable'; table: TableDef; cmds: any[]; text: string; offset: number }
  | { kind: 'createIndex'; table: TableDef; name: string | null; columns: number[]; unique: boolean; ifNotExists: boolean }
  | {
      kind: 'transaction';
      action: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo' | 'prepare' | 'commitPrepared' | 'rollbackPrepared';
      /** The savepoint's, or the prepared transaction's identifier. */
      name?: string;
      isolation?: string;
      readOnly?: boolean;
    }
  | { kind: 'set'; name: string; value: string | null; local: boolean }
  | { kind: 'show'; name: string }
  | { kind: 'copyFrom'; table: TableDef; columns: number[]; options: CopyOptions }
  | { kind: 'copyTo'; source: PlanNode; options: CopyOptions }
  /** ANALYZE [table, …]: no tables = every table. */
  | { kind: 'analyze'; tables: TableDef[] }
  | { kind: 'truncate'; tables: TableDef[]; restartIdentity?: boolean }
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
  /** Buffer-pool hits and reads per scan (EXPLAIN ANALYZE; on by default with it, as in PostgreSQL 18). */
  buffers?: boolean;
}
