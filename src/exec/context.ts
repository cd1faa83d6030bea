// What an executing plan needs from its session. Exec imports only plan, storage contracts and types.
import { TableSnapshot } from '../storage/api';
import { FormatSettings } from '../types/text-format';
import { Batch, Scalar } from '../types/vector';

export interface ExecContext {
  /** Statement parameters ($1 = index 0), already in their types. */
  params: Scalar[];
  /** The table as this statement sees it (committed snapshot, or the transaction's own view). */
  snapshot(tableId: number): TableSnapshot;
  /** TimeZone and output settings, for casts and date arithmetic on timestamptz. */
  format: FormatSettings;
  statementStartMicros: number;
  transactionStartMicros: number;
  /** Throws 57014 when the statement was cancelled or timed out; called at least once per batch. */
  checkCancel(): void;
  /** Materialized CTE results (and the rows RETURNING reads). */
  ctes?: Map<number, Batch[]>;
  /** Values of the enclosing query's row inside a correlated subquery (OuterRef slots). */
  outer?: Scalar[];
  /** Memoized subquery results for this statement (owned by exec/subquery.ts). */
  subqueries?: Map<unknown, unknown>;
  /** Values of constant subexpressions for this statement (owned by exec/eval-expr.ts). */
  constants?: Map<unknown, unknown>;
}
