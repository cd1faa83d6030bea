// Per-row costs of a hash join's parts, in microseconds per row, measured on this engine by
// bench/ml/calibrate.ts (least squares of each hash join's own time over its build, probe and
// output rows in EXPLAIN ANALYZE runs of TPC-H queries). The learned optimizer's join enumerator
// costs a join as build·rows(build) + probe·rows(probe) + output·rows(join).
export interface JoinCostConstants {
  build: number;
  probe: number;
  output: number;
}

export const CALIBRATED_JOIN_COSTS: JoinCostConstants = { build: 1.4, probe: 0.0844, output: 1.17 };

/**
 * This engine's other operators, measured the same way (µs): a full scan costs scanValue per row
 * and column read, scanFilterRow per row when it filters and scanOutputRow per row it keeps; a hash
 * aggregation aggregateRow per input row, aggregateCall per input row and aggregate call and
 * aggregateGroup per group; a sort sortRowLog per n·log2 n.
 */
export interface OperatorCostConstants {
  scanValue: number;
  scanFilterRow: number;
  scanOutputRow: number;
  aggregateRow: number;
  aggregateCall: number;
  aggregateGroup: number;
  sortRowLog: number;
}

// Measured by `npm run bench:ml:calibrate -- --sf 0.1 --runs 3` (load average 13 on 2 cores; scanValue
// fit 0: collinear with the filter term on these queries). The join enumerator does not use them:
// a query's scans, filters, aggregation and sort cost the same under every join order.
export const CALIBRATED_OPERATOR_COSTS: OperatorCostConstants = { scanValue: 0, scanFilterRow: 0.276, scanOutputRow: 0.11, aggregateRow: 0.452, aggregateCall: 0.00979, aggregateGroup: 3.38, sortRowLog: 0.162 };
