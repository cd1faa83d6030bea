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
