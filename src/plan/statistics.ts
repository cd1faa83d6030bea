// Table statistics as the planner sees them: plain data, collected by storage (on commit and by
// ANALYZE) and read by the binder and the planner's cardinality estimation.

/**
 * One column's statistics. min/max are numbers in the column's vector units (int/date: the value,
 * int8/float/timestamp: the value, numeric: the value as a double) or strings for text types;
 * null when the column has no non-NULL values or the type has no order we track (bool, interval).
 */
export interface ColumnStatistics {
  /** Estimated distinct non-NULL values (at least 1 when any value is non-NULL). */
  distinct: number;
  /** Fraction of rows that are NULL, 0..1. */
  nullFraction: number;
  min: number | string | null;
  max: number | string | null;
}

export interface TableStatistics {
  /** Rows the statistics describe (live rows of the table when collected). */
  rowCount: number;
  columns: ColumnStatistics[];
  /** The table's unique keys (primary key, UNIQUE constraints and indexes) as attribute numbers, when known. */
  uniqueKeys?: number[][];
}
